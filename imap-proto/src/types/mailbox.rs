//! Mailbox names: INBOX, modified UTF-7 (RFC 3501 section 5.1.3) and
//! UTF-8 names (RFC 9051 section 5.1, RFC 6855).

use crate::error::InvalidValue;

/// A mailbox name, held as Unicode text. On the wire it is modified UTF-7
/// unless UTF-8 was enabled (`ENABLE UTF8=ACCEPT` or IMAP4rev2); the
/// parser decodes and the serializer encodes according to that setting.
///
/// `INBOX` is case-insensitive (RFC 3501 section 5.1): any spelling parses
/// to [`Mailbox::Inbox`], which is written as `INBOX`.
///
/// # Examples
///
/// ```
/// use imap_proto::types::Mailbox;
/// assert_eq!(Mailbox::new("inbox").unwrap(), Mailbox::Inbox);
/// assert_eq!(Mailbox::new("Entwürfe").unwrap().as_str(), "Entwürfe");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mailbox {
    /// The INBOX, in any letter case.
    Inbox,
    /// Any other name (may be empty: the `""` reference of LIST).
    Other(String),
}

impl Mailbox {
    /// A mailbox from its Unicode name. NUL, CR and LF are refused.
    pub fn new(name: impl Into<String>) -> Result<Self, InvalidValue> {
        let name = name.into();
        if name.bytes().any(|b| matches!(b, 0 | b'\r' | b'\n')) {
            return Err(InvalidValue::new("mailbox name"));
        }
        Ok(Self::from_name(name))
    }

    pub(crate) fn from_name(name: String) -> Self {
        if name.eq_ignore_ascii_case("INBOX") {
            Mailbox::Inbox
        } else {
            Mailbox::Other(name)
        }
    }

    /// The Unicode name (`INBOX` for the inbox).
    pub fn as_str(&self) -> &str {
        match self {
            Mailbox::Inbox => "INBOX",
            Mailbox::Other(s) => s,
        }
    }
}

/// A LIST/LSUB pattern (`list-mailbox`): a mailbox name that may hold the
/// wildcards `*` and `%` (RFC 3501 section 6.3.8). Unicode, like [`Mailbox`].
///
/// # Examples
///
/// ```
/// use imap_proto::types::ListMailbox;
/// assert_eq!(ListMailbox::new("INBOX.%").unwrap().as_str(), "INBOX.%");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListMailbox(String);

impl ListMailbox {
    /// A pattern from its Unicode text. NUL, CR and LF are refused.
    pub fn new(s: impl Into<String>) -> Result<Self, InvalidValue> {
        let s = s.into();
        if s.bytes().any(|b| matches!(b, 0 | b'\r' | b'\n')) {
            return Err(InvalidValue::new("list-mailbox"));
        }
        Ok(ListMailbox(s))
    }

    pub(crate) fn from_valid(s: String) -> Self {
        ListMailbox(s)
    }

    /// The pattern's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

fn b64_value(b: u8) -> Option<u32> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b',' => 63,
        _ => return None,
    } as u32)
}

/// Encodes a Unicode mailbox name in modified UTF-7 (RFC 3501 section 5.1.3).
///
/// # Examples
///
/// ```
/// use imap_proto::types::encode_utf7;
/// assert_eq!(encode_utf7("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
/// assert_eq!(encode_utf7("A&B"), "A&-B");
/// ```
pub fn encode_utf7(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending: Vec<u16> = Vec::new();
    for c in s.chars() {
        if (' '..='~').contains(&c) {
            flush_utf7(&mut out, &mut pending);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush_utf7(&mut out, &mut pending);
    out
}

fn flush_utf7(out: &mut String, pending: &mut Vec<u16>) {
    if pending.is_empty() {
        return;
    }
    out.push('&');
    let mut bits: u32 = 0;
    let mut nbits = 0;
    for unit in pending.drain(..) {
        bits = (bits << 16) | unit as u32;
        nbits += 16;
        while nbits >= 6 {
            nbits -= 6;
            out.push(B64[((bits >> nbits) & 0x3f) as usize] as char);
        }
    }
    if nbits > 0 {
        out.push(B64[((bits << (6 - nbits)) & 0x3f) as usize] as char);
    }
    out.push('-');
}

/// Decodes a modified UTF-7 mailbox name. Fails on a byte outside
/// printable US-ASCII, a bad base64 run, or an unpaired surrogate.
///
/// # Examples
///
/// ```
/// use imap_proto::types::decode_utf7;
/// assert_eq!(decode_utf7(b"&U,BTFw-").unwrap(), "台北");
/// assert!(decode_utf7(b"&U,BTFw").is_err());
/// ```
pub fn decode_utf7(b: &[u8]) -> Result<String, InvalidValue> {
    let err = || InvalidValue::new("modified UTF-7 mailbox name");
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'&' {
            let rest = &b[i + 1..];
            let end = rest.iter().position(|&x| x == b'-').ok_or_else(err)?;
            let run = &rest[..end];
            if run.is_empty() {
                out.push('&');
            } else {
                let mut units: Vec<u16> = Vec::with_capacity(run.len() * 6 / 16);
                let mut bits: u32 = 0;
                let mut nbits = 0;
                for &x in run {
                    bits = (bits << 6) | b64_value(x).ok_or_else(err)?;
                    nbits += 6;
                    if nbits >= 16 {
                        nbits -= 16;
                        units.push(((bits >> nbits) & 0xffff) as u16);
                    }
                }
                if nbits >= 6 || (bits & ((1 << nbits) - 1)) != 0 {
                    return Err(err());
                }
                let s = String::from_utf16(&units).map_err(|_| err())?;
                // A run that encodes printable ASCII is not the canonical
                // form; accept it anyway (servers in the wild do).
                out.push_str(&s);
            }
            i += end + 2;
        } else if (0x20..=0x7e).contains(&c) {
            out.push(c as char);
            i += 1;
        } else {
            return Err(err());
        }
    }
    Ok(out)
}
