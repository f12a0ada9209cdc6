//! The mboxrd format: `From ` separator lines and `>From ` quoting
//! (mbox(5), "HOW A MESSAGE IS DELIVERED" and "HOW A MESSAGE IS READ";
//! RFC 4155).
//!
//! Writing prepends one `>` to every line that matches `^>*From `;
//! reading removes one `>` from every line that matches `^>+From `, so any
//! message survives a round trip byte for byte. Both directions work on a
//! stream and keep at most one line prefix ([`PREFIX_MAX`] bytes) in
//! memory, so a line of any length, and a mailbox of any size, never
//! loads into memory.

use std::io::{self, BufRead, Read, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The longest line prefix we classify: 1,024 `>` and `From `. A line with
/// more leading `>` is neither quoted by the writer nor unquoted by the
/// reader, so the round trip stays exact.
pub const PREFIX_MAX: usize = 1024 + 5;

/// What a line is, judged by its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    /// `From ...`: a message separator in an mbox.
    From,
    /// `>From`, `>>From` ...: a quoted line.
    Quoted,
    /// Anything else.
    Other,
}

/// Classifies a line from its first bytes (up to [`PREFIX_MAX`], or the
/// whole line if shorter).
pub(crate) fn classify(prefix: &[u8]) -> LineKind {
    if prefix.starts_with(b"From ") {
        return LineKind::From;
    }
    let quotes = prefix.iter().take_while(|b| **b == b'>').count();
    if quotes > 0
        && quotes <= 1024
        && prefix
            .get(quotes..)
            .is_some_and(|r| r.starts_with(b"From "))
    {
        LineKind::Quoted
    } else {
        LineKind::Other
    }
}

/// Reads the start of the next line (up to [`PREFIX_MAX`] bytes, or up to
/// and including its `\n`) into `prefix`. Returns whether the line ended
/// (the prefix holds its `\n`).
fn read_prefix(r: &mut impl BufRead, prefix: &mut Vec<u8>) -> io::Result<bool> {
    prefix.clear();
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(false);
        }
        let room = PREFIX_MAX - prefix.len();
        let take = buf.len().min(room);
        let slice = buf.get(..take).unwrap_or_default();
        if let Some(nl) = slice.iter().position(|b| *b == b'\n') {
            prefix.extend_from_slice(slice.get(..=nl).unwrap_or_default());
            r.consume(nl + 1);
            return Ok(true);
        }
        prefix.extend_from_slice(slice);
        r.consume(take);
        if prefix.len() >= PREFIX_MAX {
            return Ok(false);
        }
    }
}

/// Copies the rest of the current line (through its `\n`) from `r` to
/// `out`, returning how many bytes it was.
fn copy_rest_of_line(r: &mut impl BufRead, out: &mut impl Write) -> io::Result<u64> {
    let mut n = 0u64;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(n);
        }
        match buf.iter().position(|b| *b == b'\n') {
            Some(nl) => {
                out.write_all(buf.get(..=nl).unwrap_or_default())?;
                r.consume(nl + 1);
                return Ok(n + nl as u64 + 1);
            }
            None => {
                let len = buf.len();
                out.write_all(buf)?;
                r.consume(len);
                n += len as u64;
            }
        }
    }
}

/// Writes `message` to `out` with mboxrd quoting and returns the number of
/// bytes written and whether the message ended with a newline (an empty
/// message counts as ending with one).
pub(crate) fn write_quoted(message: impl Read, out: &mut impl Write) -> io::Result<(u64, bool)> {
    let mut r = io::BufReader::with_capacity(64 * 1024, message);
    let mut prefix = Vec::with_capacity(PREFIX_MAX);
    let mut written = 0u64;
    let mut last = None;
    loop {
        let ended = read_prefix(&mut r, &mut prefix)?;
        if prefix.is_empty() {
            return Ok((written, last.is_none_or(|b| b == b'\n')));
        }
        if classify(&prefix) != LineKind::Other {
            out.write_all(b">")?;
            written += 1;
        }
        out.write_all(&prefix)?;
        written += prefix.len() as u64;
        last = prefix.last().copied();
        if !ended {
            let mut tail = LastByte {
                out: &mut *out,
                last: None,
            };
            written += copy_rest_of_line(&mut r, &mut tail)?;
            if tail.last.is_some() {
                last = tail.last;
            }
        }
    }
}

/// A writer that remembers the last byte written through it.
struct LastByte<'a, W> {
    out: &'a mut W,
    last: Option<u8>,
}

impl<W: Write> Write for LastByte<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        if let Some(b) = buf.get(..n).and_then(|b| b.last()) {
            self.last = Some(*b);
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Formats the `From ` line: `From <sender> <asctime date in UTC>\n`
/// (mbox(5): an empty sender becomes `MAILER-DAEMON`; spaces, tabs and
/// newlines in it become hyphens).
pub(crate) fn from_line(sender: &str, date: SystemTime) -> String {
    let sender: String = if sender.is_empty() {
        "MAILER-DAEMON".to_owned()
    } else {
        sender
            .chars()
            .map(|c| {
                if c.is_whitespace() || c.is_control() {
                    '-'
                } else {
                    c
                }
            })
            .collect()
    };
    format!("From {sender} {}\n", asctime(date))
}

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Www Mmm dd hh:mm:ss yyyy` (exactly 24 characters) in UTC.
pub(crate) fn asctime(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        DAYS.get((days % 7) as usize).unwrap_or(&"Thu"),
        MONTHS.get(m as usize - 1).unwrap_or(&"Jan"),
        d,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        y
    )
}

/// Parses the asctime date at the end of a `From ` line (the part after
/// the sender), as UTC. `None` if it is not there.
pub(crate) fn parse_from_line_date(line: &[u8]) -> Option<SystemTime> {
    let text = std::str::from_utf8(line).ok()?.trim_end();
    let rest = text.strip_prefix("From ")?;
    let (_, date) = rest.split_once(' ')?;
    let mut f = date.split_whitespace();
    let _day = f.next()?;
    let mon = f.next()?;
    let mday: u64 = f.next()?.parse().ok()?;
    let time = f.next()?;
    let year: u64 = f.next()?.parse().ok()?;
    let month = MONTHS.iter().position(|m| *m == mon)? as u64 + 1;
    let mut hms = time.split(':');
    let h: u64 = hms.next()?.parse().ok()?;
    let mi: u64 = hms.next()?.parse().ok()?;
    let s: u64 = hms.next().unwrap_or("0").parse().ok()?;
    if !(1970..=9999).contains(&year) || !(1..=31).contains(&mday) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(year, month, mday);
    Some(UNIX_EPOCH + Duration::from_secs(days * 86_400 + h * 3600 + mi * 60 + s))
}

/// Days since 1970-01-01 to (year, month 1-12, day 1-31). The algorithm is
/// the well-known proleptic Gregorian conversion by eras of 400 years.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).saturating_sub(719_468)
}

/// One message found by [`scan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scanned {
    /// Offset of the `From ` line.
    pub from_offset: u64,
    /// Offset of the first byte after the `From ` line.
    pub body_offset: u64,
    /// Bytes of the quoted body (without the blank separator line).
    pub body_len: u64,
    /// Size after unquoting.
    pub size: u64,
    /// The date of the `From ` line.
    pub date: Option<SystemTime>,
}

/// Walks an mbox from `start` (which must be at a `From ` line or the end)
/// and reports its messages. Bytes before the first `From ` line are
/// skipped. Reads the stream once, line by line.
pub(crate) fn scan(r: impl Read, start: u64) -> io::Result<Vec<Scanned>> {
    let mut r = io::BufReader::with_capacity(64 * 1024, r);
    let mut prefix = Vec::with_capacity(PREFIX_MAX);
    let mut pos = start;
    let mut out: Vec<Scanned> = Vec::new();
    let mut current: Option<Scanned> = None;
    let mut last_line_blank = false;
    let mut sink = io::sink();
    loop {
        let line_start = pos;
        let ended = read_prefix(&mut r, &mut prefix)?;
        if prefix.is_empty() {
            break;
        }
        let mut len = prefix.len() as u64;
        if !ended {
            len += copy_rest_of_line(&mut r, &mut sink)?;
        }
        pos += len;
        let kind = classify(&prefix);
        if kind == LineKind::From {
            if let Some(mut m) = current.take() {
                finish(&mut m, line_start, last_line_blank);
                out.push(m);
            }
            current = Some(Scanned {
                from_offset: line_start,
                body_offset: pos,
                body_len: 0,
                size: 0,
                date: parse_from_line_date(&prefix),
            });
            last_line_blank = false;
            continue;
        }
        if let Some(m) = current.as_mut() {
            // `size` counts unquoted bytes; `finish` takes the blank
            // separator line off again.
            m.size += len - u64::from(kind == LineKind::Quoted);
        }
        last_line_blank = prefix.as_slice() == b"\n";
    }
    if let Some(mut m) = current.take() {
        finish(&mut m, pos, last_line_blank);
        out.push(m);
    }
    Ok(out)
}

fn finish(m: &mut Scanned, end: u64, last_line_blank: bool) {
    let mut body_end = end;
    if last_line_blank && body_end > m.body_offset {
        body_end -= 1;
        m.size = m.size.saturating_sub(1);
    }
    m.body_len = body_end - m.body_offset;
}

/// Undoes mboxrd quoting on a stream: `Read` over the original message.
#[derive(Debug)]
pub(crate) struct Unquote<R> {
    r: R,
    at_line_start: bool,
    pending: Vec<u8>,
    pending_pos: usize,
}

impl<R: BufRead> Unquote<R> {
    pub fn new(r: R) -> Self {
        Unquote {
            r,
            at_line_start: true,
            pending: Vec::with_capacity(PREFIX_MAX),
            pending_pos: 0,
        }
    }
}

impl<R: BufRead> Read for Unquote<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.pending_pos < self.pending.len() {
                let avail = self.pending.get(self.pending_pos..).unwrap_or_default();
                let n = avail.len().min(out.len());
                out.get_mut(..n)
                    .unwrap_or_default()
                    .copy_from_slice(avail.get(..n).unwrap_or_default());
                self.pending_pos += n;
                return Ok(n);
            }
            if self.at_line_start {
                let ended = read_prefix(&mut self.r, &mut self.pending)?;
                if self.pending.is_empty() {
                    return Ok(0);
                }
                self.pending_pos = usize::from(classify(&self.pending) == LineKind::Quoted);
                self.at_line_start = ended;
                continue;
            }
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                return Ok(0);
            }
            let line_end = buf.iter().position(|b| *b == b'\n').map(|i| i + 1);
            let n = line_end.unwrap_or(buf.len()).min(out.len());
            out.get_mut(..n)
                .unwrap_or_default()
                .copy_from_slice(buf.get(..n).unwrap_or_default());
            self.r.consume(n);
            if line_end == Some(n) {
                self.at_line_start = true;
            }
            return Ok(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quote(m: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_quoted(m, &mut out).unwrap();
        out
    }

    fn unquote(m: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        Unquote::new(m).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn round_trip() {
        let msg =
            b"Subject: x\n\nFrom here\n>From there\n>>From far\n>not from\nFrom\nFrom  two\nlast"
                .as_slice();
        let q = quote(msg);
        assert_eq!(
            q,
            b"Subject: x\n\n>From here\n>>From there\n>>>From far\n>not from\nFrom\n>From  two\nlast".as_slice()
        );
        assert_eq!(unquote(&q), msg);
    }

    #[test]
    fn long_lines_and_many_quotes() {
        let mut msg = vec![b'a'; 100_000];
        msg.extend_from_slice(b"\nFrom x\n");
        msg.extend(std::iter::repeat_n(b'>', 2000));
        msg.extend_from_slice(b"From y\n");
        assert_eq!(unquote(&quote(&msg)), msg);
    }

    #[test]
    fn dates() {
        let t = UNIX_EPOCH + Duration::from_secs(820_631_134); // 1996-01-03 01:05:34
        assert_eq!(asctime(t), "Wed Jan  3 01:05:34 1996");
        assert_eq!(
            parse_from_line_date(b"From god@heaven.af.mil Wed Jan  3 01:05:34 1996\n"),
            Some(t)
        );
        assert_eq!(
            from_line("", t),
            "From MAILER-DAEMON Wed Jan  3 01:05:34 1996\n"
        );
        assert_eq!(from_line("a b", t), "From a-b Wed Jan  3 01:05:34 1996\n");
        assert_eq!(parse_from_line_date(b"From x garbage\n"), None);
    }

    #[test]
    fn scanning() {
        let mbox = b"junk\nFrom a Wed Jan  3 01:05:34 1996\nS: 1\n\n>From q\n\nFrom b Wed Jan  3 01:05:34 1996\nS: 2\n";
        let m = scan(&mbox[..], 0).unwrap();
        assert_eq!(m.len(), 2);
        let body1 = &mbox[m[0].body_offset as usize..(m[0].body_offset + m[0].body_len) as usize];
        assert_eq!(body1, b"S: 1\n\n>From q\n");
        assert_eq!(m[0].size, 13);
        let body2 = &mbox[m[1].body_offset as usize..(m[1].body_offset + m[1].body_len) as usize];
        assert_eq!(body2, b"S: 2\n");
        assert_eq!(m[1].from_offset, 52);
    }
}
