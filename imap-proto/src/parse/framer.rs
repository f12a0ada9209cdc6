//! The framer: finds where a command (or response) ends, across lines and
//! literals, as bytes arrive, without parsing the grammar.
//!
//! An IMAP command is one or more lines; every line but the last ends with
//! a literal header `{N}` / `{N+}` / `~{N}` (RFC 3501 section 4.3, RFC 7888)
//! followed by N octets. The framer scans each new byte once (memchr for LF;
//! after a literal it jumps over the N octets), so feeding a 100 MB APPEND
//! in small pieces costs linear time. Limits are checked as soon as the
//! numbers are known. On a limit hit or a bare LF the framer reports an error
//! and then throws away the rest of that command, skipping the octets of any
//! literal that the client sends without waiting.

use bytes::{Buf, BytesMut};

use crate::error::DecodeErrorKind;
use crate::limits::Limits;
use crate::types::{Tag, is_tag_char};

/// Longest tail of a line that can hold a literal header: `~{` + 20 digits + `+}` + CR.
const TAIL: usize = 26;

#[derive(Debug)]
enum State {
    /// Looking for the LF that ends the current line.
    Line,
    /// Waiting for the octets of a literal, up to `end`.
    Literal { end: usize },
    /// A synchronizing literal was announced; the owner must decide.
    AwaitDecision {
        data_start: usize,
        length: usize,
        sync: bool,
    },
    /// Skipping the octets of a literal of a refused command.
    DiscardLiteral { remaining: u64 },
    /// Skipping to the end of the line of a refused command.
    DiscardLine { tail: Vec<u8> },
}

/// One step of framing.
#[derive(Debug)]
pub(crate) enum Step {
    /// Not enough bytes yet.
    NeedMore,
    /// `buf[..n]` is a complete frame; the flag says whether it holds
    /// literals.
    Frame(usize, bool),
    /// A literal of this many octets was announced: a synchronizing one,
    /// or (when `report_all` is set) any.
    LiteralRequest { length: u64, sync: bool },
    /// The command is refused; its bytes are (being) discarded.
    Error {
        kind: DecodeErrorKind,
        tag: Option<Tag>,
    },
}

#[derive(Debug)]
pub(crate) struct Framer {
    limits: Limits,
    /// Whether `{N}` makes the sender wait (client to server) or not
    /// (server to client: every literal's octets follow at once).
    sync_literals: bool,
    /// Also stop at non-synchronizing literals (for APPEND streaming).
    report_all: bool,
    /// Scanning resumes here.
    pos: usize,
    /// Start of the current line in the buffer.
    line_start: usize,
    /// Literals in the current frame.
    literals: usize,
    state: State,
}

/// The tag at the start of a frame, if it can be read.
pub(crate) fn read_tag(buf: &[u8]) -> Option<Tag> {
    let n = buf.iter().take(1024).position(|&b| !is_tag_char(b))?;
    if n == 0 || !matches!(buf[n], b' ' | b'\r') {
        return None;
    }
    Some(Tag::from_valid(&buf[..n]))
}

/// A literal header at the end of a line (CRLF excluded): its length
/// (`None` if it overflows) and whether it is non-synchronizing.
pub(crate) fn literal_at_end(line: &[u8]) -> Option<(Option<u64>, bool)> {
    let rest = line.strip_suffix(b"}")?;
    let (rest, nonsync) = match rest.strip_suffix(b"+") {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let ndig = rest.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    if ndig == 0 {
        return None;
    }
    let (rest, digits) = rest.split_at(rest.len() - ndig);
    if !rest.ends_with(b"{") {
        return None;
    }
    let n = digits.iter().try_fold(0u64, |a, &b| {
        a.checked_mul(10)?.checked_add((b - b'0') as u64)
    });
    Some((n, nonsync))
}

impl Framer {
    pub(crate) fn new(limits: Limits, sync_literals: bool) -> Self {
        Framer {
            limits,
            sync_literals,
            report_all: false,
            pos: 0,
            line_start: 0,
            literals: 0,
            state: State::Line,
        }
    }

    /// Stop at every literal, not only synchronizing ones.
    pub(crate) fn set_report_all(&mut self, on: bool) {
        self.report_all = on;
    }

    /// Instead of keeping the announced literal in the frame, hand it to
    /// the caller: drops the frame up to the literal's first octet and
    /// starts a new frame after the literal's `length` octets, which the
    /// caller consumes itself. Returns the length.
    pub(crate) fn stream_literal(&mut self, buf: &mut BytesMut) -> Option<u64> {
        if let State::AwaitDecision {
            data_start, length, ..
        } = self.state
        {
            self.drop_frame(buf, data_start);
            Some(length as u64)
        } else {
            None
        }
    }

    pub(crate) fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    fn reset(&mut self) {
        self.pos = 0;
        self.line_start = 0;
        self.literals = 0;
        self.state = State::Line;
    }

    /// Drops the first `n` bytes (a refused frame) and starts over.
    fn drop_frame(&mut self, buf: &mut BytesMut, n: usize) {
        buf.advance(n);
        self.reset();
    }

    /// Length of the frame before the announced literal's octets.
    pub(crate) fn pending_prefix(&self) -> Option<usize> {
        match self.state {
            State::AwaitDecision { data_start, .. } => Some(data_start),
            _ => None,
        }
    }

    pub(crate) fn awaiting_decision(&self) -> bool {
        matches!(self.state, State::AwaitDecision { .. })
    }

    /// The owner sent the continuation request: the octets will come.
    pub(crate) fn accept_literal(&mut self) -> bool {
        if let State::AwaitDecision {
            data_start, length, ..
        } = self.state
        {
            self.state = State::Literal {
                end: data_start + length,
            };
            true
        } else {
            false
        }
    }

    /// The owner refused the literal: the command is over (RFC 3501 section
    /// 7.5: the client does not send the octets after a tagged response).
    /// A refused non-synchronizing literal still arrives: its octets and
    /// the rest of the command are skipped.
    pub(crate) fn reject_literal(&mut self, buf: &mut BytesMut) -> bool {
        if let State::AwaitDecision {
            data_start,
            length,
            sync,
        } = self.state
        {
            self.drop_frame(buf, data_start);
            if !sync {
                self.state = State::DiscardLiteral {
                    remaining: length as u64,
                };
            }
            true
        } else {
            false
        }
    }

    /// Bytes of the current frame that are known to be in the buffer
    /// (lines and literal octets), for streaming.
    #[allow(dead_code)]
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// Refuse the frame being built: report, then discard it.
    fn refuse(
        &mut self,
        buf: &mut BytesMut,
        upto: usize,
        literal_follows: Option<u64>,
        kind: DecodeErrorKind,
    ) -> Step {
        let tag = read_tag(buf);
        self.drop_frame(buf, upto);
        if let Some(n) = literal_follows {
            self.state = State::DiscardLiteral { remaining: n };
        }
        Step::Error { kind, tag }
    }

    pub(crate) fn step(&mut self, buf: &mut BytesMut) -> Step {
        loop {
            match &mut self.state {
                State::Line => {
                    let start = self.pos.min(buf.len());
                    let Some(off) = memchr::memchr(b'\n', &buf[start..]) else {
                        self.pos = buf.len();
                        if buf.len() - self.line_start > self.limits.line_length {
                            let tag = read_tag(buf);
                            let tail = buf[buf.len().saturating_sub(TAIL)..].to_vec();
                            buf.clear();
                            self.reset();
                            self.state = State::DiscardLine { tail };
                            return Step::Error {
                                kind: DecodeErrorKind::LineTooLong {
                                    limit: self.limits.line_length,
                                },
                                tag,
                            };
                        }
                        return Step::NeedMore;
                    };
                    let lf = start + off;
                    let line_end = lf + 1;
                    let has_cr = lf > self.line_start && buf[lf - 1] == b'\r';
                    let header = if has_cr {
                        literal_at_end(&buf[self.line_start..lf - 1])
                    } else {
                        None
                    };
                    let follows = |(n, nonsync): (Option<u64>, bool)| {
                        (nonsync || !self.sync_literals).then_some(n.unwrap_or(u64::MAX))
                    };
                    if line_end - self.line_start > self.limits.line_length {
                        let f = header.and_then(follows);
                        let kind = DecodeErrorKind::LineTooLong {
                            limit: self.limits.line_length,
                        };
                        return self.refuse(buf, line_end, f, kind);
                    }
                    if !has_cr {
                        return self.refuse(buf, line_end, None, DecodeErrorKind::BareLf);
                    }
                    let Some((n, nonsync)) = header else {
                        let literals = self.literals > 0;
                        self.reset();
                        return Step::Frame(line_end, literals);
                    };
                    let f = follows((n, nonsync));
                    self.literals += 1;
                    let size = n.unwrap_or(u64::MAX);
                    let kind = if nonsync
                        && self.sync_literals
                        && size > self.limits.non_sync_literal_size
                        && size <= self.limits.literal_size
                    {
                        Some(DecodeErrorKind::LiteralTooLarge {
                            size,
                            limit: self.limits.non_sync_literal_size,
                        })
                    } else if size > self.limits.literal_size {
                        Some(DecodeErrorKind::LiteralTooLarge {
                            size,
                            limit: self.limits.literal_size,
                        })
                    } else if self.literals > self.limits.literals {
                        Some(DecodeErrorKind::TooManyLiterals {
                            limit: self.limits.literals,
                        })
                    } else if (line_end as u64).saturating_add(size) > self.limits.command_size {
                        Some(DecodeErrorKind::CommandTooLarge {
                            limit: self.limits.command_size,
                        })
                    } else {
                        None
                    };
                    if let Some(kind) = kind {
                        return self.refuse(buf, line_end, f, kind);
                    }
                    // Fits in usize: bounded by command_size checked above
                    // on 64-bit; on 32-bit the conversion guards it.
                    let Ok(length) = usize::try_from(size) else {
                        let kind = DecodeErrorKind::LiteralTooLarge {
                            size,
                            limit: self.limits.literal_size,
                        };
                        return self.refuse(buf, line_end, f, kind);
                    };
                    self.pos = line_end;
                    if f.is_some() && !self.report_all {
                        self.state = State::Literal {
                            end: line_end + length,
                        };
                        continue;
                    }
                    self.state = State::AwaitDecision {
                        data_start: line_end,
                        length,
                        sync: f.is_none(),
                    };
                    return Step::LiteralRequest {
                        length: size,
                        sync: f.is_none(),
                    };
                }
                State::Literal { end } => {
                    let end = *end;
                    if buf.len() < end {
                        return Step::NeedMore;
                    }
                    self.pos = end;
                    self.line_start = end;
                    self.state = State::Line;
                }
                State::AwaitDecision { .. } => return Step::NeedMore,
                State::DiscardLiteral { remaining } => {
                    let k = (*remaining).min(buf.len() as u64);
                    buf.advance(k as usize);
                    *remaining -= k;
                    if *remaining > 0 {
                        return Step::NeedMore;
                    }
                    self.state = State::DiscardLine { tail: Vec::new() };
                }
                State::DiscardLine { tail } => match memchr::memchr(b'\n', buf) {
                    None => {
                        tail.extend_from_slice(&buf[buf.len().saturating_sub(TAIL)..]);
                        let cut = tail.len().saturating_sub(TAIL);
                        tail.drain(..cut);
                        buf.clear();
                        return Step::NeedMore;
                    }
                    Some(lf) => {
                        tail.extend_from_slice(&buf[lf.saturating_sub(TAIL)..lf]);
                        buf.advance(lf + 1);
                        let line = tail.strip_suffix(b"\r").unwrap_or(tail);
                        let next = match literal_at_end(line) {
                            Some((n, nonsync)) if nonsync || !self.sync_literals => {
                                State::DiscardLiteral {
                                    remaining: n.unwrap_or(u64::MAX),
                                }
                            }
                            _ => State::Line,
                        };
                        self.reset();
                        self.state = next;
                    }
                },
            }
        }
    }
}
