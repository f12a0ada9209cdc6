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
mod decide;
mod input;

use std::collections::VecDeque;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use crate::error::SessionError;
use crate::limits::Limits;
use crate::types::{
    Credentials, ForwardPath, Host, MailParameters, Mechanism, RcptParameters, Reply, ReversePath,
};
pub use data::BareLineEnding;
use data::DotScanner;

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
    /// Text of the 220 greeting (RFC 5321 4.2, 4.3.1: it should start with
    /// the server's name), such as Postfix's `smtpd_banner`. `None`: the
    /// hostname followed by `ESMTP` (or `LMTP`). Line breaks are not sent:
    /// CR and LF are replaced with spaces.
    pub greeting: Option<String>,
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
            greeting: None,
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
    /// [`Session::shut_down`] was called.
    shutting_down: bool,
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
            shutting_down: false,
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
        // An AUTH before STARTTLS is forgotten too (RFC 3207 4.2: any
        // knowledge not obtained from the TLS negotiation itself).
        self.authenticated = false;
        self.tx = None;
        self.buf.clear();
        self.scanned = 0;
        self.skipping = false;
        self.last_activity = now;
        if matches!(self.phase, Phase::TlsWait) {
            self.phase = Phase::Command;
        }
        self.close_if_shutting_down();
    }

    /// The owner is shutting down. As soon as no decision is pending and
    /// no message data or SASL exchange is under way, the session answers
    /// `421 4.3.2` and closes (RFC 5321 section 3.8): a transaction whose
    /// data is arriving finishes and gets its reply first; one that has not
    /// reached DATA is dropped (a [`Event::Reset`] tells the owner).
    pub fn shut_down(&mut self) {
        self.shutting_down = true;
        self.close_if_shutting_down();
    }

    pub(super) fn close_if_shutting_down(&mut self) {
        if self.shutting_down
            && self.pending.is_none()
            && matches!(self.phase, Phase::Command | Phase::Refused)
        {
            self.drop_transaction();
            let text = format!("{} Service shutting down", self.config.hostname);
            self.say(421, Some((4, 3, 2)), &text);
            self.phase = Phase::Closed;
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
        // Written digit by digit: replies are the hot path of a busy server.
        fn number(out: &mut BytesMut, n: u16) {
            if n >= 100 {
                out.put_u8(b'0' + (n / 100 % 10) as u8);
            }
            if n >= 10 {
                out.put_u8(b'0' + (n / 10 % 10) as u8);
            }
            out.put_u8(b'0' + (n % 10) as u8);
        }
        number(&mut self.out, code);
        self.out.put_u8(b' ');
        if let (Some((c, s, d)), true) = (enhanced, self.config.enhanced_status_codes) {
            number(&mut self.out, u16::from(c));
            self.out.put_u8(b'.');
            number(&mut self.out, s);
            self.out.put_u8(b'.');
            number(&mut self.out, d);
            self.out.put_u8(b' ');
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
}
