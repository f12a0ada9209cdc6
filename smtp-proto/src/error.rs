//! Errors of the crate.
//!
//! A peer's bad input is never an `Err`: the sessions answer it with the
//! protocol's own reply and carry on. `Err` is for values that cannot exist
//! (a constructor refusing an invalid address), for owner misuse of a session,
//! and for the driver's I/O.

/// A value that does not satisfy the grammar of its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidValue {
    /// Not a domain name (RFC 5321 4.1.2 `Domain`).
    #[error("not a domain name")]
    Domain,
    /// Not an address literal (RFC 5321 4.1.3).
    #[error("not an address literal")]
    AddressLiteral,
    /// Not a local part (RFC 5321 4.1.2 `Local-part`).
    #[error("not a local part")]
    LocalPart,
    /// Not a reply code (RFC 5321 4.2: `2`-`5`, `0`-`5`, `0`-`9`).
    #[error("not a reply code: {0}")]
    ReplyCode(u16),
    /// Not an enhanced status code, or its class does not match the reply code
    /// (RFC 3463 2, RFC 2034 4).
    #[error("not an enhanced status code for this reply")]
    EnhancedStatus,
    /// Reply text holding CR, LF or another control character.
    #[error("reply text holds a control character")]
    ReplyText,
    /// An ESMTP parameter keyword or value outside RFC 5321 4.1.2's grammar.
    #[error("not an ESMTP parameter")]
    Parameter,
    /// A text argument (VRFY, EXPN, HELP, NOOP, a SASL mechanism) holding a
    /// character its grammar does not allow.
    #[error("not a valid argument")]
    Argument,
}

/// Misuse of a session by its owner (not a peer's fault).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// `accept`, `reject` or `respond_*` was called with no decision pending.
    #[error("no decision is pending")]
    NoPendingDecision,
    /// The decision given does not fit the pending event (for example
    /// per-recipient replies outside LMTP's end of data).
    #[error("this answer does not fit the pending decision")]
    WrongDecision,
    /// LMTP end of data answered with a number of replies different from the
    /// number of accepted recipients.
    #[error("expected {expected} replies, one per accepted recipient, got {got}")]
    RecipientCount {
        /// Accepted recipients in the transaction.
        expected: usize,
        /// Replies given.
        got: usize,
    },
    /// The client session was asked to do something its state does not allow
    /// (a second transaction before the first finished, or anything after
    /// the session ended).
    #[error("the session is not ready for this request")]
    NotReady,
}

/// Errors of the tokio driver.
#[cfg(feature = "tokio")]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// Reading or writing the connection failed.
    #[error("connection I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// The TLS upgrade failed or was not available.
    #[error("TLS upgrade failed: {0}")]
    Tls(std::io::Error),
    /// The client session gave up (greeting or EHLO refused, TLS or AUTH
    /// failed, a timeout, a 421).
    #[error("SMTP session failed: {0:?}")]
    Failed(crate::client::Failure),
    /// The peer did not answer in time.
    #[error("timed out")]
    Timeout,
    /// The connection closed before the exchange finished.
    #[error("connection closed by the peer")]
    Closed,
    /// The session was misused.
    #[error(transparent)]
    Session(#[from] SessionError),
}
