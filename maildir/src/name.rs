//! Unique names for new messages, and the parts of a message file name.
//!
//! A file name is `<base>[:<info>]`. The base is the unique name given at
//! delivery and never changes; the info (`2,<flags>`) changes with every
//! flag change. Readers should not parse the base (maildir(5), "HOW A
//! MESSAGE IS READ"), with two conventional exceptions we honour: a size
//! `,S=<bytes>` (Maildir++, "Delivering to a Maildir++") and the leading
//! delivery time, used only to order UID assignment.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::Flags;

/// Deliveries made by this process: the `Q` part of a unique name.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Makes a new unique name `<secs>.M<usecs>P<pid>Q<n>.<host>`.
///
/// This is the "modern delivery identifier" of
/// <https://cr.yp.to/proto/maildir.html>: seconds and microseconds from the
/// same clock reading, the process id and a per-process counter (so two
/// deliveries by one process in one microsecond differ), then the host
/// name with `/` written `\057` and `:` written `\072`. We also write `,`
/// as `\054`, because a comma starts the `,S=` field.
///
/// # Examples
///
/// ```
/// let a = maildir::unique_name();
/// let b = maildir::unique_name();
/// assert_ne!(a, b);
/// assert!(!a.contains(':') && !a.contains('/') && !a.starts_with('.'));
/// ```
pub fn unique_name() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{}.M{}P{}Q{}.{}",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        n,
        hostname()
    )
}

/// The escaped host name, read once per process.
pub(crate) fn hostname() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| escape_host(&raw_hostname()))
}

fn raw_hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most
    // that many bytes and we stop at the first NUL or the end.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "localhost".to_owned();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    let name = String::from_utf8_lossy(buf.get(..end).unwrap_or_default()).into_owned();
    if name.is_empty() {
        "localhost".to_owned()
    } else {
        name
    }
}

/// Escapes the characters a host name must not bring into a unique name.
pub(crate) fn escape_host(host: &str) -> String {
    let mut out = String::with_capacity(host.len());
    for c in host.chars() {
        match c {
            '/' => out.push_str("\\057"),
            ':' => out.push_str("\\072"),
            ',' => out.push_str("\\054"),
            c if c.is_control() => out.push_str(&format!("\\{:03o}", u32::from(c) & 0o377)),
            c => out.push(c),
        }
    }
    out
}

/// A message file name split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileName<'a> {
    /// The unique base name (before the first `:`).
    pub base: &'a str,
    /// The flags from a `2,` info part.
    pub flags: Flags,
    /// Dovecot's non-standard fields after the flags (`,` and what
    /// follows), or a whole info part of another version, kept verbatim.
    pub extra: Option<&'a str>,
}

impl<'a> FileName<'a> {
    /// Splits a file name. Returns `None` for names a reader must skip:
    /// empty, or starting with a dot (maildir(5)), or holding a newline,
    /// which no deliverer makes and which the UID list, a name a line,
    /// cannot hold.
    pub fn parse(name: &'a str) -> Option<FileName<'a>> {
        if name.is_empty() || name.starts_with('.') || name.contains('\n') {
            return None;
        }
        let (base, info) = match name.split_once(':') {
            Some((b, i)) => (b, Some(i)),
            None => (name, None),
        };
        if base.is_empty() {
            return None;
        }
        let (flags, extra) = match info {
            None => (Flags::empty(), None),
            Some(info) => match info.strip_prefix("2,") {
                Some(rest) => match rest.split_once(',') {
                    Some((letters, _)) => (Flags::from_info(letters), rest.get(letters.len()..)),
                    None => (Flags::from_info(rest), None),
                },
                None => (Flags::empty(), None),
            },
        };
        Some(FileName { base, flags, extra })
    }
}

/// Builds the name of a file in `cur/`: `<base>:2,<flags>[<extra>]`.
pub(crate) fn cur_name(base: &str, flags: Flags, extra: Option<&str>) -> String {
    format!("{base}:2,{flags}{}", extra.unwrap_or(""))
}

/// The base of a message file name: all before the first `:`, which
/// starts the info part (maildir(5)).
pub(crate) fn base_of(name: &str) -> &str {
    match memchr::memchr(b':', name.as_bytes()) {
        Some(i) => name.get(..i).unwrap_or(name),
        None => name,
    }
}

/// The size recorded in the base as `,S=<bytes>`, if any.
pub(crate) fn size_from_base(base: &str) -> Option<u64> {
    base.split(',').skip(1).find_map(|field| {
        let digits = field.strip_prefix("S=")?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    })
}

/// The size with CRLF line ends recorded as `,W=<bytes>` (Dovecot): the
/// first such field after the unique part. One pass over the bytes (a
/// FETCH RFC822.SIZE asks this of every message).
pub(crate) fn vsize_from_base(base: &str) -> Option<u64> {
    let b = base.as_bytes();
    let mut at = b.iter().position(|&c| c == b',')?;
    loop {
        let rest = b.get(at + 1..)?;
        let end = rest.iter().position(|&c| c == b',').unwrap_or(rest.len());
        if let Some(digits) = rest.get(..end).and_then(|f| f.strip_prefix(b"W="))
            && !digits.is_empty()
            && digits.len() <= 20
        {
            let mut v: u64 = 0;
            let mut ok = true;
            for &d in digits {
                match v
                    .checked_mul(10)
                    .and_then(|x| x.checked_add(u64::from(d.wrapping_sub(b'0'))))
                {
                    Some(x) if d.is_ascii_digit() => v = x,
                    _ => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                return Some(v);
            }
        }
        if end == rest.len() {
            return None;
        }
        at += 1 + end;
    }
}

/// The order in which bases without a UID get one: delivery seconds, then
/// microseconds (from an `M` field), then the name itself.
pub(crate) fn delivery_order_key(base: &str) -> (u64, u32, &str) {
    let mut parts = base.splitn(3, '.');
    let secs = parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(u64::MAX);
    let usecs = parts
        .next()
        .and_then(|id| id.strip_prefix('M'))
        .map(|rest| {
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            rest.get(..end).and_then(|d| d.parse().ok()).unwrap_or(0)
        })
        .unwrap_or(0);
    (secs, usecs, base)
}

#[cfg(test)]
mod vsize_tests {
    use super::vsize_from_base;
    use proptest::prelude::*;

    /// The field-by-field reading the one-pass parser must agree with.
    fn by_fields(base: &str) -> Option<u64> {
        base.split(',').skip(1).find_map(|field| {
            let digits = field.strip_prefix("W=")?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            digits.parse().ok()
        })
    }

    #[test]
    fn examples() {
        assert_eq!(vsize_from_base("1.M2P3.h,S=10,W=12"), Some(12));
        assert_eq!(vsize_from_base("1.M2P3.h,W=x,W=7"), Some(7));
        assert_eq!(vsize_from_base("1.M2P3.h,W=,S=1"), None);
        assert_eq!(vsize_from_base("1.M2P3.h,W=99999999999999999999999"), None);
        assert_eq!(vsize_from_base("W=5"), None);
    }

    proptest! {
        #[test]
        fn same_as_by_fields(base in "[0-9a-zA-Z.,=W]{0,40}") {
            prop_assert_eq!(vsize_from_base(&base), by_fields(&base));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_names() {
        let n = FileName::parse("1234.M5P6.host,S=42:2,FS").unwrap();
        assert_eq!(n.base, "1234.M5P6.host,S=42");
        assert_eq!(n.flags.to_string(), "FS");
        assert_eq!(size_from_base(n.base), Some(42));
        let n = FileName::parse("1234.M5P6.host:2,Sab,W=7").unwrap();
        assert_eq!(n.flags.to_string(), "Sab");
        assert_eq!(n.extra, Some(",W=7"));
        assert_eq!(
            cur_name(n.base, Flags::from_info("R"), n.extra),
            "1234.M5P6.host:2,R,W=7"
        );
        assert!(FileName::parse(".hidden").is_none());
        assert!(FileName::parse(":2,S").is_none());
        assert_eq!(FileName::parse("x:1,abc").unwrap().flags, Flags::empty());
        assert_eq!(size_from_base("1.2.h,S=x"), None);
    }

    #[test]
    fn host_escaping() {
        assert_eq!(escape_host("a/b:c,d"), "a\\057b\\072c\\054d");
    }

    #[test]
    fn order() {
        let mut v = ["20.M5P1.h", "3.M900P1.h", "20.M40P1.h", "junk"];
        v.sort_by_key(|b| delivery_order_key(b));
        assert_eq!(v, ["3.M900P1.h", "20.M5P1.h", "20.M40P1.h", "junk"]);
    }
}
