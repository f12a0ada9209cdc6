//! Mailboxes and paths (RFC 5321 4.1.2, 4.1.3; RFC 6531 3.3).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::InvalidValue;
use crate::parse::path as grammar;
use crate::types::text::Text;

/// A domain name: dot-separated labels of letters, digits and hyphens
/// (RFC 5321 4.1.2 `Domain`), or UTF-8 U-labels where SMTPUTF8 is in effect
/// (RFC 6531 3.3). The case is kept as received.
///
/// # Examples
///
/// ```
/// use smtp_proto::Domain;
/// assert!(Domain::new("mail.example.org").is_ok());
/// assert!(Domain::new("-bad-.example").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Domain(Text);

impl Domain {
    /// Checks `name` against the grammar.
    pub fn new(name: &str) -> Result<Self, InvalidValue> {
        if grammar::domain_len(name.as_bytes()) == Some(name.len()) {
            Ok(Domain(Text::new(name)))
        } else {
            Err(InvalidValue::Domain)
        }
    }

    pub(crate) fn new_unchecked(name: &str) -> Self {
        Domain(Text::new(name))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether the name is all ASCII (no U-labels).
    pub fn is_ascii(&self) -> bool {
        self.as_str().is_ascii()
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An address literal in square brackets (RFC 5321 4.1.3).
///
/// # Examples
///
/// ```
/// use smtp_proto::AddressLiteral;
/// let lit = AddressLiteral::Ipv4("192.0.2.1".parse().unwrap());
/// assert_eq!(lit.to_string(), "[192.0.2.1]");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AddressLiteral {
    /// `[192.0.2.1]`
    Ipv4(Ipv4Addr),
    /// `[IPv6:2001:db8::1]`
    Ipv6(Ipv6Addr),
    /// `[tag:content]`, a General-address-literal with a standardized tag.
    General {
        /// The Standardized-tag (letters, digits, hyphens, not ending in a hyphen).
        tag: String,
        /// The content (printable ASCII except `[`, `\`, `]`).
        content: String,
    },
}

impl fmt::Display for AddressLiteral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressLiteral::Ipv4(a) => write!(f, "[{a}]"),
            AddressLiteral::Ipv6(a) => write!(f, "[IPv6:{a}]"),
            AddressLiteral::General { tag, content } => write!(f, "[{tag}:{content}]"),
        }
    }
}

/// The domain part of a mailbox, or the argument of EHLO/HELO/LHLO.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name.
    Domain(Domain),
    /// An address literal.
    Literal(AddressLiteral),
}

impl Host {
    /// Parses a domain or an address literal.
    ///
    /// # Examples
    ///
    /// ```
    /// use smtp_proto::Host;
    /// assert!(matches!(Host::parse("[IPv6:::1]"), Ok(Host::Literal(_))));
    /// assert!(matches!(Host::parse("example.org"), Ok(Host::Domain(_))));
    /// ```
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        match grammar::host(text) {
            Some((host, n)) if n == text.len() => Ok(host),
            _ => Err(InvalidValue::Domain),
        }
    }

    /// Whether the host is all ASCII.
    pub fn is_ascii(&self) -> bool {
        match self {
            Host::Domain(d) => d.is_ascii(),
            Host::Literal(_) => true,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => d.fmt(f),
            Host::Literal(l) => l.fmt(f),
        }
    }
}

/// A mailbox `local-part@domain` (RFC 5321 4.1.2 `Mailbox`).
///
/// The local part is held as its value: a quoted local part is unquoted, and
/// quoted again when serialized if it is not a valid dot-string.
///
/// # Examples
///
/// ```
/// use smtp_proto::Mailbox;
/// let m = Mailbox::parse("\"john doe\"@example.org").unwrap();
/// assert_eq!(m.local_part(), "john doe");
/// assert_eq!(m.to_string(), "\"john doe\"@example.org");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox {
    local_part: Text,
    host: Host,
}

impl Mailbox {
    /// Builds a mailbox; the local part must be a dot-string or a value a
    /// quoted-string can carry (RFC 5321 4.1.2).
    pub fn new(local_part: &str, host: Host) -> Result<Self, InvalidValue> {
        if grammar::valid_local_value(local_part) {
            Ok(Mailbox {
                local_part: Text::new(local_part),
                host,
            })
        } else {
            Err(InvalidValue::LocalPart)
        }
    }

    pub(crate) fn new_unchecked(local_part: Text, host: Host) -> Self {
        Mailbox { local_part, host }
    }

    /// Parses `local-part@domain` (without angle brackets).
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        match grammar::mailbox(text) {
            Some((m, n)) if n == text.len() => Ok(m),
            _ => Err(InvalidValue::LocalPart),
        }
    }

    /// The local part's value (unquoted).
    pub fn local_part(&self) -> &str {
        self.local_part.as_str()
    }

    /// The domain or address literal.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// Whether the mailbox is all ASCII; a non-ASCII mailbox needs SMTPUTF8
    /// (RFC 6531 3.2).
    pub fn is_ascii(&self) -> bool {
        self.local_part().is_ascii() && self.host.is_ascii()
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local_part = self.local_part();
        if grammar::is_dot_string(local_part.as_bytes()) {
            f.write_str(local_part)?;
        } else {
            f.write_str("\"")?;
            for c in local_part.chars() {
                if c == '"' || c == '\\' {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str("\"")?;
        }
        write!(f, "@{}", self.host)
    }
}

/// The argument of MAIL FROM (RFC 5321 4.1.2 `Reverse-path`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReversePath {
    /// The null reverse-path `<>`, used for notifications (RFC 5321 4.5.5).
    Null,
    /// A mailbox.
    Mailbox(Mailbox),
}

impl ReversePath {
    /// Whether the path is all ASCII.
    pub fn is_ascii(&self) -> bool {
        match self {
            ReversePath::Null => true,
            ReversePath::Mailbox(m) => m.is_ascii(),
        }
    }
}

impl fmt::Display for ReversePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReversePath::Null => f.write_str("<>"),
            ReversePath::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

/// The argument of RCPT TO (RFC 5321 4.1.2 `Forward-path`), or the special
/// `<Postmaster>` without a domain (RFC 5321 4.1.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ForwardPath {
    /// `<Postmaster>` (case-insensitive), the server's own postmaster.
    Postmaster,
    /// A mailbox.
    Mailbox(Mailbox),
}

impl ForwardPath {
    /// Whether the path is all ASCII.
    pub fn is_ascii(&self) -> bool {
        match self {
            ForwardPath::Postmaster => true,
            ForwardPath::Mailbox(m) => m.is_ascii(),
        }
    }
}

impl fmt::Display for ForwardPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ForwardPath::Postmaster => f.write_str("<Postmaster>"),
            ForwardPath::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}
