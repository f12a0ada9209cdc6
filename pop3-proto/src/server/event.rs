//! What the server session asks of its owner, and how it is configured.

use crate::Limits;
use crate::types::{Credentials, MessageInfo, UniqueId};

/// An event of the server session. Each one waits for a decision; the
/// session reads no further command until the owner gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The client presented credentials (USER/PASS, APOP, or a finished
    /// SASL exchange). Answer with
    /// [`accept_maildrop`](super::Session::accept_maildrop) after locking
    /// the maildrop, or [`reject`](super::Session::reject) with
    /// `-ERR [AUTH]` for bad credentials or `-ERR [IN-USE]` when the
    /// maildrop is locked (RFC 2449 section 8.1.2).
    Authenticate(Credentials),
    /// The client sent STLS (RFC 2595 section 4). On
    /// [`accept`](super::Session::accept) the session answers `+OK` and
    /// drops every byte until [`tls_established`](super::Session::tls_established).
    StartTls,
    /// RETR or TOP of a message. [`accept`](super::Session::accept) writes
    /// `+OK`; then feed the message with
    /// [`message_data`](super::Session::message_data) and close it with
    /// [`end_message`](super::Session::end_message). Or
    /// [`reject`](super::Session::reject) it (for example `-ERR [SYS/TEMP]`).
    Retrieve {
        /// The message-number (1-based index into the listing).
        msg: u32,
        /// Its unique-id.
        uid: UniqueId,
        /// Its size as listed.
        size: u64,
        /// `Some(n)` for TOP: the header and `n` body lines.
        lines: Option<u32>,
    },
    /// QUIT in the TRANSACTION state: the session entered UPDATE (RFC 1939
    /// section 6). Remove the messages, release the lock, then
    /// [`accept`](super::Session::accept) (`+OK`) or
    /// [`reject`](super::Session::reject) (`-ERR`, some deletions failed).
    /// The session then closes. A connection that ends any other way
    /// deletes nothing.
    Update {
        /// The messages marked as deleted, in message-number order.
        deleted: Vec<MessageInfo>,
    },
}

/// How a server session behaves.
///
/// # Examples
///
/// ```
/// let config = pop3_proto::server::Config {
///     plaintext_auth: true, // e.g. a loopback connection
///     ..Default::default()
/// };
/// assert!(!config.stls);
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// Text of the greeting after `+OK`.
    pub greeting: String,
    /// The APOP timestamp (`<process-id.clock@hostname>`, RFC 1939
    /// section 7), unique per connection; the owner makes it, since the
    /// session reads no clock. `None` disables APOP.
    pub apop_timestamp: Option<String>,
    /// Whether USER/PASS and SASL PLAIN/LOGIN are allowed without TLS.
    /// RFC 5034 section 4 and RFC 2595 section 2.4 want them off by
    /// default; an owner turns them on for trusted links such as loopback.
    pub plaintext_auth: bool,
    /// Whether to offer STLS (the owner can do TLS).
    pub stls: bool,
    /// Whether the connection is already TLS (POP3S on port 995).
    pub tls: bool,
    /// The IMPLEMENTATION capability (RFC 2449 section 6.9), if any.
    pub implementation: Option<String>,
    /// The limits.
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            greeting: "POP3 server ready".to_string(),
            apop_timestamp: None,
            plaintext_auth: false,
            stls: false,
            tls: false,
            implementation: None,
            limits: Limits::default(),
        }
    }
}
