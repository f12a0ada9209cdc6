//! Grammar of paths and mailboxes (RFC 5321 4.1.2 and 4.1.3, with RFC 6531
//! 3.3's UTF-8 extensions). Each function reads a prefix of its input and
//! returns the value and the number of octets it took, or `None`.
//!
//! The input is always a `str`'s bytes, so an octet of 0x80 or more is part of
//! a valid UTF-8 character: it is accepted where RFC 6531 allows
//! `UTF8-non-ascii`, and the session refuses non-ASCII paths when SMTPUTF8 is
//! not in effect.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::types::text::Text;
use crate::types::{AddressLiteral, Domain, ForwardPath, Host, Mailbox, ReversePath};

/// Octet classes, looked up instead of compared: `LET_DIG` is a letter, a
/// digit or (RFC 6531) an octet of a UTF-8 character; `ATEXT` is RFC 5322
/// `atext` plus UTF-8.
const LET_DIG: u8 = 1;
const ATEXT: u8 = 2;
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphanumeric() || b >= 0x80 {
            t[i] = LET_DIG | ATEXT;
        } else if matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'/'
                | b'='
                | b'?'
                | b'^'
                | b'_'
                | b'`'
                | b'{'
                | b'|'
                | b'}'
                | b'~'
        ) {
            t[i] = ATEXT;
        }
        i += 1;
    }
    t
};

#[inline]
fn let_dig(b: u8) -> bool {
    CLASS[usize::from(b)] & LET_DIG != 0
}

/// RFC 5321 `atext` (RFC 5322 3.2.3) plus UTF-8.
#[inline]
fn atext(b: u8) -> bool {
    CLASS[usize::from(b)] & ATEXT != 0
}

/// `Domain = sub-domain *("." sub-domain)` with `sub-domain = Let-dig
/// [Ldh-str]`, in one pass; returns the octets taken. A label may not end
/// in a hyphen; a dot not followed by a label ends the domain before it.
pub(crate) fn domain_len(input: &[u8]) -> Option<usize> {
    let mut i = 0;
    let mut label_start = 0;
    loop {
        while input.get(i).is_some_and(|&b| let_dig(b)) {
            i += 1;
        }
        match input.get(i) {
            Some(b'-') if i > label_start => i += 1,
            Some(b'.') if i > label_start && input.get(i + 1).is_some_and(|&c| let_dig(c)) => {
                if input.get(i - 1) == Some(&b'-') {
                    return None;
                }
                i += 1;
                label_start = i;
            }
            _ => break,
        }
    }
    if i == label_start || input.get(i - 1) == Some(&b'-') || i > 255 {
        return None;
    }
    Some(i)
}

/// `address-literal = "[" ( IPv4 / IPv6 / General ) "]"` (RFC 5321 4.1.3).
pub(crate) fn address_literal(text: &str) -> Option<(AddressLiteral, usize)> {
    let input = text.as_bytes();
    if input.first() != Some(&b'[') {
        return None;
    }
    let close = input.iter().position(|&b| b == b']')?;
    let inner = text.get(1..close)?;
    let lit = if inner.len() > 5 && inner.get(..5)?.eq_ignore_ascii_case("IPv6:") {
        AddressLiteral::Ipv6(inner.get(5..)?.parse::<Ipv6Addr>().ok()?)
    } else if let Some((tag, content)) = inner.split_once(':') {
        let (tag, content) = (tag.as_bytes(), content.as_bytes());
        let tag_ok = !tag.is_empty()
            && tag.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')
            && tag.last() != Some(&b'-');
        let content_ok = !content.is_empty()
            && content
                .iter()
                .all(|&b| (33..=90).contains(&b) || (94..=126).contains(&b));
        if !tag_ok || !content_ok {
            return None;
        }
        AddressLiteral::General {
            tag: String::from_utf8(tag.to_vec()).ok()?,
            content: String::from_utf8(content.to_vec()).ok()?,
        }
    } else {
        AddressLiteral::Ipv4(inner.parse::<Ipv4Addr>().ok()?)
    };
    Some((lit, close + 1))
}

/// A domain or an address literal.
pub(crate) fn host(text: &str) -> Option<(Host, usize)> {
    if text.starts_with('[') {
        let (lit, n) = address_literal(text)?;
        Some((Host::Literal(lit), n))
    } else {
        let n = domain_len(text.as_bytes())?;
        Some((Host::Domain(Domain::new_unchecked(text.get(..n)?)), n))
    }
}

/// `Dot-string = Atom *("." Atom)`.
fn dot_string_len(input: &[u8]) -> Option<usize> {
    let atom = |s: &[u8]| {
        let n = s.iter().position(|&b| !atext(b)).unwrap_or(s.len());
        (n > 0).then_some(n)
    };
    let mut n = atom(input)?;
    while input.get(n) == Some(&b'.') {
        match input.get(n + 1..).and_then(atom) {
            Some(m) => n += 1 + m,
            None => return None,
        }
    }
    Some(n)
}

/// Whether the whole input is a dot-string (so it needs no quoting).
pub(crate) fn is_dot_string(input: &[u8]) -> bool {
    dot_string_len(input) == Some(input.len())
}

/// Whether a local part's value can be written at all: dot-string or
/// quoted-string content (printable ASCII, space, UTF-8).
pub(crate) fn valid_local_value(value: &str) -> bool {
    value
        .chars()
        .all(|c| (' '..='~').contains(&c) || (!c.is_ascii() && !c.is_control()))
}

/// `Quoted-string = DQUOTE *QcontentSMTP DQUOTE`, returning the unquoted value.
fn quoted_string(input: &[u8]) -> Option<(String, usize)> {
    if input.first() != Some(&b'"') {
        return None;
    }
    let mut value = Vec::new();
    let mut i = 1;
    loop {
        let b = *input.get(i)?;
        match b {
            b'"' => break,
            b'\\' => {
                let c = *input.get(i + 1)?;
                if !(32..=126).contains(&c) {
                    return None;
                }
                value.push(c);
                i += 2;
            }
            32..=126 | 0x80.. => {
                value.push(b);
                i += 1;
            }
            _ => return None,
        }
    }
    Some((String::from_utf8(value).ok()?, i + 1))
}

/// `Mailbox = Local-part "@" ( Domain / address-literal )`.
pub(crate) fn mailbox(text: &str) -> Option<(Mailbox, usize)> {
    let input = text.as_bytes();
    let (local, n) = if input.first() == Some(&b'"') {
        let (value, n) = quoted_string(input)?;
        (Text::from_string(value), n)
    } else {
        let n = dot_string_len(input)?;
        (Text::new(text.get(..n)?), n)
    };
    if local.len() > 256 || input.get(n) != Some(&b'@') {
        return None;
    }
    let (host, m) = host(text.get(n + 1..)?)?;
    Some((Mailbox::new_unchecked(local, host), n + 1 + m))
}

/// `Path = "<" [ A-d-l ":" ] Mailbox ">"`; the source route (`A-d-l`) is
/// accepted and ignored (RFC 5321 4.1.2, C).
fn path(text: &str) -> Option<(Mailbox, usize)> {
    let input = text.as_bytes();
    if input.first() != Some(&b'<') {
        return None;
    }
    let mut i = 1;
    if input.get(i) == Some(&b'@') {
        loop {
            // At-domain = "@" Domain
            if input.get(i) != Some(&b'@') {
                return None;
            }
            i += 1 + domain_len(input.get(i + 1..)?)?;
            match input.get(i) {
                Some(b',') => i += 1,
                Some(b':') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    let (m, n) = mailbox(text.get(i..)?)?;
    i += n;
    if input.get(i) != Some(&b'>') {
        return None;
    }
    Some((m, i + 1))
}

/// `Reverse-path = Path / "<>"`.
pub(crate) fn reverse_path(input: &str) -> Option<(ReversePath, usize)> {
    if input.starts_with("<>") {
        return Some((ReversePath::Null, 2));
    }
    let (m, n) = path(input)?;
    Some((ReversePath::Mailbox(m), n))
}

/// `Forward-path = Path`, or `"<Postmaster>"` (RFC 5321 4.1.1.3).
pub(crate) fn forward_path(input: &str) -> Option<(ForwardPath, usize)> {
    if input
        .get(..12)
        .is_some_and(|h| h.eq_ignore_ascii_case("<postmaster>"))
    {
        return Some((ForwardPath::Postmaster, 12));
    }
    let (m, n) = path(input)?;
    Some((ForwardPath::Mailbox(m), n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(reverse_path("<>"), Some((ReversePath::Null, 2)));
        let (p, n) = reverse_path("<@a.example,@b.example:joe@c.example> SIZE=1").unwrap();
        assert_eq!(n, 37);
        assert_eq!(p.to_string(), "<joe@c.example>");
        let (p, _) = forward_path("<\"a b\\\"c\"@[IPv6:2001:db8::1]>").unwrap();
        assert_eq!(p.to_string(), "<\"a b\\\"c\"@[IPv6:2001:db8::1]>");
        assert!(forward_path("<a..b@example>").is_none());
        assert!(forward_path("<a@-example>").is_none());
        assert!(forward_path("<a@[300.1.1.1]>").is_none());
        assert_eq!(
            forward_path("<POSTMASTER>"),
            Some((ForwardPath::Postmaster, 12))
        );
        assert!(forward_path("<用户@例子.广告>").is_some());
    }
}
