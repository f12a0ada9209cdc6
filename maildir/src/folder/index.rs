//! The snapshot index: a folder's snapshot kept on disk in
//! `missive-index`, so that the first open after a restart needs neither
//! a listing of `new/` and `cur/` nor a `stat` per message.
//!
//! # What it holds
//!
//! What a snapshot needs to start without a listing: the UIDVALIDITY and
//! the GUID (the `G` header field) of the UID list it was made with, that
//! file's stamp (inode, size, mtime) and UIDNEXT when it was read, the
//! stamps of `new/` and `cur/` (inode and mtime at the last listing, and
//! whether the mtime was too recent to be trusted, see [`MTIME_SLACK`]),
//! and per message its UID, subdirectory, file name, flags, size, `,W=`
//! size, internal date, mod-sequence and the flags that mod-sequence was
//! given for; and where the read of the mod-sequence log (`missive-modseq`,
//! [`crate::modseq`]) stood when the messages had those mod-sequences:
//! the log's device and inode, the octets read, its length then, its
//! UIDVALIDITY, the highest mod-sequence, its line count and the first and
//! last (up to) 128 octets read (the first ones hold its header line, and
//! so its version).
//!
//! While the UID list still has the recorded stamp it is the file the
//! index was made with (it is only ever appended to or replaced by a
//! rename), so it is not read at all: its lines are read when a listing
//! finds a name the snapshot does not hold (not for renames), when UIDs
//! are given, or when the file changes. The mod-sequence log is treated
//! alike: while it is the file that was read (same inode, at least as
//! long, the same octets at both ends of what was read), only what was
//! appended since is read, and nothing when its length is unchanged;
//! otherwise it is read whole, as without an index. The appended lines are
//! looked at as a whole read's are (an expunge line, a message logged and
//! then removed behind the log's back); the lines before the mark are not
//! read again: a message that was in none of the index writer's snapshots
//! and was removed without an expunge line before the index was written
//! is not found out, as a whole read with a listing would.
//!
//! # Format (version 3)
//!
//! Integers little-endian. Two sections, each with its checksum after
//! it: the summary, read at open, and the records, read when first needed
//! (see [`messages`](super::messages)):
//!
//! ```text
//! "MsvIndex" | version u32 | total length u64 | summary length u64
//! | UIDVALIDITY u32 | GUID length u16, GUID | UID list stamp
//! | stamp of new/ | stamp of cur/ | log mark
//! | count u32 | in new/ u32 | needing a mod-sequence u32
//! | runs u32 | runs x (first UID u32 | UIDs u32)
//! | values u32 | values x flags u64 | count x value index u8
//! | checksum u64 of the summary (everything before it)
//! | count x (subdir u8 | size u64 | has ,W= u8 | ,W= u64
//!            | date seconds i64 | date nanoseconds u32
//!            | modseq u64 | modseq flags u64 | name length u16 | name)
//! | checksum u64 of the records (everything after the summary's)
//! ```
//!
//! The UIDs are runs of consecutive UIDs, ascending and apart; the flags
//! are the distinct flags of the messages (at most 256) and each
//! message's index among them, or, with `values` 0, each message's flags
//! (`count x flags u64`). The records are in the order of the UIDs.
//!
//! A directory's stamp is `seen u8 | dirty u8 | inode u64 | mtime seconds
//! i64 | mtime nanoseconds i64`; the UID list's is `known u8 | inode u64 |
//! size u64 | mtime seconds i64 | mtime nanoseconds i64 | UIDNEXT u32`;
//! the log mark is `known u8 | device u64 | inode u64 | octets read u64 |
//! length u64 | UIDVALIDITY u32 | highest u64 | lines u64 | head length
//! u8, head | tail length u8, tail`. Version 1 had no log mark and no
//! mod-sequences per message, version 2 no summary; such a file is
//! ignored like any other version.
//!
//! Whatever a snapshot carries per message must be in the file: a field
//! added to [`MessageInfo`](crate::MessageInfo) is written and read here,
//! with [`VERSION`] raised so that older files are ignored.
//!
//! # A cache, never the truth
//!
//! The file is only a faster way to a snapshot the folder would give
//! anyway. One that is missing, short, of another version, with a bad
//! checksum, with UIDs out of order or a name that is no Maildir name, or
//! made with another UID list (another UIDVALIDITY or GUID) is ignored:
//! the folder is listed as if there were none. Records that turn out
//! damaged when they are read, after the summary was taken, make the
//! folder's next refresh list it the same way. The UID list stays the
//! truth for UIDs.
//!
//! A loaded index is a snapshot like a cached one, refreshed the same way
//! before it is used: a directory whose stamp differs from the index's,
//! or whose stamp was too recent to trust when the index was made, is
//! listed again, and only names the index does not hold are `stat`ed. A
//! message delivered, renamed or removed by another process after the
//! index was written therefore shows up as it would without the index.
//!
//! # Writing
//!
//! A folder handle opened for use writes the index when its snapshot
//! differs from the one the file holds (as far as the handle knows): once
//! it is open, and when it is dropped. Only folders of at least
//! [`INDEX_MIN_MESSAGES`] messages get one; a smaller folder lists faster
//! than it reads an index. The file is written in `tmp/` and renamed into
//! place, so a reader sees a whole file or none; it is not fsynced (after
//! a crash it may be old or missing, which costs one listing). No lock is
//! taken: every file, whoever writes it last, describes one snapshot and
//! the stamps it was taken at, and an old one is only a stale one.

use std::os::unix::fs::MetadataExt;

use super::messages::{LazyIndex, Messages, WeakMessages};
use super::{DirStamp, MaildirFolder};
use crate::maildir::Maildir;
use crate::name;
use crate::snapshot::Changes;
use crate::uidlist::{ListState, UidList};

mod format;

#[cfg(test)]
use format::VERSION;
pub(in crate::folder) use format::decode_records;
use format::{Head, UidListStamp, decode_summary, encode};
use format::{decode, decode_from, resealed};

#[cfg(doc)]
use super::MTIME_SLACK;

/// Fuzzing: `data` as an index file with its checksums made right (for
/// the fuzzer to get past them), read in one piece and in pieces: the
/// same either way, and an index that reads re-encodes to one that reads
/// the same.
pub(crate) fn fuzz_decode(data: &[u8]) {
    let data = resealed(data.to_vec());
    let len = data.len() as u64;
    let whole = decode(&data);
    let pieces = decode_from(crate::fuzzing::Pieces::new(&data, 7), len);
    assert_eq!(whole, pieces);
    let Some(ix) = whole else {
        return;
    };
    assert_eq!(ix.messages.len(), ix.summary.columns.len());
    let s = &ix.summary;
    let head = Head {
        validity: s.validity,
        guid: &s.guid,
        uid_list: s.uid_list,
        new_stamp: s.new_stamp,
        cur_stamp: s.cur_stamp,
        log: s.log.clone(),
    };
    let again = encode(&head, &ix.messages).expect("a decoded index encodes");
    let back = decode(&again).expect("a re-encoded index decodes");
    assert_eq!(back.messages, ix.messages);
}

/// The index file inside a folder.
pub(crate) const INDEX_NAME: &str = "missive-index";

/// Folders with fewer messages get no index: listing and `stat`ing 1,000
/// messages takes about 5 ms, reading their index under 1 ms.
pub(crate) const INDEX_MIN_MESSAGES: usize = 1000;

#[cfg(not(test))]
fn min_messages() -> usize {
    INDEX_MIN_MESSAGES
}

#[cfg(test)]
thread_local! {
    /// Tests give small folders an index too.
    pub(super) static MIN_MESSAGES: std::cell::Cell<usize> =
        const { std::cell::Cell::new(INDEX_MIN_MESSAGES) };
}

#[cfg(test)]
fn min_messages() -> usize {
    MIN_MESSAGES.with(std::cell::Cell::get)
}

/// A bigger file is not read (about 5 million messages).
const MAX_INDEX_BYTES: u64 = 1 << 30;

/// What a handle knows of the folder's index file.
#[derive(Debug, Clone, Default)]
pub(super) struct IndexState {
    /// The snapshot the file holds: the one this handle (or the handle it
    /// was copied from) last read or wrote. Weak, so it keeps no messages
    /// alive; a change of the snapshot replaces the `Arc` (a refresh makes
    /// a new one, and `Arc::make_mut` copies or moves a shared or weakly
    /// referenced one), so equal pointers mean the same snapshot.
    written: WeakMessages,
    new_stamp: DirStamp,
    cur_stamp: DirStamp,
    validity: u32,
    uid_list: Option<UidListStamp>,
    /// The mod-sequence log the file's mark is of: once the handle reads
    /// another one (a compaction renamed a new file over it), the mark is
    /// of no use and the index is written again, else every later start
    /// would read the whole log.
    log_file: Option<(u64, u64)>,
    /// The file exists (as far as this handle knows).
    on_disk: bool,
    /// This handle writes the index: one opened for use, not a cached
    /// copy or a delivery handle.
    pub(super) writer: bool,
}

impl IndexState {
    fn holds(&self, f: &MaildirFolder) -> bool {
        self.written.is(&f.messages)
            && self.new_stamp == f.new_stamp
            && self.cur_stamp == f.cur_stamp
            && self.validity == f.validity
            && self.uid_list == f.uidfile.recorded()
            && self.log_file == f.modseqs.file_id()
    }

    fn remember(&mut self, f: &MaildirFolder) {
        self.written = f.messages.downgrade();
        self.new_stamp = f.new_stamp;
        self.cur_stamp = f.cur_stamp;
        self.validity = f.validity;
        self.uid_list = f.uidfile.recorded();
        self.log_file = f.modseqs.file_id();
        self.on_disk = true;
    }

    /// Like [`IndexState`] for a copy of the handle that does not write.
    pub(super) fn reader(&self) -> IndexState {
        IndexState {
            writer: false,
            ..self.clone()
        }
    }
}

/// The `G` field of a UID list's header, or "" without one.
fn guid(list: &UidList) -> &str {
    list.header_extra
        .iter()
        .find_map(|f| f.strip_prefix('G'))
        .unwrap_or("")
}

impl MaildirFolder {
    /// A handle starting from the folder's index when there is a usable
    /// one, else one with no snapshot (the first refresh lists the
    /// folder). Never fails: a problem with the index is no problem.
    pub(super) fn from_index(md: Maildir) -> MaildirFolder {
        let mut folder = MaildirFolder::for_delivery(md);
        let path = folder.md.path().join(INDEX_NAME);
        let Ok((file, meta)) = crate::fs::open_with_metadata(folder.fs().as_ref(), &path) else {
            return folder;
        };
        let len = meta.len();
        folder.index.on_disk = true;
        if len > MAX_INDEX_BYTES {
            return folder;
        }
        let Some(ix) = decode_summary(&file, len) else {
            return folder;
        };
        let fs = folder.fs().clone();
        // The UID list the index was made with, unchanged since: not read
        // now. Otherwise read, and it must have the same UIDVALIDITY and
        // GUID (the same UIDs for the same names).
        let adopted = ix.uid_list.is_some_and(|(stamp, next_uid)| {
            folder
                .uidfile
                .adopt(&fs, stamp, ix.validity, next_uid, &ix.guid)
        });
        if !adopted
            && (folder.uidfile.refresh(&fs).is_err()
                || folder.uidfile.state != ListState::Valid
                || folder.uidfile.list.validity != ix.validity
                || guid(&folder.uidfile.list) != ix.guid)
        {
            return folder;
        }
        // The records are read when first needed (see `messages`).
        drop(file);
        let mut lazy = LazyIndex::new(
            ix.columns,
            ix.needing_modseq,
            folder.md.clone(),
            (meta.dev(), meta.ino()),
            ix.records_at,
            ix.len,
        );
        // The mod-sequences stand with the log read up to the mark: from
        // another log (or none) they are not used, the log is read whole.
        let mark = ix.log.as_ref().filter(|mark| mark.validity == ix.validity);
        if let Some(mark) = mark {
            // Whatever became of the log, no mod-sequence above this one
            // was given: HIGHESTMODSEQ does not go back even if the log
            // is lost.
            folder.modseqs.highest = folder.modseqs.highest.max(mark.highest);
        }
        lazy.forget_modseqs = !mark.is_some_and(|mark| folder.modseqs.adopt(&fs, mark));
        folder.new_count = ix.new_count;
        folder.messages = Messages::lazy(lazy);
        folder.new_stamp = ix.new_stamp;
        folder.cur_stamp = ix.cur_stamp;
        folder.validity = ix.validity;
        let mut state = std::mem::take(&mut folder.index);
        state.remember(&folder);
        folder.index = state;
        folder
    }

    /// After the records of the snapshot index could not be read (the
    /// messages are placeholders, see [`messages`](super::messages)):
    /// lists the folder as if it had no index, and reports what differs
    /// from the UIDs and flags the handle showed.
    pub(super) fn settle_placeholders(&mut self) -> crate::Result<Changes> {
        let mut listing = MaildirFolder::for_delivery(self.md.clone());
        listing.first_sync(None)?;
        let listed = listing.messages.take();
        let mut changes = Changes::default();
        if listing.validity != self.validity {
            changes.uid_validity_changed = true;
            changes.expunged = self.messages.uid_flags().map(|(u, _)| u).collect();
            changes.added = listed.iter().map(|m| m.uid).collect();
            self.gone.clear();
            self.validity = listing.validity;
        } else {
            let mut shown = self.messages.uid_flags().peekable();
            let mut found = listed.iter().peekable();
            loop {
                match (shown.peek().copied(), found.peek()) {
                    (Some((uid, flags)), Some(m)) if uid == m.uid => {
                        if flags != m.flags {
                            changes.flags_changed.push(uid);
                        }
                        shown.next();
                        found.next();
                    }
                    (Some((uid, _)), m) if m.is_none_or(|m| uid < m.uid) => {
                        changes.expunged.push(uid);
                        shown.next();
                    }
                    (_, Some(m)) => {
                        changes.added.push(m.uid);
                        found.next();
                    }
                    _ => break,
                }
            }
            self.gone.extend(&changes.expunged);
            self.gone.sort_unstable();
            self.gone.dedup();
        }
        self.new_count = listed.iter().filter(|m| m.is_new()).count();
        self.messages = Messages::new(listed);
        self.new_stamp = listing.new_stamp;
        self.cur_stamp = listing.cur_stamp;
        self.listed_below = listing.listed_below;
        self.modseqs.highest = self.modseqs.highest.max(listing.modseqs.highest);
        self.generation = super::next_generation();
        Ok(changes)
    }

    /// Whether the index file holds this snapshot.
    pub(super) fn index_holds(&self) -> bool {
        self.index.holds(self)
    }

    /// The snapshot changed only in its mod-sequences, read from or given
    /// to missive-modseq: if the file held it before (`held`), it still
    /// does, and is not written again (the lines are in the log past the
    /// index's mark, and are read from there at the next start; a log
    /// replaced since makes the index differ, see `IndexState::log_file`).
    pub(super) fn index_still_holds(&mut self, held: bool) {
        if held {
            let mut state = std::mem::take(&mut self.index);
            state.remember(self);
            self.index = state;
        }
    }

    /// Writes the index if this handle writes one and its snapshot is not
    /// the one the file holds; removes the file of a folder that became
    /// too small for one. Failing to write is not an error (the folder is
    /// listed at the next start instead).
    pub(super) fn save_index(&mut self) {
        if !self.index.writer || self.uidfile.state != ListState::Valid || self.validity == 0 {
            return;
        }
        let path = self.md.path().join(INDEX_NAME);
        if self.messages.len() < min_messages() {
            if self.index.on_disk {
                let _ = self.fs().remove_file(&path);
                self.index.on_disk = false;
            }
            return;
        }
        if self.index.holds(self) {
            return;
        }
        if self.write_index().is_ok() {
            let mut state = std::mem::take(&mut self.index);
            state.remember(self);
            self.index = state;
        } else {
            // A folder we may not write to (or a full disk): this handle
            // does not try again.
            self.index.writer = false;
        }
    }

    /// Writes the index of the snapshot now (in `tmp/`, renamed into
    /// place; not fsynced).
    pub(super) fn write_index(&self) -> std::io::Result<()> {
        let Some(data) = encode(
            &Head {
                validity: self.validity,
                guid: guid(&self.uidfile.list),
                uid_list: self.uidfile.recorded(),
                new_stamp: self.new_stamp,
                cur_stamp: self.cur_stamp,
                log: self.modseqs.mark(self.validity),
            },
            &self.messages,
        ) else {
            return Err(std::io::ErrorKind::InvalidData.into());
        };
        let fs = self.fs();
        let tmp = self
            .md
            .path()
            .join("tmp")
            .join(name::unique_name() + ".index");
        let written = (|| {
            let mut f = fs.create_new(&tmp, 0o600)?;
            fs.write_all(&mut f, &data)?;
            drop(f);
            fs.rename(&tmp, &self.md.path().join(INDEX_NAME))
        })();
        if written.is_err() {
            let _ = fs.remove_file(&tmp);
        }
        written
    }
}

#[cfg(test)]
mod lazy_tests;
#[cfg(test)]
mod log_tests;
#[cfg(test)]
mod tests;
