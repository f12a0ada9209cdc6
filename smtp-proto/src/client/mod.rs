//! The client side of ESMTP and LMTP as a Sans-IO session: what a relay
//! needs to hand a message to another server and learn each recipient's
//! fate.
//!
//! # Call order
//!
//! 1. [`Session::new`], then feed the server's bytes to
//!    [`Session::receive`] and write what [`Session::poll_transmit`] returns.
//! 2. Drain [`Session::poll_event`]:
//!    - [`Event::StartTls`]: flush, run the TLS handshake, then call
//!      [`Session::tls_established`]. Anything the server sent before the
//!      handshake is discarded (response injection, CVE-2021-38371).
//!    - [`Event::Ready`]: call [`Session::send_mail`] or [`Session::quit`].
//!    - [`Event::Delivered`]: the transaction's per-recipient results; the
//!      session is ready again.
//!    - [`Event::Failed`] or [`Event::Closed`]: close the connection once
//!      nothing is left to transmit.
//! 3. Sleep until [`Session::poll_timeout`], then call
//!    [`Session::handle_timeout`] (RFC 5321 4.5.3.2).

use std::collections::VecDeque;
use std::time::Instant;

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::SessionError;
use crate::limits::ClientTimeouts;
use crate::parse::parse_reply;
use crate::types::sasl::base64_encode;

mod transaction;
use crate::types::{
    Command, ForwardPath, Host, InitialResponse, MailParameters, Mechanism, RcptParameters, Reply,
    ReversePath, Secret,
};
pub use transaction::dot_stuff;

pub use crate::server::Mode;

/// When to use STARTTLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsPolicy {
    /// Never.
    Never,
    /// When the server offers it (opportunistic TLS).
    #[default]
    Opportunistic,
    /// Always; give up if the server does not offer it or refuses.
    Required,
}

/// How the client behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// The name sent in EHLO/HELO/LHLO.
    pub hostname: Host,
    /// SMTP or LMTP.
    pub mode: Mode,
    /// STARTTLS policy.
    pub tls: TlsPolicy,
    /// User name and password for AUTH PLAIN or LOGIN.
    pub credentials: Option<(String, Secret<String>)>,
    /// Send credentials without TLS (only for loopback or trusted links).
    pub auth_without_tls: bool,
    /// Use BDAT when the server offers CHUNKING.
    pub chunking: bool,
    /// Reply timeouts.
    pub timeouts: ClientTimeouts,
}

impl Config {
    /// SMTP, opportunistic TLS, no AUTH, BDAT when offered.
    pub fn new(hostname: Host) -> Self {
        Config {
            hostname,
            mode: Mode::Smtp,
            tls: TlsPolicy::Opportunistic,
            credentials: None,
            auth_without_tls: false,
            chunking: true,
            timeouts: ClientTimeouts::default(),
        }
    }
}

/// What the server said it supports in its EHLO/LHLO reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// SIZE, with the limit if one was given (RFC 1870).
    pub size: Option<Option<u64>>,
    /// 8BITMIME (RFC 6152).
    pub eightbitmime: bool,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// ENHANCEDSTATUSCODES (RFC 2034).
    pub enhanced_status_codes: bool,
    /// CHUNKING (RFC 3030).
    pub chunking: bool,
    /// BINARYMIME (RFC 3030).
    pub binarymime: bool,
    /// DSN (RFC 3461).
    pub dsn: bool,
    /// STARTTLS (RFC 3207).
    pub starttls: bool,
    /// AUTH mechanisms (RFC 4954).
    pub auth: Vec<Mechanism>,
}

impl Capabilities {
    /// Reads the EHLO reply's lines after the first (RFC 5321 4.1.1.1).
    ///
    /// # Examples
    ///
    /// ```
    /// use smtp_proto::{client::Capabilities, Reply};
    /// let r = Reply::multiline(250, None, ["mx", "PIPELINING", "SIZE 1000", "AUTH PLAIN LOGIN"]).unwrap();
    /// let c = Capabilities::from_reply(&r);
    /// assert!(c.pipelining);
    /// assert_eq!(c.size, Some(Some(1000)));
    /// assert_eq!(c.auth.len(), 2);
    /// ```
    pub fn from_reply(reply: &Reply) -> Self {
        let mut c = Capabilities::default();
        for line in reply.lines().iter().skip(1) {
            let mut words = line.split_ascii_whitespace();
            let Some(keyword) = words.next() else {
                continue;
            };
            match keyword.to_ascii_uppercase().as_str() {
                "PIPELINING" => c.pipelining = true,
                "SIZE" => {
                    c.size = Some(words.next().and_then(|n| n.parse().ok()).filter(|&n| n > 0))
                }
                "8BITMIME" => c.eightbitmime = true,
                "SMTPUTF8" => c.smtputf8 = true,
                "ENHANCEDSTATUSCODES" => c.enhanced_status_codes = true,
                "CHUNKING" => c.chunking = true,
                "BINARYMIME" => c.binarymime = true,
                "DSN" => c.dsn = true,
                "STARTTLS" => c.starttls = true,
                "AUTH" => c.auth.extend(words.filter_map(Mechanism::parse)),
                _ => {}
            }
        }
        c
    }
}

/// One transaction to run: the envelope; the message goes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// MAIL FROM.
    pub reverse_path: ReversePath,
    /// MAIL parameters (SIZE is filled in when the server offers it).
    pub parameters: MailParameters,
    /// RCPT TO, in order.
    pub recipients: Vec<(ForwardPath, RcptParameters)>,
}

/// The final answer for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientResult {
    /// The recipient.
    pub forward_path: ForwardPath,
    /// The reply that decided its fate: the RCPT reply if it was refused,
    /// else the reply to the end of data (one per recipient in LMTP), or the
    /// MAIL/DATA reply if the transaction failed before.
    pub reply: Reply,
}

impl RecipientResult {
    /// Whether the server took responsibility for this recipient.
    pub fn is_delivered(&self) -> bool {
        self.reply.is_positive()
    }
}

/// The result of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// One result per recipient, in envelope order.
    pub recipients: Vec<RecipientResult>,
}

/// Why a session gave up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The greeting was not 220.
    Greeting(Reply),
    /// EHLO (and HELO) or LHLO was refused.
    Hello(Reply),
    /// TLS is required and the server does not offer it.
    TlsUnavailable,
    /// STARTTLS was refused while required.
    StartTls(Reply),
    /// AUTH was refused.
    Auth(Reply),
    /// Credentials are configured but no usable mechanism is offered (or
    /// the connection is not encrypted).
    AuthUnavailable,
    /// The server closed the session (421).
    ServiceClosing(Reply),
    /// No reply in time (RFC 5321 4.5.3.2).
    Timeout,
    /// The server sent something that is not a reply, or a reply when none
    /// was expected.
    Protocol,
}

/// What the client session tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Flush, run the TLS handshake, then call [`Session::tls_established`].
    StartTls,
    /// Greeted (and secured and authenticated as configured): ready for
    /// [`Session::send_mail`] or [`Session::quit`].
    Ready(Capabilities),
    /// A transaction finished; the session is ready for the next one.
    Delivered(Outcome),
    /// The session gave up; close the connection after transmitting.
    Failed(Failure),
    /// QUIT was answered; close the connection.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Await {
    Greeting,
    Hello,
    Helo,
    StartTls,
    AuthPlain,
    /// The 334 that asks for the user name.
    AuthLogin,
    /// The 334 that asks for the password.
    AuthLoginUser,
    AuthLoginPassword,
    Mail,
    Rcpt(usize),
    /// DATA's 354 (or its refusal).
    Data,
    /// The reply after the final dot or BDAT LAST; in LMTP one per accepted
    /// recipient, the index counting them.
    EndOfData(usize),
    /// The reply to "." sent after an unwanted 354.
    EmptyData,
    Rset,
    Quit,
}

#[derive(Debug)]
struct Transaction {
    envelope: Envelope,
    message: Bytes,
    mail: Option<Reply>,
    rcpt: Vec<Option<Reply>>,
    end: Vec<Reply>,
    data_pipelined: bool,
    use_bdat: bool,
}

/// A client session (see the module docs for the call order).
#[derive(Debug)]
pub struct Session {
    config: Config,
    buf: BytesMut,
    out: BytesMut,
    events: VecDeque<Event>,
    awaiting: VecDeque<Await>,
    caps: Capabilities,
    tls: bool,
    tls_handshake: bool,
    authenticated: bool,
    tx: Option<Transaction>,
    ready: bool,
    closed: bool,
    last_activity: Instant,
}

impl Session {
    /// A session for a new connection; it waits for the greeting.
    pub fn new(config: Config, now: Instant) -> Self {
        let mut awaiting = VecDeque::new();
        awaiting.push_back(Await::Greeting);
        Session {
            config,
            buf: BytesMut::new(),
            out: BytesMut::new(),
            events: VecDeque::new(),
            awaiting,
            caps: Capabilities::default(),
            tls: false,
            tls_handshake: false,
            authenticated: false,
            tx: None,
            ready: false,
            closed: false,
            last_activity: now,
        }
    }

    /// What the server offered in its last EHLO/LHLO reply.
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// Whether TLS is active.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether the session has ended; close after transmitting.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Takes bytes received from the server, in any split.
    pub fn receive(&mut self, now: Instant, bytes: &[u8]) {
        if self.closed || self.tls_handshake {
            // Bytes before the handshake completes are not replies
            // (CVE-2021-38371).
            return;
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

    /// Bytes to write to the server, if any.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        (!self.out.is_empty()).then(|| self.out.split().freeze())
    }

    /// The deadline for the reply awaited now (RFC 5321 4.5.3.2).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed || self.tls_handshake {
            return None;
        }
        let t = &self.config.timeouts;
        let wait = match self.awaiting.front()? {
            Await::Greeting => t.greeting,
            Await::Data => t.data_initiation,
            Await::EndOfData(_) | Await::EmptyData => t.data_termination,
            _ => t.command,
        };
        Some(self.last_activity + wait)
    }

    /// Fires the timeout if its deadline has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|d| now >= d) {
            self.fail(Failure::Timeout, false);
        }
    }

    /// The TLS handshake that [`Event::StartTls`] asked for is done: greet
    /// again over TLS (RFC 3207 4.2).
    pub fn tls_established(&mut self, now: Instant) {
        if !self.tls_handshake {
            return;
        }
        self.tls_handshake = false;
        self.tls = true;
        self.buf.clear();
        self.last_activity = now;
        self.caps = Capabilities::default();
        self.hello();
    }

    /// Starts a transaction: MAIL, RCPT for each recipient, then the message
    /// by DATA (dot-stuffed) or BDAT when CHUNKING is offered. MAIL and RCPT
    /// are pipelined when the server offers PIPELINING (RFC 2920).
    ///
    /// `message` is the whole message with CR LF line ends (a bare LF is
    /// sent as CR LF).
    pub fn send_mail(
        &mut self,
        mut envelope: Envelope,
        message: Bytes,
    ) -> Result<(), SessionError> {
        if !self.ready || self.closed || envelope.recipients.is_empty() {
            return Err(SessionError::NotReady);
        }
        self.ready = false;
        if self.caps.size.is_some() && envelope.parameters.size.is_none() {
            envelope.parameters.size = Some(message.len() as u64);
        }
        let use_bdat = self.config.chunking && self.caps.chunking;
        let pipelining = self.caps.pipelining;
        let n = envelope.recipients.len();
        self.command(&Command::Mail {
            reverse_path: envelope.reverse_path.clone(),
            parameters: envelope.parameters.clone(),
        });
        self.awaiting.push_back(Await::Mail);
        let data_pipelined = pipelining && !use_bdat;
        if pipelining {
            for (i, (fp, params)) in envelope.recipients.iter().enumerate() {
                self.command(&Command::Rcpt {
                    forward_path: fp.clone(),
                    parameters: params.clone(),
                });
                self.awaiting.push_back(Await::Rcpt(i));
            }
            if data_pipelined {
                self.command(&Command::Data);
                self.awaiting.push_back(Await::Data);
            }
        }
        self.tx = Some(Transaction {
            envelope,
            message,
            mail: None,
            rcpt: vec![None; n],
            end: Vec::new(),
            data_pipelined,
            use_bdat,
        });
        Ok(())
    }

    /// Sends QUIT; [`Event::Closed`] follows its reply.
    pub fn quit(&mut self) -> Result<(), SessionError> {
        if !self.ready || self.closed {
            return Err(SessionError::NotReady);
        }
        self.ready = false;
        self.command(&Command::Quit);
        self.awaiting.push_back(Await::Quit);
        Ok(())
    }

    // ----- internals -----

    fn command(&mut self, cmd: &Command) {
        crate::serialize::command(cmd, &mut self.out);
    }

    fn fail(&mut self, failure: Failure, send_quit: bool) {
        if send_quit {
            self.command(&Command::Quit);
        }
        self.events.push_back(Event::Failed(failure));
        self.closed = true;
        self.awaiting.clear();
        self.buf.clear();
    }

    fn process(&mut self) {
        while !self.closed && !self.tls_handshake && !self.buf.is_empty() {
            let (reply, n) = match parse_reply(&self.buf) {
                Ok(Some(x)) => x,
                Ok(None) => return,
                Err(_) => return self.fail(Failure::Protocol, false),
            };
            let _ = self.buf.split_to(n);
            let Some(what) = self.awaiting.pop_front() else {
                // A reply nobody asked for: only 421 is allowed (RFC 5321 3.8).
                let failure = if reply.code().get() == 421 {
                    Failure::ServiceClosing(reply)
                } else {
                    Failure::Protocol
                };
                return self.fail(failure, false);
            };
            if reply.code().get() == 421 && what != Await::Quit {
                return self.fail(Failure::ServiceClosing(reply), false);
            }
            self.on_reply(what, reply);
        }
    }

    fn hello(&mut self) {
        let host = self.config.hostname.clone();
        let cmd = match self.config.mode {
            Mode::Lmtp => Command::Lhlo(host),
            Mode::Smtp => Command::Ehlo(host),
        };
        self.command(&cmd);
        self.awaiting.push_back(Await::Hello);
    }

    fn on_reply(&mut self, what: Await, reply: Reply) {
        match what {
            Await::Greeting => {
                if reply.code().get() == 220 {
                    self.hello();
                } else {
                    self.fail(Failure::Greeting(reply), true);
                }
            }
            Await::Hello => {
                if reply.is_positive() {
                    self.caps = Capabilities::from_reply(&reply);
                    self.after_hello();
                } else if self.config.mode == Mode::Smtp
                    && matches!(reply.code().get(), 500 | 501 | 502 | 504 | 550)
                {
                    // RFC 5321 3.2: fall back to HELO.
                    self.command(&Command::Helo(self.config.hostname.clone()));
                    self.awaiting.push_back(Await::Helo);
                } else {
                    self.fail(Failure::Hello(reply), true);
                }
            }
            Await::Helo => {
                if reply.is_positive() {
                    self.caps = Capabilities::default();
                    self.after_hello();
                } else {
                    self.fail(Failure::Hello(reply), true);
                }
            }
            Await::StartTls => {
                if reply.code().get() == 220 {
                    // Whatever followed the 220 in the same read was sent
                    // before TLS: drop it (CVE-2021-38371).
                    self.buf.clear();
                    self.tls_handshake = true;
                    self.events.push_back(Event::StartTls);
                } else if self.config.tls == TlsPolicy::Required {
                    self.fail(Failure::StartTls(reply), true);
                } else {
                    self.after_tls_decided();
                }
            }
            Await::AuthPlain | Await::AuthLoginPassword => {
                if reply.code().get() == 235 {
                    self.authenticated = true;
                    self.become_ready();
                } else {
                    self.fail(Failure::Auth(reply), true);
                }
            }
            Await::AuthLogin => {
                if reply.code().get() == 334 {
                    let user = self
                        .config
                        .credentials
                        .as_ref()
                        .map(|(u, _)| u.clone())
                        .unwrap_or_default();
                    self.sasl_line(user.as_bytes());
                    self.awaiting.push_back(Await::AuthLoginUser);
                } else {
                    self.fail(Failure::Auth(reply), true);
                }
            }
            Await::AuthLoginUser => {
                if reply.code().get() == 334 {
                    let password = self
                        .config
                        .credentials
                        .as_ref()
                        .map(|(_, p)| p.expose().clone())
                        .unwrap_or_default();
                    self.sasl_line(password.as_bytes());
                    self.awaiting.push_back(Await::AuthLoginPassword);
                } else {
                    self.fail(Failure::Auth(reply), true);
                }
            }
            Await::Mail => self.on_mail(reply),
            Await::Rcpt(i) => self.on_rcpt(i, reply),
            Await::Data => self.on_data(reply),
            Await::EndOfData(_) => self.on_end_of_data(reply),
            Await::EmptyData => {
                self.command(&Command::Rset);
                self.awaiting.push_back(Await::Rset);
            }
            Await::Rset => self.finish_transaction(),
            Await::Quit => {
                self.closed = true;
                self.events.push_back(Event::Closed);
            }
        }
    }

    fn after_hello(&mut self) {
        let want_tls = self.config.tls != TlsPolicy::Never && !self.tls;
        if want_tls && self.caps.starttls {
            self.command(&Command::StartTls);
            self.awaiting.push_back(Await::StartTls);
        } else if self.config.tls == TlsPolicy::Required && !self.tls {
            self.fail(Failure::TlsUnavailable, true);
        } else {
            self.after_tls_decided();
        }
    }

    fn after_tls_decided(&mut self) {
        let Some((user, password)) = self.config.credentials.clone() else {
            // Nothing to authenticate.
            return self.become_ready();
        };
        if self.authenticated {
            return self.become_ready();
        }
        if !self.tls && !self.config.auth_without_tls {
            return self.fail(Failure::AuthUnavailable, true);
        }
        if self.caps.auth.contains(&Mechanism::Plain) {
            // RFC 4616 2: authzid (empty) NUL authcid NUL passwd.
            let mut resp = Vec::new();
            resp.push(0);
            resp.extend_from_slice(user.as_bytes());
            resp.push(0);
            resp.extend_from_slice(password.expose().as_bytes());
            self.command(&Command::Auth {
                mechanism: Mechanism::Plain,
                initial_response: Some(InitialResponse::Data(Secret::new(resp))),
            });
            self.awaiting.push_back(Await::AuthPlain);
        } else if self.caps.auth.contains(&Mechanism::Login) {
            self.command(&Command::Auth {
                mechanism: Mechanism::Login,
                initial_response: None,
            });
            self.awaiting.push_back(Await::AuthLogin);
        } else {
            self.fail(Failure::AuthUnavailable, true);
        }
    }

    fn sasl_line(&mut self, data: &[u8]) {
        let mut enc = Vec::new();
        base64_encode(data, &mut enc);
        self.out.put_slice(&enc);
        self.out.put_slice(b"\r\n");
    }

    fn become_ready(&mut self) {
        self.ready = true;
        self.events.push_back(Event::Ready(self.caps.clone()));
    }
}
