//! Undoing byte-stuffing of a multi-line body as it streams in.

use bytes::{BufMut, BytesMut};
use memchr::memchr;

/// Streaming decoder of a multi-line response body (RFC 1939 section 3):
/// drops the stuffed leading `.` of a line and stops at the `.` CRLF line.
/// Feed it any split of the input; it keeps three octets of state.
///
/// # Examples
///
/// ```
/// use pop3_proto::parse::{Unstuffed, Unstuffer};
/// let mut u = Unstuffer::new();
/// let mut out = bytes::BytesMut::new();
/// assert_eq!(u.push(b"..a\r\nb\r\n.", &mut out), Unstuffed::NeedMore);
/// assert_eq!(u.push(b"\r\n+OK", &mut out), Unstuffed::Done { consumed: 2 });
/// assert_eq!(&out[..], b".a\r\nb\r\n");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Unstuffer {
    state: State,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum State {
    #[default]
    LineStart,
    Dot,
    DotCr,
    Middle,
}

/// The outcome of [`Unstuffer::push`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unstuffed {
    /// All input was body; the end has not come yet.
    NeedMore,
    /// The end line was seen after `consumed` octets of this input; the
    /// rest belongs to the next response.
    Done {
        /// Octets of this input that belonged to the body and its end line.
        consumed: usize,
    },
}

impl Unstuffer {
    /// A decoder at the start of a body.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes `input`, appending body octets (line ends kept as sent) to
    /// `out`.
    pub fn push(&mut self, input: &[u8], out: &mut BytesMut) -> Unstuffed {
        let mut i = 0;
        while let Some(&b) = input.get(i) {
            match self.state {
                State::Middle => {
                    let rest = &input[i..];
                    match memchr(b'\n', rest) {
                        Some(lf) => {
                            out.put_slice(&rest[..=lf]);
                            i += lf + 1;
                            self.state = State::LineStart;
                        }
                        None => {
                            out.put_slice(rest);
                            i = input.len();
                        }
                    }
                    continue;
                }
                State::LineStart => {
                    if b == b'.' {
                        self.state = State::Dot;
                    } else {
                        out.put_u8(b);
                        self.state = if b == b'\n' {
                            State::LineStart
                        } else {
                            State::Middle
                        };
                    }
                }
                State::Dot => match b {
                    b'\r' => self.state = State::DotCr,
                    b'\n' => {
                        self.state = State::LineStart;
                        return Unstuffed::Done { consumed: i + 1 };
                    }
                    _ => {
                        // The stuffed dot is dropped (RFC 1939 section 3).
                        out.put_u8(b);
                        self.state = State::Middle;
                    }
                },
                State::DotCr => {
                    if b == b'\n' {
                        self.state = State::LineStart;
                        return Unstuffed::Done { consumed: i + 1 };
                    }
                    // ".\r" then something else: not the end; keep the CR.
                    out.put_u8(b'\r');
                    out.put_u8(b);
                    self.state = if b == b'\n' {
                        State::LineStart
                    } else {
                        State::Middle
                    };
                }
            }
            i += 1;
        }
        Unstuffed::NeedMore
    }
}
