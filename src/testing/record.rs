//! Turning the bytes a connection reads and writes into transcript
//! entries: one incremental parser per protocol.

use std::collections::VecDeque;
use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};

use super::transcript::{
    Command, ConnectionId, Direction, Entry, EntryKind, FaultEvent, Protocol, Transcript,
};

/// The most a partial line may hold before it is recorded as it is: a
/// client that never sends a line end cannot grow the record buffer.
const MAX_PARTIAL: usize = 1024 * 1024;

/// Builds a transcript from the bytes as the server reads and writes them.
#[derive(Debug)]
pub(crate) struct Recorder {
    pub(crate) transcript: Transcript,
    parser: Parser,
}

#[derive(Debug)]
enum Parser {
    Smtp(SmtpParser),
    Imap(Box<ImapParser>),
    Pop3(Pop3Parser),
}

impl Recorder {
    pub(crate) fn new(id: ConnectionId, protocol: Protocol, peer: SocketAddr) -> Self {
        let parser = match protocol {
            Protocol::Smtp => Parser::Smtp(SmtpParser::default()),
            Protocol::Imap => Parser::Imap(Box::default()),
            Protocol::Pop3 => Parser::Pop3(Pop3Parser::default()),
        };
        Recorder {
            transcript: Transcript {
                id,
                protocol,
                peer,
                entries: Vec::new(),
                closed: false,
            },
            parser,
        }
    }

    /// Bytes the server read from the client.
    pub(crate) fn client(&mut self, bytes: &[u8]) {
        let out = &mut self.transcript.entries;
        match &mut self.parser {
            Parser::Smtp(p) => p.client(bytes, out),
            Parser::Imap(p) => p.client(bytes, out),
            Parser::Pop3(p) => p.client(bytes, out),
        }
    }

    /// Like [`Recorder::client`], returning the names of the commands the
    /// bytes completed.
    pub(crate) fn client_commands(&mut self, bytes: &[u8]) -> Vec<String> {
        let from = self.transcript.entries.len();
        self.client(bytes);
        self.transcript
            .entries
            .get(from..)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e.command().map(Command::name))
            .collect()
    }

    /// Bytes the server wrote to the client.
    pub(crate) fn server(&mut self, bytes: &[u8]) {
        let out = &mut self.transcript.entries;
        match &mut self.parser {
            Parser::Smtp(p) => p.server(bytes, out),
            Parser::Imap(p) => p.server(bytes, out),
            Parser::Pop3(p) => p.server(bytes, out),
        }
    }

    pub(crate) fn fault(&mut self, event: FaultEvent) {
        if !matches!(event, FaultEvent::Delayed(_)) {
            // Nothing more will complete what is half sent.
            self.flush_partial();
        }
        self.transcript.entries.push(Entry {
            direction: Direction::ServerToClient,
            data: Bytes::new(),
            kind: EntryKind::Fault(event),
        });
    }

    pub(crate) fn close(&mut self) {
        if !self.transcript.closed {
            self.flush_partial();
        }
        self.transcript.closed = true;
    }

    /// Records what is left of lines cut short, as it is.
    fn flush_partial(&mut self) {
        const C: Direction = Direction::ClientToServer;
        const S: Direction = Direction::ServerToClient;
        let out = &mut self.transcript.entries;
        let mut rest = |d, b: &mut BytesMut, kind| {
            if !b.is_empty() {
                push(out, d, b.split().freeze(), kind);
            }
        };
        match &mut self.parser {
            Parser::Smtp(p) => {
                match &mut p.state {
                    SmtpState::Data(content) | SmtpState::Bdat(_, content) => {
                        content.extend_from_slice(&p.client.split());
                        rest(C, content, EntryKind::Data);
                    }
                    SmtpState::Command => rest(C, &mut p.client, EntryKind::Unparsed),
                }
                rest(S, &mut p.server, EntryKind::Response);
            }
            Parser::Imap(p) => {
                rest(C, &mut p.raw, EntryKind::Unparsed);
                p.response.extend_from_slice(&p.server.split());
                rest(S, &mut p.response, EntryKind::Response);
            }
            Parser::Pop3(p) => {
                rest(C, &mut p.client, EntryKind::Unparsed);
                if let Some(body) = &mut p.body {
                    body.extend_from_slice(&p.server.split());
                    rest(S, body, EntryKind::Data);
                }
                rest(S, &mut p.server, EntryKind::Response);
            }
        }
    }
}

fn push(out: &mut Vec<Entry>, direction: Direction, data: Bytes, kind: EntryKind) {
    out.push(Entry {
        direction,
        data,
        kind,
    });
}

/// Takes one line (through LF) off the front of `buf`; a partial line past
/// [`MAX_PARTIAL`] comes out whole.
fn take_line(buf: &mut BytesMut) -> Option<Bytes> {
    match memchr_lf(buf) {
        Some(i) => Some(buf.split_to(i + 1).freeze()),
        None if buf.len() > MAX_PARTIAL => Some(buf.split().freeze()),
        None => None,
    }
}

fn memchr_lf(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|&b| b == b'\n')
}

fn trim_crlf(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// SMTP: command lines, DATA content after a 354, BDAT chunks, SASL
/// responses after a 334; replies parsed whole (multi-line ones too).
#[derive(Debug, Default)]
struct SmtpParser {
    client: BytesMut,
    server: BytesMut,
    state: SmtpState,
    /// The server sent 334: the next client line is a SASL response.
    sasl: bool,
}

#[derive(Debug, Default)]
enum SmtpState {
    #[default]
    Command,
    /// After 354: content lines up to `.`.
    Data(BytesMut),
    /// After `BDAT n`: that many octets.
    Bdat(u64, BytesMut),
}

impl SmtpParser {
    fn client(&mut self, bytes: &[u8], out: &mut Vec<Entry>) {
        const C: Direction = Direction::ClientToServer;
        self.client.extend_from_slice(bytes);
        loop {
            match &mut self.state {
                SmtpState::Bdat(remaining, chunk) => {
                    let n = (*remaining).min(self.client.len() as u64) as usize;
                    chunk.extend_from_slice(&self.client.split_to(n));
                    *remaining -= n as u64;
                    if *remaining > 0 {
                        return;
                    }
                    let data = std::mem::take(chunk).freeze();
                    push(out, C, data, EntryKind::Data);
                    self.state = SmtpState::Command;
                }
                SmtpState::Data(content) => {
                    let Some(line) = take_line(&mut self.client) else {
                        return;
                    };
                    content.extend_from_slice(&line);
                    // Only CRLF.CRLF ends the data (RFC 5321 4.1.1.4); a
                    // bare-LF line end is the session's business.
                    if &line[..] == b".\r\n" {
                        let data = std::mem::take(content).freeze();
                        push(out, C, data, EntryKind::Data);
                        self.state = SmtpState::Command;
                    }
                }
                SmtpState::Command => {
                    let Some(line) = take_line(&mut self.client) else {
                        return;
                    };
                    if std::mem::take(&mut self.sasl) {
                        push(out, C, line, EntryKind::Continuation);
                        continue;
                    }
                    match smtp_proto::parse_command(&line) {
                        Ok(command) => {
                            if let smtp_proto::Command::Bdat { size, .. } = command {
                                self.state = SmtpState::Bdat(size, BytesMut::new());
                            }
                            push(out, C, line, EntryKind::Command(Command::Smtp(command)));
                        }
                        Err(_) => push(out, C, line, EntryKind::Unparsed),
                    }
                }
            }
        }
    }

    fn server(&mut self, bytes: &[u8], out: &mut Vec<Entry>) {
        const S: Direction = Direction::ServerToClient;
        self.server.extend_from_slice(bytes);
        loop {
            match smtp_proto::parse_reply(&self.server) {
                Ok(Some((reply, n))) => {
                    let data = self.server.split_to(n).freeze();
                    match reply.code().get() {
                        354 if matches!(self.state, SmtpState::Command) => {
                            self.state = SmtpState::Data(BytesMut::new());
                        }
                        334 => self.sasl = true,
                        _ => {}
                    }
                    push(out, S, data, EntryKind::Reply(reply));
                }
                Ok(None) if self.server.len() <= MAX_PARTIAL => return,
                // Not a reply we can read (the fault injection cut it, say):
                // keep the line as it is.
                Ok(None) | Err(_) => match take_line(&mut self.server) {
                    Some(line) => push(out, S, line, EntryKind::Response),
                    None => return,
                },
            }
        }
    }
}

/// IMAP: commands through the server's own incremental decoder (literals
/// included); responses as lines with their literals.
#[derive(Debug)]
struct ImapParser {
    decoder: imap_proto::CommandDecoder,
    /// Client bytes fed to the decoder but not yet part of an entry.
    raw: BytesMut,
    server: BytesMut,
    /// A response in progress: the lines so far and the literal octets
    /// still to come.
    response: BytesMut,
    literal: u64,
    /// An IDLE or AUTHENTICATE waiting for its `+`, by tag.
    open: Option<(imap_proto::types::Tag, imap_proto::Expect)>,
}

impl Default for ImapParser {
    fn default() -> Self {
        ImapParser {
            decoder: imap_proto::CommandDecoder::new(imap_proto::Limits::default()),
            raw: BytesMut::new(),
            server: BytesMut::new(),
            response: BytesMut::new(),
            literal: 0,
            open: None,
        }
    }
}

impl ImapParser {
    fn client(&mut self, bytes: &[u8], out: &mut Vec<Entry>) {
        use imap_proto::CommandEvent as E;
        use imap_proto::types::CommandBody;
        self.decoder.receive(bytes);
        self.raw.extend_from_slice(bytes);
        while let Some(event) = self.decoder.poll_event() {
            let kind = match event {
                E::LiteralRequest { .. } => {
                    // The server decides; the record follows the client,
                    // which sends the literal once it is allowed to.
                    let _ = self.decoder.accept_literal();
                    continue;
                }
                E::Command(c) => {
                    match c.body {
                        CommandBody::Idle => {
                            self.open = Some((c.tag.clone(), imap_proto::Expect::IdleDone));
                        }
                        CommandBody::Authenticate { .. } => {
                            self.open = Some((c.tag.clone(), imap_proto::Expect::AuthenticateData));
                        }
                        _ => {}
                    }
                    EntryKind::Command(Command::Imap(c))
                }
                E::Error(_) => EntryKind::Unparsed,
                E::IdleDone | E::AuthenticateData(_) | E::AuthenticateCancel => {
                    EntryKind::Continuation
                }
                _ => continue,
            };
            let used = self.raw.len().saturating_sub(self.decoder.buffered());
            let data = self.raw.split_to(used).freeze();
            push(out, Direction::ClientToServer, data, kind);
        }
    }

    fn server(&mut self, bytes: &[u8], out: &mut Vec<Entry>) {
        self.server.extend_from_slice(bytes);
        loop {
            if self.literal > 0 {
                let n = self.literal.min(self.server.len() as u64) as usize;
                if n == 0 {
                    return;
                }
                self.response.extend_from_slice(&self.server.split_to(n));
                self.literal -= n as u64;
                continue;
            }
            let Some(line) = take_line(&mut self.server) else {
                return;
            };
            self.response.extend_from_slice(&line);
            if let Some(n) = literal_length(trim_crlf(&line)) {
                self.literal = n;
                continue;
            }
            let response = std::mem::take(&mut self.response).freeze();
            self.after_response(&response);
            push(
                out,
                Direction::ServerToClient,
                response,
                EntryKind::Response,
            );
        }
    }

    /// A `+` after IDLE or AUTHENTICATE makes the decoder expect `DONE`
    /// or SASL data; the tagged completion ends that.
    fn after_response(&mut self, response: &[u8]) {
        let Some((tag, expect)) = &self.open else {
            return;
        };
        if response.starts_with(b"+") {
            self.decoder.expect(*expect);
            if *expect == imap_proto::Expect::IdleDone {
                self.open = None;
            }
        } else {
            let t = tag.as_str().as_bytes();
            if response.starts_with(t) && response.get(t.len()) == Some(&b' ') {
                self.open = None;
            }
        }
    }
}

/// `{n}` or `~{n}` (with `+` or `-` for non-synchronizing literals) at the
/// end of a line announces n octets.
fn literal_length(line: &[u8]) -> Option<u64> {
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = inner.get(open + 1..)?;
    let digits = digits
        .strip_suffix(b"+")
        .or_else(|| digits.strip_suffix(b"-"))
        .unwrap_or(digits);
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// POP3: command lines, SASL lines after `+`, status lines, and each
/// multi-line body as one entry.
#[derive(Debug, Default)]
struct Pop3Parser {
    client: BytesMut,
    server: BytesMut,
    /// For each command sent and not yet answered: whether a positive
    /// answer is multi-line (RFC 1939 section 3; RFC 2449 PIPELINING lets
    /// several be in flight).
    pending: VecDeque<bool>,
    /// A multi-line body in progress.
    body: Option<BytesMut>,
    /// The server sent `+ `: the next client line is a SASL response.
    sasl: bool,
}

impl Pop3Parser {
    fn client(&mut self, bytes: &[u8], out: &mut Vec<Entry>) {
        use pop3_proto::Command as P;
        const C: Direction = Direction::ClientToServer;
        self.client.extend_from_slice(bytes);
        while let Some(line) = take_line(&mut self.client) {
            if std::mem::take(&mut self.sasl) {
                push(out, C, line, EntryKind::Continuation);
                continue;
            }
            match pop3_proto::parse::command(trim_crlf(&line)) {
                Ok(command) => {
                    let multi = matches!(
                        command,
                        P::List { msg: None }
                            | P::Uidl { msg: None }
                            | P::Retr { .. }
                            | P::Top { .. }
                            | P::Capa
                    ) || matches!(&command, P::Auth { mechanism, .. } if mechanism.is_empty());
                    self.pending.push_back(multi);
                    push(out, C, line, EntryKind::Command(Command::Pop3(command)));
                }
                Err(_) => {
                    self.pending.push_back(false);
                    push(out, C, line, EntryKind::Unparsed);
                }
            }
        }
    }

    fn server(&mut self, bytes: &[u8], out: &mut Vec<Entry>) {
        const S: Direction = Direction::ServerToClient;
        self.server.extend_from_slice(bytes);
        while let Some(line) = take_line(&mut self.server) {
            if let Some(body) = &mut self.body {
                body.extend_from_slice(&line);
                if &line[..] == b".\r\n" {
                    let data = std::mem::take(body).freeze();
                    self.body = None;
                    push(out, S, data, EntryKind::Data);
                }
                continue;
            }
            if line.starts_with(b"+ ") || &line[..] == b"+\r\n" {
                self.sasl = true;
            } else {
                // The greeting answers no command.
                let multi = self.pending.pop_front().unwrap_or(false);
                if multi && line.starts_with(b"+OK") {
                    self.body = Some(BytesMut::new());
                }
            }
            push(out, S, line, EntryKind::Response);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 1))
    }

    fn kinds(r: &Recorder) -> Vec<String> {
        r.transcript
            .entries
            .iter()
            .map(|e| match &e.kind {
                EntryKind::Command(_) => "cmd",
                EntryKind::Unparsed => "unparsed",
                EntryKind::Continuation => "cont",
                EntryKind::Data => "data",
                EntryKind::Reply(_) => "reply",
                EntryKind::Response => "resp",
                EntryKind::Fault(_) => "fault",
            })
            .map(str::to_owned)
            .collect()
    }

    const C: Direction = Direction::ClientToServer;
    const S: Direction = Direction::ServerToClient;

    /// Records an exchange, each step the bytes one side sent.
    fn exchange(protocol: Protocol, steps: &[(Direction, &[u8])]) -> Recorder {
        let mut r = Recorder::new(ConnectionId(1), protocol, peer());
        for (direction, bytes) in steps {
            match direction {
                Direction::ClientToServer => r.client(bytes),
                Direction::ServerToClient => r.server(bytes),
            }
        }
        r
    }

    #[test]
    fn smtp_data_and_bdat_are_content_not_commands() {
        const REST: &[(Direction, &[u8])] = &[
            (S, b"250-localhost\r\n250 PIPELINING\r\n250 2.1.0 OK\r\n"),
            (C, b"RCPT TO:<c@d>\r\nDATA\r\n"),
            (S, b"250 OK\r\n354 go\r\n"),
            (C, b"QUIT\r\n."),
            (C, b"\r\nBDAT 4 LAST\r\nab\r\n"),
            (S, b"250 queued\r\n"),
        ];
        let mut steps: Vec<(Direction, &[u8])> = vec![(S, b"220 localhost ESMTP\r\n")];
        // Split anywhere: a record is the same.
        steps.extend(b"EHLO x\r\nMAIL FROM:<a@b>\r\n".chunks(1).map(|b| (C, b)));
        steps.extend_from_slice(REST);
        let r = exchange(Protocol::Smtp, &steps);
        assert_eq!(
            kinds(&r),
            [
                "reply", "cmd", "cmd", "reply", "reply", "cmd", "cmd", "reply", "reply", "data",
                "cmd", "data", "reply"
            ]
        );
        let data = &r.transcript.entries[9];
        assert_eq!(&data.data[..], b"QUIT\r\n.\r\n");
        let replies: Vec<u16> = r.transcript.replies().map(|r| r.code().get()).collect();
        assert_eq!(replies, [220, 250, 250, 250, 354, 250]);
    }

    /// An exchange, the kinds of entries it gives, and the data of some of
    /// them by index.
    type Case = (
        Protocol,
        &'static [(Direction, &'static [u8])],
        &'static [&'static str],
        &'static [(usize, &'static [u8])],
    );

    /// SMTP SASL lines after 334 and POP3's after `+` are continuations;
    /// an IMAP literal is part of its command, IDLE's DONE a continuation;
    /// a POP3 multi-line body is one entry.
    const CASES: &[Case] = &[
        (
            Protocol::Smtp,
            &[
                (C, b"AUTH LOGIN\r\n"),
                (S, b"334 VXNlcm5hbWU6\r\n"),
                (C, b"YWxpY2U=\r\n"),
                (S, b"334 UGFzc3dvcmQ6\r\n"),
                (C, b"cHc=\r\n"),
                (S, b"235 2.7.0 OK\r\n"),
            ],
            &["cmd", "reply", "cont", "reply", "cont", "reply"],
            &[],
        ),
        (
            Protocol::Imap,
            &[
                (S, b"* OK ready\r\n"),
                (C, b"a1 LOGIN {5}\r\n"),
                (S, b"+ Ready\r\n"),
                (C, b"alice pw\r\na2 IDLE\r\n"),
                (S, b"a1 OK done\r\n+ idling\r\n"),
                (C, b"DONE\r\n"),
                (S, b"a2 OK IDLE done\r\n* 1 FETCH (BODY[] {3}\r\nx\r\n)\r\n"),
                (C, b"a3 BOGUS\r\n"),
            ],
            &[
                "resp", "resp", "cmd", "cmd", "resp", "resp", "cont", "resp", "resp", "unparsed",
            ],
            &[
                (2, b"a1 LOGIN {5}\r\nalice pw\r\n"),
                (8, b"* 1 FETCH (BODY[] {3}\r\nx\r\n)\r\n"),
            ],
        ),
        (
            Protocol::Pop3,
            &[
                (S, b"+OK ready\r\n"),
                (C, b"USER a\r\nRETR 1\r\nSTAT\r\n"),
                (S, b"+OK\r\n+OK 3 octets\r\nx\r\n..y\r\n.\r\n+OK 1 3\r\n"),
                (C, b"AUTH PLAIN\r\n"),
                (S, b"+ \r\n"),
                (C, b"AGEAcHc=\r\n"),
            ],
            &[
                "resp", "cmd", "cmd", "cmd", "resp", "resp", "data", "resp", "cmd", "resp", "cont",
            ],
            &[(6, b"x\r\n..y\r\n.\r\n")],
        ),
    ];

    #[test]
    fn sasl_literals_idle_and_multiline_bodies() {
        for &(protocol, steps, expected, data) in CASES {
            let r = exchange(protocol, steps);
            assert_eq!(kinds(&r), expected, "{protocol:?}");
            for &(i, bytes) in data {
                let entry = &r.transcript.entries[i];
                assert_eq!(&entry.data[..], bytes, "{protocol:?} entry {i}");
            }
        }
    }

    /// A stream of `pieces` and random runs of bytes, every one as likely.
    fn stream_of(
        pieces: &'static [&'static [u8]],
    ) -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            pieces.len() as u32 => proptest::sample::select(pieces).prop_map(<[u8]>::to_vec),
            1 => proptest::collection::vec(any::<u8>(), 0..12),
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|p| p.concat())
    }

    /// Client input that looks like each protocol, or not at all.
    fn input() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        stream_of(&[
            b"\r\n",
            b"DATA\r\n",
            b"BDAT 5\r\n",
            b".\r\n",
            b"a1 LOGIN {3}\r\n",
            b"a2 IDLE\r\n",
            b"DONE\r\n",
            b"RETR 1\r\n",
            b"AUTH PLAIN\r\n",
        ])
    }

    /// Server output that looks like each protocol, or not at all.
    fn server_input() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        stream_of(&[
            b"354 go\r\n",
            b"334 \r\n",
            b"250-a\r\n250 b\r\n",
            b"+ go\r\n",
            b"+OK\r\n",
            b"* 1 FETCH (BODY[] {4}\r\n",
            b"a2 OK\r\n",
        ])
    }

    fn record(protocol: Protocol, client: &[u8], server: &[u8], step: usize) -> Transcript {
        let mut r = Recorder::new(ConnectionId(1), protocol, peer());
        // Alternate: a piece from the server, then one from the client.
        let (mut c, mut s) = (client.chunks(step), server.chunks(step));
        loop {
            let (a, b) = (s.next(), c.next());
            if let Some(b) = a {
                r.server(b);
            }
            if let Some(b) = b {
                r.client(b);
            }
            if a.is_none() && b.is_none() {
                break;
            }
        }
        r.close();
        r.transcript
    }

    proptest::proptest! {
        /// Any bytes: no panic, and nothing lost or invented: the entries
        /// hold every octet of each direction, in order.
        #[test]
        fn every_octet_is_recorded_once(client in input(), server in server_input(), step in 1usize..40) {
            for protocol in [Protocol::Smtp, Protocol::Imap, Protocol::Pop3] {
                let t = record(protocol, &client, &server, step);
                let side = |d| -> Vec<u8> {
                    t.entries.iter().filter(|e| e.direction == d).flat_map(|e| e.data.to_vec()).collect()
                };
                proptest::prop_assert_eq!(side(Direction::ClientToServer), client.clone());
                proptest::prop_assert_eq!(side(Direction::ServerToClient), server.clone());
            }
        }

        /// A client's stream read whole or in pieces gives the same record.
        #[test]
        fn client_splits_do_not_matter(client in input(), step in 1usize..40) {
            for protocol in [Protocol::Smtp, Protocol::Imap, Protocol::Pop3] {
                let whole = record(protocol, &client, b"", client.len().max(1));
                let split = record(protocol, &client, b"", step);
                proptest::prop_assert_eq!(whole.entries, split.entries);
            }
        }
    }

    #[test]
    fn literal_lengths() {
        assert_eq!(literal_length(b"* 1 FETCH (BODY[] {12}"), Some(12));
        assert_eq!(literal_length(b"a APPEND x ~{3+}"), Some(3));
        assert_eq!(literal_length(b"{}"), None);
        assert_eq!(literal_length(b"{99999999999999999999999}"), None);
        assert_eq!(literal_length(b"* OK {x}"), None);
    }
}
