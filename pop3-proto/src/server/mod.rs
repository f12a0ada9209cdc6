//! The Sans-IO POP3 server session (RFC 1939, RFC 2449, RFC 2595,
//! RFC 5034).

mod event;
mod sasl;

pub use event::{Config, Event};

use crate::Error;
use crate::parse::{self, CommandError};
use crate::serialize::{self, DotStuffer};
use crate::types::{Capability, Command, Credentials, MessageInfo, RespCode, Response, Status};
use bytes::{BufMut, Bytes, BytesMut};
use sasl::Sasl;
use std::collections::VecDeque;
use std::time::Instant;

/// One server side of a POP3 connection, as a state machine without I/O.
///
/// Call order, in a loop, for the life of the connection:
///
/// 1. after [`Session::new`], and after every call below, drain
///    [`poll_transmit`](Session::poll_transmit) to the peer and
///    [`poll_event`](Session::poll_event) until it gives `None`;
/// 2. answer each event with its decision ([`accept_maildrop`](Session::accept_maildrop),
///    [`accept`](Session::accept), [`message_data`](Session::message_data)
///    and [`end_message`](Session::end_message), or [`reject`](Session::reject));
///    the session reads no further command until then, so replies keep
///    command order under pipelining;
/// 3. feed bytes from the peer to [`receive`](Session::receive);
/// 4. sleep no later than [`poll_timeout`](Session::poll_timeout) and then
///    call [`handle_timeout`](Session::handle_timeout);
/// 5. close the connection once [`is_closed`](Session::is_closed) says so
///    and the transmit queue is empty.
///
/// The states are RFC 1939's: AUTHORIZATION (greeting, USER/PASS, APOP,
/// AUTH, STLS, CAPA), TRANSACTION (STAT, LIST, RETR, DELE, NOOP, RSET, TOP,
/// UIDL, CAPA) and UPDATE (after QUIT: the owner removes the messages
/// marked as deleted). Messages marked as deleted are hidden from STAT,
/// LIST, UIDL, RETR and TOP, and RSET unmarks them.
#[derive(Debug)]
pub struct Session {
    config: Config,
    state: State,
    input: BytesMut,
    scanned: usize,
    discarding: bool,
    out: BytesMut,
    events: VecDeque<Event>,
    pending: Option<Pending>,
    maildrop: Vec<Entry>,
    bad_commands: u32,
    auth_failures: u32,
    tls: bool,
    timer: Timer,
    last_now: Instant,
}

#[derive(Debug)]
enum State {
    Authorization { user: Option<String> },
    Sasl(Sasl),
    AwaitingTls,
    Transaction,
    Closed,
}

#[derive(Debug)]
enum Pending {
    Authenticate,
    StartTls,
    Retrieve { size: u64, lines: Option<u32> },
    Streaming(DotStuffer),
    Update { remaining: usize },
}

impl Pending {
    fn name(&self) -> &'static str {
        match self {
            Pending::Authenticate => "Authenticate",
            Pending::StartTls => "StartTls",
            Pending::Retrieve { .. } => "Retrieve",
            Pending::Streaming(_) => "Retrieve (streaming)",
            Pending::Update { .. } => "Update",
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Timer {
    /// A decision is pending: the owner is working, the client waits.
    Off,
    /// A decision just completed: the timer restarts at the next `now`.
    Rearm,
    At(Instant),
}

#[derive(Debug, Clone)]
struct Entry {
    info: MessageInfo,
    deleted: bool,
}

impl Session {
    /// Starts a session on a new connection and queues the greeting
    /// (RFC 1939 section 4), with the APOP timestamp when configured.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// let mut s = pop3_proto::server::Session::new(Default::default(), Instant::now());
    /// assert_eq!(&s.poll_transmit().unwrap()[..], b"+OK POP3 server ready\r\n");
    /// ```
    pub fn new(config: Config, now: Instant) -> Self {
        let mut out = BytesMut::new();
        let mut greeting = config.greeting.replace(['\r', '\n'], " ");
        if let Some(ts) = &config.apop_timestamp {
            greeting.push(' ');
            greeting.push_str(ts);
        }
        write_line(&mut out, Status::Ok, None, &greeting);
        let deadline = now + config.limits.autologout;
        let tls = config.tls;
        Session {
            config,
            state: State::Authorization { user: None },
            input: BytesMut::new(),
            scanned: 0,
            discarding: false,
            out,
            events: VecDeque::new(),
            pending: None,
            maildrop: Vec::new(),
            bad_commands: 0,
            auth_failures: 0,
            tls,
            timer: Timer::At(deadline),
            last_now: now,
        }
    }

    /// Feeds bytes received from the client. Any split of the stream gives
    /// the same result.
    pub fn receive(&mut self, now: Instant, bytes: &[u8]) {
        self.last_now = now;
        match self.state {
            State::Closed => return,
            // RFC 2595 section 4 / CVE-2011-0411: nothing sent before the
            // TLS handshake may be read as a command after it.
            State::AwaitingTls => return,
            _ => {}
        }
        if matches!(self.pending, Some(Pending::StartTls)) {
            // Bytes after STLS would be dropped at accept anyway; do not
            // let them pile up meanwhile.
            return;
        }
        self.input.extend_from_slice(bytes);
        if self.pending.is_some() && self.input.len() > self.config.limits.pipeline_buffer {
            self.close();
            return;
        }
        self.process(now);
    }

    /// The next event for the owner to decide on.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Bytes to send to the client.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.out.is_empty() {
            None
        } else {
            Some(self.out.split().freeze())
        }
    }

    /// The next deadline: the inactivity autologout (RFC 1939 section 3).
    /// `None` while a decision is pending or once closed. An instant in the
    /// past means "call `handle_timeout` now" (the timer restarts after a
    /// decision).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.is_closed() {
            return None;
        }
        match self.timer {
            Timer::Off => None,
            Timer::Rearm => Some(self.last_now),
            Timer::At(t) => Some(t),
        }
    }

    /// Fires the timer if due. On autologout the session closes without a
    /// response and without entering UPDATE: nothing is deleted (RFC 1939
    /// section 3).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.last_now = now;
        match self.timer {
            Timer::Off => {}
            Timer::Rearm => self.timer = Timer::At(now + self.config.limits.autologout),
            Timer::At(t) => {
                if now >= t && !self.is_closed() {
                    self.close();
                }
            }
        }
    }

    /// Whether the connection should be closed (after QUIT, too many bad
    /// commands, autologout, or an owner's error). Send what
    /// `poll_transmit` still has first.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// Whether the session is in the TRANSACTION state.
    pub fn is_transaction(&self) -> bool {
        matches!(self.state, State::Transaction)
    }

    /// Whether TLS is active (configured, or after STLS).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Answers [`Event::Authenticate`]: the credentials are good and the
    /// maildrop is locked. `listing` gives message-numbers 1..=n in order.
    /// The session enters TRANSACTION.
    pub fn accept_maildrop(&mut self, listing: Vec<MessageInfo>) -> Result<(), Error> {
        match self.pending {
            Some(Pending::Authenticate) => {}
            Some(ref p) => return Err(Error::WrongDecision { pending: p.name() }),
            None => return Err(Error::NoPendingDecision),
        }
        self.pending = None;
        self.maildrop = listing
            .into_iter()
            .map(|info| Entry {
                info,
                deleted: false,
            })
            .collect();
        self.state = State::Transaction;
        let (n, octets) = self.totals();
        self.ok(&format!("maildrop has {n} messages ({octets} octets)"));
        self.decided();
        Ok(())
    }

    /// Answers [`Event::StartTls`], [`Event::Retrieve`] or
    /// [`Event::Update`] positively (see each event).
    pub fn accept(&mut self) -> Result<(), Error> {
        match self.pending.take() {
            Some(Pending::StartTls) => {
                self.ok("Begin TLS negotiation");
                self.state = State::AwaitingTls;
                self.input.clear();
                self.scanned = 0;
                self.discarding = false;
                Ok(())
            }
            Some(Pending::Retrieve { size, lines }) => {
                self.ok(&format!("{size} octets"));
                let stuffer = match lines {
                    Some(n) => DotStuffer::top(n),
                    None => DotStuffer::new(),
                };
                self.pending = Some(Pending::Streaming(stuffer));
                Ok(())
            }
            Some(Pending::Update { remaining }) => {
                if remaining == 0 {
                    self.ok("signing off (maildrop empty)");
                } else {
                    self.ok(&format!("signing off ({remaining} messages left)"));
                }
                self.close();
                Ok(())
            }
            Some(p) => {
                let pending = p.name();
                self.pending = Some(p);
                Err(Error::WrongDecision { pending })
            }
            None => Err(Error::NoPendingDecision),
        }
    }

    /// Streams part of the message after [`accept`](Session::accept) of a
    /// [`Event::Retrieve`]: byte-stuffed and CRLF-normalised on the fly, so
    /// the owner never holds the message whole. Drain `poll_transmit` after
    /// each call. Returns `false` once TOP has all it needs.
    pub fn message_data(&mut self, chunk: &[u8]) -> Result<bool, Error> {
        match &mut self.pending {
            Some(Pending::Streaming(stuffer)) => Ok(stuffer.push(chunk, &mut self.out)),
            Some(p) => Err(Error::WrongDecision { pending: p.name() }),
            None => Err(Error::NoPendingDecision),
        }
    }

    /// Ends the message being streamed: the terminating `.` line.
    pub fn end_message(&mut self) -> Result<(), Error> {
        match &mut self.pending {
            Some(Pending::Streaming(stuffer)) => {
                stuffer.finish(&mut self.out);
                self.pending = None;
                self.decided();
                Ok(())
            }
            Some(p) => Err(Error::WrongDecision { pending: p.name() }),
            None => Err(Error::NoPendingDecision),
        }
    }

    /// Answers the pending event negatively with `response`, which must be
    /// `-ERR`. A rejected [`Event::Authenticate`] returns to AUTHORIZATION
    /// (and counts towards the failure limit unless its code is
    /// `IN-USE`); a rejected [`Event::Update`] still closes.
    pub fn reject(&mut self, response: Response) -> Result<(), Error> {
        if response.is_ok() {
            return Err(Error::RejectNotNegative);
        }
        let pending = match self.pending.take() {
            Some(Pending::Streaming(s)) => {
                let name = Pending::Streaming(s);
                let err = Error::WrongDecision {
                    pending: name.name(),
                };
                self.pending = Some(name);
                return Err(err);
            }
            Some(p) => p,
            None => return Err(Error::NoPendingDecision),
        };
        serialize::response(&response, &mut self.out);
        match pending {
            Pending::Authenticate => {
                self.state = State::Authorization { user: None };
                if response.code() != Some(&RespCode::IN_USE) {
                    self.auth_failures += 1;
                    if self.auth_failures >= self.config.limits.max_auth_failures {
                        self.close();
                        return Ok(());
                    }
                }
            }
            Pending::Update { .. } => {
                self.close();
                return Ok(());
            }
            _ => {}
        }
        self.decided();
        Ok(())
    }

    /// Tells the session that the TLS handshake after STLS finished. It
    /// forgets what it knew (RFC 2595 section 4) and reads commands again.
    pub fn tls_established(&mut self, now: Instant) -> Result<(), Error> {
        if !matches!(self.state, State::AwaitingTls) {
            return Err(Error::NotAllowed {
                reason: "no STLS was accepted",
            });
        }
        self.last_now = now;
        self.tls = true;
        self.state = State::Authorization { user: None };
        self.input.clear();
        self.scanned = 0;
        self.timer = Timer::At(now + self.config.limits.autologout);
        Ok(())
    }

    /// Whether the session reads input now: no decision is pending and it
    /// is not closed or waiting for TLS. A driver may stop reading the
    /// socket while this is false.
    pub fn wants_input(&self) -> bool {
        self.pending.is_none() && !matches!(self.state, State::Closed | State::AwaitingTls)
    }

    /// The configured inactivity autologout (for the owner's own waits,
    /// such as a TLS handshake).
    pub fn autologout(&self) -> std::time::Duration {
        self.config.limits.autologout
    }

    /// Octets of received input not yet handled (bounded by the limits).
    pub fn buffered(&self) -> usize {
        self.input.len()
    }

    /// The state after a decision completed: restart the timer and read
    /// any pipelined commands.
    fn decided(&mut self) {
        self.timer = Timer::Rearm;
        let now = self.last_now;
        self.process(now);
    }

    fn close(&mut self) {
        self.state = State::Closed;
        self.pending = None;
        self.events.clear();
        self.input.clear();
        self.scanned = 0;
    }

    /// Frames lines out of the input and handles them while no decision
    /// is pending. Only newly arrived octets are scanned for LF.
    fn process(&mut self, now: Instant) {
        loop {
            if self.pending.is_some() || matches!(self.state, State::Closed | State::AwaitingTls) {
                return;
            }
            let limit = match self.state {
                State::Sasl(_) => self.config.limits.sasl_line,
                _ => self.config.limits.command_line,
            };
            let found = self
                .input
                .get(self.scanned..)
                .and_then(|new| memchr::memchr(b'\n', new));
            let Some(offset) = found else {
                if self.discarding {
                    self.input.clear();
                    self.scanned = 0;
                } else if self.input.len() >= limit {
                    // Too long already: skip to the end of this line.
                    self.discarding = true;
                    self.input.clear();
                    self.scanned = 0;
                } else {
                    self.scanned = self.input.len();
                }
                return;
            };
            let line = self.input.split_to(self.scanned + offset + 1);
            self.scanned = 0;
            self.timer = Timer::At(now + self.config.limits.autologout);
            if self.discarding || line.len() > limit {
                self.discarding = false;
                self.line_too_long();
                continue;
            }
            let (line, _) = parse::split_line(&line).unwrap_or((&[], 0));
            self.handle_line(line);
        }
    }

    fn line_too_long(&mut self) {
        if let State::Sasl(_) = self.state {
            self.state = State::Authorization { user: None };
        }
        self.bad_command("line too long");
    }

    fn bad_command(&mut self, text: &str) {
        self.bad_commands += 1;
        if self.bad_commands >= self.config.limits.max_bad_commands {
            self.err(None, "too many bad commands, closing connection");
            self.close();
        } else {
            self.err(None, text);
        }
    }

    fn handle_line(&mut self, line: &[u8]) {
        if let State::Sasl(sasl) = &mut self.state {
            let step = sasl.step(line);
            self.sasl_step(step);
            return;
        }
        let cmd = match parse::command(line) {
            Ok(cmd) => cmd,
            Err(CommandError::Unknown) => return self.bad_command("unknown command"),
            Err(CommandError::Syntax(_)) => return self.bad_command("syntax error"),
        };
        match self.state {
            State::Authorization { .. } => self.authorization(cmd),
            State::Transaction => self.transaction(cmd),
            _ => {}
        }
    }

    fn plaintext_allowed(&self) -> bool {
        self.config.plaintext_auth || self.tls
    }

    fn authorization(&mut self, cmd: Command) {
        let user = match &mut self.state {
            State::Authorization { user } => user.take(),
            _ => None,
        };
        match cmd {
            Command::Capa => self.capa(),
            Command::Quit => {
                self.ok("signing off");
                self.close();
            }
            Command::User { name } => {
                if self.plaintext_allowed() {
                    self.state = State::Authorization { user: Some(name) };
                    self.ok("send PASS");
                } else {
                    self.plaintext_refused();
                }
            }
            // PASS only right after a successful USER (RFC 1939 section 7).
            Command::Pass { password } => match user {
                Some(user) if self.plaintext_allowed() => {
                    self.authenticate(Credentials::User {
                        user,
                        pass: password,
                    });
                }
                _ => self.err(None, "USER first"),
            },
            Command::Apop { name, digest } => match self.config.apop_timestamp.clone() {
                Some(timestamp) => self.authenticate(Credentials::Apop {
                    user: name,
                    digest,
                    timestamp,
                }),
                None => self.err(None, "APOP not supported"),
            },
            Command::Auth {
                mechanism,
                initial_response,
            } => {
                if !self.plaintext_allowed() {
                    return self.plaintext_refused();
                }
                match Sasl::start(&mechanism, initial_response) {
                    Ok(step) => self.sasl_step(step),
                    Err(text) => self.err(None, text),
                }
            }
            Command::Stls => {
                if !self.config.stls || self.tls {
                    self.err(None, "STLS not available");
                } else {
                    self.pending = Some(Pending::StartTls);
                    self.timer = Timer::Off;
                    self.events.push_back(Event::StartTls);
                }
            }
            _ => self.err(None, "not allowed before authentication"),
        }
    }

    fn plaintext_refused(&mut self) {
        // RFC 2595 section 2.4 / RFC 5034 section 4: no plaintext
        // passwords on an unprotected link unless configured.
        self.err(
            Some(RespCode::AUTH),
            "plaintext authentication disallowed without TLS",
        );
    }

    fn sasl_step(&mut self, step: sasl::Step) {
        match step {
            sasl::Step::Challenge(next, data) => {
                serialize::challenge(data, &mut self.out);
                self.state = State::Sasl(next);
            }
            sasl::Step::Done(credentials) => {
                self.state = State::Authorization { user: None };
                self.authenticate(credentials);
            }
            sasl::Step::Failed(text) => {
                self.state = State::Authorization { user: None };
                self.err(None, text);
            }
        }
    }

    fn authenticate(&mut self, credentials: Credentials) {
        self.pending = Some(Pending::Authenticate);
        self.timer = Timer::Off;
        self.events.push_back(Event::Authenticate(credentials));
    }

    fn transaction(&mut self, cmd: Command) {
        match cmd {
            Command::Capa => self.capa(),
            Command::Noop => self.ok(""),
            Command::Stat => {
                let (n, octets) = self.totals();
                self.ok(&format!("{n} {octets}"));
            }
            Command::List { msg: Some(msg) } => match self.entry(msg) {
                Some(e) => {
                    let size = e.info.size;
                    self.ok(&format!("{msg} {size}"));
                }
                None => self.no_such_message(),
            },
            Command::List { msg: None } => {
                let (n, octets) = self.totals();
                self.ok(&format!("{n} messages ({octets} octets)"));
                for (i, e) in self.maildrop.iter().enumerate().filter(|(_, e)| !e.deleted) {
                    self.out
                        .put_slice(format!("{} {}\r\n", i + 1, e.info.size).as_bytes());
                }
                self.out.put_slice(b".\r\n");
            }
            Command::Uidl { msg: Some(msg) } => match self.entry(msg) {
                Some(e) => {
                    let uid = e.info.uid.clone();
                    self.ok(&format!("{msg} {uid}"));
                }
                None => self.no_such_message(),
            },
            Command::Uidl { msg: None } => {
                self.ok("");
                for (i, e) in self.maildrop.iter().enumerate().filter(|(_, e)| !e.deleted) {
                    self.out
                        .put_slice(format!("{} {}\r\n", i + 1, e.info.uid).as_bytes());
                }
                self.out.put_slice(b".\r\n");
            }
            Command::Retr { msg } => self.retrieve(msg, None),
            Command::Top { msg, lines } => self.retrieve(msg, Some(lines)),
            Command::Dele { msg } => match self.maildrop.get_mut((msg as usize).wrapping_sub(1)) {
                Some(e) if !e.deleted => {
                    e.deleted = true;
                    self.ok(&format!("message {msg} deleted"));
                }
                Some(_) => self.err(None, &format!("message {msg} already deleted")),
                None => self.no_such_message(),
            },
            Command::Rset => {
                for e in &mut self.maildrop {
                    e.deleted = false;
                }
                let (n, octets) = self.totals();
                self.ok(&format!("maildrop has {n} messages ({octets} octets)"));
            }
            Command::Quit => {
                // RFC 1939 section 6: the UPDATE state.
                let deleted: Vec<MessageInfo> = self
                    .maildrop
                    .iter()
                    .filter(|e| e.deleted)
                    .map(|e| e.info.clone())
                    .collect();
                let remaining = self.maildrop.len() - deleted.len();
                self.pending = Some(Pending::Update { remaining });
                self.timer = Timer::Off;
                self.events.push_back(Event::Update { deleted });
            }
            Command::User { .. }
            | Command::Pass { .. }
            | Command::Apop { .. }
            | Command::Auth { .. }
            | Command::Stls => self.err(None, "already authenticated"),
        }
    }

    fn retrieve(&mut self, msg: u32, lines: Option<u32>) {
        let Some(e) = self.entry(msg) else {
            return self.no_such_message();
        };
        let (uid, size) = (e.info.uid.clone(), e.info.size);
        self.pending = Some(Pending::Retrieve { size, lines });
        self.timer = Timer::Off;
        self.events.push_back(Event::Retrieve {
            msg,
            uid,
            size,
            lines,
        });
    }

    /// A message that exists and is not marked as deleted.
    fn entry(&self, msg: u32) -> Option<&Entry> {
        let e = self.maildrop.get((msg as usize).checked_sub(1)?)?;
        (!e.deleted).then_some(e)
    }

    fn no_such_message(&mut self) {
        self.err(None, "no such message");
    }

    fn totals(&self) -> (usize, u64) {
        self.maildrop
            .iter()
            .filter(|e| !e.deleted)
            .fold((0, 0), |(n, o), e| (n + 1, o + e.info.size))
    }

    fn capa(&mut self) {
        let mut caps: Vec<Capability> = Vec::new();
        let mut add = |tag: &str, params: &[&str]| {
            if let Ok(c) = Capability::new(tag, params.iter().copied()) {
                caps.push(c);
            }
        };
        add("TOP", &[]);
        add("UIDL", &[]);
        add("RESP-CODES", &[]);
        add("PIPELINING", &[]);
        if self.plaintext_allowed() {
            add("USER", &[]);
            add("SASL", &["PLAIN", "LOGIN"]);
        }
        // STLS only where it is permitted: AUTHORIZATION, no TLS yet
        // (RFC 2595 section 4).
        if self.config.stls && !self.tls && matches!(self.state, State::Authorization { .. }) {
            add("STLS", &[]);
        }
        if let Some(imp) = self.config.implementation.clone() {
            let words: Vec<&str> = imp.split_whitespace().collect();
            add("IMPLEMENTATION", &words);
        }
        let first = Response::from_parts(Status::Ok, None, "Capability list follows".into());
        serialize::capabilities(&first, &caps, &mut self.out);
    }

    fn ok(&mut self, text: &str) {
        write_line(&mut self.out, Status::Ok, None, text);
    }

    fn err(&mut self, code: Option<RespCode>, text: &str) {
        write_line(&mut self.out, Status::Err, code, text);
    }
}

fn write_line(out: &mut BytesMut, status: Status, code: Option<RespCode>, text: &str) {
    serialize::response(&Response::from_parts(status, code, text.to_string()), out);
}
