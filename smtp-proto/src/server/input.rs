//! Input handling of the server session: framing command lines, DATA and
//! BDAT content, and the limits checked as bytes arrive.

use bytes::{Bytes, BytesMut};

use super::data::{BareLineEnding, Piece};
use super::{AbortReason, Event, Pending, Phase, Session};
use crate::types::Reply;

impl Session {
    /// Runs the state machine over buffered input until it needs more input
    /// or a decision.
    pub(super) fn process(&mut self) {
        while self.pending.is_none() {
            // Shutting down: no further pipelined command is taken.
            self.close_if_shutting_down();
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
        self.close_if_shutting_down();
        if self.buf.is_empty() && self.buf.capacity() > 64 * 1024 {
            self.buf = BytesMut::new();
        }
    }

    /// The longest command line framed: 512 plus what the enabled extensions
    /// add to MAIL and RCPT (RFC 1870 4, RFC 3461 4/5, RFC 4954 5).
    pub(super) fn line_limit(&self) -> usize {
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
    pub(super) fn next_line(&mut self, limit: usize) -> Option<Bytes> {
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

    pub(super) fn process_data(&mut self) -> bool {
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

    pub(super) fn process_bdat(&mut self) -> bool {
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
    pub(super) fn deliver(&mut self, data: Bytes) {
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

    pub(super) fn abort_message(&mut self, reason: AbortReason) {
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
    pub(super) fn end_of_message(&mut self) {
        let failed = self.tx.as_ref().and_then(|t| t.failed.clone());
        match failed {
            Some(reply) => {
                self.tx = None;
                self.send(&reply);
            }
            None => self.ask(Event::MessageEnd, Pending::MessageEnd),
        }
    }
}
