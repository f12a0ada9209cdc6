//! Decoders that own the receive buffer: [`CommandDecoder`] (server side)
//! and [`ResponseDecoder`] (client side).

use bytes::{Bytes, BytesMut};

use crate::error::{DecodeError, DecodeErrorKind, StateError};
use crate::limits::Limits;
use crate::types::{Command, Response, Secret, Tag};

use super::core::{Cx, PErrKind};
use super::framer::{Framer, Step, read_tag};

/// What the next line from the client is, besides a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A tagged command (the normal state).
    Command,
    /// The `DONE` that ends IDLE (RFC 2177), after the server sent `+ idling`.
    IdleDone,
    /// One line of SASL data answering a `+` challenge (RFC 3501 section 6.2.2).
    AuthenticateData,
}

/// What the client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum CommandEvent {
    /// A complete command.
    Command(Command),
    /// The client announced a synchronizing literal and waits. Answer with
    /// [`CommandDecoder::accept_literal`] and send `+ ...` (RFC 3501 section
    /// 7.5), or with [`CommandDecoder::reject_literal`] and send
    /// `tag NO`/`tag BAD`.
    LiteralRequest {
        /// The command's tag.
        tag: Tag,
        /// The literal's size in octets.
        length: u64,
    },
    /// The command could not be decoded. Answer `tag BAD` (or `* BAD`
    /// without a tag; `NO [TOOBIG]` suits [`DecodeErrorKind::LiteralTooLarge`]).
    /// The decoder has skipped the command and goes on with the next.
    Error(DecodeError),
    /// `DONE` ended an IDLE.
    IdleDone,
    /// A SASL response line, decoded from base64.
    AuthenticateData(Secret<Vec<u8>>),
    /// `*`: the client cancelled the AUTHENTICATE exchange.
    AuthenticateCancel,
}

/// Options that change how bytes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecodeOptions {
    /// Mailbox names are UTF-8 (after `ENABLE UTF8=ACCEPT` or `IMAP4rev2`,
    /// RFC 6855, RFC 9051) instead of modified UTF-7.
    pub utf8: bool,
}

/// The server side's incremental command decoder.
///
/// Call order: [`receive`](Self::receive) the bytes read from the
/// connection, then [`poll_event`](Self::poll_event) until it returns
/// `None`. After a [`CommandEvent::LiteralRequest`], `poll_event` returns
/// `None` until the owner calls [`accept_literal`](Self::accept_literal) or
/// [`reject_literal`](Self::reject_literal). Any split of the input gives
/// the same events.
///
/// # Examples
///
/// ```
/// use imap_proto::{CommandDecoder, CommandEvent, Limits};
/// use imap_proto::types::CommandBody;
///
/// let mut d = CommandDecoder::new(Limits::default());
/// d.receive(b"a1 LOGIN {4}\r\n");
/// let Some(CommandEvent::LiteralRequest { length: 4, .. }) = d.poll_event() else { panic!() };
/// d.accept_literal().unwrap(); // and send "+ Ready"
/// d.receive(b"fred secret\r\n");
/// let Some(CommandEvent::Command(c)) = d.poll_event() else { panic!() };
/// assert!(matches!(c.body, CommandBody::Login { .. }));
/// assert_eq!(d.poll_event(), None);
/// ```
#[derive(Debug)]
pub struct CommandDecoder {
    buf: BytesMut,
    framer: Framer,
    limits: Limits,
    options: DecodeOptions,
    expect: Expect,
}

impl CommandDecoder {
    /// A decoder with these limits.
    pub fn new(limits: Limits) -> Self {
        CommandDecoder {
            buf: BytesMut::new(),
            framer: Framer::new(limits, true),
            limits,
            options: DecodeOptions::default(),
            expect: Expect::Command,
        }
    }

    /// Appends bytes read from the connection.
    pub fn receive(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Octets received but not yet handed out as events.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Drops everything buffered and any command in progress (after
    /// STARTTLS: bytes pipelined before the TLS handshake must not be
    /// executed, RFC 3501 section 6.2.1).
    pub fn discard_buffered(&mut self) {
        self.buf.clear();
        self.framer = Framer::new(self.limits, true);
        self.expect = Expect::Command;
    }

    /// Switches how mailbox names are read.
    pub fn set_options(&mut self, options: DecodeOptions) {
        self.options = options;
    }

    /// The options in force.
    pub fn options(&self) -> DecodeOptions {
        self.options
    }

    /// Replaces the limits (takes effect at the next frame boundary for the
    /// framer's counters).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
        self.framer.set_limits(limits);
    }

    /// Says what the next line is: `DONE` after IDLE was accepted, or SASL
    /// data after a challenge. Reverts to [`Expect::Command`] after that line.
    pub fn expect(&mut self, what: Expect) {
        self.expect = what;
    }

    /// Lets the announced literal come (the owner sends `+ ...`).
    pub fn accept_literal(&mut self) -> Result<(), StateError> {
        if self.framer.accept_literal() {
            Ok(())
        } else {
            Err(StateError::NoPendingLiteral)
        }
    }

    /// Refuses the announced literal: the command is dropped (the owner
    /// sends `tag NO ...` or `tag BAD ...`).
    pub fn reject_literal(&mut self) -> Result<(), StateError> {
        if self.framer.reject_literal(&mut self.buf) {
            Ok(())
        } else {
            Err(StateError::NoPendingLiteral)
        }
    }

    /// The next event, if the buffered bytes hold one.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<CommandEvent> {
        loop {
            if self.framer.awaiting_decision() {
                return None;
            }
            match self.framer.step(&mut self.buf) {
                Step::NeedMore => return None,
                Step::Error { kind, tag } => {
                    return Some(CommandEvent::Error(DecodeError::new(tag, kind)));
                }
                Step::LiteralRequest { length } => {
                    let tag = read_tag(&self.buf);
                    match (self.expect, tag) {
                        (Expect::Command, Some(tag)) => {
                            return Some(CommandEvent::LiteralRequest { tag, length });
                        }
                        (_, tag) => {
                            let _ = self.framer.reject_literal(&mut self.buf);
                            self.expect = Expect::Command;
                            return Some(CommandEvent::Error(DecodeError::new(
                                tag,
                                DecodeErrorKind::Syntax,
                            )));
                        }
                    }
                }
                Step::Frame(n) => {
                    let frame = self.buf.split_to(n).freeze();
                    match self.expect {
                        Expect::Command => {
                            if frame.as_ref() == b"\r\n" {
                                // Tolerate empty lines between commands.
                                continue;
                            }
                            return Some(
                                match parse_command_frame(&frame, self.options, &self.limits) {
                                    Ok(c) => CommandEvent::Command(c),
                                    Err(e) => CommandEvent::Error(e),
                                },
                            );
                        }
                        Expect::IdleDone => {
                            self.expect = Expect::Command;
                            return Some(if frame.eq_ignore_ascii_case(b"DONE\r\n") {
                                CommandEvent::IdleDone
                            } else {
                                CommandEvent::Error(DecodeError::new(None, DecodeErrorKind::Syntax))
                            });
                        }
                        Expect::AuthenticateData => {
                            self.expect = Expect::Command;
                            let line = &frame[..frame.len() - 2];
                            if line == b"*" {
                                return Some(CommandEvent::AuthenticateCancel);
                            }
                            return Some(match crate::base64::decode(line) {
                                Some(d) => CommandEvent::AuthenticateData(Secret::new(d)),
                                None => CommandEvent::Error(DecodeError::new(
                                    None,
                                    DecodeErrorKind::Syntax,
                                )),
                            });
                        }
                    }
                }
            }
        }
    }
}

fn map_err(tag: Option<Tag>, e: nom::Err<super::core::PErr>, limits: &Limits) -> DecodeError {
    let kind = match e {
        nom::Err::Error(p) | nom::Err::Failure(p) => match p.kind {
            PErrKind::Syntax => DecodeErrorKind::Syntax,
            PErrKind::TooDeep => DecodeErrorKind::TooDeep {
                limit: limits.nesting_depth,
            },
            PErrKind::TooManyItems => DecodeErrorKind::TooManyItems {
                limit: limits.items,
            },
        },
        nom::Err::Incomplete(_) => DecodeErrorKind::Syntax,
    };
    DecodeError::new(tag, kind)
}

fn parse_command_frame(
    frame: &Bytes,
    options: DecodeOptions,
    limits: &Limits,
) -> Result<Command, DecodeError> {
    let cx = Cx {
        utf8: options.utf8,
        max_depth: limits.nesting_depth,
        max_items: limits.items,
        frame: Some(frame),
    };
    match super::command::command(&cx, frame) {
        Ok((&[], c)) => Ok(c),
        Ok(_) => Err(DecodeError::new(read_tag(frame), DecodeErrorKind::Syntax)),
        Err(e) => Err(map_err(read_tag(frame), e, limits)),
    }
}

/// Parses one complete command (lines, literals and the final CRLF).
///
/// # Examples
///
/// ```
/// use imap_proto::{parse_command, DecodeOptions, Limits};
/// let c = parse_command(b"A1 NOOP\r\n", DecodeOptions::default(), &Limits::default()).unwrap();
/// assert_eq!(c.tag.as_str(), "A1");
/// ```
pub fn parse_command(
    bytes: &[u8],
    options: DecodeOptions,
    limits: &Limits,
) -> Result<Command, DecodeError> {
    let frame = Bytes::copy_from_slice(bytes);
    parse_command_frame(&frame, options, limits)
}

fn parse_response_frame(
    frame: &Bytes,
    options: DecodeOptions,
    limits: &Limits,
) -> Result<Response, DecodeError> {
    let cx = Cx {
        utf8: options.utf8,
        max_depth: limits.nesting_depth,
        max_items: limits.items,
        frame: Some(frame),
    };
    let tag = || {
        if frame.first() == Some(&b'*') || frame.first() == Some(&b'+') {
            None
        } else {
            read_tag(frame)
        }
    };
    match super::response::response(&cx, frame) {
        Ok((&[], r)) => Ok(r),
        Ok(_) => Err(DecodeError::new(tag(), DecodeErrorKind::Syntax)),
        Err(e) => Err(map_err(tag(), e, limits)),
    }
}

/// Parses one complete response (lines, literals and the final CRLF).
///
/// # Examples
///
/// ```
/// use imap_proto::{parse_response, DecodeOptions, Limits};
/// use imap_proto::types::{Response, Data};
/// let r = parse_response(b"* 23 EXISTS\r\n", DecodeOptions::default(), &Limits::default()).unwrap();
/// assert_eq!(r, Response::Data(Data::Exists(23)));
/// ```
pub fn parse_response(
    bytes: &[u8],
    options: DecodeOptions,
    limits: &Limits,
) -> Result<Response, DecodeError> {
    let frame = Bytes::copy_from_slice(bytes);
    parse_response_frame(&frame, options, limits)
}

/// What the server sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum ResponseEvent {
    /// A complete response.
    Response(Response),
    /// A response that could not be decoded (skipped).
    Error(DecodeError),
}

/// The client side's incremental response decoder. Literals from a server
/// never wait for a continuation, so this decoder needs no decisions.
///
/// # Examples
///
/// ```
/// use imap_proto::{ResponseDecoder, ResponseEvent, Limits};
/// let mut d = ResponseDecoder::new(Limits::default());
/// d.receive(b"* 1 FETCH (BODY[] {5}\r\nhel");
/// assert_eq!(d.poll_event(), None);
/// d.receive(b"lo)\r\n");
/// assert!(matches!(d.poll_event(), Some(ResponseEvent::Response(_))));
/// ```
#[derive(Debug)]
pub struct ResponseDecoder {
    buf: BytesMut,
    framer: Framer,
    limits: Limits,
    options: DecodeOptions,
}

impl ResponseDecoder {
    /// A decoder with these limits.
    pub fn new(limits: Limits) -> Self {
        ResponseDecoder {
            buf: BytesMut::new(),
            framer: Framer::new(limits, false),
            limits,
            options: DecodeOptions::default(),
        }
    }

    /// Appends bytes read from the connection.
    pub fn receive(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Switches how mailbox names are read.
    pub fn set_options(&mut self, options: DecodeOptions) {
        self.options = options;
    }

    /// Octets received but not yet handed out.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next event, if the buffered bytes hold one.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ResponseEvent> {
        match self.framer.step(&mut self.buf) {
            Step::NeedMore | Step::LiteralRequest { .. } => None,
            Step::Error { kind, tag } => Some(ResponseEvent::Error(DecodeError::new(tag, kind))),
            Step::Frame(n) => {
                let frame = self.buf.split_to(n).freeze();
                Some(
                    match parse_response_frame(&frame, self.options, &self.limits) {
                        Ok(r) => ResponseEvent::Response(r),
                        Err(e) => ResponseEvent::Error(e),
                    },
                )
            }
        }
    }
}
