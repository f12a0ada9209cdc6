//! Where a snapshot's Maildir message is, with its file name in a buffer
//! shared with the other names read from the snapshot index at once
//! (100,000 names, one allocation), or in one of its own when a listing
//! or a rename gave it.

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::flags::Flags;
use crate::maildir::{MailEntry, Subdir};
use crate::name::FileName;

/// A message file of a snapshot: like a [`MailEntry`], cheaper to hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub subdir: Subdir,
    pub name: Name,
}

impl Entry {
    /// The unique base name (before `:`).
    pub fn base(&self) -> &str {
        crate::name::base_of(self.name.as_str())
    }

    /// The flags in its info part.
    pub fn flags(&self) -> Flags {
        FileName::parse(self.name.as_str())
            .map(|n| n.flags)
            .unwrap_or_default()
    }

    /// The same entry as a [`MailEntry`] (the name copied).
    pub fn to_mail_entry(&self) -> MailEntry {
        MailEntry {
            subdir: self.subdir,
            name: self.name.as_str().to_owned(),
        }
    }
}

impl From<MailEntry> for Entry {
    fn from(e: MailEntry) -> Entry {
        Entry {
            subdir: e.subdir,
            name: Name::from(e.name),
        }
    }
}

/// A file name: a range of a buffer shared with other names (a name of
/// its own is a buffer of one). Sixteen bytes, as a snapshot holds one
/// per message.
#[derive(Clone)]
pub(crate) struct Name {
    /// Filled once: the names read from an index are given their ranges
    /// while it is read, and the buffer when all are in.
    buf: Arc<OnceLock<String>>,
    start: u32,
    end: u32,
}

impl Name {
    /// The part `start..end` of `buf`, once it is filled (a range that is
    /// not one of `buf`, or a buffer not filled, gives an empty name,
    /// which no listing finds).
    pub fn shared(buf: &Arc<OnceLock<String>>, start: u32, end: u32) -> Name {
        Name {
            buf: buf.clone(),
            start,
            end,
        }
    }

    pub fn as_str(&self) -> &str {
        self.buf
            .get()
            .and_then(|b| b.get(self.start as usize..self.end as usize))
            .unwrap_or_default()
    }
}

impl From<String> for Name {
    fn from(s: String) -> Name {
        // No file name is anywhere near 4 GB long.
        let end = u32::try_from(s.len()).unwrap_or(0);
        Name {
            buf: Arc::new(OnceLock::from(s)),
            start: 0,
            end,
        }
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Name {}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_name_is_its_range_and_compares_as_text() {
        let buf = Arc::new(OnceLock::new());
        // Two names, one after the other.
        let a = Entry {
            subdir: Subdir::Cur,
            name: Name::shared(&buf, 0, 16),
        };
        let b = Entry {
            subdir: Subdir::New,
            name: Name::shared(&buf, 16, 24),
        };
        // Not filled yet: empty.
        assert_eq!(a.name.as_str(), "");
        buf.set(String::from("1.M1P1.h,S=5:2,S2.M2P2.h")).unwrap();
        assert_eq!(a.name.as_str(), "1.M1P1.h,S=5:2,S");
        assert_eq!(a.base(), "1.M1P1.h,S=5");
        assert_eq!(a.flags(), Flags::from_info("S"));
        assert_eq!(b.base(), "2.M2P2.h");
        assert_eq!(b.flags(), Flags::empty());
        // The same text, one shared and one not: equal.
        let own = Entry::from(a.to_mail_entry());
        assert!(!Arc::ptr_eq(&own.name.buf, &a.name.buf));
        assert_eq!(own, a);
        assert_ne!(own, b);
        // A range that is not one of the buffer: empty, no panic.
        assert_eq!(Name::shared(&buf, 20, 400).as_str(), "");
        assert_eq!(Name::shared(&buf, 9, 3).as_str(), "");
    }
}
