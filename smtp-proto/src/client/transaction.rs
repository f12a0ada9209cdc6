//! The mail transaction of the client session: MAIL, RCPT, DATA or BDAT,
//! and the per-recipient outcome.

use bytes::{BufMut, Bytes, BytesMut};

use super::{Await, Event, Outcome, RecipientResult, Session};
use crate::server::Mode;
use crate::types::{Command, Reply};

impl Session {
    pub(super) fn on_mail(&mut self, reply: Reply) {
        let positive = reply.is_positive();
        let pipelined = self.tx.as_ref().is_some_and(|t| t.data_pipelined) || self.caps.pipelining;
        let Some(tx) = self.tx.as_mut() else { return };
        tx.mail = Some(reply);
        if !pipelined {
            if positive {
                self.send_next_rcpt(0);
            } else {
                self.finish_transaction();
            }
        }
        // Pipelined: the RCPT (and DATA) replies are still to come.
    }

    pub(super) fn send_next_rcpt(&mut self, i: usize) {
        let Some(tx) = self.tx.as_ref() else { return };
        if let Some((fp, params)) = tx.envelope.recipients.get(i) {
            let cmd = Command::Rcpt {
                forward_path: fp.clone(),
                parameters: params.clone(),
            };
            self.command(&cmd);
            self.awaiting.push_back(Await::Rcpt(i));
        } else {
            self.after_recipients();
        }
    }

    pub(super) fn accepted(&self) -> usize {
        let Some(tx) = self.tx.as_ref() else { return 0 };
        let mail_ok = tx.mail.as_ref().is_some_and(Reply::is_positive);
        if !mail_ok {
            return 0;
        }
        tx.rcpt
            .iter()
            .filter(|r| r.as_ref().is_some_and(Reply::is_positive))
            .count()
    }

    pub(super) fn on_rcpt(&mut self, i: usize, reply: Reply) {
        let Some(tx) = self.tx.as_mut() else { return };
        if let Some(slot) = tx.rcpt.get_mut(i) {
            *slot = Some(reply);
        }
        let last = i + 1 == tx.rcpt.len();
        if self.caps.pipelining {
            if last && !tx.data_pipelined {
                self.after_recipients();
            }
        } else {
            self.send_next_rcpt(i + 1);
        }
    }

    /// All RCPT replies are in and DATA was not pipelined.
    pub(super) fn after_recipients(&mut self) {
        let Some(tx) = self.tx.as_ref() else { return };
        let mail_ok = tx.mail.as_ref().is_some_and(Reply::is_positive);
        if !mail_ok {
            return self.finish_transaction();
        }
        if self.accepted() == 0 {
            self.command(&Command::Rset);
            self.awaiting.push_back(Await::Rset);
            return;
        }
        if tx.use_bdat {
            // BDAT has no dot transparency, but text still needs CR LF line
            // ends (RFC 5321 2.3.8); only BINARYMIME goes out untouched.
            let message = if tx.envelope.parameters.body == Some(crate::types::Body::BinaryMime) {
                tx.message.clone()
            } else {
                crlf(&tx.message)
            };
            self.command(&Command::Bdat {
                size: message.len() as u64,
                last: true,
            });
            self.out.put_slice(&message);
            self.await_end_of_data();
        } else {
            self.command(&Command::Data);
            self.awaiting.push_back(Await::Data);
        }
    }

    pub(super) fn await_end_of_data(&mut self) {
        let n = match self.config.mode {
            Mode::Lmtp => self.accepted(),
            Mode::Smtp => 1,
        };
        for k in 0..n {
            self.awaiting.push_back(Await::EndOfData(k));
        }
    }

    pub(super) fn on_data(&mut self, reply: Reply) {
        let accepted = self.accepted();
        let Some(tx) = self.tx.as_mut() else { return };
        if reply.code().get() == 354 {
            if accepted == 0 {
                // RFC 2920 3.1: the server took DATA with no recipient; end
                // the empty message and throw the result away.
                self.out.put_slice(b".\r\n");
                self.awaiting.push_back(Await::EmptyData);
                return;
            }
            let message = tx.message.clone();
            dot_stuff(&message, &mut self.out);
            self.await_end_of_data();
        } else {
            if accepted > 0 {
                tx.end = vec![reply];
            }
            self.finish_transaction();
        }
    }

    pub(super) fn on_end_of_data(&mut self, reply: Reply) {
        let Some(tx) = self.tx.as_mut() else { return };
        tx.end.push(reply);
        if !matches!(self.awaiting.front(), Some(Await::EndOfData(_))) {
            self.finish_transaction();
        }
    }

    /// Builds the per-recipient outcome and becomes ready again.
    pub(super) fn finish_transaction(&mut self) {
        let Some(tx) = self.tx.take() else { return };
        let mail = tx.mail.clone();
        let mut ends = tx.end.iter();
        let single_end = self.config.mode == Mode::Smtp || tx.end.len() == 1;
        let fallback = Reply::fixed(451, Some((4, 4, 0)), "transaction did not complete");
        let mut results = Vec::with_capacity(tx.envelope.recipients.len());
        for (i, (fp, _)) in tx.envelope.recipients.iter().enumerate() {
            let reply = match (&mail, tx.rcpt.get(i).cloned().flatten()) {
                (Some(m), _) if !m.is_positive() => m.clone(),
                (_, Some(r)) if !r.is_positive() => r,
                (_, Some(_)) => {
                    let end = if single_end {
                        tx.end.first()
                    } else {
                        ends.next()
                    };
                    end.cloned().unwrap_or_else(|| fallback.clone())
                }
                _ => fallback.clone(),
            };
            results.push(RecipientResult {
                forward_path: fp.clone(),
                reply,
            });
        }
        self.events.push_back(Event::Delivered(Outcome {
            recipients: results,
        }));
        self.become_ready();
    }
}

/// The message with every bare LF turned into CR LF (no copy when there is
/// none).
fn crlf(message: &Bytes) -> Bytes {
    let bare = memchr::memchr_iter(b'\n', message).any(|i| i == 0 || message[i - 1] != b'\r');
    if !bare {
        return message.clone();
    }
    let mut out = BytesMut::with_capacity(message.len() + message.len() / 32);
    let mut start = 0;
    for i in memchr::memchr_iter(b'\n', message) {
        if i == 0 || message[i - 1] != b'\r' {
            out.put_slice(&message[start..i]);
            out.put_slice(b"\r\n");
            start = i + 1;
        }
    }
    out.put_slice(&message[start..]);
    out.freeze()
}

/// Writes `message` with dot transparency (RFC 5321 4.5.2) and the end of
/// data line. Bare LF becomes CR LF; a missing final line end is added.
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// let mut out = BytesMut::new();
/// smtp_proto::client::dot_stuff(b".hidden\r\nend", &mut out);
/// assert_eq!(&out[..], b"..hidden\r\nend\r\n.\r\n");
/// ```
pub fn dot_stuff(message: &[u8], out: &mut BytesMut) {
    out.reserve(message.len() + 8);
    let mut rest = message;
    while !rest.is_empty() {
        if rest[0] == b'.' {
            out.put_u8(b'.');
        }
        match memchr::memchr(b'\n', rest) {
            Some(lf) => {
                let line = &rest[..lf];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                out.put_slice(line);
                out.put_slice(b"\r\n");
                rest = &rest[lf + 1..];
            }
            None => {
                out.put_slice(rest);
                out.put_slice(b"\r\n");
                rest = &[];
            }
        }
    }
    out.put_slice(b".\r\n");
}
