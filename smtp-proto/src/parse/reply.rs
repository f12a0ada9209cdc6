//! Replies (RFC 5321 4.2), parsed by the client side.

use crate::types::reply::valid_text;
use crate::types::{EnhancedStatus, Reply, ReplyCode};

/// Longest reply line the parser takes, CRLF included. RFC 5321 4.5.3.1.5
/// sets 512; real servers send longer lines, so the parser allows more.
pub const MAX_REPLY_LINE: usize = 4096;
/// Most lines of one reply (long EHLO replies have about twenty).
pub const MAX_REPLY_LINES: usize = 128;

/// Why bytes are not a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// A line that does not start with a reply code, or a continuation line
    /// whose code differs from the first line's.
    #[error("malformed reply line")]
    Syntax,
    /// A line longer than [`MAX_REPLY_LINE`] or more than
    /// [`MAX_REPLY_LINES`] lines.
    #[error("reply too long")]
    TooLong,
}

/// Parses one reply from the start of `input`.
///
/// Returns `Ok(None)` when the reply is not complete yet, or the reply and
/// the number of octets it took. Lines may end in CRLF or a bare LF.
///
/// # Examples
///
/// ```
/// use smtp_proto::parse_reply;
/// let (reply, n) = parse_reply(b"250-mail.example\r\n250 2.0.0 SIZE\r\nrest").unwrap().unwrap();
/// assert_eq!(n, 34);
/// assert_eq!(reply.code().get(), 250);
/// assert_eq!(parse_reply(b"250-partial\r\n"), Ok(None));
/// ```
pub fn parse_reply(input: &[u8]) -> Result<Option<(Reply, usize)>, ReplyError> {
    let mut pos = 0;
    let mut code: Option<u16> = None;
    let mut texts: Vec<&[u8]> = Vec::new();
    loop {
        let rest = &input[pos..];
        let Some(lf) = memchr::memchr(b'\n', rest) else {
            if rest.len() >= MAX_REPLY_LINE {
                return Err(ReplyError::TooLong);
            }
            return Ok(None);
        };
        if lf + 1 > MAX_REPLY_LINE {
            return Err(ReplyError::TooLong);
        }
        let line = crate::parse::command::strip_line_end(&rest[..=lf]);
        pos += lf + 1;
        let digits = line.get(..3).ok_or(ReplyError::Syntax)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(ReplyError::Syntax);
        }
        let n = digits
            .iter()
            .fold(0u16, |a, &d| a * 10 + u16::from(d - b'0'));
        if *code.get_or_insert(n) != n {
            return Err(ReplyError::Syntax);
        }
        let (last, text) = match line.get(3) {
            None => (true, &b""[..]),
            Some(b' ') => (true, &line[4..]),
            Some(b'-') => (false, &line[4..]),
            Some(_) => return Err(ReplyError::Syntax),
        };
        texts.push(text);
        if texts.len() > MAX_REPLY_LINES {
            return Err(ReplyError::TooLong);
        }
        if last {
            break;
        }
    }
    let code = ReplyCode::new(code.unwrap_or(0)).map_err(|_| ReplyError::Syntax)?;
    let enhanced = texts.first().and_then(|t| enhanced_prefix(t, code));
    let lines = texts
        .into_iter()
        .map(|t| {
            let t = match (enhanced, enhanced_prefix(t, code)) {
                (Some((first, _)), Some((this, len))) if first == this => {
                    t.get(len..).unwrap_or(b"")
                }
                _ => t,
            };
            clean_text(t)
        })
        .collect();
    Ok(Some((
        Reply::from_parts(code, enhanced.map(|(e, _)| e), lines),
        pos,
    )))
}

/// `class.subject.detail` followed by a space or the end of the line, where
/// the class is the reply code's first digit (RFC 2034 4). Returns the code
/// and the octets to strip (the space included).
fn enhanced_prefix(text: &[u8], code: ReplyCode) -> Option<(EnhancedStatus, usize)> {
    let class = u8::try_from(code.get() / 100).ok()?;
    if text.first() != Some(&(b'0' + class)) || text.get(1) != Some(&b'.') {
        return None;
    }
    let mut i = 2;
    let num = |i: &mut usize| -> Option<u16> {
        let start = *i;
        while text.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        if *i == start || *i - start > 3 {
            return None;
        }
        std::str::from_utf8(&text[start..*i]).ok()?.parse().ok()
    };
    let subject = num(&mut i)?;
    if text.get(i) != Some(&b'.') {
        return None;
    }
    i += 1;
    let detail = num(&mut i)?;
    let len = match text.get(i) {
        None => i,
        Some(b' ') => i + 1,
        Some(_) => return None,
    };
    Some((EnhancedStatus::new(class, subject, detail).ok()?, len))
}

/// Reply text as a `String`; invalid UTF-8 and control characters become
/// U+FFFD so a peer's junk cannot reach the application's logs raw.
fn clean_text(t: &[u8]) -> String {
    let s = String::from_utf8_lossy(t);
    if valid_text(&s) {
        s.into_owned()
    } else {
        s.chars()
            .map(|c| {
                if c.is_control() && c != '\t' {
                    '\u{fffd}'
                } else {
                    c
                }
            })
            .collect()
    }
}
