//! The string-like building blocks of RFC 3501 section 9 and RFC 9051
//! section 9: tag, atom, astring, nstring, literals, and the character
//! classes they are made of.

use std::fmt;
use std::ops::Deref;

use bytes::Bytes;

use crate::error::InvalidValue;

/// `CHAR` minus `atom-specials` (RFC 3501 section 9): what an atom may hold.
#[inline]
pub fn is_atom_char(b: u8) -> bool {
    matches!(b, 0x21..=0x7e) && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// `ASTRING-CHAR = ATOM-CHAR / resp-specials` (RFC 3501 section 9).
#[inline]
pub fn is_astring_char(b: u8) -> bool {
    is_atom_char(b) || b == b']'
}

/// `tag = 1*<any ASTRING-CHAR except "+">` (RFC 3501 section 9).
#[inline]
pub fn is_tag_char(b: u8) -> bool {
    is_astring_char(b) && b != b'+'
}

/// `list-char = ATOM-CHAR / list-wildcards / resp-specials`.
#[inline]
pub fn is_list_char(b: u8) -> bool {
    is_astring_char(b) || b == b'%' || b == b'*'
}

/// `TEXT-CHAR`: any byte but NUL, CR and LF (8-bit bytes are accepted as
/// UTF-8 text, RFC 9051 section 9 `TEXT-CHAR`).
#[inline]
pub fn is_text_char(b: u8) -> bool {
    !matches!(b, 0 | b'\r' | b'\n')
}

/// A command tag chosen by the client (RFC 3501 section 2.2.1).
///
/// # Examples
///
/// ```
/// use imap_proto::types::Tag;
/// assert!(Tag::new("A001").is_ok());
/// assert!(Tag::new("A+1").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

impl Tag {
    /// Checks the tag grammar: one or more `ASTRING-CHAR` except `+`.
    pub fn new(s: impl Into<String>) -> Result<Self, InvalidValue> {
        let s = s.into();
        if !s.is_empty() && s.bytes().all(is_tag_char) {
            Ok(Tag(s))
        } else {
            Err(InvalidValue::new("tag"))
        }
    }

    pub(crate) fn from_valid(b: &[u8]) -> Self {
        Tag(String::from_utf8_lossy(b).into_owned())
    }

    /// The tag's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({:?})", self.0)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An `atom`: one or more `ATOM-CHAR`. Keywords, capabilities, charset
/// names and extension names are atoms.
///
/// # Examples
///
/// ```
/// use imap_proto::types::Atom;
/// assert_eq!(Atom::new("IMAP4rev1").unwrap().as_str(), "IMAP4rev1");
/// assert!(Atom::new("two words").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Atom(String);

impl Atom {
    /// Checks the atom grammar.
    pub fn new(s: impl Into<String>) -> Result<Self, InvalidValue> {
        let s = s.into();
        if !s.is_empty() && s.bytes().all(is_atom_char) {
            Ok(Atom(s))
        } else {
            Err(InvalidValue::new("atom"))
        }
    }

    pub(crate) fn from_valid(b: &[u8]) -> Self {
        Atom(String::from_utf8_lossy(b).into_owned())
    }

    /// The atom's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Case-insensitive comparison, as IMAP compares atoms.
    pub fn eq_ignore_case(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl fmt::Debug for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Atom({:?})", self.0)
    }
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A value that must not show up in logs (passwords, SASL data): its
/// `Debug` prints `Secret(..)`.
///
/// # Examples
///
/// ```
/// use imap_proto::types::Secret;
/// let s = Secret::new(b"hunter2".to_vec());
/// assert_eq!(format!("{s:?}"), "Secret(..)");
/// assert_eq!(s.expose(), b"hunter2");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The wrapped value, named so that every use is visible in review.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// A list that holds at least one element (the grammar's `1*x`).
///
/// # Examples
///
/// ```
/// use imap_proto::types::Vec1;
/// assert!(Vec1::<u8>::new(vec![]).is_err());
/// assert_eq!(Vec1::new(vec![1, 2]).unwrap().len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Vec1<T>(Vec<T>);

impl<T> Vec1<T> {
    /// Fails on an empty vector.
    pub fn new(v: Vec<T>) -> Result<Self, InvalidValue> {
        if v.is_empty() {
            Err(InvalidValue::new("empty list"))
        } else {
            Ok(Vec1(v))
        }
    }

    /// A list of one.
    pub fn one(x: T) -> Self {
        Vec1(vec![x])
    }

    pub(crate) fn from_nonempty(v: Vec<T>) -> Self {
        debug_assert!(!v.is_empty());
        Vec1(v)
    }

    /// The elements as a vector.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<T> Deref for Vec1<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

/// Whether a literal makes the sender wait for a continuation request
/// (`{N}`, RFC 3501 section 4.3) or not (`{N+}`, RFC 7888 LITERAL+/LITERAL-).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LiteralMode {
    /// `{N}`: the client waits for `+` before sending the octets.
    Sync,
    /// `{N+}`: the octets follow at once.
    NonSync,
}

/// Message data carried in a literal (APPEND): kept as the octets with the
/// literal's form so that a client serializer can resend it as it was.
///
/// # Examples
///
/// ```
/// use imap_proto::types::{LiteralData, LiteralMode};
/// let l = LiteralData::new(&b"Subject: hi\r\n\r\nbody"[..]);
/// assert_eq!(l.mode, LiteralMode::Sync);
/// assert!(!l.binary);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LiteralData {
    /// The octets.
    pub data: Bytes,
    /// `{N}` or `{N+}`.
    pub mode: LiteralMode,
    /// `~{N}`: a `literal8` (RFC 3516, RFC 6855 `UTF8 (~{N}...)`), which may hold NUL.
    pub binary: bool,
}

impl LiteralData {
    /// A synchronizing, non-binary literal.
    pub fn new(data: impl Into<Bytes>) -> Self {
        LiteralData {
            data: data.into(),
            mode: LiteralMode::Sync,
            binary: false,
        }
    }
}

/// `nstring = string / nil`: `None` is `NIL`.
pub type NString = Option<Vec<u8>>;
