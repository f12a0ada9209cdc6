//! `type:name` lookup table references, as main.cf writes them.

use std::fmt;
use std::path::PathBuf;

/// How a table's entries are stored and matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TableKind {
    /// An indexed table: `hash:`, `btree:`, `lmdb:`, `cdb:`, `dbm:`,
    /// `sdbm:` or `texthash:`. Postfix reads the binary file that postmap(1)
    /// or postalias(1) built from the text source; missive reads the text
    /// source itself (`hash:/etc/postfix/access` reads `/etc/postfix/access`,
    /// not `access.db`), so no postmap step is needed. The lookups are the
    /// same: exact match on a lowercased key.
    Indexed,
    /// `cidr:` — cidr_table(5): `network/prefix result` lines tried in
    /// file order, first match wins.
    Cidr,
}

/// A reference to a lookup table: `type:/path/to/file`.
///
/// # Examples
///
/// ```
/// use mta_core::maps::{TableKind, TableRef};
///
/// let r: TableRef = "hash:/etc/postfix/access".parse().unwrap();
/// assert_eq!(r.kind, TableKind::Indexed);
/// assert_eq!(r.path.to_str(), Some("/etc/postfix/access"));
/// assert!("mysql:/etc/postfix/x.cf".parse::<TableRef>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableRef {
    /// The type as written (`hash`, `lmdb`, `cidr`, ...).
    pub type_name: String,
    /// How it is read.
    pub kind: TableKind,
    /// The text source file.
    pub path: PathBuf,
}

impl fmt::Display for TableRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.type_name, self.path.display())
    }
}

/// Why a `type:name` string is not a usable table reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TableRefError {
    /// No `type:` prefix.
    #[error("not of the form type:name")]
    NotATable,
    /// A type this implementation does not read (mysql, ldap, regexp, ...).
    #[error(
        "lookup table type not supported (supported: hash, btree, lmdb, cdb, dbm, sdbm, texthash, cidr)"
    )]
    UnsupportedType,
    /// An empty name after `type:`.
    #[error("empty table name")]
    EmptyName,
}

impl TableRefError {
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            TableRefError::NotATable => "not of the form type:name",
            TableRefError::UnsupportedType => {
                "type not supported (supported: hash, btree, lmdb, cdb, dbm, sdbm, texthash, cidr)"
            }
            TableRefError::EmptyName => "empty table name",
        }
    }
}

impl std::str::FromStr for TableRef {
    type Err = TableRefError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (type_name, name) = s.split_once(':').ok_or(TableRefError::NotATable)?;
        if type_name.is_empty() || !type_name.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(TableRefError::NotATable);
        }
        let lower = type_name.to_ascii_lowercase();
        let kind = match lower.as_str() {
            "hash" | "btree" | "lmdb" | "cdb" | "dbm" | "sdbm" | "texthash" => TableKind::Indexed,
            "cidr" => TableKind::Cidr,
            _ => return Err(TableRefError::UnsupportedType),
        };
        if name.is_empty() {
            return Err(TableRefError::EmptyName);
        }
        Ok(TableRef {
            type_name: lower,
            kind,
            path: PathBuf::from(name),
        })
    }
}

/// True when `s` looks like `type:name` (so it is meant as a table), as
/// opposed to a domain name or an IPv6 address.
pub(crate) fn looks_like_table(s: &str) -> bool {
    match s.split_once(':') {
        Some((t, rest)) => {
            !t.is_empty()
                && t.bytes().all(|b| b.is_ascii_alphabetic())
                && !rest.is_empty()
                && !s.starts_with('[')
        }
        None => false,
    }
}
