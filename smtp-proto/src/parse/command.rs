//! Command lines (RFC 5321 4.1.1 and the extensions' commands).

use crate::parse::path;
use crate::types::sasl::base64_decode;
use crate::types::{
    Body, Command, Host, InitialResponse, MailParameters, Mechanism, Notify, Orcpt, Parameter,
    RcptParameters, Ret, Secret,
};

/// Why a command line was not understood. The server session turns each into
/// its RFC reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// No such verb (`500 5.5.2`).
    #[error("command unrecognized")]
    Unrecognized,
    /// A known verb with bad arguments (`501 5.5.4`).
    #[error("syntax error in parameters or arguments")]
    Syntax,
    /// MAIL with a bad reverse-path (`501 5.1.7`).
    #[error("bad sender address syntax")]
    ReversePath,
    /// RCPT with a bad forward-path (`501 5.1.3`).
    #[error("bad recipient address syntax")]
    ForwardPath,
    /// A MAIL/RCPT parameter with a bad value or given twice (`501 5.5.4`).
    #[error("bad or repeated parameter")]
    Parameter,
}

/// Parses one command line, with or without its line end.
///
/// A command line must be UTF-8 (non-ASCII only matters to SMTPUTF8 paths).
/// Verbs and keywords are case-insensitive (RFC 5321 2.4).
///
/// # Examples
///
/// ```
/// use smtp_proto::{parse_command, Command, ReversePath};
/// let cmd = parse_command(b"mail from:<> SIZE=1000\r\n").unwrap();
/// let Command::Mail { reverse_path, parameters } = cmd else { panic!() };
/// assert_eq!(reverse_path, ReversePath::Null);
/// assert_eq!(parameters.size, Some(1000));
/// ```
pub fn parse_command(line: &[u8]) -> Result<Command, CommandError> {
    let line = strip_line_end(line);
    // The verb, then nothing or one space and the arguments. Verbs are
    // short: a plain loop beats a memchr call here. A verb that matches is
    // ASCII, so the line is UTF-8 exactly when its arguments are: only the
    // arguments are checked, and only by the commands that read them.
    let (verb, args) = match line.iter().position(|&b| b == b' ') {
        Some(p) => (
            line.get(..p).unwrap_or(line),
            line.get(p + 1..).unwrap_or(&[]),
        ),
        None => (line, &[][..]),
    };
    match *verb {
        [a, b, c, d] => {
            // Upper-case the four letters at once and compare as integers.
            // Clearing bit 5 maps only `a`-`z` onto `A`-`Z`: no other octet
            // becomes a letter, so a match is all ASCII.
            let v = u32::from_be_bytes([a, b, c, d]) & 0xDFDF_DFDF;
            const fn w(verb: &[u8; 4]) -> u32 {
                u32::from_be_bytes(*verb)
            }
            const MAIL: u32 = w(b"MAIL");
            const RCPT: u32 = w(b"RCPT");
            const DATA: u32 = w(b"DATA");
            const BDAT: u32 = w(b"BDAT");
            const EHLO: u32 = w(b"EHLO");
            const HELO: u32 = w(b"HELO");
            const LHLO: u32 = w(b"LHLO");
            const RSET: u32 = w(b"RSET");
            const NOOP: u32 = w(b"NOOP");
            const QUIT: u32 = w(b"QUIT");
            const VRFY: u32 = w(b"VRFY");
            const EXPN: u32 = w(b"EXPN");
            const HELP: u32 = w(b"HELP");
            const AUTH: u32 = w(b"AUTH");
            match v {
                MAIL => mail(utf8(args)?),
                RCPT => rcpt(utf8(args)?),
                DATA => no_args(args, Command::Data),
                BDAT => bdat(utf8(args)?),
                EHLO => host_arg(utf8(args)?).map(Command::Ehlo),
                HELO => host_arg(utf8(args)?).map(Command::Helo),
                LHLO => host_arg(utf8(args)?).map(Command::Lhlo),
                RSET => no_args(args, Command::Rset),
                NOOP => Ok(Command::Noop(opt_text(args)?)),
                QUIT => no_args(args, Command::Quit),
                VRFY => Ok(Command::Vrfy(opt_text(args)?.ok_or(CommandError::Syntax)?)),
                EXPN => Ok(Command::Expn(opt_text(args)?.ok_or(CommandError::Syntax)?)),
                HELP => Ok(Command::Help(opt_text(args)?)),
                AUTH => auth(utf8(args)?),
                _ => unrecognized(line),
            }
        }
        _ if verb.eq_ignore_ascii_case(b"STARTTLS") => no_args(args, Command::StartTls),
        _ => unrecognized(line),
    }
}

/// A command line must be UTF-8 (`501`) before its verb can be unknown.
fn unrecognized(line: &[u8]) -> Result<Command, CommandError> {
    match std::str::from_utf8(line) {
        Ok(_) => Err(CommandError::Unrecognized),
        Err(_) => Err(CommandError::Syntax),
    }
}

fn utf8(args: &[u8]) -> Result<&str, CommandError> {
    std::str::from_utf8(args).map_err(|_| CommandError::Syntax)
}

/// Drops a trailing LF and the CR before it.
pub(crate) fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn trim_end(s: &str) -> &str {
    s.trim_end_matches([' ', '\t'])
}

fn no_args(args: &[u8], cmd: Command) -> Result<Command, CommandError> {
    if args.iter().all(|&b| b == b' ' || b == b'\t') {
        Ok(cmd)
    } else {
        Err(CommandError::Syntax)
    }
}

fn opt_text(args: &[u8]) -> Result<Option<String>, CommandError> {
    if args.is_empty() {
        return Ok(None);
    }
    let s = trim_end(utf8(args)?);
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().any(|c| c.is_control() && c != '\t') {
        return Err(CommandError::Syntax);
    }
    Ok(Some(s.to_owned()))
}

fn host_arg(args: &str) -> Result<Host, CommandError> {
    let args = trim_end(args);
    match path::host(args) {
        Some((h, n)) if n == args.len() => Ok(h),
        _ => Err(CommandError::Syntax),
    }
}

/// Matches a case-insensitive keyword like `FROM:` and the optional spaces
/// some clients put after the colon.
fn keyword<'a>(args: &'a str, kw: &str) -> Option<&'a str> {
    let head = args.get(..kw.len())?;
    if !head.eq_ignore_ascii_case(kw) {
        return None;
    }
    Some(args.get(kw.len()..)?.trim_start_matches(' '))
}

/// Octet classes of `esmtp-param` (RFC 5321 4.1.2): `KEYWORD` for
/// `esmtp-keyword`'s `ALPHA / DIGIT / "-"`, `VALUE` for `esmtp-value`'s
/// `%d33-60 / %d62-126`, plus any octet of a UTF-8 character (RFC 6531 3.3).
const KEYWORD: u8 = 1;
const VALUE: u8 = 2;
static PARAM_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphanumeric() || b == b'-' {
            t[i] = KEYWORD;
        }
        if (b >= 33 && b <= 126 && b != b'=') || b >= 0x80 {
            t[i] |= VALUE;
        }
        i += 1;
    }
    t
};

/// Splits `SP esmtp-param *(SP esmtp-param)` into keyword/value pairs.
fn params(rest: &str) -> impl Iterator<Item = Result<(&str, Option<&str>), CommandError>> {
    // One pass per parameter: the keyword's octets up to `=`, then the
    // value's up to a space. Both are ASCII, so the slices fall on character
    // boundaries.
    let rest = trim_end(rest);
    let mut at = 0;
    std::iter::from_fn(move || {
        let bytes = rest.as_bytes();
        while bytes.get(at) == Some(&b' ') {
            at += 1;
        }
        let start = at;
        let first = *bytes.get(start)?;
        let mut ok = first.is_ascii_alphanumeric();
        while let Some(&b) = bytes.get(at) {
            if b == b' ' || b == b'=' {
                break;
            }
            ok &= PARAM_CLASS[usize::from(b)] & KEYWORD != 0;
            at += 1;
        }
        let kw = rest.get(start..at)?;
        let val = if bytes.get(at) == Some(&b'=') {
            at += 1;
            let v_start = at;
            let (mut class, mut high) = (VALUE, 0u8);
            while let Some(&b) = bytes.get(at) {
                if b == b' ' {
                    break;
                }
                class &= PARAM_CLASS[usize::from(b)];
                high |= b;
                at += 1;
            }
            let v = rest.get(v_start..at)?;
            // Above ASCII, UTF-8 is allowed but not the C1 controls.
            ok &=
                class != 0 && !v.is_empty() && (high < 0x80 || !v.chars().any(|c| c.is_control()));
            Some(v)
        } else {
            None
        };
        Some(if ok {
            Ok((kw, val))
        } else {
            Err(CommandError::Parameter)
        })
    })
}

/// Upper-cases a short word into `buf` for matching against keywords; a
/// word longer than `buf` gives an empty slice, which matches none.
fn upper<'b>(word: &[u8], buf: &'b mut [u8; 16]) -> &'b [u8] {
    match buf.get_mut(..word.len()) {
        Some(out) => {
            // A loop, not a copy then an upper-casing: a few octets do not
            // pay for a call to `memcpy`.
            for (o, &b) in out.iter_mut().zip(word) {
                *o = b.to_ascii_uppercase();
            }
            out
        }
        None => &[],
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T) -> Result<(), CommandError> {
    if slot.is_some() {
        return Err(CommandError::Parameter);
    }
    *slot = Some(value);
    Ok(())
}

fn other_param(
    other: &mut Vec<Parameter>,
    kw: &str,
    val: Option<&str>,
) -> Result<(), CommandError> {
    if other.iter().any(|p| p.keyword().eq_ignore_ascii_case(kw)) {
        return Err(CommandError::Parameter);
    }
    other.push(Parameter::new_unchecked(
        kw.to_owned(),
        val.map(str::to_owned),
    ));
    Ok(())
}

fn mail(args: &str) -> Result<Command, CommandError> {
    let rest = keyword(args, "FROM:").ok_or(CommandError::Syntax)?;
    let (reverse_path, n) = path::reverse_path(rest).ok_or(CommandError::ReversePath)?;
    let rest = rest.get(n..).ok_or(CommandError::ReversePath)?;
    if !rest.is_empty() && !rest.starts_with(' ') {
        return Err(CommandError::ReversePath);
    }
    let mut p = MailParameters::default();
    let mut buf = [0u8; 16];
    for param in params(rest) {
        let (kw, val) = param?;
        match (upper(kw.as_bytes(), &mut buf), val) {
            (b"SIZE", Some(v)) => {
                let n = decimal(v).ok_or(CommandError::Parameter)?;
                set_once(&mut p.size, n)?;
            }
            (b"BODY", Some(v)) => {
                let body = match upper(v.as_bytes(), &mut [0u8; 16]) {
                    b"7BIT" => Body::SevenBit,
                    b"8BITMIME" => Body::EightBitMime,
                    b"BINARYMIME" => Body::BinaryMime,
                    _ => return Err(CommandError::Parameter),
                };
                set_once(&mut p.body, body)?;
            }
            (b"SMTPUTF8", None) => {
                if p.smtputf8 {
                    return Err(CommandError::Parameter);
                }
                p.smtputf8 = true;
            }
            (b"RET", Some(v)) => {
                let ret = match upper(v.as_bytes(), &mut [0u8; 16]) {
                    b"FULL" => Ret::Full,
                    b"HDRS" => Ret::Headers,
                    _ => return Err(CommandError::Parameter),
                };
                set_once(&mut p.ret, ret)?;
            }
            (b"ENVID", Some(v)) if xtext(v) => set_once(&mut p.envid, v.to_owned())?,
            (b"AUTH", Some(v)) if v == "<>" || xtext(v) => set_once(&mut p.auth, v.to_owned())?,
            (b"SIZE" | b"BODY" | b"SMTPUTF8" | b"RET" | b"ENVID" | b"AUTH", _) => {
                return Err(CommandError::Parameter);
            }
            _ => other_param(&mut p.other, kw, val)?,
        }
    }
    Ok(Command::Mail {
        reverse_path,
        parameters: p,
    })
}

fn rcpt(args: &str) -> Result<Command, CommandError> {
    let rest = keyword(args, "TO:").ok_or(CommandError::Syntax)?;
    let (forward_path, n) = path::forward_path(rest).ok_or(CommandError::ForwardPath)?;
    let rest = rest.get(n..).ok_or(CommandError::ForwardPath)?;
    if !rest.is_empty() && !rest.starts_with(' ') {
        return Err(CommandError::ForwardPath);
    }
    let mut p = RcptParameters::default();
    let mut buf = [0u8; 16];
    for param in params(rest) {
        let (kw, val) = param?;
        match (upper(kw.as_bytes(), &mut buf), val) {
            (b"NOTIFY", Some(v)) => set_once(&mut p.notify, notify(v)?)?,
            (b"ORCPT", Some(v)) => {
                let (t, a) = v.split_once(';').ok_or(CommandError::Parameter)?;
                let type_ok =
                    !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                if !type_ok || a.is_empty() || !xtext(a) {
                    return Err(CommandError::Parameter);
                }
                set_once(
                    &mut p.orcpt,
                    Orcpt {
                        addr_type: t.to_owned(),
                        address: a.to_owned(),
                    },
                )?;
            }
            (b"NOTIFY" | b"ORCPT", _) => return Err(CommandError::Parameter),
            _ => other_param(&mut p.other, kw, val)?,
        }
    }
    Ok(Command::Rcpt {
        forward_path,
        parameters: p,
    })
}

fn notify(v: &str) -> Result<Notify, CommandError> {
    if v.eq_ignore_ascii_case("NEVER") {
        return Ok(Notify::Never);
    }
    let (mut success, mut failure, mut delay) = (false, false, false);
    for item in v.as_bytes().split(|&b| b == b',') {
        let flag = match upper(item, &mut [0u8; 16]) {
            b"SUCCESS" => &mut success,
            b"FAILURE" => &mut failure,
            b"DELAY" => &mut delay,
            _ => return Err(CommandError::Parameter),
        };
        if *flag {
            return Err(CommandError::Parameter);
        }
        *flag = true;
    }
    Ok(Notify::On {
        success,
        failure,
        delay,
    })
}

/// `xtext` (RFC 3461 4): printable ASCII except `+` and `=`, and `+XX` hex
/// escapes. UTF-8 is allowed as in RFC 6533's utf-8-addr-xtext.
pub(crate) fn xtext(v: &str) -> bool {
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                let hex = |c: Option<&u8>| {
                    c.is_some_and(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c))
                };
                if !hex(b.get(i + 1)) || !hex(b.get(i + 2)) {
                    return false;
                }
                i += 3;
            }
            b'=' => return false,
            33..=126 | 0x80.. => i += 1,
            _ => return false,
        }
    }
    !b.is_empty()
}

fn decimal(v: &str) -> Option<u64> {
    if v.is_empty() || v.len() > 20 {
        return None;
    }
    v.bytes().try_fold(0u64, |n, b| {
        let d = b.checked_sub(b'0').filter(|d| *d < 10)?;
        n.checked_mul(10)?.checked_add(u64::from(d))
    })
}

fn bdat(args: &str) -> Result<Command, CommandError> {
    let args = trim_end(args);
    let mut words = args.split(' ');
    let size = words.next().and_then(decimal).ok_or(CommandError::Syntax)?;
    let last = match words.next() {
        None => false,
        Some(w) if w.eq_ignore_ascii_case("LAST") => true,
        Some(_) => return Err(CommandError::Syntax),
    };
    if words.next().is_some() {
        return Err(CommandError::Syntax);
    }
    Ok(Command::Bdat { size, last })
}

fn auth(args: &str) -> Result<Command, CommandError> {
    let args = trim_end(args);
    let (mech, resp) = match args.split_once(' ') {
        Some((m, r)) => (m, Some(r)),
        None => (args, None),
    };
    let mechanism = Mechanism::parse(mech).ok_or(CommandError::Syntax)?;
    let initial_response = match resp {
        None => None,
        Some("=") => Some(InitialResponse::Empty),
        Some(r) => Some(InitialResponse::Data(Secret::new(
            base64_decode(r.as_bytes()).ok_or(CommandError::Syntax)?,
        ))),
    };
    Ok(Command::Auth {
        mechanism,
        initial_response,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_grammar() {
        let mail = |params: &str| parse_command(format!("MAIL FROM:<a@b> {params}\r\n").as_bytes());
        for bad in [
            "X=",
            "=1",
            "X==1",
            "X=a=b",
            "X\u{e9}=1",
            "X=\u{85}",
            "X=\u{9f}",
            "X=a\x01",
            "-X=1",
            "SIZE=18446744073709551616",
            "SIZE=1x",
            "SIZE=",
            "BODY=8BITMIMEEEEEEEEEEEEE",
            "BODY=9BIT",
            "RET=NONE",
            "SMTPUTF8=1",
        ] {
            assert_eq!(mail(bad), Err(CommandError::Parameter), "{bad}");
        }
        let Ok(Command::Mail { parameters: p, .. }) =
            mail("size=18446744073709551615 body=binarymime ret=hdrs X-Y=\u{e9}\u{a0}  SMTPUTF8 ")
        else {
            panic!("MAIL with parameters did not parse")
        };
        assert_eq!(p.size, Some(u64::MAX));
        assert_eq!(p.body, Some(Body::BinaryMime));
        assert_eq!(p.ret, Some(Ret::Headers));
        assert!(p.smtputf8);
        assert_eq!(p.other[0].keyword(), "X-Y");
        assert_eq!(p.other[0].value(), Some("\u{e9}\u{a0}"));
        assert_eq!(
            parse_command(b"RCPT TO:<a@b> NOTIFY=success,,delay\r\n"),
            Err(CommandError::Parameter)
        );
        assert_eq!(
            parse_command(b"RCPT TO:<a@b> NOTIFY=DELAY,delay\r\n"),
            Err(CommandError::Parameter)
        );
    }

    #[test]
    fn invalid_utf8_is_a_syntax_error_wherever_it_is() {
        for line in [
            &b"\xff\xfe\xfd\xfc\r\n"[..],
            b"XYZZ \xff\r\n",
            b"DATA \xff\r\n",
            b"STARTTLS \xc3\r\n",
            b"HELP \xc3\r\n",
            b"EHLO \xff.example\r\n",
            b"MAIL FROM:<a@b> XFOO=\xff\r\n",
        ] {
            assert_eq!(parse_command(line), Err(CommandError::Syntax), "{line:?}");
        }
        assert_eq!(parse_command(b"DATA \t \r\n"), Ok(Command::Data));
        assert_eq!(
            parse_command(b"XYZZ \xc3\xa9\r\n"),
            Err(CommandError::Unrecognized)
        );
    }

    #[test]
    fn verbs_and_errors() {
        assert_eq!(parse_command(b"quit\r\n"), Ok(Command::Quit));
        assert_eq!(parse_command(b"StartTLS\r\n"), Ok(Command::StartTls));
        assert_eq!(parse_command(b"QUIT now\r\n"), Err(CommandError::Syntax));
        assert_eq!(parse_command(b"XYZZ\r\n"), Err(CommandError::Unrecognized));
        assert_eq!(parse_command(b"\r\n"), Err(CommandError::Unrecognized));
        assert_eq!(
            parse_command(b"MAIL FROM:<a@b> SIZE=1 SIZE=2\r\n"),
            Err(CommandError::Parameter)
        );
        assert_eq!(
            parse_command(b"MAIL FROM:a@b\r\n"),
            Err(CommandError::ReversePath)
        );
        assert_eq!(
            parse_command(b"RCPT TO:<a@b\r\n"),
            Err(CommandError::ForwardPath)
        );
        assert_eq!(
            parse_command(b"BDAT 10 LAST\r\n"),
            Ok(Command::Bdat {
                size: 10,
                last: true
            })
        );
        assert_eq!(
            parse_command(b"BDAT 99999999999999999999999\r\n"),
            Err(CommandError::Syntax)
        );
        assert_eq!(parse_command(b"NOOP\xff\r\n"), Err(CommandError::Syntax));
        let Ok(Command::Rcpt { parameters, .. }) =
            parse_command(b"RCPT TO:<a@b> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a+40b XFOO=1\r\n")
        else {
            panic!("RCPT with DSN parameters did not parse")
        };
        assert_eq!(
            parameters.notify,
            Some(Notify::On {
                success: true,
                failure: false,
                delay: true
            })
        );
        assert_eq!(
            parameters.orcpt.as_ref().map(|o| o.address.as_str()),
            Some("a+40b")
        );
        assert_eq!(parameters.other.len(), 1);
    }
}
