//! Byte-stuffing a message on the fly, one chunk at a time.

use bytes::{BufMut, BytesMut};
use memchr::memchr;

/// Turns message octets into the body of a multi-line response as they
/// stream by (RFC 1939 section 3): a line that starts with `.` gets a
/// second `.`, a bare LF becomes CRLF (Maildir files use LF line ends),
/// and [`finish`](DotStuffer::finish) ends the last line and writes the
/// terminating `.` line. Only the current chunk is ever in memory.
///
/// For TOP (RFC 1939 section 7) [`DotStuffer::top`] stops after the header,
/// the blank line and `n` body lines; [`push`](DotStuffer::push) then
/// reports that it wants no more input.
///
/// # Examples
///
/// ```
/// use pop3_proto::serialize::DotStuffer;
/// let mut out = bytes::BytesMut::new();
/// let mut s = DotStuffer::top(2);
/// assert!(s.push(b"Subject: x\n\n.one\n", &mut out));
/// assert!(!s.push(b"two\nthree\n", &mut out));
/// s.finish(&mut out);
/// assert_eq!(&out[..], b"Subject: x\r\n\r\n..one\r\ntwo\r\n.\r\n");
/// ```
#[derive(Debug, Clone)]
pub struct DotStuffer {
    at_line_start: bool,
    prev_cr: bool,
    line_len: usize,
    top: Option<Top>,
    done: bool,
}

#[derive(Debug, Clone)]
struct Top {
    in_header: bool,
    remaining: u32,
}

impl Default for DotStuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl DotStuffer {
    /// A stuffer for a whole message (RETR).
    pub fn new() -> Self {
        DotStuffer {
            at_line_start: true,
            prev_cr: false,
            line_len: 0,
            top: None,
            done: false,
        }
    }

    /// A stuffer that passes the header and `lines` lines of the body (TOP).
    pub fn top(lines: u32) -> Self {
        DotStuffer {
            top: Some(Top {
                in_header: true,
                remaining: lines,
            }),
            ..Self::new()
        }
    }

    /// Whether it has seen all it will send (TOP reached its count).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Stuffs `chunk` into `out`. Returns `false` once no more input is
    /// wanted (only TOP stops early); later input is ignored.
    pub fn push(&mut self, chunk: &[u8], out: &mut BytesMut) -> bool {
        let mut rest = chunk;
        while let Some(&first) = rest.first() {
            if self.done {
                break;
            }
            if self.at_line_start && first == b'.' {
                out.put_u8(b'.');
            }
            match memchr(b'\n', rest) {
                Some(i) => {
                    let (line, tail) = rest.split_at(i);
                    out.put_slice(line);
                    let ends_cr = match line.last() {
                        Some(&b) => b == b'\r',
                        None => self.prev_cr,
                    };
                    if !ends_cr {
                        out.put_u8(b'\r');
                    }
                    out.put_u8(b'\n');
                    let total = self.line_len + line.len();
                    let empty = total == 0 || (total == 1 && ends_cr);
                    self.end_of_line(empty);
                    rest = tail.get(1..).unwrap_or_default();
                    self.at_line_start = true;
                    self.prev_cr = false;
                    self.line_len = 0;
                }
                None => {
                    out.put_slice(rest);
                    self.prev_cr = rest.last() == Some(&b'\r');
                    self.line_len += rest.len();
                    self.at_line_start = false;
                    rest = &[];
                }
            }
        }
        !self.done
    }

    fn end_of_line(&mut self, empty: bool) {
        let Some(top) = &mut self.top else { return };
        if top.in_header {
            if empty {
                top.in_header = false;
                self.done = top.remaining == 0;
            }
        } else {
            top.remaining = top.remaining.saturating_sub(1);
            self.done = top.remaining == 0;
        }
    }

    /// Ends the last line if the message did not, and writes the
    /// terminating `.` CRLF.
    pub fn finish(&mut self, out: &mut BytesMut) {
        if !self.at_line_start && !self.done {
            out.put_slice(b"\r\n");
        }
        out.put_slice(b".\r\n");
        self.done = true;
    }
}
