//! The end of DATA and dot-unstuffing (RFC 5321 4.1.1.4, 4.5.2), hardened
//! against SMTP smuggling (CVE-2023-51764, -51765, -51766).
//!
//! Only the exact octets CR LF "." CR LF end the message, where the first
//! CR LF is a real line end. A bare LF or bare CR is never a line end for the
//! purpose of the end marker or of dot-unstuffing: `\n.\n`, `\n.\r\n`,
//! `\r\n.\n` and `\r.\r` are message content. Depending on the policy, a bare
//! LF or CR is rewritten as CR LF in the content (so a relay that forwards
//! the message sends only proper line ends, and the stray "." line is
//! dot-stuffed on the way out) or the message is refused.
//!
//! The scanner looks for line ends with `memchr2`, not byte by byte, and
//! reports unchanged runs of the input as ranges so the session can hand them
//! on without copying.

use std::ops::Range;

/// What to do with a bare LF or bare CR inside message content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BareLineEnding {
    /// Rewrite it as CR LF in the content (Postfix 3.9's default,
    /// `smtpd_forbid_bare_newline = normalize`). The end of data still needs
    /// a real CR LF "." CR LF.
    #[default]
    Normalize,
    /// Refuse the whole message (`554 5.6.0`) once it has been read to its end.
    Reject,
}

/// A piece of unstuffed content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Octets of the input, unchanged.
    Input(Range<usize>),
    /// A CR LF that replaces a bare CR or bare LF.
    CrLf,
}

/// The result of one scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scanned {
    /// Octets of the input taken; the rest (at most two octets that need a
    /// look-ahead) must be offered again with more input.
    pub consumed: usize,
    /// Whether the end-of-data line was found (and consumed).
    pub ended: bool,
}

/// State of the DATA scanner between calls.
#[derive(Debug, Clone)]
pub(crate) struct DotScanner {
    at_line_start: bool,
    line_len: usize,
    /// A bare CR or LF was seen.
    pub bare: bool,
    /// A line longer than the text line limit was seen.
    pub long_line: bool,
}

impl DotScanner {
    /// A scanner at the start of message content, which counts as a line
    /// start: the DATA command's own CR LF precedes it.
    pub(crate) fn new() -> Self {
        DotScanner {
            at_line_start: true,
            line_len: 0,
            bare: false,
            long_line: false,
        }
    }

    #[inline]
    fn end_line(&mut self, content: usize, limit: Option<usize>) {
        if limit.is_some_and(|l| content + 2 > l) {
            self.long_line = true;
        }
        self.line_len = 0;
    }

    /// Scans `input`, calling `sink` with the unstuffed content in order.
    pub(crate) fn scan(
        &mut self,
        input: &[u8],
        policy: BareLineEnding,
        text_line: Option<usize>,
        sink: &mut impl FnMut(Piece),
    ) -> Scanned {
        let normalize = policy == BareLineEnding::Normalize;
        let mut i = 0;
        let mut run = 0;
        let flush = |run: usize, to: usize, sink: &mut dyn FnMut(Piece)| {
            if to > run {
                sink(Piece::Input(run..to));
            }
        };
        loop {
            if self.at_line_start {
                match input.get(i) {
                    None => break,
                    Some(b'.') => match input.get(i + 1) {
                        None => break,
                        Some(b'\r') => match input.get(i + 2) {
                            None => break,
                            Some(b'\n') => {
                                flush(run, i, sink);
                                return Scanned {
                                    consumed: i + 3,
                                    ended: true,
                                };
                            }
                            Some(_) => {
                                // ".\r" then not LF: drop the stuffing dot;
                                // the CR is bare and handled below.
                                flush(run, i, sink);
                                run = i + 1;
                                i += 1;
                                self.line_len = 1;
                                self.at_line_start = false;
                            }
                        },
                        Some(_) => {
                            // A leading dot is removed (RFC 5321 4.5.2).
                            flush(run, i, sink);
                            run = i + 1;
                            i += 1;
                            self.line_len = 1;
                            self.at_line_start = false;
                        }
                    },
                    Some(_) => self.at_line_start = false,
                }
            }
            let rest = &input[i..];
            let Some(off) = memchr::memchr2(b'\r', b'\n', rest) else {
                self.line_len += rest.len();
                if text_line.is_some_and(|l| self.line_len + 2 > l) {
                    self.long_line = true;
                }
                i = input.len();
                break;
            };
            let p = i + off;
            let content = self.line_len + off;
            if input[p] == b'\n' {
                // A bare LF: content, never a line start.
                self.bare = true;
                if normalize {
                    flush(run, p, sink);
                    sink(Piece::CrLf);
                    run = p + 1;
                }
                self.end_line(content, text_line);
                i = p + 1;
                continue;
            }
            match input.get(p + 1) {
                None => {
                    // A CR at the end: wait for the next octet.
                    self.line_len = content;
                    i = p;
                    break;
                }
                Some(b'\n') => {
                    self.end_line(content, text_line);
                    self.at_line_start = true;
                    i = p + 2;
                }
                Some(_) => {
                    self.bare = true;
                    if normalize {
                        flush(run, p, sink);
                        sink(Piece::CrLf);
                        run = p + 1;
                    }
                    self.end_line(content, text_line);
                    i = p + 1;
                }
            }
        }
        flush(run, i, sink);
        Scanned {
            consumed: i,
            ended: false,
        }
    }
}

/// Dot-unstuffs one complete DATA stream (up to and including the end line)
/// and returns the content, or `None` if it holds no end line. A helper for
/// tests and benches; sessions scan incrementally.
#[doc(hidden)]
pub fn unstuff(input: &[u8], policy: BareLineEnding) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len());
    let mut sc = DotScanner::new();
    let r = sc.scan(input, policy, None, &mut |p| match p {
        Piece::Input(r) => out.extend_from_slice(&input[r]),
        Piece::CrLf => out.extend_from_slice(b"\r\n"),
    });
    r.ended.then_some(out)
}

/// Scans a DATA stream and returns how many content octets precede the end
/// line, without copying. A helper for benches.
#[doc(hidden)]
pub fn scan_len(input: &[u8]) -> Option<usize> {
    let mut n = 0;
    let mut sc = DotScanner::new();
    let r = sc.scan(
        input,
        BareLineEnding::Normalize,
        Some(1000),
        &mut |p| match p {
            Piece::Input(r) => n += r.len(),
            Piece::CrLf => n += 2,
        },
    );
    r.ended.then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8], policy: BareLineEnding) -> Option<Vec<u8>> {
        unstuff(input, policy)
    }

    #[test]
    fn dot_unstuffing_and_end() {
        assert_eq!(run(b".\r\n", BareLineEnding::Normalize), Some(vec![]));
        assert_eq!(
            run(b"a\r\n..b\r\n.\r\n", BareLineEnding::Normalize).as_deref(),
            Some(&b"a\r\n.b\r\n"[..])
        );
        assert_eq!(run(b"a\r\n.", BareLineEnding::Normalize), None);
    }

    #[test]
    fn smuggling_variants_do_not_end_data() {
        for v in [
            &b"a\n.\nb"[..],
            b"a\n.\r\nb",
            b"a\r\n.\nb",
            b"a\r.\rb",
            b"a\r.\r\nb",
        ] {
            for policy in [BareLineEnding::Normalize, BareLineEnding::Reject] {
                assert_eq!(
                    run(v, policy),
                    None,
                    "{:?} ended data",
                    String::from_utf8_lossy(v)
                );
            }
        }
        let out = run(
            b"a\n.\r\nMAIL FROM:<x@y>\r\n.\r\n",
            BareLineEnding::Normalize,
        )
        .unwrap();
        assert_eq!(out, b"a\r\n.\r\nMAIL FROM:<x@y>\r\n");
    }

    #[test]
    fn split_at_every_position_is_the_same() {
        let input = b"x\r\n..y\r\n.\rz\n\r\r\n.\r\n";
        let whole = run(input, BareLineEnding::Normalize).unwrap();
        for cut in 0..input.len() {
            let mut sc = DotScanner::new();
            let mut out = Vec::new();
            let mut buf = input[..cut].to_vec();
            let mut rest = &input[cut..];
            loop {
                let r = sc.scan(&buf, BareLineEnding::Normalize, None, &mut |p| match p {
                    Piece::Input(r) => out.extend_from_slice(&buf[r]),
                    Piece::CrLf => out.extend_from_slice(b"\r\n"),
                });
                buf.drain(..r.consumed);
                if r.ended {
                    break;
                }
                let Some((&b, tail)) = rest.split_first() else {
                    panic!("no end at cut {cut}")
                };
                buf.push(b);
                rest = tail;
            }
            assert_eq!(out, whole, "cut at {cut}");
        }
    }

    #[test]
    fn long_lines_are_flagged() {
        let mut line = vec![b'a'; 999];
        line.extend_from_slice(b"\r\n.\r\n");
        let mut sc = DotScanner::new();
        sc.scan(&line, BareLineEnding::Normalize, Some(1000), &mut |_| {});
        assert!(sc.long_line);
        let mut sc = DotScanner::new();
        sc.scan(
            &line[1..],
            BareLineEnding::Normalize,
            Some(1000),
            &mut |_| {},
        );
        assert!(!sc.long_line);
    }
}
