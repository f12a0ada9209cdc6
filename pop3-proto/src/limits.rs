//! Every limit a POP3 session enforces, in one place.

use std::time::Duration;

/// Hard limits of a session. The defaults follow the RFCs where they say
/// something, and are generous but bounded where they do not.
///
/// # Examples
///
/// ```
/// let limits = pop3_proto::Limits { max_bad_commands: 3, ..Default::default() };
/// assert_eq!(limits.command_line, 255);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest command line, CRLF included. RFC 2449 section 4: servers
    /// that support CAPA MUST accept 255 octets.
    pub command_line: usize,
    /// Longest first line of a response (and CAPA line), CRLF included:
    /// 512 octets (RFC 1939 section 3, RFC 2449 section 4).
    pub response_line: usize,
    /// Longest SASL client response line. RFC 5034 section 4 lets these
    /// exceed the command limit; PLAIN and LOGIN need little.
    pub sasl_line: usize,
    /// Unknown or malformed commands before the server disconnects.
    pub max_bad_commands: u32,
    /// Failed authentications before the server disconnects.
    pub max_auth_failures: u32,
    /// Octets of pipelined input held while a decision is pending.
    pub pipeline_buffer: usize,
    /// Inactivity autologout. RFC 1939 section 3: at least 10 minutes.
    pub autologout: Duration,
    /// Messages the owner may list in one maildrop.
    pub max_messages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            command_line: 255,
            response_line: 512,
            sasl_line: 4096,
            max_bad_commands: 10,
            max_auth_failures: 3,
            pipeline_buffer: 64 * 1024,
            autologout: Duration::from_secs(600),
            max_messages: 1_000_000,
        }
    }
}
