//! The server side's incremental command decoder, with optional streaming
//! of APPEND message octets.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::{DecodeError, DecodeErrorKind, StateError};
use crate::limits::Limits;
use crate::types::{Command, DateTime, Flag, Mailbox, Secret, Tag};

use super::command::{AppendHead, append_first, append_next};
use super::core::Cx;
use super::decoder::{DecodeOptions, parse_command_frame};
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
    /// With [`CommandDecoder::set_append_streaming`]: an APPEND message
    /// begins. Its octets follow as [`CommandEvent::AppendData`] events, then
    /// either another `AppendStart` (MULTIAPPEND, same tag) or
    /// [`CommandEvent::AppendEnd`]. When `sync` is true the client waits:
    /// answer with [`CommandDecoder::accept_literal`] (and send `+ ...`) or
    /// [`CommandDecoder::reject_literal`] (and send `tag NO ...`; the APPEND is
    /// over). A non-synchronizing message's octets come anyway: to refuse
    /// it, drop its data and answer `NO` after `AppendEnd`.
    AppendStart {
        /// The APPEND's tag.
        tag: Tag,
        /// Destination mailbox.
        mailbox: Mailbox,
        /// Flags to set, if a flag list was sent.
        flags: Option<Vec<Flag>>,
        /// INTERNALDATE to set.
        date: Option<DateTime>,
        /// `UTF8 (~{N})` form (RFC 6855).
        utf8: bool,
        /// `~{N}` literal8.
        binary: bool,
        /// Size of the message in octets.
        length: u64,
        /// `{N}`: the client waits for a continuation request.
        sync: bool,
    },
    /// A piece of the current APPEND message's octets, in order.
    AppendData(Bytes),
    /// The streamed APPEND is complete; the server answers it now.
    AppendEnd {
        /// The APPEND's tag.
        tag: Tag,
    },
}

#[derive(Debug)]
enum Stream {
    Off,
    /// `AppendStart` with `sync` was handed out; waiting for the owner.
    Pending {
        tag: Tag,
        mailbox: Mailbox,
        utf8: bool,
        messages: usize,
    },
    /// Handing out the octets of a message.
    Data {
        tag: Tag,
        mailbox: Mailbox,
        utf8: bool,
        messages: usize,
        remaining: u64,
    },
    /// After a message's octets: the rest of the APPEND.
    Tail {
        tag: Tag,
        mailbox: Mailbox,
        utf8: bool,
        messages: usize,
    },
}

/// The server side's incremental command decoder.
///
/// Call order: [`receive`](Self::receive) the bytes read from the
/// connection, then [`poll_event`](Self::poll_event) until it returns
/// `None`. After a [`CommandEvent::LiteralRequest`] (or a synchronizing
/// [`CommandEvent::AppendStart`]), `poll_event` returns `None` until the
/// owner calls [`accept_literal`](Self::accept_literal) or
/// [`reject_literal`](Self::reject_literal). Any split of the input gives
/// the same events.
///
/// A command is framed first: the framer scans each byte once, jumps over
/// literal octets, and checks [`Limits`] as numbers become known; the
/// complete frame is then parsed once. Resuming after a literal never
/// re-reads the command from its start.
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
    append_streaming: Option<u64>,
    stream: Stream,
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
            append_streaming: None,
            stream: Stream::Off,
        }
    }

    /// Appends bytes read from the connection.
    ///
    /// The buffer holds at most the command being framed (bounded by
    /// [`Limits`]) plus what arrives before the next `poll_event`; while a
    /// literal decision is pending nothing is consumed, so an owner that
    /// keeps reading then should watch [`buffered`](Self::buffered) (a
    /// client that waits for `+` sends nothing meanwhile).
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
        self.framer.set_report_all(self.append_streaming.is_some());
        self.expect = Expect::Command;
        self.stream = Stream::Off;
    }

    /// Switches how mailbox names are read.
    pub fn set_options(&mut self, options: DecodeOptions) {
        self.options = options;
    }

    /// The options in force.
    pub fn options(&self) -> DecodeOptions {
        self.options
    }

    /// Replaces the limits.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
        self.framer.set_limits(limits);
    }

    /// APPEND messages of at least `min_length` octets come as
    /// [`CommandEvent::AppendStart`], [`CommandEvent::AppendData`]...,
    /// [`CommandEvent::AppendEnd`] instead of being buffered into one
    /// [`CommandEvent::Command`], so that a big message is written to its
    /// destination as it arrives. `None` turns streaming off. Once an APPEND
    /// streams, its later messages (MULTIAPPEND) stream too.
    pub fn set_append_streaming(&mut self, min_length: Option<u64>) {
        self.append_streaming = min_length;
        self.framer.set_report_all(min_length.is_some());
    }

    /// Says what the next line is: `DONE` after IDLE was accepted, or SASL
    /// data after a challenge. Reverts to [`Expect::Command`] after that line.
    pub fn expect(&mut self, what: Expect) {
        self.expect = what;
    }

    /// Lets the announced literal come (the owner sends `+ ...`).
    pub fn accept_literal(&mut self) -> Result<(), StateError> {
        if let Stream::Pending { .. } = self.stream {
            let Some(remaining) = self.framer.stream_literal(&mut self.buf) else {
                return Err(StateError::NoPendingLiteral);
            };
            if let Stream::Pending {
                tag,
                mailbox,
                utf8,
                messages,
            } = std::mem::replace(&mut self.stream, Stream::Off)
            {
                self.stream = Stream::Data {
                    tag,
                    mailbox,
                    utf8,
                    messages,
                    remaining,
                };
            }
            return Ok(());
        }
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
            self.stream = Stream::Off;
            Ok(())
        } else {
            Err(StateError::NoPendingLiteral)
        }
    }

    fn cx(&self) -> Cx<'static> {
        Cx {
            utf8: self.options.utf8,
            max_depth: self.limits.nesting_depth,
            max_items: self.limits.items,
            frame: None,
        }
    }

    /// A literal was announced while streaming is on: start streaming it if
    /// it is an APPEND message; `None` to handle it as usual.
    fn try_stream(&mut self, length: u64, sync: bool) -> Option<CommandEvent> {
        let min = self.append_streaming?;
        let prefix_len = self.framer.pending_prefix()?;
        let cx = self.cx();
        let prefix = self.buf.get(..prefix_len)?;
        let (tag, mailbox, head, messages): (Tag, Mailbox, AppendHead, usize) = match &self.stream {
            Stream::Tail {
                tag,
                mailbox,
                utf8,
                messages,
            } => match append_next(&cx, prefix, *utf8) {
                Ok((&[], head)) => (tag.clone(), mailbox.clone(), head, messages + 1),
                _ => {
                    let tag = tag.clone();
                    let _ = self.framer.reject_literal(&mut self.buf);
                    self.stream = Stream::Off;
                    return Some(CommandEvent::Error(DecodeError::new(
                        Some(tag),
                        DecodeErrorKind::Syntax,
                    )));
                }
            },
            _ if length < min || self.expect != Expect::Command => return None,
            _ => match append_first(&cx, prefix) {
                Ok((&[], (tag, mailbox, head))) => (tag, mailbox, head, 1),
                _ => return None,
            },
        };
        if messages > self.limits.literals {
            let _ = self.framer.reject_literal(&mut self.buf);
            self.stream = Stream::Off;
            let kind = DecodeErrorKind::TooManyLiterals {
                limit: self.limits.literals,
            };
            return Some(CommandEvent::Error(DecodeError::new(Some(tag), kind)));
        }
        let utf8 = head.utf8;
        let event = CommandEvent::AppendStart {
            tag: tag.clone(),
            mailbox: mailbox.clone(),
            flags: head.flags,
            date: head.date,
            utf8,
            binary: head.binary,
            length,
            sync,
        };
        if sync {
            self.stream = Stream::Pending {
                tag,
                mailbox,
                utf8,
                messages,
            };
        } else {
            let remaining = self.framer.stream_literal(&mut self.buf).unwrap_or(0);
            self.stream = Stream::Data {
                tag,
                mailbox,
                utf8,
                messages,
                remaining,
            };
        }
        Some(event)
    }

    /// The next event, if the buffered bytes hold one.
    ///
    /// # Examples
    ///
    /// Streaming an APPEND (see [`set_append_streaming`](Self::set_append_streaming)):
    ///
    /// ```
    /// use imap_proto::{CommandDecoder, CommandEvent, Limits};
    /// let mut d = CommandDecoder::new(Limits::default());
    /// d.set_append_streaming(Some(0));
    /// d.receive(b"a APPEND INBOX {11+}\r\nHello");
    /// assert!(matches!(d.poll_event(), Some(CommandEvent::AppendStart { length: 11, .. })));
    /// assert!(matches!(d.poll_event(), Some(CommandEvent::AppendData(b)) if &b[..] == b"Hello"));
    /// d.receive(b" world\r\n");
    /// assert!(matches!(d.poll_event(), Some(CommandEvent::AppendData(b)) if &b[..] == b" world"));
    /// assert!(matches!(d.poll_event(), Some(CommandEvent::AppendEnd { .. })));
    /// ```
    #[must_use]
    pub fn poll_event(&mut self) -> Option<CommandEvent> {
        let streaming = self.append_streaming.is_some();
        loop {
            match &mut self.stream {
                Stream::Pending { .. } => return None,
                Stream::Data { remaining, .. } => {
                    if *remaining > 0 {
                        if self.buf.is_empty() {
                            return None;
                        }
                        let k = (*remaining).min(self.buf.len() as u64);
                        *remaining -= k;
                        return Some(CommandEvent::AppendData(
                            self.buf.split_to(k as usize).freeze(),
                        ));
                    }
                    if let Stream::Data {
                        tag,
                        mailbox,
                        utf8,
                        messages,
                        ..
                    } = std::mem::replace(&mut self.stream, Stream::Off)
                    {
                        self.stream = Stream::Tail {
                            tag,
                            mailbox,
                            utf8,
                            messages,
                        };
                    }
                    continue;
                }
                Stream::Off | Stream::Tail { .. } => {}
            }
            if self.framer.awaiting_decision() {
                return None;
            }
            match self.framer.step(&mut self.buf) {
                Step::NeedMore => return None,
                Step::Error { kind, tag } => {
                    let tag = match std::mem::replace(&mut self.stream, Stream::Off) {
                        Stream::Tail { tag, .. } => Some(tag),
                        _ => tag,
                    };
                    return Some(CommandEvent::Error(DecodeError::new(tag, kind)));
                }
                Step::LiteralRequest { length, sync } => {
                    if (streaming || matches!(self.stream, Stream::Tail { .. }))
                        && let Some(e) = self.try_stream(length, sync)
                    {
                        return Some(e);
                    }
                    if !sync {
                        // Reported only because streaming is on; not an APPEND message.
                        let _ = self.framer.accept_literal();
                        continue;
                    }
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
                Step::Frame(n, literals) => {
                    // Fast path: a command without literals is parsed in
                    // place; only literal octets (APPEND) need a shared
                    // `Bytes` to be sliced from.
                    if !literals
                        && self.expect == Expect::Command
                        && matches!(self.stream, Stream::Off)
                    {
                        let frame = self.buf.get(..n)?;
                        let empty = frame == b"\r\n";
                        let r = (!empty)
                            .then(|| parse_command_frame(frame, None, self.options, &self.limits));
                        self.buf.advance(n);
                        match r {
                            None => continue,
                            Some(Ok(c)) => return Some(CommandEvent::Command(c)),
                            Some(Err(e)) => return Some(CommandEvent::Error(e)),
                        }
                    }
                    let frame = self.buf.split_to(n).freeze();
                    if let Stream::Tail { tag, utf8, .. } =
                        std::mem::replace(&mut self.stream, Stream::Off)
                    {
                        let end: &[u8] = if utf8 { b")\r\n" } else { b"\r\n" };
                        return Some(if frame.as_ref() == end {
                            CommandEvent::AppendEnd { tag }
                        } else {
                            CommandEvent::Error(DecodeError::new(
                                Some(tag),
                                DecodeErrorKind::Syntax,
                            ))
                        });
                    }
                    match self.expect {
                        Expect::Command => {
                            if frame.as_ref() == b"\r\n" {
                                // Tolerate empty lines between commands.
                                continue;
                            }
                            return Some(
                                match parse_command_frame(
                                    &frame,
                                    Some(&frame),
                                    self.options,
                                    &self.limits,
                                ) {
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
                            let line = frame.strip_suffix(b"\r\n").unwrap_or(&frame);
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
