//! Every limit the sessions enforce, in one place, with defaults from the RFCs.

use std::time::Duration;

/// Limits of a server session. Each one bounds something a client can grow.
///
/// # Examples
///
/// ```
/// use smtp_proto::Limits;
/// let limits = Limits { max_recipients: 1000, ..Limits::default() };
/// assert_eq!(limits.command_line, 512);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest command line, CRLF included (RFC 5321 4.5.3.1.4: 512 octets).
    /// MAIL and RCPT may be longer by what the enabled extensions add to them
    /// (SIZE +26 per RFC 1870 4, DSN +500 per RFC 3461 4 and 5, AUTH= +500
    /// per RFC 4954 5); longer lines get `500 5.5.6`.
    pub command_line: usize,
    /// Longest line of message text, CRLF included (RFC 5321 4.5.3.1.6:
    /// 1000 octets). `None` lifts the limit. Not applied to BDAT chunks,
    /// which may carry binary data (RFC 3030).
    pub text_line: Option<usize>,
    /// Longest line of a SASL exchange (RFC 4954 4: 12288 octets).
    pub auth_line: usize,
    /// Largest message in octets, advertised as `SIZE` and enforced while the
    /// data arrives (RFC 1870; `552 5.3.4`). `None` means no limit.
    pub message_size: Option<u64>,
    /// Recipients per transaction (RFC 5321 4.5.3.1.8 asks for at least 100;
    /// more get `452 4.5.3`).
    pub max_recipients: usize,
    /// Bad commands (syntax errors, bad sequence, unknown commands) before the
    /// session answers `421` and closes.
    pub max_errors: usize,
    /// How long the server waits for the next command
    /// (RFC 5321 4.5.3.2.7: at least 5 minutes).
    pub command_timeout: Duration,
    /// How long the server waits for more message data inside DATA or BDAT
    /// (the server side of RFC 5321 4.5.3.2.5/6; 5 minutes by default).
    pub data_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            command_line: 512,
            text_line: Some(1000),
            auth_line: 12288,
            message_size: Some(36_700_160),
            max_recipients: 100,
            max_errors: 20,
            command_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(300),
        }
    }
}

/// How long a client waits for each reply (RFC 5321 4.5.3.2).
///
/// # Examples
///
/// ```
/// use smtp_proto::ClientTimeouts;
/// assert_eq!(ClientTimeouts::default().data_termination.as_secs(), 600);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientTimeouts {
    /// The 220 greeting (4.5.3.2.1: 5 minutes).
    pub greeting: Duration,
    /// EHLO, MAIL, RCPT, RSET, STARTTLS, AUTH, QUIT replies (4.5.3.2.2/3: 5 minutes).
    pub command: Duration,
    /// The reply to DATA or to a BDAT command (4.5.3.2.4: 2 minutes).
    pub data_initiation: Duration,
    /// Between writes of message data (4.5.3.2.5: 3 minutes).
    pub data_block: Duration,
    /// The reply to the final dot or BDAT LAST (4.5.3.2.6: 10 minutes).
    pub data_termination: Duration,
}

impl Default for ClientTimeouts {
    fn default() -> Self {
        ClientTimeouts {
            greeting: Duration::from_secs(300),
            command: Duration::from_secs(300),
            data_initiation: Duration::from_secs(120),
            data_block: Duration::from_secs(180),
            data_termination: Duration::from_secs(600),
        }
    }
}
