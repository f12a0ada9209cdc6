//! Bytes to types. Sessions frame lines first (a line ends at LF, CR
//! before it is dropped) and these functions parse one whole line without
//! its line end. Multi-line bodies are undone as they stream by with
//! [`Unstuffer`].

mod unstuff;

pub use unstuff::{Unstuffed, Unstuffer};

use crate::types::{Capability, Command, RespCode, Response, Secret, Status, UniqueId};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// Why a command line did not parse. Either way the server answers `-ERR`
/// (RFC 1939 section 3) and counts a bad command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandError {
    /// The keyword is not a command this crate knows.
    Unknown,
    /// The keyword is known but its arguments are wrong.
    Syntax(crate::CommandKind),
}

/// Parses one command line, without its CRLF.
///
/// # Examples
///
/// ```
/// use pop3_proto::{parse, Command};
/// assert_eq!(parse::command(b"retr 1"), Ok(Command::Retr { msg: 1 }));
/// assert!(parse::command(b"RETR").is_err());
/// ```
pub fn command(line: &[u8]) -> Result<Command, CommandError> {
    use crate::CommandKind as K;
    let (keyword, rest) = match memchr::memchr(b' ', line) {
        Some(i) => (&line[..i], line.get(i + 1..).unwrap_or_default()),
        None => (line, &b""[..]),
    };
    if !(3..=4).contains(&keyword.len()) {
        return Err(CommandError::Unknown);
    }
    let mut kw = [0u8; 4];
    for (d, s) in kw.iter_mut().zip(keyword) {
        *d = s.to_ascii_uppercase();
    }
    let kw = &kw[..keyword.len()];
    // PASS keeps its whole remainder: RFC 1939 section 7 lets a server
    // treat spaces as part of the password.
    if kw == b"PASS" {
        let ok = !rest.is_empty()
            && std::str::from_utf8(rest).is_ok_and(|s| !s.chars().any(char::is_control));
        return match std::str::from_utf8(rest) {
            Ok(p) if ok => Ok(Command::Pass {
                password: Secret::new(p.to_string()),
            }),
            _ => Err(CommandError::Syntax(K::Pass)),
        };
    }
    let args: Vec<&[u8]> = rest
        .split(|&b| b == b' ')
        .filter(|a| !a.is_empty())
        .collect();
    let printable = args
        .iter()
        .all(|a| a.iter().all(|b| (0x21..=0x7e).contains(b)));
    let text = |a: &[u8]| String::from_utf8_lossy(a).into_owned();
    let cmd = match kw {
        b"USER" => match args.as_slice() {
            [name] if printable => Some(Command::User { name: text(name) }),
            _ => return Err(CommandError::Syntax(K::User)),
        },
        b"APOP" => match args.as_slice() {
            [name, digest] if printable => Some(Command::Apop {
                name: text(name),
                digest: text(digest),
            }),
            _ => return Err(CommandError::Syntax(K::Apop)),
        },
        b"QUIT" => args.is_empty().then_some(Command::Quit),
        b"STAT" => args.is_empty().then_some(Command::Stat),
        b"NOOP" => args.is_empty().then_some(Command::Noop),
        b"RSET" => args.is_empty().then_some(Command::Rset),
        b"CAPA" => args.is_empty().then_some(Command::Capa),
        b"STLS" => args.is_empty().then_some(Command::Stls),
        b"LIST" => optional_number(&args).map(|msg| Command::List { msg }),
        b"UIDL" => optional_number(&args).map(|msg| Command::Uidl { msg }),
        b"RETR" => match args.as_slice() {
            [n] => number(n).map(|msg| Command::Retr { msg }),
            _ => None,
        },
        b"DELE" => match args.as_slice() {
            [n] => number(n).map(|msg| Command::Dele { msg }),
            _ => None,
        },
        b"TOP" => match args.as_slice() {
            [n, l] => number(n)
                .zip(number(l))
                .map(|(msg, lines)| Command::Top { msg, lines }),
            _ => None,
        },
        b"AUTH" => match args.as_slice() {
            [mech] if printable => Some(Command::Auth {
                mechanism: text(mech).to_ascii_uppercase(),
                initial_response: None,
            }),
            [mech, ir] if printable => sasl_initial(ir).map(|ir| Command::Auth {
                mechanism: text(mech).to_ascii_uppercase(),
                initial_response: Some(Secret::new(ir)),
            }),
            _ => None,
        },
        _ => return Err(CommandError::Unknown),
    };
    // The keyword was known: a `None` is an argument error.
    cmd.ok_or_else(|| CommandError::Syntax(keyword_kind(kw)))
}

fn keyword_kind(kw: &[u8]) -> crate::CommandKind {
    use crate::CommandKind as K;
    match kw {
        b"QUIT" => K::Quit,
        b"STAT" => K::Stat,
        b"NOOP" => K::Noop,
        b"RSET" => K::Rset,
        b"CAPA" => K::Capa,
        b"STLS" => K::Stls,
        b"LIST" => K::List,
        b"UIDL" => K::Uidl,
        b"RETR" => K::Retr,
        b"DELE" => K::Dele,
        b"TOP" => K::Top,
        _ => K::Auth,
    }
}

fn number(arg: &[u8]) -> Option<u32> {
    if arg.is_empty() || arg.len() > 10 || !arg.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(arg).ok()?.parse().ok()
}

fn optional_number(args: &[&[u8]]) -> Option<Option<u32>> {
    match args {
        [] => Some(None),
        [n] => number(n).map(Some),
        _ => None,
    }
}

fn sasl_initial(arg: &[u8]) -> Option<Vec<u8>> {
    if arg == b"=" {
        Some(Vec::new())
    } else {
        BASE64.decode(arg).ok()
    }
}

/// A client's line during a SASL exchange (RFC 5034 section 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaslLine {
    /// `*`: the client cancels the exchange.
    Cancel,
    /// The decoded response.
    Data(Secret<Vec<u8>>),
}

/// Parses a client's SASL response line. Base64 is decoded strictly: any
/// character outside the alphabet, or misplaced padding, is an error.
pub fn sasl_line(line: &[u8]) -> Option<SaslLine> {
    if line == b"*" {
        return Some(SaslLine::Cancel);
    }
    BASE64
        .decode(line)
        .ok()
        .map(|d| SaslLine::Data(Secret::new(d)))
}

/// What a server sent, seen from the client: a status line or a SASL
/// challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerLine {
    /// `+OK ...` or `-ERR ...`.
    Response(Response),
    /// `+ base64`: the decoded challenge.
    Challenge(Vec<u8>),
}

/// Parses one server line (status response or SASL challenge), without
/// its CRLF.
///
/// # Examples
///
/// ```
/// use pop3_proto::{parse, RespCode};
/// let Some(parse::ServerLine::Response(r)) = parse::server_line(b"-ERR [IN-USE] locked") else { panic!() };
/// assert_eq!(r.code(), Some(&RespCode::IN_USE));
/// assert_eq!(r.text(), "locked");
/// ```
pub fn server_line(line: &[u8]) -> Option<ServerLine> {
    if let Some(rest) = line
        .strip_prefix(b"+ ")
        .or_else(|| (line == b"+").then_some(&b""[..]))
    {
        return BASE64.decode(rest).ok().map(ServerLine::Challenge);
    }
    response(line).map(ServerLine::Response)
}

/// Parses a status line (`+OK` / `-ERR`, optional response code, text).
/// Status indicators are matched case-insensitively, as clients should be
/// lenient in what they accept.
pub fn response(line: &[u8]) -> Option<Response> {
    let starts = |p: &[u8]| line.len() >= p.len() && line[..p.len()].eq_ignore_ascii_case(p);
    let (status, rest) = if starts(b"+OK") {
        (Status::Ok, &line[3..])
    } else if starts(b"-ERR") {
        (Status::Err, &line[4..])
    } else {
        return None;
    };
    let rest = match rest.first() {
        None => rest,
        Some(b' ') => &rest[1..],
        // "+OKAY" is not a status indicator followed by text.
        Some(_) => return None,
    };
    let text = String::from_utf8_lossy(rest);
    if text.chars().any(|c| c.is_control()) {
        return None;
    }
    if let Some(inner) = text.strip_prefix('[')
        && let Some((code, after)) = inner.split_once(']')
        && let Ok(code) = RespCode::new(code)
    {
        let after = after.strip_prefix(' ').unwrap_or(after);
        return Some(Response::from_parts(status, Some(code), after.to_string()));
    }
    Some(Response::from_parts(status, None, text.into_owned()))
}

/// Parses one line of a CAPA response body (RFC 2449 section 5).
pub fn capability(line: &[u8]) -> Option<Capability> {
    let text = std::str::from_utf8(line).ok()?;
    let mut words = text.split(' ').filter(|w| !w.is_empty());
    let tag = words.next()?;
    Capability::new(tag, words).ok()
}

/// Parses a scan listing line of LIST, `msg size` (RFC 1939 section 5).
pub fn scan_listing(line: &[u8]) -> Option<(u32, u64)> {
    let text = std::str::from_utf8(line).ok()?;
    let mut words = text.split(' ');
    let msg = words.next()?.parse().ok()?;
    let size = words.next()?.parse().ok()?;
    Some((msg, size))
}

/// Parses a unique-id listing line of UIDL, `msg unique-id` (RFC 1939
/// section 7).
pub fn unique_id_listing(line: &[u8]) -> Option<(u32, UniqueId)> {
    let text = std::str::from_utf8(line).ok()?;
    let mut words = text.split(' ');
    let msg = words.next()?.parse().ok()?;
    let uid = UniqueId::new(words.next()?).ok()?;
    Some((msg, uid))
}

/// Splits off one line from the front of `buf`: the line without CR LF
/// and the number of octets it used, or `None` when no LF is there yet.
pub(crate) fn split_line(buf: &[u8]) -> Option<(&[u8], usize)> {
    let lf = memchr::memchr(b'\n', buf)?;
    let line = &buf[..lf];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some((line, lf + 1))
}
