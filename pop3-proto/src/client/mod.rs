//! The Sans-IO POP3 client session, for fetching mail.

use crate::parse::{self, ServerLine, Unstuffed, Unstuffer};
use crate::serialize;
use crate::types::{Command, CommandKind, Response};
use crate::{Error, Limits};
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::time::Instant;

/// What the client session reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The server's greeting (RFC 1939 section 4); see [`apop_timestamp`].
    Greeting(Response),
    /// A single-line response, or a `-ERR` to a command whose `+OK` would
    /// have been multi-line.
    Response {
        /// The command answered.
        command: CommandKind,
        /// The response.
        response: Response,
    },
    /// A SASL challenge during AUTH (decoded). Answer with
    /// [`Client::sasl_response`] or [`Client::sasl_cancel`].
    Challenge(Vec<u8>),
    /// The `+OK` line of a multi-line response; [`Event::Data`] follows.
    MultiLineStart {
        /// The command answered.
        command: CommandKind,
        /// The first line.
        response: Response,
    },
    /// A piece of the multi-line body, byte-stuffing removed, line ends
    /// as sent (CRLF).
    Data {
        /// The command answered.
        command: CommandKind,
        /// Body octets.
        data: Bytes,
    },
    /// The end of the multi-line body.
    MultiLineEnd {
        /// The command answered.
        command: CommandKind,
    },
    /// The server sent something that is not POP3; the session closed.
    ProtocolError,
}

/// Extracts the APOP timestamp (`<...>`) from a greeting, if it has one.
///
/// # Examples
///
/// ```
/// let g = pop3_proto::parse::response(b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>").unwrap();
/// assert_eq!(pop3_proto::client::apop_timestamp(&g), Some("<1896.697170952@dbc.mtview.ca.us>"));
/// ```
pub fn apop_timestamp(greeting: &Response) -> Option<&str> {
    let text = greeting.text();
    let start = text.find('<')?;
    let end = start + text.get(start..)?.find('>')?;
    text.get(start..=end)
}

#[derive(Debug, Clone, Copy)]
enum Expect {
    Greeting,
    Single(CommandKind),
    Multi(CommandKind),
}

/// The client side of a POP3 connection, as a state machine without I/O.
///
/// Call order: feed server bytes to [`receive`](Client::receive), then
/// drain [`poll_event`](Client::poll_event); queue commands with
/// [`send`](Client::send) (pipelining is allowed, responses come back in
/// order) and write what [`poll_transmit`](Client::poll_transmit) returns.
/// The client sets no timers: apply a read timeout in the owner.
///
/// # Examples
///
/// ```
/// use pop3_proto::client::{Client, Event};
/// use pop3_proto::Command;
/// use std::time::Instant;
/// let mut c = Client::new(Default::default());
/// c.receive(Instant::now(), b"+OK ready\r\n");
/// assert!(matches!(c.poll_event(), Some(Event::Greeting(_))));
/// c.send(&Command::Stat).unwrap();
/// assert_eq!(&c.poll_transmit().unwrap()[..], b"STAT\r\n");
/// c.receive(Instant::now(), b"+OK 2 320\r\n");
/// assert!(matches!(c.poll_event(), Some(Event::Response { .. })));
/// ```
#[derive(Debug)]
pub struct Client {
    limits: Limits,
    input: BytesMut,
    out: BytesMut,
    expect: VecDeque<Expect>,
    events: VecDeque<Event>,
    body: Option<(CommandKind, Unstuffer)>,
    awaiting_tls: bool,
    stls_sent: bool,
    closed: bool,
}

impl Client {
    /// A client on a new connection, waiting for the greeting.
    pub fn new(limits: Limits) -> Self {
        Client {
            limits,
            input: BytesMut::new(),
            out: BytesMut::new(),
            expect: VecDeque::from([Expect::Greeting]),
            events: VecDeque::new(),
            body: None,
            awaiting_tls: false,
            stls_sent: false,
            closed: false,
        }
    }

    /// Queues a command.
    pub fn send(&mut self, cmd: &Command) -> Result<(), Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        if self.stls_sent || self.awaiting_tls {
            // RFC 2595 section 4: nothing may follow STLS before TLS.
            return Err(Error::NotAllowed {
                reason: "STLS is outstanding",
            });
        }
        cmd.check(self.limits.command_line)?;
        serialize::command(cmd, &mut self.out);
        self.stls_sent = matches!(cmd, Command::Stls);
        self.expect.push_back(if cmd.is_multi_line() {
            Expect::Multi(cmd.kind())
        } else {
            Expect::Single(cmd.kind())
        });
        Ok(())
    }

    /// Answers a SASL challenge with `data` (sent as Base64).
    pub fn sasl_response(&mut self, data: &[u8]) -> Result<(), Error> {
        self.check_sasl()?;
        serialize::sasl_response(data, &mut self.out);
        Ok(())
    }

    /// Cancels the SASL exchange (`*`); the server answers `-ERR`.
    pub fn sasl_cancel(&mut self) -> Result<(), Error> {
        self.check_sasl()?;
        self.out.extend_from_slice(b"*\r\n");
        Ok(())
    }

    fn check_sasl(&self) -> Result<(), Error> {
        match self.expect.front() {
            Some(Expect::Single(CommandKind::Auth)) if !self.closed => Ok(()),
            _ => Err(Error::NotAllowed {
                reason: "no AUTH in progress",
            }),
        }
    }

    /// Feeds bytes from the server. Any split gives the same events.
    pub fn receive(&mut self, _now: Instant, bytes: &[u8]) {
        if self.closed || self.awaiting_tls {
            // After +OK to STLS, anything before the handshake is an
            // injection attempt (RFC 2595 section 4).
            return;
        }
        self.input.extend_from_slice(bytes);
        self.process();
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Bytes to send to the server.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.out.is_empty() {
            None
        } else {
            Some(self.out.split().freeze())
        }
    }

    /// Whether the owner should start TLS now (the server said `+OK` to
    /// STLS).
    pub fn wants_tls(&self) -> bool {
        self.awaiting_tls
    }

    /// Tells the client that the TLS handshake finished; it reads again.
    /// Capabilities learnt before should be asked for again (RFC 2595).
    pub fn tls_established(&mut self, _now: Instant) -> Result<(), Error> {
        if !self.awaiting_tls {
            return Err(Error::NotAllowed {
                reason: "no STLS was accepted",
            });
        }
        self.awaiting_tls = false;
        Ok(())
    }

    /// Whether the connection is over (QUIT answered, or a protocol error).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Whether every command sent so far has been answered.
    pub fn is_idle(&self) -> bool {
        self.expect.is_empty() && self.body.is_none()
    }

    fn process(&mut self) {
        while !self.closed && !self.awaiting_tls && !self.input.is_empty() {
            if let Some((command, unstuffer)) = &mut self.body {
                let command = *command;
                let mut data = BytesMut::new();
                let outcome = unstuffer.push(&self.input, &mut data);
                if !data.is_empty() {
                    self.events.push_back(Event::Data {
                        command,
                        data: data.freeze(),
                    });
                }
                match outcome {
                    Unstuffed::NeedMore => self.input.clear(),
                    Unstuffed::Done { consumed } => {
                        let _ = self.input.split_to(consumed);
                        self.body = None;
                        self.events.push_back(Event::MultiLineEnd { command });
                    }
                }
                continue;
            }
            let Some((line, used)) = parse::split_line(&self.input) else {
                if self.input.len() >= self.limits.sasl_line.max(self.limits.response_line) {
                    self.protocol_error();
                }
                return;
            };
            let parsed = parse::server_line(line);
            let _ = self.input.split_to(used);
            let Some(expect) = self.expect.front().copied() else {
                return self.protocol_error();
            };
            match (parsed, expect) {
                (Some(ServerLine::Challenge(data)), Expect::Single(CommandKind::Auth)) => {
                    self.events.push_back(Event::Challenge(data));
                }
                (Some(ServerLine::Response(response)), _) => {
                    self.expect.pop_front();
                    self.on_response(expect, response);
                }
                _ => self.protocol_error(),
            }
        }
    }

    fn on_response(&mut self, expect: Expect, response: Response) {
        match expect {
            Expect::Greeting => {
                if !response.is_ok() {
                    self.closed = true;
                }
                self.events.push_back(Event::Greeting(response));
            }
            Expect::Multi(command) if response.is_ok() => {
                self.body = Some((command, Unstuffer::new()));
                self.events
                    .push_back(Event::MultiLineStart { command, response });
            }
            Expect::Multi(command) | Expect::Single(command) => {
                if command == CommandKind::Stls {
                    self.stls_sent = false;
                    if response.is_ok() {
                        self.awaiting_tls = true;
                        self.input.clear();
                    }
                }
                if command == CommandKind::Quit {
                    self.closed = true;
                }
                self.events.push_back(Event::Response { command, response });
            }
        }
    }

    fn protocol_error(&mut self) {
        self.closed = true;
        self.input.clear();
        self.events.push_back(Event::ProtocolError);
    }
}
