//! Flags, keywords and mailbox name attributes.

use super::Atom;

/// A message flag (RFC 3501 section 2.3.2). System flags match case-insensitively
/// and are written in their RFC spelling (`\Seen`).
///
/// # Examples
///
/// ```
/// use imap_proto::types::{Flag, Atom};
/// assert_eq!(Flag::from_keyword("$Forwarded").unwrap(), Flag::Keyword(Atom::new("$Forwarded").unwrap()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Flag {
    /// `\Answered`
    Answered,
    /// `\Flagged`
    Flagged,
    /// `\Deleted`
    Deleted,
    /// `\Seen`
    Seen,
    /// `\Draft`
    Draft,
    /// A keyword (`$Forwarded`, `$Junk`, `NonJunk`...).
    Keyword(Atom),
    /// An unknown `\Name` flag (`flag-extension`), without the backslash.
    Extension(Atom),
}

impl Flag {
    /// A keyword flag from its text.
    pub fn from_keyword(s: &str) -> Result<Self, crate::InvalidValue> {
        Ok(Flag::Keyword(Atom::new(s)?))
    }

    pub(crate) fn system(name: &[u8]) -> Flag {
        let eq = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
        if eq("Answered") {
            Flag::Answered
        } else if eq("Flagged") {
            Flag::Flagged
        } else if eq("Deleted") {
            Flag::Deleted
        } else if eq("Seen") {
            Flag::Seen
        } else if eq("Draft") {
            Flag::Draft
        } else {
            Flag::Extension(Atom::from_valid(name))
        }
    }
}

/// `flag-fetch = flag / "\Recent"` (FETCH FLAGS responses).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlagFetch {
    /// A flag.
    Flag(Flag),
    /// `\Recent` (IMAP4rev1 only).
    Recent,
}

/// `flag-perm = flag / "\*"` (PERMANENTFLAGS).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlagPerm {
    /// A flag.
    Flag(Flag),
    /// `\*`: new keywords may be created.
    Any,
}

/// A mailbox name attribute in LIST/LSUB responses (RFC 3501 section 7.2.2,
/// RFC 5258, RFC 6154 SPECIAL-USE, RFC 3348 CHILDREN), also the `USE`
/// parameter of CREATE.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MailboxAttribute {
    /// `\Noinferiors`
    NoInferiors,
    /// `\Noselect`
    NoSelect,
    /// `\Marked`
    Marked,
    /// `\Unmarked`
    Unmarked,
    /// `\NonExistent` (RFC 5258)
    NonExistent,
    /// `\Subscribed` (RFC 5258)
    Subscribed,
    /// `\Remote` (RFC 5258)
    Remote,
    /// `\HasChildren` (RFC 5258, RFC 3348)
    HasChildren,
    /// `\HasNoChildren`
    HasNoChildren,
    /// `\All` (RFC 6154)
    All,
    /// `\Archive`
    Archive,
    /// `\Drafts`
    Drafts,
    /// `\Flagged`
    Flagged,
    /// `\Junk`
    Junk,
    /// `\Sent`
    Sent,
    /// `\Trash`
    Trash,
    /// Any other `\Name`, without the backslash.
    Extension(Atom),
}

/// The known attributes with their RFC spelling, for parsing and writing.
pub(crate) const MAILBOX_ATTRIBUTES: &[(&str, MailboxAttribute)] = &[
    ("Noinferiors", MailboxAttribute::NoInferiors),
    ("Noselect", MailboxAttribute::NoSelect),
    ("Marked", MailboxAttribute::Marked),
    ("Unmarked", MailboxAttribute::Unmarked),
    ("NonExistent", MailboxAttribute::NonExistent),
    ("Subscribed", MailboxAttribute::Subscribed),
    ("Remote", MailboxAttribute::Remote),
    ("HasChildren", MailboxAttribute::HasChildren),
    ("HasNoChildren", MailboxAttribute::HasNoChildren),
    ("All", MailboxAttribute::All),
    ("Archive", MailboxAttribute::Archive),
    ("Drafts", MailboxAttribute::Drafts),
    ("Flagged", MailboxAttribute::Flagged),
    ("Junk", MailboxAttribute::Junk),
    ("Sent", MailboxAttribute::Sent),
    ("Trash", MailboxAttribute::Trash),
];

impl MailboxAttribute {
    pub(crate) fn from_name(name: &[u8]) -> Self {
        for (n, a) in MAILBOX_ATTRIBUTES {
            if name.eq_ignore_ascii_case(n.as_bytes()) {
                return a.clone();
            }
        }
        MailboxAttribute::Extension(Atom::from_valid(name))
    }

    /// The attribute's name without the backslash.
    pub fn name(&self) -> &str {
        if let MailboxAttribute::Extension(a) = self {
            return a.as_str();
        }
        for (n, a) in MAILBOX_ATTRIBUTES {
            if a == self {
                return n;
            }
        }
        ""
    }
}
