//! A snapshot's messages: decoded, or, for a folder started from its
//! snapshot index, still in the index file.
//!
//! A folder started from its index reads at first only the index's
//! summary: each message's UID and flags, and a few counts. That is all an
//! IMAP SELECT needs (EXISTS, the first unseen message, UIDNEXT and the
//! list of UIDs and flags), so the first SELECT after a restart does not
//! pay for decoding 100,000 records it does not use. The records (names,
//! sizes, dates, mod-sequences) are read the first time anything asks for
//! them, from the same file (opened again, and known by its device and
//! inode: no descriptor is held meanwhile, as a server with thousands of
//! idle sessions would hold thousands), and the open handle then holds
//! them like any other snapshot.
//!
//! The records have a checksum of their own. Should they not be intact
//! when they are read, or the file be another by then (an index written
//! since by a handle that did not share this snapshot), the messages are
//! placeholders with the summary's UIDs and flags and no name until the
//! folder's next refresh, which lists the folder and reports what differs
//! from the summary (`MaildirFolder::settle_placeholders`).

use std::io::{Seek, SeekFrom};
use std::ops::Deref;
use std::os::unix::fs::MetadataExt;
use std::sync::{Arc, OnceLock, Weak};

use crate::flags::Flags;
use crate::maildir::{Maildir, Subdir};
use crate::snapshot::{Columns, Entry, Location, MessageInfo, NO_VSIZE, Name};

/// The messages of a snapshot, sorted by UID. Derefs to the decoded
/// messages (reading the records of a lazy index first); [`Messages::len`],
/// [`Messages::last_uid`], [`Messages::uid_flags`] and
/// [`Messages::any_needs_modseq`] read none.
#[derive(Debug, Clone, Default)]
pub(crate) struct Messages {
    decoded: Arc<Vec<MessageInfo>>,
    /// While set, the messages are the index's (and `decoded` is empty).
    lazy: Option<Arc<LazyIndex>>,
    /// `decoded` holds the placeholders of a lazy index whose records
    /// could not be read.
    placeholders: bool,
}

/// The summary of an index file, and where to read the records from.
#[derive(Debug)]
pub(crate) struct LazyIndex {
    columns: Columns,
    needing_modseq: usize,
    /// The index's mod-sequences do not hold (the log was not the one
    /// the index was made with): every message is given none.
    pub forget_modseqs: bool,
    /// The folder, whose index file holds the records.
    md: Maildir,
    /// The index file's device and inode when the summary was read.
    file_id: (u64, u64),
    records_at: u64,
    len: u64,
    decoded: OnceLock<Decoded>,
}

#[derive(Debug)]
struct Decoded {
    messages: Vec<MessageInfo>,
    /// The records were not intact: the messages are placeholders.
    placeholders: bool,
}

impl LazyIndex {
    /// A summary to read the records of later.
    pub fn new(
        columns: Columns,
        needing_modseq: usize,
        md: Maildir,
        file_id: (u64, u64),
        records_at: u64,
        len: u64,
    ) -> LazyIndex {
        LazyIndex {
            columns,
            needing_modseq,
            forget_modseqs: false,
            md,
            file_id,
            records_at,
            len,
            decoded: OnceLock::new(),
        }
    }

    fn decoded(&self) -> &Decoded {
        self.decoded.get_or_init(|| self.decode())
    }

    fn decode(&self) -> Decoded {
        let Some(mut messages) = self.read_records() else {
            return Decoded {
                messages: self.placeholders(),
                placeholders: true,
            };
        };
        if self.forget_modseqs {
            for m in &mut messages {
                m.modseq = 0;
                m.modseq_flags = Flags::empty();
            }
        }
        Decoded {
            messages,
            placeholders: false,
        }
    }

    /// The records, from the file the summary was read from.
    fn read_records(&self) -> Option<Vec<MessageInfo>> {
        let path = self.md.path().join(super::index::INDEX_NAME);
        let (mut file, meta) =
            crate::fs::open_with_metadata(self.md.file_system().as_ref(), &path).ok()?;
        if (meta.dev(), meta.ino()) != self.file_id || meta.len() != self.len {
            return None;
        }
        file.seek(SeekFrom::Start(self.records_at)).ok()?;
        super::index::decode_records(file, &self.columns, self.records_at, self.len)
    }

    /// The summary's messages with nothing else known (no name: no file
    /// is found for them until a listing gives one).
    fn placeholders(&self) -> Vec<MessageInfo> {
        let nameless = Name::from(String::new());
        self.columns
            .iter()
            .map(|(uid, flags)| MessageInfo {
                uid,
                flags,
                size: 0,
                vsize: NO_VSIZE,
                date_secs: 0,
                date_nanos: 0,
                location: Location::Maildir(Entry {
                    subdir: Subdir::Cur,
                    name: nameless.clone(),
                }),
                modseq: 0,
                modseq_flags: Flags::empty(),
            })
            .collect()
    }
}

impl Messages {
    pub fn new(messages: Vec<MessageInfo>) -> Messages {
        Messages {
            decoded: Arc::new(messages),
            lazy: None,
            placeholders: false,
        }
    }

    pub fn lazy(index: LazyIndex) -> Messages {
        Messages {
            decoded: Arc::default(),
            lazy: Some(Arc::new(index)),
            placeholders: false,
        }
    }

    /// The messages, the records read first if they were not.
    pub fn as_slice(&self) -> &[MessageInfo] {
        match &self.lazy {
            Some(l) => &l.decoded().messages,
            None => &self.decoded,
        }
    }

    pub fn len(&self) -> usize {
        match &self.lazy {
            Some(l) => l.columns.len(),
            None => self.decoded.len(),
        }
    }

    /// The greatest UID.
    pub fn last_uid(&self) -> Option<u32> {
        match &self.lazy {
            Some(l) => l.columns.last_uid(),
            None => self.decoded.last().map(|m| m.uid),
        }
    }

    /// Each message's UID and flags, in UID order (from the index's
    /// summary while the snapshot is the index's, records read or not).
    pub fn uid_flags(&self) -> crate::snapshot::UidFlags<'_> {
        match &self.lazy {
            Some(l) => crate::snapshot::UidFlags::columns(&l.columns),
            None => crate::snapshot::UidFlags::messages(self.as_slice()),
        }
    }

    /// The index's summary while the snapshot is the index's, when it
    /// holds the flags as indexes.
    pub fn flag_runs(&self) -> Option<crate::FlagRuns<'_>> {
        self.lazy.as_ref()?.columns.flag_runs()
    }

    /// True if a message has no mod-sequence for its flags.
    pub fn any_needs_modseq(&self) -> bool {
        match &self.lazy {
            Some(l) if l.decoded.get().is_none() => {
                l.needing_modseq > 0 || (l.forget_modseqs && l.columns.len() > 0)
            }
            _ => self.as_slice().iter().any(MessageInfo::needs_modseq),
        }
    }

    /// True once the records were read (or the messages did not come
    /// from an index).
    #[cfg(test)]
    pub fn records_read(&self) -> bool {
        self.lazy.as_ref().is_none_or(|l| l.decoded.get().is_some())
    }

    /// True when the records could not be read and the messages are
    /// placeholders (see the module documentation).
    pub fn are_placeholders(&self) -> bool {
        self.placeholders
            || self
                .lazy
                .as_ref()
                .and_then(|l| l.decoded.get())
                .is_some_and(|d| d.placeholders)
    }

    /// The messages to change: shared ones are copied first (copy on
    /// write), the records of a lazy index read.
    pub fn make_mut(&mut self) -> &mut Vec<MessageInfo> {
        if let Some(l) = self.lazy.take() {
            let (messages, placeholders) = LazyIndex::into_messages(l);
            self.decoded = Arc::new(messages);
            self.placeholders = placeholders;
        }
        Arc::make_mut(&mut self.decoded)
    }

    /// The messages, taken out (moved when no other handle shares them).
    pub fn take(&mut self) -> Vec<MessageInfo> {
        match std::mem::take(self) {
            Messages { lazy: Some(l), .. } => LazyIndex::into_messages(l).0,
            Messages { decoded, .. } => Arc::unwrap_or_clone(decoded),
        }
    }

    /// A reference that does not keep the messages, to tell later
    /// whether a snapshot is still this one.
    pub fn downgrade(&self) -> WeakMessages {
        match &self.lazy {
            Some(l) => WeakMessages::Lazy(Arc::downgrade(l)),
            None => WeakMessages::Decoded(Arc::downgrade(&self.decoded)),
        }
    }
}

impl LazyIndex {
    /// The messages, and whether they are placeholders.
    fn into_messages(this: Arc<LazyIndex>) -> (Vec<MessageInfo>, bool) {
        let d = match Arc::try_unwrap(this) {
            Ok(mut l) => match l.decoded.take() {
                Some(d) => d,
                None => l.decode(),
            },
            Err(shared) => {
                let d = shared.decoded();
                Decoded {
                    messages: d.messages.clone(),
                    placeholders: d.placeholders,
                }
            }
        };
        (d.messages, d.placeholders)
    }
}

impl Deref for Messages {
    type Target = [MessageInfo];

    fn deref(&self) -> &[MessageInfo] {
        self.as_slice()
    }
}

/// A [`Messages`] that keeps nothing alive (see [`Messages::downgrade`]).
#[derive(Debug, Clone)]
pub(crate) enum WeakMessages {
    Decoded(Weak<Vec<MessageInfo>>),
    Lazy(Weak<LazyIndex>),
}

impl Default for WeakMessages {
    fn default() -> Self {
        WeakMessages::Decoded(Weak::new())
    }
}

impl WeakMessages {
    /// True if `m` is the snapshot this was made of, unchanged since (a
    /// change makes a new one).
    pub fn is(&self, m: &Messages) -> bool {
        match (self, &m.lazy) {
            (WeakMessages::Lazy(w), Some(l)) => std::ptr::eq(w.as_ptr(), Arc::as_ptr(l)),
            (WeakMessages::Decoded(w), None) => std::ptr::eq(w.as_ptr(), Arc::as_ptr(&m.decoded)),
            _ => false,
        }
    }
}
