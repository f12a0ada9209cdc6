//! Mail addresses as the router sees them: RFC 5321 mailboxes, the
//! reverse-path and the forward-path.

use std::fmt;

/// RFC 5321 section 4.5.3.1.3: a path is at most 256 octets including the
/// angle brackets, so an address is at most 254.
pub const MAX_ADDRESS_LEN: usize = 254;

/// An address that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// No `@` with a non-empty domain after it.
    #[error("{0:?} has no domain")]
    NoDomain(String),
    /// An empty local part.
    #[error("{0:?} has an empty local part")]
    EmptyLocalPart(String),
    /// Longer than [`MAX_ADDRESS_LEN`].
    #[error("address longer than {MAX_ADDRESS_LEN} octets")]
    TooLong,
    /// A character that cannot appear (white space or a control outside a
    /// quoted local part, or in the domain).
    #[error("{0:?} contains a character that is not allowed")]
    BadCharacter(String),
    /// An unterminated quoted local part.
    #[error("{0:?} has an unterminated quoted local part")]
    UnterminatedQuote(String),
}

/// An RFC 5321 `Mailbox` (`Local-part "@" Domain`): the form of a
/// forward-path's and a non-null reverse-path's address.
///
/// The local part is kept unquoted (`"john doe"@example.com` holds
/// `john doe`), the domain lowercased; lookups fold the local part to
/// lowercase as Postfix does.
///
/// # Examples
///
/// ```
/// use mta_core::router::Mailbox;
///
/// let m = Mailbox::parse("<John+Tag@Example.COM>").unwrap();
/// assert_eq!(m.local_part(), "John+Tag");
/// assert_eq!(m.domain(), "example.com");
/// assert_eq!(m.to_string(), "John+Tag@example.com");
/// assert_eq!(Mailbox::parse("\"a b\"@x.org").unwrap().to_string(), "\"a b\"@x.org");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox {
    local: String,
    domain: String,
}

impl Mailbox {
    /// A mailbox from its parts (the domain is lowercased).
    ///
    /// # Errors
    ///
    /// As [`Mailbox::parse`].
    pub fn new(local: &str, domain: &str) -> Result<Self, AddressError> {
        let whole = || format!("{local}@{domain}");
        if local.is_empty() {
            return Err(AddressError::EmptyLocalPart(whole()));
        }
        if domain.is_empty() {
            return Err(AddressError::NoDomain(whole()));
        }
        if local.len() + domain.len() + 1 > MAX_ADDRESS_LEN {
            return Err(AddressError::TooLong);
        }
        if local.chars().any(char::is_control)
            || domain
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || c == '@' || c == '<' || c == '>')
        {
            return Err(AddressError::BadCharacter(whole()));
        }
        Ok(Mailbox {
            local: local.to_owned(),
            domain: domain.trim_end_matches('.').to_ascii_lowercase(),
        })
    }

    /// Parses `local@domain`, optionally in angle brackets, with a quoted
    /// local part allowed (RFC 5321 section 4.1.2 `Quoted-string`).
    ///
    /// # Errors
    ///
    /// [`AddressError`] for a missing domain, an empty local part, more
    /// than [`MAX_ADDRESS_LEN`] octets, or white space outside quotes.
    pub fn parse(text: &str) -> Result<Self, AddressError> {
        let text = text.trim();
        let text = text
            .strip_prefix('<')
            .and_then(|t| t.strip_suffix('>'))
            .unwrap_or(text);
        if text.len() > MAX_ADDRESS_LEN {
            return Err(AddressError::TooLong);
        }
        let (local, domain) = if let Some(rest) = text.strip_prefix('"') {
            let mut local = String::new();
            let mut chars = rest.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            local.push(n);
                        }
                    }
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    _ => local.push(c),
                }
            }
            let end = end.ok_or_else(|| AddressError::UnterminatedQuote(text.to_owned()))?;
            let after = &rest[end + 1..];
            let domain = after
                .strip_prefix('@')
                .ok_or_else(|| AddressError::NoDomain(text.to_owned()))?;
            (local, domain)
        } else {
            let (local, domain) = text
                .rsplit_once('@')
                .ok_or_else(|| AddressError::NoDomain(text.to_owned()))?;
            if local.chars().any(char::is_whitespace) {
                return Err(AddressError::BadCharacter(text.to_owned()));
            }
            (local.to_owned(), domain)
        };
        Mailbox::new(&local, domain)
    }

    /// The local part, unquoted.
    #[must_use]
    pub fn local_part(&self) -> &str {
        &self.local
    }

    /// The domain, lowercased.
    #[must_use]
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The lookup form: local part lowercased, `@`, domain.
    #[must_use]
    pub fn key(&self) -> String {
        format!("{}@{}", self.local.to_lowercase(), self.domain)
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = self.local.split('.').all(|atom| {
            !atom.is_empty()
                && atom.chars().all(|c| {
                    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
                })
        });
        if plain {
            write!(f, "{}@{}", self.local, self.domain)
        } else {
            f.write_str("\"")?;
            for c in self.local.chars() {
                if c == '"' || c == '\\' {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
            write!(f, "\"@{}", self.domain)
        }
    }
}

/// The reverse-path of a transaction (RFC 5321 section 4.1.1.2): a mailbox,
/// or the null path `<>` of bounces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReversePath {
    /// `<>`.
    Null,
    /// A mailbox.
    Mailbox(Mailbox),
}

impl ReversePath {
    /// Parses `<>` (or an empty string) as the null path, else a mailbox.
    ///
    /// # Errors
    ///
    /// As [`Mailbox::parse`].
    pub fn parse(text: &str) -> Result<Self, AddressError> {
        match text.trim() {
            "" | "<>" => Ok(ReversePath::Null),
            other => Mailbox::parse(other).map(ReversePath::Mailbox),
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
