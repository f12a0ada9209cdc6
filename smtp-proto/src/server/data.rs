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

/// What the fast path walked.
struct Fast {
    pieces: Vec<Range<usize>>,
    /// Where the exact path goes on (a line start), or the end of the end line.
    pos: usize,
    /// Start of the run not yet handed on.
    run: usize,
    ended: bool,
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

    /// The fast path for well-formed text, in whole-buffer passes instead of
    /// a step per line:
    ///
    /// - the region is the input up to its last LF (whole lines only);
    /// - dots at line starts are the hits of `memmem` for CR LF "." (plus
    ///   the first octet at a line start): each is the end line or a
    ///   stuffing dot to remove;
    /// - the region holds no bare CR or LF exactly when its counts of CR, of
    ///   LF and of CR LF pairs are equal;
    /// - no line is longer than the limit when every window of half the
    ///   limit holds an LF (a longer gap between two LFs would contain a
    ///   whole window); a window without one gets an exact check.
    ///
    /// Returns `None` (state untouched) when the region is not clean text;
    /// the exact path then takes the whole input.
    fn fast_lines(&mut self, input: &[u8], text_line: Option<usize>) -> Option<Fast> {
        let mut end = memchr::memrchr(b'\n', input)? + 1;
        let mut pieces = Vec::new();
        let mut run = 0;
        let mut ended = false;
        let first = (self.at_line_start && input.first() == Some(&b'.')).then_some(0);
        let hits = memchr::memmem::find_iter(&input[..end], b"\r\n.").map(|h| h + 2);
        for dot in first.into_iter().chain(hits) {
            match (input.get(dot + 1), input.get(dot + 2)) {
                (Some(b'\r'), Some(b'\n')) => {
                    if dot > run {
                        pieces.push(run..dot);
                    }
                    end = dot;
                    ended = true;
                    break;
                }
                (Some(b'\r') | None, _) => return None,
                (Some(_), _) => {
                    if dot > run {
                        pieces.push(run..dot);
                    }
                    run = dot + 1;
                }
            }
        }
        let region = &input[..end];
        let (crs, lfs, pairs) = count_line_ends(region);
        if lfs != crs || crs != pairs {
            return None;
        }
        let mut long = false;
        if let (Some(limit), Some(first_lf)) = (text_line, memchr::memchr(b'\n', region)) {
            long = self.line_len + first_lf + 1 > limit;
            let window = (limit / 2).max(1);
            let mut at = first_lf + 1;
            while at < end && !long {
                let to = (at + window).min(end);
                if memchr::memchr(b'\n', &region[at..to]).is_some() {
                    at = to;
                    continue;
                }
                // No LF in this window: measure the line around it.
                let start = memchr::memrchr(b'\n', &region[..at]).map_or(0, |p| p + 1);
                let lf = memchr::memchr(b'\n', &region[at..]).map_or(end - 1, |p| at + p);
                long = lf + 1 - start > limit;
                at = lf + 1;
            }
        }
        if lfs > 0 {
            self.at_line_start = true;
            self.line_len = 0;
        }
        self.long_line |= long;
        let pos = if ended { end + 3 } else { end };
        Some(Fast {
            pieces,
            pos,
            run,
            ended,
        })
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
        let (mut i, mut run) = (0, 0);
        if let Some(fast) = self.fast_lines(input, text_line) {
            for r in fast.pieces {
                sink(Piece::Input(r));
            }
            if fast.ended {
                return Scanned {
                    consumed: fast.pos,
                    ended: true,
                };
            }
            (i, run) = (fast.pos, fast.run);
        }
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

/// Counts CRs, LFs and CR LF pairs in one pass written so the compiler
/// vectorizes it: byte lanes of 32 counters, emptied before they can wrap.
fn count_line_ends(m: &[u8]) -> (usize, usize, usize) {
    const LANES: usize = 32;
    const BLOCK: usize = 255 * LANES;
    let (mut crs, mut lfs, mut pairs) = (0usize, 0usize, 0usize);
    let sum = |acc: &[u8; LANES]| acc.iter().map(|&v| usize::from(v)).sum::<usize>();
    let mut start = 0;
    while start < m.len() {
        let end = (start + BLOCK).min(m.len());
        let a = &m[start..end];
        // The octet after each one of `a` (one fewer at the very end).
        let b = &m[start + 1..(end + 1).min(m.len())];
        let (mut cr, mut lf, mut pair) = ([0u8; LANES], [0u8; LANES], [0u8; LANES]);
        let mut done = 0;
        for (x, y) in a.chunks_exact(LANES).zip(b.chunks_exact(LANES)) {
            for l in 0..LANES {
                let is_cr = u8::from(x[l] == b'\r');
                cr[l] = cr[l].wrapping_add(is_cr);
                lf[l] = lf[l].wrapping_add(u8::from(x[l] == b'\n'));
                pair[l] = pair[l].wrapping_add(is_cr & u8::from(y[l] == b'\n'));
            }
            done += LANES;
        }
        crs += sum(&cr);
        lfs += sum(&lf);
        pairs += sum(&pair);
        for (i, &x) in a.iter().enumerate().skip(done) {
            crs += usize::from(x == b'\r');
            lfs += usize::from(x == b'\n');
            pairs += usize::from(x == b'\r' && b.get(i) == Some(&b'\n'));
        }
        start = end;
    }
    (crs, lfs, pairs)
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
    fn line_end_counts() {
        for input in [&b""[..], b"\n", b"\r", b"\r\n", b"\n\r\n", b"a\r\rb\n\r\n"] {
            let naive = (
                input.iter().filter(|&&b| b == b'\r').count(),
                input.iter().filter(|&&b| b == b'\n').count(),
                input.windows(2).filter(|w| *w == b"\r\n").count(),
            );
            assert_eq!(count_line_ends(input), naive, "{input:?}");
        }
        let mut big = b"x\r\n\r\r\n\n".repeat(3000);
        for cut in [0, 1, 31, 32, 33, 8159, 8160, 8161] {
            big.truncate(big.len() - cut.min(big.len()));
            let naive = (
                big.iter().filter(|&&b| b == b'\r').count(),
                big.iter().filter(|&&b| b == b'\n').count(),
                big.windows(2).filter(|w| *w == b"\r\n").count(),
            );
            assert_eq!(count_line_ends(&big), naive, "len {}", big.len());
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
