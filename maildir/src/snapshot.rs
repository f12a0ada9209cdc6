//! What a folder holds at one moment: the messages with their UIDs, and
//! the changes between two moments.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::flags::Flags;
use crate::maildir::Subdir;

mod columns;
mod entry;

pub use columns::FlagRuns;
pub(crate) use columns::{Columns, ColumnsIter, FlagColumn};
pub(crate) use entry::{Entry, Name};

/// One message of a folder snapshot.
///
/// Everything here is known without opening the message: the size comes
/// from the `,S=` field of the name when there is one, otherwise from one
/// `stat` when the message is first seen; the internal date is the file's
/// mtime (for mbox, the date of the `From ` line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    pub(crate) uid: u32,
    pub(crate) flags: Flags,
    pub(crate) size: u64,
    /// The `,W=` of the base name, read once when the message is found
    /// (FETCH RFC822.SIZE of every message asks for it); [`NO_VSIZE`]
    /// when there is none (eight bytes less than an `Option`, in a
    /// snapshot that holds one per message).
    pub(crate) vsize: u64,
    /// The internal date in seconds since the epoch (negative before) and
    /// nanoseconds, apart rather than a `SystemTime`: the nanoseconds
    /// share eight bytes with the UID (see [`date_parts`]).
    pub(crate) date_secs: i64,
    pub(crate) date_nanos: u32,
    pub(crate) location: Location,
    /// The mod-sequence (RFC 7162 section 3.1); 0 until one is given
    /// (and always for mbox).
    pub(crate) modseq: u64,
    /// The flags `modseq` was given for: when they differ from `flags`,
    /// the flags changed since and the message needs a new one.
    pub(crate) modseq_flags: Flags,
}

/// Where the bytes of a message are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// A Maildir message: its file (whose name holds the base name).
    Maildir(Entry),
    /// An mbox message (boxed, so that a Maildir message's location
    /// stays small).
    Mbox(Box<MboxPlace>),
}

/// [`NO_VSIZE`] stands for "no `,W=`" in [`MessageInfo::vsize`].
pub(crate) const NO_VSIZE: u64 = u64::MAX;

/// Where an mbox message is: its `From ` line offset, the byte range of
/// its quoted body (after the `From ` line, before the separating blank
/// line), and its base name (`<uidvalidity>.<uid>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MboxPlace {
    pub from: u64,
    pub offset: u64,
    pub len: u64,
    pub base: String,
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
        match &self.location {
            Location::Maildir(e) => e.base(),
            Location::Mbox(p) => &p.base,
        }
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
        (self.vsize != NO_VSIZE).then_some(self.vsize)
    }

    /// The IMAP INTERNALDATE (RFC 3501 section 2.3.3).
    pub fn internal_date(&self) -> SystemTime {
        date_from_parts(self.date_secs, self.date_nanos).unwrap_or(UNIX_EPOCH)
    }

    /// The mod-sequence of the message's last flag change or arrival
    /// (RFC 7162 section 3.1), kept in the folder's `missive-modseq`
    /// log; 0 in a folder that keeps none (mbox).
    pub fn modseq(&self) -> u64 {
        self.modseq
    }

    /// True when the message has no mod-sequence, or none given for its
    /// present flags.
    pub(crate) fn needs_modseq(&self) -> bool {
        self.modseq == 0 || self.flags != self.modseq_flags
    }

    /// True while the message sits in `new/`, not yet taken by a mail
    /// reader (IMAP's `\Recent`). Always false for mbox.
    pub fn is_new(&self) -> bool {
        matches!(&self.location, Location::Maildir(e) if e.subdir == Subdir::New)
    }
}

/// Seconds (negative before 1970) and nanoseconds since the epoch.
pub(crate) fn date_parts(t: SystemTime) -> (i64, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_nanos(),
        ),
        Err(e) => {
            let d = e.duration();
            // -d = -(s + n) = -(s + 1) + (1e9 - n) nanoseconds.
            let s = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            match d.subsec_nanos() {
                0 => (-s, 0),
                n => (-s - 1, 1_000_000_000 - n),
            }
        }
    }
}

pub(crate) fn date_from_parts(sec: i64, nsec: u32) -> Option<SystemTime> {
    if nsec >= 1_000_000_000 {
        return None;
    }
    let whole = if sec >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(sec.unsigned_abs()))?
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(sec.unsigned_abs()))?
    };
    whole.checked_add(Duration::from_nanos(u64::from(nsec)))
}

/// The index of `uid` in `messages` (sorted by UID, strictly ascending).
/// UIDs are usually dense, so the index a dense list would give is tried
/// first; otherwise a binary search below it (a UID `n` above the first
/// cannot be further than `n` places in).
pub(crate) fn position(messages: &[MessageInfo], uid: u32) -> Option<usize> {
    let first = messages.first()?.uid;
    let guess = usize::try_from(uid.checked_sub(first)?).ok()?;
    if messages.get(guess).is_some_and(|m| m.uid == uid) {
        return Some(guess);
    }
    let below = messages.get(..guess.min(messages.len()))?;
    below
        .binary_search_by_key(&uid, |m| m.uid)
        .ok()
        // Not there: make sure with the whole list.
        .or_else(|| messages.binary_search_by_key(&uid, |m| m.uid).ok())
}

/// Each message's UID and flags, in UID order (see
/// [`Folder::uid_flags`](crate::Folder::uid_flags)): read from the
/// snapshot index's summary when the rest of the index was not needed yet.
#[derive(Debug, Clone)]
pub struct UidFlags<'a>(UidFlagsFrom<'a>);

#[derive(Debug, Clone)]
enum UidFlagsFrom<'a> {
    Columns(ColumnsIter<'a>),
    Messages(std::slice::Iter<'a, MessageInfo>),
}

impl<'a> UidFlags<'a> {
    pub(crate) fn columns(columns: &'a Columns) -> UidFlags<'a> {
        UidFlags(UidFlagsFrom::Columns(columns.iter()))
    }

    pub(crate) fn messages(messages: &'a [MessageInfo]) -> UidFlags<'a> {
        UidFlags(UidFlagsFrom::Messages(messages.iter()))
    }
}

impl Iterator for UidFlags<'_> {
    type Item = (u32, Flags);

    #[inline]
    fn next(&mut self) -> Option<(u32, Flags)> {
        match &mut self.0 {
            UidFlagsFrom::Columns(c) => c.next(),
            UidFlagsFrom::Messages(m) => m.next().map(|m| (m.uid, m.flags)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            UidFlagsFrom::Columns(c) => c.size_hint(),
            UidFlagsFrom::Messages(m) => m.size_hint(),
        }
    }
}

impl ExactSizeIterator for UidFlags<'_> {}

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

/// Snapshots of recently used Maildir folders, shared by the sessions of
/// one process (IMAP and POP3 servers).
///
/// A [`Store`](crate::Store) given a cache (with
/// [`Store::with_snapshot_cache`](crate::Store::with_snapshot_cache))
/// starts a folder from the cached snapshot and refreshes it, rather than
/// listing the folder and `stat`ing every message: a new session on an
/// unchanged folder costs a few `stat`s. Sessions share one copy of the
/// snapshot until one of them changes its own (copy on write), so many
/// sessions on one big folder do not each hold it. A folder's snapshot is
/// put into the cache when a session opens it and again when the session
/// drops it (with whatever that session learned meanwhile).
///
/// The refresh is the same one a session makes after every command
/// ([`Folder::refresh`](crate::Folder::refresh)): a cached snapshot shows
/// nothing the folder no longer holds. A folder the cache does not hold
/// (the first open after a restart) starts from the snapshot index it
/// keeps on disk when it has one ([the crate documentation](crate#snapshots)),
/// refreshed the same way. The cache holds at most
/// `max_messages` messages over all folders, dropping the least recently
/// used folders first.
#[derive(Clone)]
pub struct SnapshotCache {
    inner: std::sync::Arc<std::sync::Mutex<CacheInner>>,
}

struct CacheInner {
    max_messages: usize,
    held: usize,
    /// Least recently used first.
    entries: Vec<(std::path::PathBuf, crate::folder::MaildirFolder)>,
}

impl std::fmt::Debug for SnapshotCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (folders, held) = self
            .inner
            .lock()
            .map(|g| (g.entries.len(), g.held))
            .unwrap_or_default();
        f.debug_struct("SnapshotCache")
            .field("folders", &folders)
            .field("messages", &held)
            .finish()
    }
}

impl Default for SnapshotCache {
    /// A cache of up to 250,000 messages (a cached message takes about
    /// 500 bytes: some 130 MB at most).
    fn default() -> Self {
        SnapshotCache::new(250_000)
    }
}

impl SnapshotCache {
    /// A cache holding up to `max_messages` messages in all.
    pub fn new(max_messages: usize) -> SnapshotCache {
        SnapshotCache {
            inner: std::sync::Arc::new(std::sync::Mutex::new(CacheInner {
                max_messages,
                held: 0,
                entries: Vec::new(),
            })),
        }
    }

    /// The number of folders held.
    pub fn len(&self) -> usize {
        self.inner.lock().map_or(0, |g| g.entries.len())
    }

    /// True if no folder is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cached snapshot of the folder at `path` (a cheap clone).
    pub(crate) fn get(&self, path: &std::path::Path) -> Option<crate::folder::MaildirFolder> {
        let mut g = self.inner.lock().ok()?;
        let i = g.entries.iter().position(|(p, _)| p == path)?;
        let e = g.entries.remove(i);
        let f = e.1.detached();
        g.entries.push(e);
        Some(f)
    }

    /// Puts the snapshot of the folder at `path`, replacing an older one.
    pub(crate) fn put(&self, path: &std::path::Path, folder: crate::folder::MaildirFolder) {
        let Ok(mut g) = self.inner.lock() else {
            return;
        };
        if let Some(i) = g.entries.iter().position(|(p, _)| p == path) {
            let (_, old) = g.entries.remove(i);
            g.held = g.held.saturating_sub(old.message_count());
        }
        let n = folder.message_count();
        if n > g.max_messages {
            return;
        }
        g.held += n;
        g.entries.push((path.to_owned(), folder));
        while g.held > g.max_messages && !g.entries.is_empty() {
            let (_, old) = g.entries.remove(0);
            g.held = g.held.saturating_sub(old.message_count());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(super) fn info(uid: u32) -> MessageInfo {
        MessageInfo {
            uid,
            flags: Flags::empty(),
            size: 0,
            vsize: NO_VSIZE,
            date_secs: 0,
            date_nanos: 0,
            location: Location::Mbox(Box::new(MboxPlace {
                from: 0,
                offset: 0,
                len: 0,
                base: String::new(),
            })),
            modseq: 0,
            modseq_flags: Flags::empty(),
        }
    }

    proptest! {
        #[test]
        fn position_finds_what_a_binary_search_finds(
            uids in proptest::collection::btree_set(1u32..400, 0..120),
            probe in 0u32..420,
        ) {
            let msgs: Vec<MessageInfo> = uids.iter().map(|&u| info(u)).collect();
            let want = msgs.binary_search_by_key(&probe, |m| m.uid).ok();
            prop_assert_eq!(position(&msgs, probe), want);
        }
    }
}
