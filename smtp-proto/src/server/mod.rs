//! The server side of ESMTP and LMTP as a Sans-IO session.
//!
//! # Call order
//!
//! 1. [`Session::new`] queues [`Event::Connect`]: answer it with
//!    [`Session::accept`] (220 greeting) or [`Session::reject`] (for example
//!    554; the session then answers 503 to everything but QUIT, RFC 5321 3.1).
//! 2. Feed received bytes to [`Session::receive`], in any split.
//! 3. Drain [`Session::poll_event`]. Events that need a decision
//!    ([`Event::needs_decision`]) are answered with `accept`, `reject` or, at
//!    LMTP's end of data, [`Session::respond_recipients`]; until then the
//!    session reads no further command, so replies stay in command order
//!    under PIPELINING (RFC 2920).
//! 4. Write what [`Session::poll_transmit`] returns.
//! 5. Sleep until [`Session::poll_timeout`] and call
//!    [`Session::handle_timeout`].
//! 6. After [`Event::StartTls`] is accepted, flush the 220, run the TLS
//!    handshake and call [`Session::tls_established`]. Bytes received in
//!    between are discarded (RFC 3207 4.2, CVE-2011-0411).
//! 7. Close the connection once [`Session::is_closed`] and nothing is left to
//!    transmit.

mod command;
pub(crate) mod data;

use std::collections::VecDeque;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use crate::error::SessionError;
use crate::limits::Limits;
use crate::types::{
    Credentials, ForwardPath, Host, MailParameters, Mechanism, RcptParameters, Reply, ReversePath,
};
pub use data::BareLineEnding;
use data::{DotScanner, Piece};

/// SMTP (RFC 5321) or LMTP (RFC 2033).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// ESMTP: EHLO/HELO, one reply after the data.
    #[default]
    Smtp,
    /// LMTP: LHLO, one reply per accepted recipient after the data.
    Lmtp,
}

/// What the server offers and how it behaves.
///
/// # Examples
///
/// ```
/// use smtp_proto::server::{Config, Mode};
/// let config = Config { mode: Mode::Lmtp, ..Config::new("mx.example.org") };
/// assert!(config.pipelining);
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// The server's name in the greeting and the EHLO reply.
    pub hostname: String,
    /// SMTP or LMTP.
    pub mode: Mode,
    /// Advertise PIPELINING (RFC 2920). Replies keep command order either way.
    pub pipelining: bool,
    /// Advertise and accept `BODY=8BITMIME` (RFC 6152).
    pub eightbitmime: bool,
    /// Advertise and accept SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// Advertise ENHANCEDSTATUSCODES and put them in replies (RFC 2034).
    pub enhanced_status_codes: bool,
    /// Advertise CHUNKING and BINARYMIME, accept BDAT (RFC 3030).
    pub chunking: bool,
    /// Advertise DSN and accept its parameters (RFC 3461).
    pub dsn: bool,
    /// Advertise STARTTLS (RFC 3207); the owner must be able to run TLS.
    pub starttls: bool,
    /// SASL mechanisms to offer; PLAIN and LOGIN are implemented.
    pub auth_mechanisms: Vec<Mechanism>,
    /// Offer AUTH without TLS (for example on loopback). Off by default: the
    /// password would cross the network in the clear (RFC 4954 4).
    pub auth_without_tls: bool,
    /// Policy for bare CR and LF in message content.
    pub bare_line_ending: BareLineEnding,
    /// Hard limits.
    pub limits: Limits,
}

impl Config {
    /// Defaults: SMTP, PIPELINING, SIZE, 8BITMIME, SMTPUTF8,
    /// ENHANCEDSTATUSCODES, CHUNKING, DSN; no STARTTLS, no AUTH.
    pub fn new(hostname: &str) -> Self {
        Config {
            hostname: hostname.to_owned(),
            mode: Mode::Smtp,
            pipelining: true,
            eightbitmime: true,
            smtputf8: true,
            enhanced_status_codes: true,
            chunking: true,
            dsn: true,
            starttls: false,
            auth_mechanisms: Vec::new(),
            auth_without_tls: false,
            bare_line_ending: BareLineEnding::Normalize,
            limits: Limits::default(),
        }
    }
}

/// Which greeting the client used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeloKind {
    /// `HELO`: no extensions.
    Helo,
    /// `EHLO`.
    Ehlo,
    /// `LHLO` (LMTP).
    Lhlo,
}

/// Why a message was given up while its data arrived. The session reads the
/// rest of the data and then answers with the matching reply itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AbortReason {
    /// More than the SIZE limit (`552 5.3.4`, RFC 1870 6.3).
    TooLarge,
    /// A text line over the limit (`500 5.5.2`, RFC 5321 4.5.3.1.6).
    LineTooLong,
    /// A bare CR or LF under [`BareLineEnding::Reject`] (`554 5.6.0`).
    BareLineEnding,
}

/// What the session tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A client connected. Decision: accept (220) or reject (for example 554).
    Connect,
    /// EHLO, HELO or LHLO. Decision: accept (250 with the extensions) or
    /// reject. Any open transaction was dropped first ([`Event::Reset`]).
    Helo {
        /// The client's name for itself.
        host: Host,
        /// Which command it was.
        kind: HeloKind,
    },
    /// MAIL FROM with parameters the session has already checked. Decision.
    Mail {
        /// The reverse-path.
        reverse_path: ReversePath,
        /// The parameters.
        parameters: MailParameters,
    },
    /// RCPT TO. Decision: accept (250) or reject (for example 550 5.1.1).
    Rcpt {
        /// The forward-path.
        forward_path: ForwardPath,
        /// The parameters.
        parameters: RcptParameters,
    },
    /// The message is about to arrive, by DATA or by the first BDAT chunk.
    /// Decision: accept (354 for DATA) or reject (a rejected BDAT chunk is
    /// read and discarded).
    DataStart {
        /// Whether the data comes in BDAT chunks.
        chunking: bool,
    },
    /// Message content, dot-unstuffed, with CR LF line ends.
    MessageData(Bytes),
    /// The message is complete. Decision: accept (250), reject, or in LMTP
    /// [`Session::respond_recipients`]. Store the message durably before
    /// accepting.
    MessageEnd,
    /// The message was given up while arriving; discard what was received.
    MessageAborted(AbortReason),
    /// The open transaction was dropped (RSET, a new EHLO, STARTTLS, QUIT, a
    /// timeout) before it completed.
    Reset,
    /// STARTTLS. Decision: accept (220, then run TLS and call
    /// [`Session::tls_established`]) or reject (for example 454 4.7.0).
    StartTls,
    /// VRFY (RFC 5321 3.5). Decision: accept gives `252 2.0.0` (cannot
    /// verify, will attempt delivery, as RFC 5321 3.5.3 suggests), or
    /// [`Session::respond`] with the application's own answer.
    Vrfy(String),
    /// EXPN (RFC 5321 3.5). Decision: accept gives `502 5.5.1` (not
    /// supported, RFC 5321 7.3), or [`Session::respond`] with a list.
    Expn(String),
    /// AUTH PLAIN or LOGIN finished its exchange. Decision: accept (235) or
    /// reject (for example 535 5.7.8).
    Auth(Credentials),
}

impl Event {
    /// Whether the owner must answer this event before the session goes on.
    pub fn needs_decision(&self) -> bool {
        !matches!(
            self,
            Event::MessageData(_) | Event::MessageAborted(_) | Event::Reset
        )
    }
}

#[derive(Debug)]
enum Pending {
    Connect,
    Helo(HeloKind),
    Mail(MailParameters),
    Rcpt(ForwardPath),
    DataStart { bdat: Option<(u64, bool)> },
    MessageEnd,
    StartTls,
    Auth,
    Vrfy,
    Expn,
}

#[derive(Debug)]
enum Phase {
    /// Waiting for the Connect decision.
    Connecting,
    /// The greeting was refused: 503 to everything but QUIT.
    Refused,
    Command,
    Data(DotScanner),
    Bdat {
        remaining: u64,
        last: bool,
        discard: Option<Reply>,
    },
    AuthPlain,
    AuthLoginUser,
    AuthLoginPassword(String),
    TlsWait,
    Closed,
}

#[derive(Debug)]
struct Transaction {
    smtputf8: bool,
    binarymime: bool,
    recipients: Vec<ForwardPath>,
    data_started: bool,
    bdat: bool,
    size: u64,
    failed: Option<Reply>,
}

/// A server session (see the module docs for the call order).
///
/// # Examples
///
/// ```
/// use std::time::Instant;
/// use smtp_proto::server::{Config, Event, Session};
/// let now = Instant::now();
/// let mut s = Session::new(Config::new("mx.example"), now);
/// assert_eq!(s.poll_event(), Some(Event::Connect));
/// s.accept().unwrap();
/// assert_eq!(&s.poll_transmit().unwrap()[..], b"220 mx.example ESMTP\r\n");
/// s.receive(now, b"NOOP\r\n");
/// assert_eq!(&s.poll_transmit().unwrap()[..], b"250 2.0.0 OK\r\n");
/// ```
#[derive(Debug)]
pub struct Session {
    config: Config,
    buf: BytesMut,
    /// Octets of `buf` already searched for a line end.
    scanned: usize,
    /// Skipping an over-long command line up to its LF.
    skipping: bool,
    out: BytesMut,
    events: VecDeque<Event>,
    pending: Option<Pending>,
    phase: Phase,
    greeted: Option<HeloKind>,
    tx: Option<Transaction>,
    tls: bool,
    authenticated: bool,
    errors: usize,
    last_activity: Instant,
}

impl Session {
    /// A session for a new connection; its first event is [`Event::Connect`].
    pub fn new(config: Config, now: Instant) -> Self {
        let mut events = VecDeque::new();
        events.push_back(Event::Connect);
        Session {
            config,
            buf: BytesMut::new(),
            scanned: 0,
            skipping: false,
            out: BytesMut::new(),
            events,
            pending: Some(Pending::Connect),
            phase: Phase::Connecting,
            greeted: None,
            tx: None,
            tls: false,
            authenticated: false,
            errors: 0,
            last_activity: now,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether TLS is active ([`Session::tls_established`] was called).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether AUTH succeeded.
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// Accepted recipients of the open transaction, in order (LMTP's end of
    /// data replies follow this order).
    pub fn recipients(&self) -> &[ForwardPath] {
        self.tx.as_ref().map_or(&[], |t| &t.recipients)
    }

    /// Whether the session has ended: close the connection once
    /// [`Session::poll_transmit`] returns `None`.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// Whether the session wants more input now. While a decision is pending
    /// the session buffers what it receives; an owner may stop reading.
    pub fn wants_input(&self) -> bool {
        self.pending.is_none() && !self.is_closed()
    }

    /// Octets received and not yet processed (bounded by the line limits
    /// except while a decision is pending).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Takes bytes received from the client, in any split.
    pub fn receive(&mut self, now: Instant, bytes: &[u8]) {
        match self.phase {
            Phase::Closed => return,
            // Anything sent between our 220 and the handshake is plaintext
            // injected ahead of TLS: drop it (RFC 3207 4.2, CVE-2011-0411).
            Phase::TlsWait => return,
            _ => {}
        }
        self.last_activity = now;
        self.buf.extend_from_slice(bytes);
        self.process();
    }

    /// The next event, if any.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Bytes to write to the client, if any.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.out.is_empty() {
            None
        } else {
            Some(self.out.split().freeze())
        }
    }

    /// When [`Session::handle_timeout`] should be called next (RFC 5321
    /// 4.5.3.2.7). `None` while the owner owes a decision or TLS is being
    /// negotiated: those are the owner's own time.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.pending.is_some() {
            return None;
        }
        let l = &self.config.limits;
        match self.phase {
            Phase::Closed | Phase::TlsWait | Phase::Connecting => None,
            Phase::Data(_) | Phase::Bdat { .. } => Some(self.last_activity + l.data_timeout),
            _ => Some(self.last_activity + l.command_timeout),
        }
    }

    /// Fires the timeout if its deadline has passed: the session answers
    /// `421 4.4.2` and closes.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|d| now >= d) {
            self.drop_transaction();
            let text = format!("{} Error: timeout exceeded", self.config.hostname);
            self.say(421, Some((4, 4, 2)), &text);
            self.phase = Phase::Closed;
        }
    }

    /// The owner finished the TLS handshake that STARTTLS asked for. The
    /// session starts afresh: the client must send EHLO again (RFC 3207 4.2).
    pub fn tls_established(&mut self, now: Instant) {
        self.tls = true;
        self.greeted = None;
        self.tx = None;
        self.buf.clear();
        self.scanned = 0;
        self.skipping = false;
        self.last_activity = now;
        if matches!(self.phase, Phase::TlsWait) {
            self.phase = Phase::Command;
        }
    }

    /// Marks the connection as encrypted from the start (implicit TLS on a
    /// submissions port, RFC 8314 3.3): STARTTLS is not offered and AUTH is.
    pub fn assume_tls(&mut self) {
        self.tls = true;
    }

    /// Accepts the pending decision with the usual positive reply.
    pub fn accept(&mut self) -> Result<(), SessionError> {
        let pending = self.pending.take().ok_or(SessionError::NoPendingDecision)?;
        self.accept_pending(pending);
        self.process();
        Ok(())
    }

    /// Rejects the pending decision with `reply` (a 4yz or 5yz reply).
    pub fn reject(&mut self, reply: Reply) -> Result<(), SessionError> {
        let pending = self.pending.take().ok_or(SessionError::NoPendingDecision)?;
        self.reject_pending(pending, reply);
        self.process();
        Ok(())
    }

    /// Answers the pending decision with `reply`, whatever its code (for
    /// VRFY and EXPN, whose answer may be positive). Same as
    /// [`Session::reject`] otherwise.
    pub fn respond(&mut self, reply: Reply) -> Result<(), SessionError> {
        self.reject(reply)
    }

    /// Answers LMTP's end of data with one reply per accepted recipient, in
    /// the order of [`Session::recipients`] (RFC 2033 4.2).
    pub fn respond_recipients(&mut self, replies: Vec<Reply>) -> Result<(), SessionError> {
        match self.pending {
            Some(Pending::MessageEnd) if self.config.mode == Mode::Lmtp => {}
            Some(_) => return Err(SessionError::WrongDecision),
            None => return Err(SessionError::NoPendingDecision),
        }
        let expected = self.recipients().len();
        if replies.len() != expected {
            return Err(SessionError::RecipientCount {
                expected,
                got: replies.len(),
            });
        }
        self.pending = None;
        for r in &replies {
            self.send(r);
        }
        self.tx = None;
        self.process();
        Ok(())
    }

    /// Gives up the message whose data is arriving (for example because the
    /// queue file could not be written): the rest of the data is read and
    /// discarded, and `reply` answers the end of data.
    pub fn reject_message(&mut self, reply: Reply) -> Result<(), SessionError> {
        match self.tx.as_mut() {
            Some(tx) if tx.data_started => {
                if tx.failed.is_none() {
                    tx.failed = Some(reply);
                }
                Ok(())
            }
            _ => Err(SessionError::WrongDecision),
        }
    }

    // ----- output -----

    /// Writes a reply, without the enhanced code when the extension is off.
    fn send(&mut self, r: &Reply) {
        if self.config.enhanced_status_codes || r.enhanced().is_none() {
            crate::serialize::reply(r, &mut self.out);
        } else {
            let plain = Reply::from_parts(r.code(), None, r.lines().to_vec());
            crate::serialize::reply(&plain, &mut self.out);
        }
        if r.code().get() == 421 {
            self.phase = Phase::Closed;
        }
    }

    /// Writes a one-line reply built from constants.
    fn say(&mut self, code: u16, enhanced: Option<(u8, u16, u16)>, text: &str) {
        use bytes::BufMut;
        self.out.put_slice(code.to_string().as_bytes());
        self.out.put_u8(b' ');
        if let (Some((c, s, d)), true) = (enhanced, self.config.enhanced_status_codes) {
            self.out.put_slice(format!("{c}.{s}.{d} ").as_bytes());
        }
        self.out.put_slice(text.as_bytes());
        self.out.put_slice(b"\r\n");
    }

    /// Writes a negative reply to a bad command and counts it; too many end
    /// the session.
    fn error(&mut self, code: u16, enhanced: (u8, u16, u16), text: &str) {
        self.say(code, Some(enhanced), text);
        self.errors += 1;
        if self.errors >= self.config.limits.max_errors {
            let text = format!("{} Error: too many errors", self.config.hostname);
            self.drop_transaction();
            self.say(421, Some((4, 7, 0)), &text);
            self.phase = Phase::Closed;
        }
    }

    fn drop_transaction(&mut self) {
        if self.tx.take().is_some() {
            self.events.push_back(Event::Reset);
        }
    }

    fn ask(&mut self, event: Event, pending: Pending) {
        self.events.push_back(event);
        self.pending = Some(pending);
    }

    // ----- input -----

    /// Runs the state machine over buffered input until it needs more input
    /// or a decision.
    fn process(&mut self) {
        while self.pending.is_none() {
            let progressed = match &mut self.phase {
                Phase::Closed | Phase::Connecting => {
                    self.buf.clear();
                    false
                }
                Phase::TlsWait => {
                    self.buf.clear();
                    false
                }
                Phase::Data(_) => self.process_data(),
                Phase::Bdat { .. } => self.process_bdat(),
                Phase::Command | Phase::Refused => match self.next_line(self.line_limit()) {
                    Some(line) => {
                        self.command_line(line);
                        true
                    }
                    None => false,
                },
                Phase::AuthPlain | Phase::AuthLoginUser | Phase::AuthLoginPassword(_) => {
                    match self.next_line(self.config.limits.auth_line) {
                        Some(line) => {
                            self.auth_line(line);
                            true
                        }
                        None => false,
                    }
                }
            };
            if !progressed {
                break;
            }
        }
        if self.buf.is_empty() && self.buf.capacity() > 64 * 1024 {
            self.buf = BytesMut::new();
        }
    }

    /// The longest command line framed: 512 plus what the enabled extensions
    /// add to MAIL and RCPT (RFC 1870 4, RFC 3461 4/5, RFC 4954 5).
    fn line_limit(&self) -> usize {
        let c = &self.config;
        let mut n = c.limits.command_line + 26;
        if c.dsn {
            n += 600;
        }
        if !c.auth_mechanisms.is_empty() {
            n += 500;
        }
        if c.smtputf8 {
            // RFC 6531 3.4 allows UTF-8 addresses, up to four octets a character.
            n += 3 * 256;
        }
        n
    }

    /// Takes the next line (with its line end) from the buffer, scanning only
    /// octets not scanned before. A line over `limit` is skipped to its end
    /// and answered with `500 5.5.2` (RFC 5321 4.5.3.1.10).
    fn next_line(&mut self, limit: usize) -> Option<Bytes> {
        loop {
            let from = self.scanned;
            match memchr::memchr(b'\n', &self.buf[from..]) {
                Some(off) => {
                    let end = from + off + 1;
                    let line = self.buf.split_to(end).freeze();
                    self.scanned = 0;
                    if self.skipping || line.len() > limit {
                        self.skipping = false;
                        let auth = !matches!(self.phase, Phase::Command | Phase::Refused);
                        if auth {
                            self.phase = Phase::Command;
                            self.error(500, (5, 5, 6), "Authentication Exchange line is too long");
                        } else {
                            self.error(500, (5, 5, 2), "Error: line too long");
                        }
                        if self.is_closed() {
                            return None;
                        }
                        continue;
                    }
                    return Some(line);
                }
                None => {
                    if self.buf.len() > limit {
                        self.buf.clear();
                        self.scanned = 0;
                        self.skipping = true;
                    } else {
                        self.scanned = self.buf.len();
                    }
                    return None;
                }
            }
        }
    }

    fn process_data(&mut self) -> bool {
        let Phase::Data(scanner) = &mut self.phase else {
            return false;
        };
        let policy = self.config.bare_line_ending;
        let text_line = self.config.limits.text_line;
        let mut pieces: Vec<Piece> = Vec::new();
        let r = scanner.scan(&self.buf, policy, text_line, &mut |p| pieces.push(p));
        let (bare, long) = (scanner.bare, scanner.long_line);
        let chunk = self.buf.split_to(r.consumed).freeze();
        let data = match pieces.as_slice() {
            [] => Bytes::new(),
            [Piece::Input(range)] => chunk.slice(range.clone()),
            many => {
                let mut d = BytesMut::with_capacity(chunk.len() + 16);
                for p in many {
                    match p {
                        Piece::Input(range) => d.extend_from_slice(&chunk[range.clone()]),
                        Piece::CrLf => d.extend_from_slice(b"\r\n"),
                    }
                }
                d.freeze()
            }
        };
        if bare && policy == BareLineEnding::Reject {
            self.abort_message(AbortReason::BareLineEnding);
        }
        if long {
            self.abort_message(AbortReason::LineTooLong);
        }
        self.deliver(data);
        if r.ended {
            self.phase = Phase::Command;
            self.end_of_message();
        }
        r.ended
    }

    fn process_bdat(&mut self) -> bool {
        let Phase::Bdat {
            remaining, last, ..
        } = &mut self.phase
        else {
            return false;
        };
        if *remaining > 0 && self.buf.is_empty() {
            return false;
        }
        let n = usize::try_from(*remaining)
            .unwrap_or(usize::MAX)
            .min(self.buf.len());
        *remaining -= n as u64;
        let done = *remaining == 0;
        let last = *last;
        let chunk = self.buf.split_to(n).freeze();
        let discard = match &mut self.phase {
            Phase::Bdat { discard, .. } if done => discard.take(),
            Phase::Bdat { discard, .. } => discard.clone(),
            _ => None,
        };
        if discard.is_none() {
            self.deliver(chunk);
        }
        if !done {
            return true;
        }
        self.phase = Phase::Command;
        if let Some(reply) = discard {
            self.send(&reply);
            return true;
        }
        if last {
            self.end_of_message();
        } else if let Some(failed) = self.tx.as_ref().and_then(|t| t.failed.clone()) {
            self.send(&failed);
        } else {
            let size = self.tx.as_ref().map_or(0, |t| t.size);
            self.say(250, Some((2, 0, 0)), &format!("{size} octets received"));
        }
        true
    }

    /// Hands content to the owner, counting it against SIZE as it arrives.
    fn deliver(&mut self, data: Bytes) {
        let Some(tx) = self.tx.as_mut() else { return };
        if tx.failed.is_some() || data.is_empty() {
            return;
        }
        tx.size += data.len() as u64;
        if self
            .config
            .limits
            .message_size
            .is_some_and(|max| tx.size > max)
        {
            self.abort_message(AbortReason::TooLarge);
            return;
        }
        self.events.push_back(Event::MessageData(data));
    }

    fn abort_message(&mut self, reason: AbortReason) {
        let Some(tx) = self.tx.as_mut() else { return };
        if tx.failed.is_some() {
            return;
        }
        tx.failed = Some(match reason {
            AbortReason::TooLarge => Reply::fixed(
                552,
                Some((5, 3, 4)),
                "Error: message too large for this system",
            ),
            AbortReason::LineTooLong => Reply::fixed(500, Some((5, 5, 2)), "Error: line too long"),
            AbortReason::BareLineEnding => Reply::fixed(
                554,
                Some((5, 6, 0)),
                "Error: bare CR or LF in message content",
            ),
        });
        self.events.push_back(Event::MessageAborted(reason));
    }

    /// The final dot or BDAT LAST: ask the owner, or answer a failed message.
    fn end_of_message(&mut self) {
        let failed = self.tx.as_ref().and_then(|t| t.failed.clone());
        match failed {
            Some(reply) => {
                self.tx = None;
                self.send(&reply);
            }
            None => self.ask(Event::MessageEnd, Pending::MessageEnd),
        }
    }

    fn accept_pending(&mut self, pending: Pending) {
        match pending {
            Pending::Connect => {
                let kind = if self.config.mode == Mode::Lmtp {
                    "LMTP"
                } else {
                    "ESMTP"
                };
                let text = format!("{} {kind}", self.config.hostname);
                self.say(220, None, &text);
                self.phase = Phase::Command;
            }
            Pending::Helo(kind) => {
                self.greeted = Some(kind);
                let reply = self.helo_reply(kind);
                self.send(&reply);
            }
            Pending::Mail(params) => {
                self.tx = Some(Transaction {
                    smtputf8: params.smtputf8,
                    binarymime: params.body == Some(crate::types::Body::BinaryMime),
                    recipients: Vec::new(),
                    data_started: false,
                    bdat: false,
                    size: 0,
                    failed: None,
                });
                self.say(250, Some((2, 1, 0)), "OK");
            }
            Pending::Rcpt(path) => {
                if let Some(tx) = self.tx.as_mut() {
                    tx.recipients.push(path);
                }
                self.say(250, Some((2, 1, 5)), "OK");
            }
            Pending::DataStart { bdat: None } => {
                if let Some(tx) = self.tx.as_mut() {
                    tx.data_started = true;
                }
                self.say(354, None, "End data with <CR><LF>.<CR><LF>");
                self.phase = Phase::Data(DotScanner::new());
            }
            Pending::DataStart {
                bdat: Some((size, last)),
            } => {
                if let Some(tx) = self.tx.as_mut() {
                    tx.data_started = true;
                    tx.bdat = true;
                }
                self.phase = Phase::Bdat {
                    remaining: size,
                    last,
                    discard: None,
                };
            }
            Pending::MessageEnd => {
                let n = self.recipients().len();
                if self.config.mode == Mode::Lmtp {
                    for _ in 0..n {
                        self.say(250, Some((2, 0, 0)), "OK: delivered");
                    }
                } else {
                    self.say(250, Some((2, 0, 0)), "OK: queued");
                }
                self.tx = None;
            }
            Pending::StartTls => {
                self.drop_transaction();
                self.say(220, Some((2, 0, 0)), "Ready to start TLS");
                self.buf.clear();
                self.scanned = 0;
                self.phase = Phase::TlsWait;
            }
            Pending::Vrfy => self.say(
                252,
                Some((2, 0, 0)),
                "Cannot VRFY user, but will accept message and attempt delivery",
            ),
            Pending::Expn => self.say(502, Some((5, 5, 1)), "Error: EXPN is not supported"),
            Pending::Auth => {
                self.authenticated = true;
                self.say(235, Some((2, 7, 0)), "Authentication successful");
            }
        }
    }

    fn reject_pending(&mut self, pending: Pending, reply: Reply) {
        match pending {
            Pending::Connect => {
                self.send(&reply);
                if !self.is_closed() {
                    self.phase = Phase::Refused;
                }
            }
            Pending::DataStart {
                bdat: Some((size, last)),
            } => {
                self.phase = Phase::Bdat {
                    remaining: size,
                    last,
                    discard: Some(reply),
                };
            }
            Pending::MessageEnd => {
                let n = if self.config.mode == Mode::Lmtp {
                    self.recipients().len()
                } else {
                    1
                };
                for _ in 0..n {
                    self.send(&reply);
                }
                self.tx = None;
            }
            _ => self.send(&reply),
        }
    }

    fn helo_reply(&self, kind: HeloKind) -> Reply {
        let c = &self.config;
        if kind == HeloKind::Helo {
            return Reply::fixed(250, None, &c.hostname);
        }
        let mut lines = vec![c.hostname.clone()];
        if c.pipelining {
            lines.push("PIPELINING".into());
        }
        lines.push(match c.limits.message_size {
            Some(n) => format!("SIZE {n}"),
            None => "SIZE".into(),
        });
        if c.eightbitmime {
            lines.push("8BITMIME".into());
        }
        if c.smtputf8 {
            lines.push("SMTPUTF8".into());
        }
        if c.enhanced_status_codes {
            lines.push("ENHANCEDSTATUSCODES".into());
        }
        if c.chunking {
            lines.push("CHUNKING".into());
            lines.push("BINARYMIME".into());
        }
        if c.dsn {
            lines.push("DSN".into());
        }
        if c.starttls && !self.tls {
            lines.push("STARTTLS".into());
        }
        if self.auth_offered() {
            let mechs: Vec<&str> = self.auth_mechanisms().map(Mechanism::as_str).collect();
            lines.push(format!("AUTH {}", mechs.join(" ")));
        }
        Reply::fixed_lines(250, lines)
    }

    /// The configured mechanisms this session implements.
    fn auth_mechanisms(&self) -> impl Iterator<Item = &Mechanism> {
        self.config
            .auth_mechanisms
            .iter()
            .filter(|m| matches!(m, Mechanism::Plain | Mechanism::Login))
    }

    fn auth_offered(&self) -> bool {
        !self.authenticated
            && (self.tls || self.config.auth_without_tls)
            && self.auth_mechanisms().next().is_some()
    }
}
