//! What the test server received over SMTP.

use std::sync::Arc;

use bytes::Bytes;
use mail_parser::{Message, MessageParser};
use smtp_proto::{ForwardPath, ReversePath};

use super::transcript::ConnectionId;

/// The SMTP envelope of a message (RFC 5321 section 2.3.1): who the
/// client said it was from and whom it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The MAIL FROM reverse-path (`<>` for a bounce).
    pub reverse_path: ReversePath,
    /// The RCPT TO forward-paths the server accepted, in order.
    pub forward_paths: Vec<ForwardPath>,
    /// The connection it came in on (see
    /// [`TestServer::transcript`](super::TestServer::transcript)).
    pub connection: ConnectionId,
}

/// One message the server accepted over SMTP, with its envelope.
#[derive(Debug, Clone)]
pub struct ReceivedMessage {
    /// The envelope of the transaction.
    pub envelope: Envelope,
    /// The message as received (dot-stuffing undone, no terminating `.`).
    pub raw: Bytes,
    /// The users (lower-cased addresses) whose INBOX it was delivered to.
    pub delivered_to: Vec<String>,
    /// Shared: the list of received messages is cloned for every caller.
    parsed: Option<Arc<Message<'static>>>,
}

impl ReceivedMessage {
    pub(crate) fn new(envelope: Envelope, raw: Bytes, delivered_to: Vec<String>) -> Self {
        let parsed = MessageParser::default()
            .parse(&raw[..])
            .map(|m| Arc::new(m.into_owned()));
        ReceivedMessage {
            envelope,
            raw,
            delivered_to,
            parsed,
        }
    }

    /// The message parsed by mail-parser; `None` only when the content
    /// was empty.
    pub fn parsed(&self) -> Option<&Message<'static>> {
        self.parsed.as_deref()
    }

    /// The Subject header, if there is one.
    pub fn subject(&self) -> Option<&str> {
        self.parsed.as_ref()?.subject()
    }

    /// The first text body part, if there is one.
    pub fn body_text(&self) -> Option<String> {
        Some(self.parsed.as_ref()?.body_text(0)?.into_owned())
    }

    /// The MAIL FROM reverse-path as text (`<>` or `<a@b>`).
    pub fn mail_from(&self) -> String {
        self.envelope.reverse_path.to_string()
    }

    /// The RCPT TO forward-paths as text (`<a@b>`).
    pub fn rcpt_to(&self) -> Vec<String> {
        self.envelope
            .forward_paths
            .iter()
            .map(ToString::to_string)
            .collect()
    }
}
