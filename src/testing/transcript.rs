//! Session transcripts: what went over each connection, in order, with the
//! client's commands parsed by the protocol crates' own parsers.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;

/// A protocol the test server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// SMTP (RFC 5321).
    Smtp,
    /// IMAP4rev1 / IMAP4rev2 (RFC 3501, RFC 9051).
    Imap,
    /// POP3 (RFC 1939).
    Pop3,
}

/// Which way bytes went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the client to the server (commands, message data).
    ClientToServer,
    /// From the server to the client (greeting, replies, responses).
    ServerToClient,
}

/// A connection's number, unique for the life of a
/// [`TestServer`](super::TestServer) (1, 2, 3... in accept order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnectionId(pub u64);

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A client command, as the protocol crate parsed it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// An SMTP command line ([`smtp_proto::parse_command`]).
    Smtp(smtp_proto::Command),
    /// A complete IMAP command, literals included ([`imap_proto::CommandDecoder`]).
    Imap(imap_proto::types::Command),
    /// A POP3 command line ([`pop3_proto::parse::command`]).
    Pop3(pop3_proto::Command),
}

impl Command {
    /// The command's name in upper case, as on the wire: `MAIL`, `RCPT`,
    /// `UID FETCH`, `RETR`...
    pub fn name(&self) -> String {
        match self {
            Command::Smtp(c) => c.verb().to_owned(),
            Command::Imap(c) => c.body.name().to_owned(),
            // CommandKind's variants are the commands' names.
            Command::Pop3(c) => format!("{:?}", c.kind()).to_ascii_uppercase(),
        }
    }
}

/// Something the fault injection did to a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultEvent {
    /// The server closed the connection.
    Disconnected,
    /// The server stopped answering (and reading).
    Stalled,
    /// A scripted delay before the server went on.
    Delayed(Duration),
}

/// What one entry of a transcript is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryKind {
    /// A client command, parsed.
    Command(Command),
    /// A client line the command parser refused (the server answered it
    /// with an error).
    Unparsed,
    /// A client line answering the server's challenge: a SASL response
    /// (SMTP `334`, IMAP and POP3 `+`), or IMAP's `DONE` after IDLE.
    Continuation,
    /// Message content: SMTP DATA up to and including the final `.` line
    /// or one BDAT chunk; a POP3 multi-line response body up to its `.`.
    Data,
    /// An SMTP reply, all its lines ([`smtp_proto::parse_reply`]).
    Reply(smtp_proto::Reply),
    /// An IMAP or POP3 server line (an IMAP response with its literals).
    Response,
    /// Fault injection acted here.
    Fault(FaultEvent),
}

/// One step of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Which way the bytes went.
    pub direction: Direction,
    /// The bytes, as sent (line ends included; empty for a fault).
    pub data: Bytes,
    /// What they are.
    pub kind: EntryKind,
}

impl Entry {
    /// The command, if this entry is one.
    pub fn command(&self) -> Option<&Command> {
        match &self.kind {
            EntryKind::Command(c) => Some(c),
            _ => None,
        }
    }

    /// The bytes as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// Everything one connection exchanged, in the order it happened (no
/// timestamps: the order is the record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    /// The connection's number.
    pub id: ConnectionId,
    /// The protocol of the listener it came in on.
    pub protocol: Protocol,
    /// The client's address.
    pub peer: SocketAddr,
    /// The exchange, in order.
    pub entries: Vec<Entry>,
    /// Whether the connection has ended.
    pub closed: bool,
}

impl Transcript {
    /// The client's commands, in order.
    pub fn commands(&self) -> impl Iterator<Item = &Command> {
        self.entries.iter().filter_map(Entry::command)
    }

    /// The SMTP replies, in order (empty for IMAP and POP3).
    pub fn replies(&self) -> impl Iterator<Item = &smtp_proto::Reply> {
        self.entries.iter().filter_map(|e| match &e.kind {
            EntryKind::Reply(r) => Some(r),
            _ => None,
        })
    }

    /// The faults injected, in order.
    pub fn faults(&self) -> impl Iterator<Item = FaultEvent> + '_ {
        self.entries.iter().filter_map(|e| match e.kind {
            EntryKind::Fault(f) => Some(f),
            _ => None,
        })
    }
}

impl fmt::Display for Transcript {
    /// `C: ` and `S: ` lines, as RFC examples show them; message data is
    /// abbreviated to its size.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.entries {
            let who = match e.direction {
                Direction::ClientToServer => "C",
                Direction::ServerToClient => "S",
            };
            match &e.kind {
                EntryKind::Fault(ev) => writeln!(f, "-- {ev:?}")?,
                EntryKind::Data => writeln!(f, "{who}: <{} octets of data>", e.data.len())?,
                _ => {
                    for line in e.text().lines() {
                        writeln!(f, "{who}: {line}")?;
                    }
                }
            }
        }
        Ok(())
    }
}
