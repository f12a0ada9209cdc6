//! What a folder holds at one moment: the messages with their UIDs, and
//! the changes between two moments.

use std::time::SystemTime;

use crate::flags::Flags;
use crate::maildir::{MailEntry, Subdir};

/// One message of a folder snapshot.
///
/// Everything here is known without opening the message: the size comes
/// from the `,S=` field of the name when there is one, otherwise from one
/// `stat` when the message is first seen; the internal date is the file's
/// mtime (for mbox, the date of the `From ` line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    pub(crate) uid: u32,
    pub(crate) base: String,
    pub(crate) flags: Flags,
    pub(crate) size: u64,
    pub(crate) internal_date: SystemTime,
    pub(crate) location: Location,
}

/// Where the bytes of a message are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    Maildir(MailEntry),
    /// An mbox message: its `From ` line offset, and the byte range of
    /// its quoted body (after the `From ` line, before the separating
    /// blank line).
    Mbox {
        from: u64,
        offset: u64,
        len: u64,
    },
}

impl MessageInfo {
    /// The IMAP UID (RFC 3501 section 2.3.1.1), also usable as a POP3
    /// unique-id together with the folder's UIDVALIDITY.
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// The message's unique base name in the Maildir (without the info
    /// part), stable for the life of the message. For an mbox message,
    /// `<uidvalidity>.<uid>`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The flags (standard letters and keyword letters).
    pub fn flags(&self) -> Flags {
        self.flags
    }

    /// The size in bytes of the message as stored (for Maildir, the file
    /// size; for mbox, the size after undoing the `>From ` quoting).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The size with every line ending counted as CRLF (IMAP's
    /// RFC822.SIZE, what POP3 LIST reports), when the Maildir name records
    /// it as `,W=<bytes>` (we write it at delivery; so does Dovecot).
    /// `None` when unknown: count it while reading the message.
    pub fn virtual_size(&self) -> Option<u64> {
        crate::name::vsize_from_base(&self.base)
    }

    /// The IMAP INTERNALDATE (RFC 3501 section 2.3.3).
    pub fn internal_date(&self) -> SystemTime {
        self.internal_date
    }

    /// True while the message sits in `new/`, not yet taken by a mail
    /// reader (IMAP's `\Recent`). Always false for mbox.
    pub fn is_new(&self) -> bool {
        matches!(&self.location, Location::Maildir(e) if e.subdir == Subdir::New)
    }
}

/// What changed in a folder since the previous refresh.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Changes {
    /// UIDs that appeared, ascending.
    pub added: Vec<u32>,
    /// UIDs that disappeared, ascending.
    pub expunged: Vec<u32>,
    /// UIDs whose flags another process changed, ascending.
    pub flags_changed: Vec<u32>,
    /// The UID list was rebuilt with a new UIDVALIDITY: every UID the
    /// caller holds is void (an IMAP server must end the selection).
    pub uid_validity_changed: bool,
}

impl Changes {
    /// True if nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.expunged.is_empty()
            && self.flags_changed.is_empty()
            && !self.uid_validity_changed
    }
}
