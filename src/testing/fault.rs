//! Deterministic fault injection: scripted SMTP replies and misbehaving
//! connections, so that an application's error paths can be tested.

use std::time::Duration;

use smtp_proto::Reply;

use super::transcript::Protocol;

/// The SMTP step a scripted fault answers in place of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SmtpCommand {
    /// The connection opened: a reply here replaces the 220 greeting
    /// (for example `554`, RFC 5321 section 3.1).
    Connect,
    /// EHLO or HELO.
    Ehlo,
    /// MAIL FROM.
    Mail,
    /// RCPT TO; [`SmtpFault::for_recipient`] narrows it to one forward-path.
    Rcpt,
    /// DATA (or the first BDAT): a reply here refuses to take content.
    Data,
    /// The end of the message data: a reply here replaces the `250` that
    /// would follow delivery, and nothing is delivered.
    DataEnd,
    /// AUTH.
    Auth,
    /// VRFY.
    Vrfy,
    /// EXPN.
    Expn,
}

/// What a scripted SMTP fault does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SmtpAction {
    /// Send this reply instead of the server's own decision.
    Reply(Reply),
    /// Close the connection without a reply.
    Disconnect,
    /// Never answer: the connection stays open and silent until the client
    /// gives up (or the server is dropped).
    Stall,
    /// Wait this long, then go on as usual.
    Delay(Duration),
}

/// A scripted answer to one SMTP step, applied in the order faults were
/// added; the first that matches acts.
///
/// # Examples
///
/// ```
/// use missive::testing::{SmtpCommand, SmtpFault};
/// use missive::smtp::Reply;
///
/// // RCPT TO:<bob@localhost> is refused once with 451 4.3.0, then accepted.
/// let reply = Reply::new(451, Some((4, 3, 0)), "Try again later").unwrap();
/// let f = SmtpFault::reply(SmtpCommand::Rcpt, reply).for_recipient("bob@localhost").once();
/// // Every DATA gets 550 5.7.1.
/// let g = SmtpFault::reply(SmtpCommand::Data, Reply::new(550, Some((5, 7, 1)), "No").unwrap());
/// // The end of data is never answered.
/// let h = SmtpFault::stall(SmtpCommand::DataEnd);
/// # let _ = (f, g, h);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpFault {
    pub(crate) command: SmtpCommand,
    /// Lower-cased forward-path (`local@domain`), for RCPT only.
    pub(crate) recipient: Option<String>,
    pub(crate) action: SmtpAction,
    /// How many more times it acts; `None`: every time.
    pub(crate) remaining: Option<u32>,
}

impl SmtpFault {
    /// A fault doing `action` at `command`, every time.
    pub fn new(command: SmtpCommand, action: SmtpAction) -> Self {
        SmtpFault {
            command,
            recipient: None,
            action,
            remaining: None,
        }
    }

    /// Answers `command` with `reply`.
    pub fn reply(command: SmtpCommand, reply: Reply) -> Self {
        Self::new(command, SmtpAction::Reply(reply))
    }

    /// Closes the connection at `command`, without a reply.
    pub fn disconnect(command: SmtpCommand) -> Self {
        Self::new(command, SmtpAction::Disconnect)
    }

    /// Stops answering at `command`.
    pub fn stall(command: SmtpCommand) -> Self {
        Self::new(command, SmtpAction::Stall)
    }

    /// Waits `delay` before answering `command`.
    pub fn delay(command: SmtpCommand, delay: Duration) -> Self {
        Self::new(command, SmtpAction::Delay(delay))
    }

    /// Acts only on `RCPT TO` with this forward-path (`local@domain`,
    /// compared without regard to case; `postmaster` for `<Postmaster>`).
    pub fn for_recipient(mut self, forward_path: &str) -> Self {
        self.recipient = Some(forward_path.to_ascii_lowercase());
        self
    }

    /// Acts once, then no more.
    pub fn once(self) -> Self {
        self.times(1)
    }

    /// Acts `n` times, then no more.
    pub fn times(mut self, n: u32) -> Self {
        self.remaining = Some(n);
        self
    }

    /// Whether it applies here; counts the use if it does.
    pub(crate) fn take(&mut self, command: SmtpCommand, recipient: Option<&str>) -> bool {
        if self.command != command || self.remaining == Some(0) {
            return false;
        }
        if let Some(want) = &self.recipient
            && recipient.is_none_or(|r| !r.eq_ignore_ascii_case(want))
        {
            return false;
        }
        if let Some(n) = &mut self.remaining {
            *n -= 1;
        }
        true
    }
}

/// A misbehaving connection: applied to the next connections accepted on
/// a protocol's listener (all of them, or [`once`](Self::once) /
/// [`times`](Self::times)). Several can apply to the same connection (slow
/// and then cut, say).
///
/// Byte counts are of what the server sends (greeting included), except
/// [`ConnectionFault::disconnect_after_client_bytes`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use missive::testing::{ConnectionFault, Protocol};
///
/// // The next IMAP connection is cut after 10 octets of the greeting.
/// let cut = ConnectionFault::disconnect_after_bytes(Protocol::Imap, 10).once();
/// // POP3 goes silent five octets into its greeting...
/// let stall = ConnectionFault::stall_after_bytes(Protocol::Pop3, 5);
/// // ...and SMTP writes slowly.
/// let slow = ConnectionFault::slow(Protocol::Smtp, Duration::from_millis(20));
/// # let _ = (cut, stall, slow);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionFault {
    pub(crate) protocol: Protocol,
    pub(crate) kind: ConnectionFaultKind,
    pub(crate) remaining: Option<u32>,
}

/// What a [`ConnectionFault`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionFaultKind {
    /// Close after the server has sent this many octets (a write that
    /// would pass the mark is cut at it).
    DisconnectAfterServerBytes(u64),
    /// Close after the server has read this many octets from the client.
    DisconnectAfterClientBytes(u64),
    /// Stop writing and reading after the server has sent this many octets.
    StallAfterServerBytes(u64),
    /// Wait this long before each write.
    DelayPerWrite(Duration),
    /// Close when the client sends this command (by name, such as `RETR`,
    /// `UID FETCH` or `RSET`; see [`Command::name`](super::Command::name)):
    /// the server never sees it, nor anything read with it.
    DisconnectAtCommand(String),
    /// Stop answering (and reading) when the client sends this command;
    /// the server never sees it.
    StallAtCommand(String),
}

impl ConnectionFault {
    /// A fault of `kind` on every connection of `protocol`.
    pub fn new(protocol: Protocol, kind: ConnectionFaultKind) -> Self {
        ConnectionFault {
            protocol,
            kind,
            remaining: None,
        }
    }

    /// Closes the connection once the server has sent `bytes` octets.
    pub fn disconnect_after_bytes(protocol: Protocol, bytes: u64) -> Self {
        Self::new(
            protocol,
            ConnectionFaultKind::DisconnectAfterServerBytes(bytes),
        )
    }

    /// Closes the connection once the server has read `bytes` octets.
    pub fn disconnect_after_client_bytes(protocol: Protocol, bytes: u64) -> Self {
        Self::new(
            protocol,
            ConnectionFaultKind::DisconnectAfterClientBytes(bytes),
        )
    }

    /// Stops answering once the server has sent `bytes` octets (0: not
    /// even a greeting).
    pub fn stall_after_bytes(protocol: Protocol, bytes: u64) -> Self {
        Self::new(protocol, ConnectionFaultKind::StallAfterServerBytes(bytes))
    }

    /// Closes the connection when the client sends `command` (a name
    /// such as `RETR`, `FETCH`, `UID FETCH`, `RSET`; any case).
    pub fn disconnect_at_command(protocol: Protocol, command: &str) -> Self {
        let name = command.to_ascii_uppercase();
        Self::new(protocol, ConnectionFaultKind::DisconnectAtCommand(name))
    }

    /// Stops answering when the client sends `command`.
    pub fn stall_at_command(protocol: Protocol, command: &str) -> Self {
        let name = command.to_ascii_uppercase();
        Self::new(protocol, ConnectionFaultKind::StallAtCommand(name))
    }

    /// A slow peer: every write waits `delay` first.
    pub fn slow(protocol: Protocol, delay: Duration) -> Self {
        Self::new(protocol, ConnectionFaultKind::DelayPerWrite(delay))
    }

    /// Applies to the next connection only.
    pub fn once(self) -> Self {
        self.times(1)
    }

    /// Applies to the next `n` connections.
    pub fn times(mut self, n: u32) -> Self {
        self.remaining = Some(n);
        self
    }

    pub(crate) fn take(&mut self, protocol: Protocol) -> Option<ConnectionFaultKind> {
        if self.protocol != protocol || self.remaining == Some(0) {
            return None;
        }
        if let Some(n) = &mut self.remaining {
            *n -= 1;
        }
        Some(self.kind.clone())
    }
}

/// The stream faults of one connection, merged.
#[derive(Debug, Clone, Default)]
pub(crate) struct StreamPlan {
    pub(crate) disconnect_write: Option<u64>,
    pub(crate) disconnect_read: Option<u64>,
    pub(crate) stall_write: Option<u64>,
    pub(crate) delay: Option<Duration>,
    pub(crate) disconnect_at: Vec<String>,
    pub(crate) stall_at: Vec<String>,
}

impl StreamPlan {
    pub(crate) fn add(&mut self, kind: ConnectionFaultKind) {
        let min = |a: Option<u64>, b: u64| Some(a.map_or(b, |a| a.min(b)));
        match kind {
            ConnectionFaultKind::DisconnectAfterServerBytes(n) => {
                self.disconnect_write = min(self.disconnect_write, n);
            }
            ConnectionFaultKind::DisconnectAfterClientBytes(n) => {
                self.disconnect_read = min(self.disconnect_read, n);
            }
            ConnectionFaultKind::StallAfterServerBytes(n) => {
                self.stall_write = min(self.stall_write, n);
            }
            ConnectionFaultKind::DelayPerWrite(d) => {
                self.delay = Some(self.delay.map_or(d, |e| e.max(d)));
            }
            ConnectionFaultKind::DisconnectAtCommand(c) => self.disconnect_at.push(c),
            ConnectionFaultKind::StallAtCommand(c) => self.stall_at.push(c),
        }
    }

    /// Whether commands are watched at all (else reads are not inspected).
    pub(crate) fn watches_commands(&self) -> bool {
        !self.disconnect_at.is_empty() || !self.stall_at.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_faults_count_and_match_recipients() {
        let reply = Reply::new(451, Some((4, 3, 0)), "later").unwrap();
        let mut f = SmtpFault::reply(SmtpCommand::Rcpt, reply)
            .for_recipient("Bob@Localhost")
            .once();
        assert!(!f.take(SmtpCommand::Mail, None));
        assert!(!f.take(SmtpCommand::Rcpt, Some("alice@localhost")));
        assert!(f.take(SmtpCommand::Rcpt, Some("bob@localhost")));
        assert!(!f.take(SmtpCommand::Rcpt, Some("bob@localhost")));
    }

    #[test]
    fn connection_faults_merge() {
        let mut plan = StreamPlan::default();
        plan.add(ConnectionFaultKind::DisconnectAfterServerBytes(10));
        plan.add(ConnectionFaultKind::DisconnectAfterServerBytes(5));
        assert_eq!(plan.disconnect_write, Some(5));
        let mut f = ConnectionFault::stall_after_bytes(Protocol::Pop3, 0).times(2);
        assert_eq!(f.take(Protocol::Imap), None);
        assert!(f.take(Protocol::Pop3).is_some());
        assert!(f.take(Protocol::Pop3).is_some());
        assert_eq!(f.take(Protocol::Pop3), None);
    }
}
