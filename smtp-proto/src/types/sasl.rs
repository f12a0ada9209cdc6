//! SASL vocabulary for AUTH (RFC 4954, RFC 4422): mechanisms, initial
//! responses, credentials, and the base64 the exchange is carried in.
//!
//! The base64 codec is written here rather than taken from a crate: AUTH needs
//! only strict RFC 4648 section 4 decoding of short lines, and owning it keeps
//! the protocol core free of dependencies beyond bytes and memchr.

use std::fmt;

/// A SASL mechanism name (RFC 4422 3.1), upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// `PLAIN` (RFC 4616).
    Plain,
    /// `LOGIN` (the widely deployed username/password prompt exchange).
    Login,
    /// Any other registered or private mechanism name.
    Other(String),
}

impl Mechanism {
    /// Parses a mechanism name (1-20 of `A-Z 0-9 - _`, case-insensitive).
    ///
    /// # Examples
    ///
    /// ```
    /// use smtp_proto::Mechanism;
    /// assert_eq!(Mechanism::parse("plain"), Some(Mechanism::Plain));
    /// assert_eq!(Mechanism::parse("bad name"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Self> {
        if name.is_empty()
            || name.len() > 20
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return None;
        }
        let upper = name.to_ascii_uppercase();
        Some(match upper.as_str() {
            "PLAIN" => Mechanism::Plain,
            "LOGIN" => Mechanism::Login,
            _ => Mechanism::Other(upper),
        })
    }

    /// The name as advertised.
    pub fn as_str(&self) -> &str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::Other(s) => s,
        }
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The initial response of AUTH (RFC 4954 4): `=` for an empty one, else
/// base64 (held decoded).
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum InitialResponse {
    /// `=`: present but empty.
    Empty,
    /// The decoded octets.
    Data(Secret<Vec<u8>>),
}

impl fmt::Debug for InitialResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitialResponse::Empty => f.write_str("Empty"),
            InitialResponse::Data(_) => f.write_str("Data(<redacted>)"),
        }
    }
}

/// A value whose `Debug` output hides it (passwords, SASL responses).
///
/// # Examples
///
/// ```
/// use smtp_proto::Secret;
/// let s = Secret::new("hunter2".to_string());
/// assert_eq!(format!("{s:?}"), "<redacted>");
/// assert_eq!(s.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The value, for the code that checks it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Credentials a client presented with PLAIN or LOGIN; the application checks
/// them and accepts (235) or rejects (535) the authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The mechanism used.
    pub mechanism: Mechanism,
    /// The authorization identity, if the client asked to act as someone else
    /// (PLAIN's authzid, RFC 4616 2).
    pub authzid: Option<String>,
    /// The authentication identity (user name).
    pub authcid: String,
    /// The password.
    pub password: Secret<String>,
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encodes with padding (RFC 4648 4).
pub(crate) fn base64_encode(input: &[u8], out: &mut Vec<u8>) {
    for chunk in input.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        let sym = |shift: u32| ALPHABET[((n >> shift) & 63) as usize];
        out.push(sym(18));
        out.push(sym(12));
        out.push(if chunk.len() > 1 { sym(6) } else { b'=' });
        out.push(if chunk.len() > 2 { sym(0) } else { b'=' });
    }
}

fn sextet(b: u8) -> Option<u32> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// Decodes strict padded base64; `None` on anything else.
pub(crate) fn base64_decode(input: &[u8]) -> Option<Vec<u8>> {
    if !input.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let quads = input.len() / 4;
    for (i, q) in input.chunks(4).enumerate() {
        let last = i + 1 == quads;
        let pad = q.iter().rev().take_while(|&&b| b == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &b in &q[..4 - pad] {
            n = (n << 6) | sextet(b)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        // Non-canonical encodings (stray bits in the padding) are refused so
        // that decode(encode(x)) is the only way to spell x.
        match pad {
            0 => out.extend_from_slice(&bytes),
            1 if n & 0xff == 0 => out.extend_from_slice(&bytes[..2]),
            2 if n & 0xffff == 0 => out.push(bytes[0]),
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_known_answers() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"", b""),
            (b"f", b"Zg=="),
            (b"fo", b"Zm8="),
            (b"foo", b"Zm9v"),
            (b"\0tim\0tanstaaftanstaaf", b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm"),
        ];
        for (plain, enc) in cases {
            let mut out = Vec::new();
            base64_encode(plain, &mut out);
            assert_eq!(&out[..], *enc);
            assert_eq!(base64_decode(enc).as_deref(), Some(*plain));
        }
        assert_eq!(base64_decode(b"Zh=="), None);
        assert_eq!(base64_decode(b"Zg="), None);
        assert_eq!(base64_decode(b"Zg==Zg=="), None);
        assert_eq!(base64_decode(b"Z!=="), None);
    }
}
