//! A Maildir folder with stable UIDs and an incrementally refreshed
//! snapshot.
//!
//! # Refreshing without a stat per message
//!
//! A refresh `stat`s `new/` and `cur/` and lists only a directory whose
//! mtime changed since the last listing. Messages already known keep the
//! size and date found when they were first seen; only names not seen
//! before are `stat`ed (and not even that for the size when the name has
//! `,S=`).
//!
//! Directory mtimes have a granularity (one second on some file systems,
//! a timer tick on others), so a change made in the same tick as the
//! listing can leave the mtime unchanged. A directory whose mtime was less
//! than [`MTIME_SLACK`] before the listing began therefore stays "dirty"
//! and is listed again at the next refresh, until its mtime is old enough
//! to be trusted. The directory is `stat`ed before it is listed, so a
//! change after the `stat` moves the mtime on.
//!
//! `readdir` may skip a file that is renamed while the directory is being
//! read (Dovecot's Maildir documentation, "Locking"). A message that seems
//! to have vanished is therefore looked for in a second listing before it
//! is reported expunged.

use std::collections::HashMap;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::flags::{FlagOp, Flags, Keywords};
use crate::fs::SharedFs;
use crate::fs::SizeAndTime;
use crate::lock::FolderLock;
use crate::maildir::{MailEntry, Maildir, Subdir, Subdirs, TMP_MAX_AGE};
use crate::modseq::ModSeqLog;
use crate::name;
use crate::snapshot::{Changes, Entry, Location, MessageInfo, NO_VSIZE, SnapshotCache, UidFlags};
use crate::uidlist::{ListState, UidListFile};
use crate::watch::FolderWatch;
use messages::Messages;

/// A directory modified less than this before it was listed is listed
/// again at the next refresh (see the module documentation).
pub const MTIME_SLACK: Duration = Duration::from_secs(2);

/// The keywords file inside a folder.
const KEYWORDS_NAME: &str = "dovecot-keywords";

/// The UID list is rewritten without expunged lines once it holds this
/// many of them and more of them than live ones.
const COMPACT_MIN_STALE: usize = 1000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct DirStamp {
    /// (inode, mtime seconds, mtime nanoseconds) at the last listing.
    seen: Option<(u64, i64, i64)>,
    /// The mtime was too recent to be trusted.
    dirty: bool,
}

impl DirStamp {
    fn needs_scan(&self, now: (u64, i64, i64)) -> bool {
        self.dirty || self.seen != Some(now)
    }
}

/// A Maildir folder opened for use by a server.
///
/// A detached copy ([`MaildirFolder::detached`]) shares the snapshot and
/// the UID list with the original until one of them changes (copy on
/// write): handing a cached snapshot to a new session costs no copy (see
/// [`crate::SnapshotCache`]).
#[derive(Debug)]
pub(crate) struct MaildirFolder {
    md: Maildir,
    uidfile: UidListFile,
    keywords: Keywords,
    keywords_stamp: Option<(u64, i64, i64, u64)>,
    /// Sorted by UID.
    messages: Messages,
    new_stamp: DirStamp,
    cur_stamp: DirStamp,
    validity: u32,
    /// Changes found by internal refreshes, not yet handed out.
    pending: Changes,
    /// Where the snapshot goes when this handle is dropped.
    cache: Option<SnapshotCache>,
    /// The mod-sequence log as far as read.
    modseqs: ModSeqLog,
    /// The folder lock is held by a STORE: a refresh meanwhile gives no
    /// mod-sequences (the STORE gives them before it lets go).
    modseq_locked: bool,
    /// What the folder's snapshot index holds (see [`index`]).
    index: index::IndexState,
    /// Changes whenever the UIDs or flags of the snapshot or the keywords
    /// change; never the same for two different snapshots.
    generation: u64,
    /// Messages of the snapshot in `new/`.
    new_count: usize,
    /// UIDs gone from the snapshot (expunged by this handle, or found
    /// removed) whose expunge the mod-sequence log does not hold yet,
    /// ascending.
    gone: Vec<u32>,
    /// The UIDNEXT of the UID list when the last listing of the whole
    /// folder began (0: none yet): a UID below it that the snapshot does
    /// not hold was removed, while a greater one may be a message
    /// delivered since.
    listed_below: u32,
    /// Change notices for the folder's directories, where there are any:
    /// [`MaildirFolder::has_changed`] then makes no `stat` while none came.
    watch: Option<FolderWatch>,
}

/// What a [`DirStamp`] compares: a directory's inode and modification
/// time.
fn stamp_of(m: &std::fs::Metadata) -> (u64, i64, i64) {
    (m.ino(), m.mtime(), m.mtime_nsec())
}

/// A number no snapshot had before (see [`MaildirFolder::generation`]).
fn next_generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Drop for MaildirFolder {
    fn drop(&mut self) {
        self.save_index();
        if let Some(cache) = self.cache.take()
            && self.uidfile.state == ListState::Valid
            && self.validity != 0
        {
            cache.put(self.md.path(), self.detached());
        }
    }
}

impl MaildirFolder {
    /// Opens a folder: cleans `tmp/`, makes sure a UID list exists, and
    /// takes the first snapshot.
    #[cfg(test)]
    pub fn open(md: Maildir) -> Result<MaildirFolder> {
        MaildirFolder::open_cached(md, None)
    }

    /// Like [`MaildirFolder::open`], starting from the snapshot `cache`
    /// holds for this folder if it holds one; the snapshot is put back
    /// into `cache` now and when the handle is dropped.
    #[cfg(test)]
    pub fn open_cached(md: Maildir, cache: Option<SnapshotCache>) -> Result<MaildirFolder> {
        let (md, seen) = Maildir::open_seen(md.path(), md.file_system().clone())?;
        MaildirFolder::open_seen(md, cache, seen)
    }

    /// Opens a folder: cleans `tmp/`, makes sure a UID list exists, and
    /// takes the first snapshot, starting from the snapshot `cache` holds
    /// for this folder if it holds one (the snapshot is put back into
    /// `cache` now and when the handle is dropped); `seen`: what the
    /// Maildir's open found of its subdirectories ([`Maildir::open_seen`]),
    /// not looked at again.
    pub(crate) fn open_seen(
        md: Maildir,
        cache: Option<SnapshotCache>,
        seen: Subdirs,
    ) -> Result<MaildirFolder> {
        // Leftovers of failed deliveries (courier maildir(5), "READING
        // MAIL FROM MAILDIRS"); failing to clean is not failing to open.
        let _ = md.clean_tmp_if_due_seen(TMP_MAX_AGE, &seen.tmp);
        let mut folder = match cache.as_ref().and_then(|c| c.get(md.path())) {
            Some(mut cached) => {
                // This store's file system, the cached snapshot.
                cached.md = md;
                cached
            }
            None => MaildirFolder::from_index(md),
        };
        if folder.watch.is_none() {
            // Not cur/: a watch on a directory makes the kernel walk the
            // names it holds in memory (8 ms for 100,000); a `stat` of
            // cur/ answers for it.
            let md = &folder.md;
            folder.watch = FolderWatch::new(&[md.path(), &md.subdir_path(Subdir::New)]);
        }
        folder.first_sync(Some([stamp_of(&seen.new), stamp_of(&seen.cur)]))?;
        // The first snapshot is the baseline, not a change.
        folder.pending = Changes::default();
        folder.index.writer = true;
        folder.save_index();
        if let Some(cache) = cache {
            cache.put(folder.md.path(), folder.detached());
            folder.cache = Some(cache);
        }
        Ok(folder)
    }

    /// A clone for the cache: shares the snapshot, carries no pending
    /// changes and no cache of its own.
    pub(crate) fn detached(&self) -> MaildirFolder {
        MaildirFolder {
            md: self.md.clone(),
            uidfile: self.uidfile.clone(),
            keywords: self.keywords.clone(),
            keywords_stamp: self.keywords_stamp,
            messages: self.messages.clone(),
            new_stamp: self.new_stamp,
            cur_stamp: self.cur_stamp,
            validity: self.validity,
            pending: Changes::default(),
            cache: None,
            modseqs: self.modseqs.clone(),
            modseq_locked: false,
            index: self.index.reader(),
            generation: self.generation,
            new_count: self.new_count,
            gone: self.gone.clone(),
            listed_below: self.listed_below,
            watch: self.watch.clone(),
        }
    }

    /// A folder handle for delivery only: no snapshot is taken, so
    /// delivering into a big folder costs no directory listing.
    pub fn for_delivery(md: Maildir) -> MaildirFolder {
        let uidfile = UidListFile::new(md.path());
        let modseqs = ModSeqLog::new(md.path());
        MaildirFolder {
            md,
            uidfile,
            keywords: Keywords::default(),
            keywords_stamp: None,
            messages: Messages::default(),
            new_stamp: DirStamp::default(),
            cur_stamp: DirStamp::default(),
            validity: 0,
            pending: Changes::default(),
            cache: None,
            modseqs,
            modseq_locked: false,
            index: index::IndexState::default(),
            generation: next_generation(),
            new_count: 0,
            gone: Vec::new(),
            listed_below: 0,
            watch: None,
        }
    }

    /// A number that changes whenever the messages' UIDs or flags or the
    /// folder's keywords change, and that no other snapshot had: what a
    /// server made of the snapshot is still good while it is the same.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The number of messages of the snapshot in `new/`.
    pub fn new_count(&self) -> usize {
        self.new_count
    }

    pub fn maildir(&self) -> &Maildir {
        &self.md
    }

    fn fs(&self) -> &SharedFs {
        self.md.file_system()
    }

    pub fn uid_validity(&self) -> u32 {
        self.validity
    }

    pub fn uid_next(&self) -> u32 {
        let last = self.messages.last_uid().map_or(1, |u| u.saturating_add(1));
        self.uidfile.list.next_uid.max(last)
    }

    pub fn messages(&self) -> &[MessageInfo] {
        self.messages.as_slice()
    }

    /// The number of messages (without reading the records of a snapshot
    /// index).
    pub fn message_count(&self) -> usize {
        self.messages.len()
    }

    /// Each message's UID and flags (without reading the records of a
    /// snapshot index).
    pub fn uid_flags(&self) -> UidFlags<'_> {
        self.messages.uid_flags()
    }

    /// The UIDs and flags as the snapshot index's summary holds them,
    /// while the snapshot is the index's.
    pub fn flag_runs(&self) -> Option<crate::FlagRuns<'_>> {
        self.messages.flag_runs()
    }

    pub fn keywords(&self) -> &Keywords {
        &self.keywords
    }

    fn index_of(&self, uid: u32) -> Option<usize> {
        crate::snapshot::position(&self.messages, uid)
    }

    pub fn message(&self, uid: u32) -> Option<&MessageInfo> {
        self.index_of(uid).and_then(|i| self.messages.get(i))
    }

    fn dir_stamp(&self, sub: Subdir) -> Result<(u64, i64, i64)> {
        let p = self.md.subdir_path(sub);
        let m = self
            .fs()
            .metadata(&p)
            .map_err(|e| Error::io("stat", p, e))?;
        Ok(stamp_of(&m))
    }

    /// True if a refresh may find something new. Costs four `stat`s, or
    /// where change notices can be had (see [`crate::watch`]) one `read`
    /// and a `stat` of `cur/` while none came. May answer true for a short
    /// while after a change was already seen (the mtime slack); never
    /// answers false when something changed.
    pub fn has_changed(&self) -> Result<bool> {
        // What an internal refresh found (a message renamed under a read)
        // waits for the next refresh; so do placeholders for a listing.
        if !self.pending.is_empty() || self.messages.are_placeholders() {
            return Ok(true);
        }
        if !self.new_stamp.dirty
            && !self.cur_stamp.dirty
            && self.watch.as_ref().is_some_and(FolderWatch::quiet)
        {
            return Ok(self.cur_stamp.needs_scan(self.dir_stamp(Subdir::Cur)?));
        }
        // Read before looking: an event after them is a change after the
        // look.
        let counts = self.watch.as_ref().map(FolderWatch::counts);
        let changed = self.new_stamp.needs_scan(self.dir_stamp(Subdir::New)?)
            || self.cur_stamp.needs_scan(self.dir_stamp(Subdir::Cur)?)
            || self.uidfile.changed_on_disk(self.fs())
            || self.keywords_changed();
        if let (false, Some(w), Some(counts)) = (changed, &self.watch, counts) {
            w.arm(counts);
        }
        Ok(changed)
    }

    /// Brings the snapshot up to date and says what changed since the last
    /// call (including what internal refreshes found meanwhile).
    pub fn refresh(&mut self) -> Result<Changes> {
        let found = self.sync()?;
        self.merge_pending(found);
        Ok(std::mem::take(&mut self.pending))
    }

    /// A refresh whose findings wait for the next [`MaildirFolder::refresh`].
    pub fn resync(&mut self) -> Result<()> {
        self.force_rescan();
        let c = self.sync()?;
        self.merge_pending(c);
        Ok(())
    }

    fn merge_pending(&mut self, c: Changes) {
        let p = &mut self.pending;
        if c.uid_validity_changed {
            p.uid_validity_changed = true;
        }
        for uid in c.expunged {
            if let Some(i) = p.added.iter().position(|u| *u == uid) {
                // Came and went before the caller saw it.
                p.added.remove(i);
            } else {
                p.expunged.push(uid);
            }
            p.flags_changed.retain(|u| *u != uid);
        }
        for uid in c.flags_changed {
            if !p.added.contains(&uid) && !p.flags_changed.contains(&uid) {
                p.flags_changed.push(uid);
            }
        }
        p.added.extend(c.added);
        p.added.sort_unstable();
        p.added.dedup();
        p.expunged.sort_unstable();
        p.expunged.dedup();
        p.flags_changed.sort_unstable();
    }

    /// The first refresh of a handle: a folder without a valid UID list
    /// is given one, and listed again with it. `seen`: the stamps of
    /// `new/` and `cur/` the open just took.
    fn first_sync(&mut self, seen: Option<[(u64, i64, i64); 2]>) -> Result<()> {
        let r = self.first_sync_seen(seen);
        // What the open found of the UID list and the mod-sequence log
        // stands for its first refresh only.
        self.uidfile.end_fresh();
        self.modseqs.end_fresh();
        r
    }

    fn first_sync_seen(&mut self, seen: Option<[(u64, i64, i64); 2]>) -> Result<()> {
        self.sync_seen(seen)?;
        if self.uidfile.state != ListState::Valid {
            self.ensure_uids(Vec::new(), false)?;
            self.sync()?;
        }
        Ok(())
    }

    /// One refresh; returns what it found.
    fn sync(&mut self) -> Result<Changes> {
        self.sync_seen(None)
    }

    /// [`MaildirFolder::sync`] with the stamps of `new/` and `cur/` when
    /// they were just taken.
    fn sync_seen(&mut self, seen: Option<[(u64, i64, i64); 2]>) -> Result<Changes> {
        // The change notices are counted before the refresh looks, unless
        // it looks at stamps taken before (an event between those and the
        // count would go unseen).
        let counts = match (&self.watch, seen) {
            (Some(w), None) => w.counts(),
            _ => None,
        };
        if let Some(w) = &self.watch {
            w.disarm();
        }
        let changes = self.sync_seen_now(seen)?;
        if let Some(w) = &self.watch {
            w.arm(counts);
        }
        Ok(changes)
    }

    fn sync_seen_now(&mut self, seen: Option<[(u64, i64, i64); 2]>) -> Result<Changes> {
        if self.messages.are_placeholders() {
            return self.settle_placeholders();
        }
        let mut changes = Changes::default();
        self.reload_keywords()?;
        self.uidfile.refresh(self.md.file_system())?;
        if self.uidfile.state == ListState::Valid && self.uidfile.list.validity != self.validity {
            if self.validity != 0 {
                changes.uid_validity_changed = true;
                changes.expunged = self.messages.iter().map(|m| m.uid).collect();
            }
            self.messages = Messages::default();
            self.gone.clear();
            self.listed_below = 0;
            self.new_count = 0;
            self.new_stamp = DirStamp::default();
            self.cur_stamp = DirStamp::default();
            self.validity = self.uidfile.list.validity;
        }
        // Every UID below this one was given to a file that was in the
        // folder before the listing below begins.
        let mut uid_next_before = self.uidfile.list.next_uid;
        let [new_now, cur_now] = match seen {
            Some(stamps) => stamps,
            None => [self.dir_stamp(Subdir::New)?, self.dir_stamp(Subdir::Cur)?],
        };
        let scan_new = self.new_stamp.needs_scan(new_now);
        let scan_cur = self.cur_stamp.needs_scan(cur_now);
        if !scan_new && !scan_cur && self.uidfile.state == ListState::Valid {
            if !self.modseqs.is_read() {
                // A snapshot that came without its mod-sequences, or with
                // ones from the snapshot index the log has not confirmed.
                self.update_modseqs_if_writable()?;
            }
            return Ok(changes);
        }
        let scan_start = SystemTime::now();
        // Each name found, and its size and modification time when the
        // listing read them.
        let mut found: HashMap<String, (Entry, Option<SizeAndTime>)> = HashMap::new();
        let scanned = |sub: Subdir| match sub {
            Subdir::New => scan_new,
            Subdir::Cur => scan_cur,
        };
        // With no snapshot yet, every message listed is new and needs its
        // size and date: looked at during the listing, relative to the
        // directory, rather than by path one by one after it.
        let with_stat = self.messages.is_empty();
        // new/ before cur/: a message moving from new/ to cur/ during the
        // listing is then seen twice rather than not at all.
        for sub in [Subdir::New, Subdir::Cur] {
            if scanned(sub) {
                let listed = self.md.list_subdir_stat(sub, with_stat)?;
                found.reserve(listed.len());
                for (e, stat) in listed {
                    found.insert(e.base().to_owned(), (Entry::from(e), stat));
                }
            } else {
                for m in self.messages.iter() {
                    if let Location::Maildir(e) = &m.location
                        && e.subdir == sub
                    {
                        found.insert(e.base().to_owned(), (e.clone(), None));
                    }
                }
            }
        }
        let missing = self.messages.iter().any(|m| !found.contains_key(m.base()));
        if missing {
            for sub in [Subdir::New, Subdir::Cur] {
                if scanned(sub) {
                    for e in self.md.list_subdir(sub)? {
                        found
                            .entry(e.base().to_owned())
                            .or_insert_with(|| (Entry::from(e), None));
                    }
                }
            }
        }

        // Every message present must have a UID before it is shown. When
        // the listing holds just the snapshot's names (renames, moves to
        // cur/), each has its UID already: no lookup, and a UID list taken
        // from the snapshot index is not read.
        let only_known = !missing && found.len() == self.messages.len();
        let mut complete = false;
        let unassigned: Vec<String> = if only_known {
            Vec::new()
        } else {
            self.uidfile.load(self.md.file_system())?;
            // Both directories just listed, and no name left out for a
            // UID already held: the names are every message there is.
            complete = scan_new && scan_cur && self.uidfile.list.entries.is_empty();
            found
                .iter()
                .filter(|(b, _)| self.uidfile.list.uid_of(b).is_none())
                .map(|(_, (e, _))| e.name.as_str().to_owned())
                .collect()
        };
        if !unassigned.is_empty()
            || self.uidfile.state != ListState::Valid
            || self.uidfile.list.validity != self.validity
        {
            self.ensure_uids(unassigned, complete)?;
            if self.uidfile.list.validity != self.validity {
                // Rebuilt with a new UIDVALIDITY: every message is new.
                if self.validity != 0 {
                    changes.uid_validity_changed = true;
                    changes.expunged.extend(self.messages.iter().map(|m| m.uid));
                }
                self.messages = Messages::default();
                self.gone.clear();
                uid_next_before = 0;
                self.new_count = 0;
                self.validity = self.uidfile.list.validity;
            }
        }

        let mut dirty = false;
        let mut kept = Vec::with_capacity(self.messages.len());
        for mut m in self.messages.take() {
            match found.remove(m.base()) {
                Some((e, _)) => {
                    // Same name, same flags: the common case costs no parse.
                    if !matches!(&m.location, Location::Maildir(old) if *old == e) {
                        let flags = e.flags();
                        if flags != m.flags {
                            changes.flags_changed.push(m.uid);
                            m.flags = flags;
                        }
                        m.location = Location::Maildir(e);
                    }
                    kept.push(m);
                }
                None => {
                    changes.expunged.push(m.uid);
                    self.gone.push(m.uid);
                }
            }
        }
        let mut added = Vec::with_capacity(found.len());
        for (base, (e, stat)) in found {
            let Some(uid) = self.uidfile.list.uid_of(&base) else {
                dirty = true;
                continue;
            };
            let (len, modified) = match stat {
                Some(stat) => stat,
                None => {
                    let path = self.md.name_path(e.subdir, e.name.as_str());
                    match self.fs().metadata(&path) {
                        Ok(m) => (m.len(), m.modified().unwrap_or(UNIX_EPOCH)),
                        Err(err) if err.kind() == io::ErrorKind::NotFound => {
                            // Renamed or removed since the listing: look
                            // again next time.
                            dirty = true;
                            continue;
                        }
                        Err(err) => return Err(Error::io("stat", path, err)),
                    }
                }
            };
            let size = name::size_from_base(&base).unwrap_or(len);
            let (date_secs, date_nanos) = crate::snapshot::date_parts(modified);
            added.push(MessageInfo {
                uid,
                vsize: name::vsize_from_base(&base).unwrap_or(NO_VSIZE),
                flags: e.flags(),
                size,
                date_secs,
                date_nanos,
                location: Location::Maildir(e),
                modseq: 0,
                modseq_flags: Flags::empty(),
            });
        }
        added.sort_unstable_by_key(|m| m.uid);
        changes.added = added.iter().map(|m| m.uid).collect();
        if kept.is_empty() {
            // The first listing: no copy of what was just built.
            kept = added;
        } else {
            kept.extend(added);
            kept.sort_by_key(|m| m.uid);
        }
        self.new_count = kept.iter().filter(|m| m.is_new()).count();
        self.messages = Messages::new(kept);
        changes.expunged.sort_unstable();
        changes.flags_changed.sort_unstable();
        if !changes.is_empty() {
            self.generation = next_generation();
        }

        let trust = |mtime: (u64, i64, i64)| {
            let m = UNIX_EPOCH
                + Duration::new(
                    u64::try_from(mtime.1).unwrap_or(0),
                    u32::try_from(mtime.2).unwrap_or(0),
                );
            m + MTIME_SLACK < scan_start
        };
        if scan_new {
            self.new_stamp = DirStamp {
                seen: Some(new_now),
                dirty: dirty || !trust(new_now),
            };
        }
        if scan_cur {
            self.cur_stamp = DirStamp {
                seen: Some(cur_now),
                dirty: dirty || !trust(cur_now),
            };
        }
        self.gone.sort_unstable();
        self.gone.dedup();
        self.listed_below = uid_next_before;
        self.update_modseqs_if_writable()?;
        self.maybe_compact()?;
        Ok(changes)
    }

    /// Opens a message; if it was renamed by someone else meanwhile,
    /// refreshes and tries its new name.
    pub fn open_message(&mut self, uid: u32) -> Result<std::fs::File> {
        for attempt in 0..2 {
            let Some(Location::Maildir(e)) = self.message(uid).map(|m| m.location.clone()) else {
                return Err(Error::NoSuchMessage(uid));
            };
            if e.name.as_str().is_empty() && attempt == 0 {
                // A placeholder (see `messages`): the refresh lists the
                // folder.
                let c = self.sync()?;
                self.merge_pending(c);
                continue;
            }
            match self.md.open_message(&e.to_mail_entry()) {
                Ok(f) => return Ok(f),
                Err(Error::Io { source, .. })
                    if source.kind() == io::ErrorKind::NotFound && attempt == 0 =>
                {
                    self.force_rescan();
                    let c = self.sync()?;
                    self.merge_pending(c);
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::NoSuchMessage(uid))
    }

    fn force_rescan(&mut self) {
        self.new_stamp.dirty = true;
        self.cur_stamp.dirty = true;
    }

    /// Delivers a message and gives it its UID. Without `flags` it goes to
    /// `new/`; with flags (IMAP APPEND) to `cur/`.
    pub fn append(
        &mut self,
        message: impl io::Read,
        flags: Option<Flags>,
        internal_date: Option<SystemTime>,
    ) -> Result<u32> {
        // A handle without the list in memory (a delivery agent's) marks
        // the list now and reads only what changes meanwhile.
        let mark = if self.uidfile.state == ListState::Valid {
            None
        } else {
            self.uidfile.mark(self.fs())
        };
        let d = self.md.deliver_from(message, flags, internal_date)?;
        if let Some(mark) = mark {
            let fast = FolderLock::acquire(self.fs(), self.md.path()).and_then(|lock| {
                let r = self.uidfile.assign_after_mark(
                    self.md.file_system(),
                    &mark,
                    &d.base,
                    &d.entry.name,
                );
                lock.release();
                r
            });
            match fast {
                Ok(Some(uid)) => return Ok(uid),
                Ok(None) => {}
                Err(e) => {
                    let _ = self.md.delete(&d.entry);
                    return Err(e);
                }
            }
        }
        self.assign_delivered(&d.base, &d.entry)
    }

    /// Gives a UID to a message just linked into the folder. If that fails,
    /// the message is removed: an error means "not delivered".
    fn assign_delivered(&mut self, base: &str, entry: &MailEntry) -> Result<u32> {
        let assigned = self
            .ensure_uids(vec![entry.name.clone()], false)
            .and_then(|()| {
                self.uidfile
                    .list
                    .uid_of(base)
                    .ok_or(Error::NoSuchMessage(0))
            });
        match assigned {
            Ok(uid) => {
                self.insert_known(uid, base, entry);
                // The message has its mod-sequence now if it can; if not,
                // the next refresh gives it one.
                let _ = self.update_modseqs();
                Ok(uid)
            }
            Err(e) => {
                let _ = self.md.delete(entry);
                Err(e)
            }
        }
    }

    /// Puts a message this folder just stored into the snapshot (reported
    /// as added by the next refresh), so that its UID can be used at once.
    fn insert_known(&mut self, uid: u32, base: &str, entry: &MailEntry) {
        if self.index_of(uid).is_some() || self.validity != self.uidfile.list.validity {
            return;
        }
        let Ok(meta) = self.fs().metadata(&self.md.entry_path(entry)) else {
            return;
        };
        let (date_secs, date_nanos) =
            crate::snapshot::date_parts(meta.modified().unwrap_or(UNIX_EPOCH));
        let info = MessageInfo {
            uid,
            flags: entry.flags(),
            size: name::size_from_base(base).unwrap_or(meta.len()),
            vsize: name::vsize_from_base(base).unwrap_or(NO_VSIZE),
            date_secs,
            date_nanos,
            location: Location::Maildir(Entry::from(entry.clone())),
            modseq: 0,
            modseq_flags: Flags::empty(),
        };
        let at = self.messages.partition_point(|m| m.uid < uid);
        self.new_count += usize::from(info.is_new());
        self.messages.make_mut().insert(at, info);
        self.generation = next_generation();
        self.merge_pending(Changes {
            added: vec![uid],
            ..Changes::default()
        });
    }

    /// Changes the flags of a message by renaming it (into `cur/`).
    pub fn set_flags(&mut self, uid: u32, op: FlagOp, flags: Flags) -> Result<Flags> {
        for attempt in 0..2 {
            let i = self.index_of(uid).ok_or(Error::NoSuchMessage(uid))?;
            let Some(m) = self.messages.get(i) else {
                return Err(Error::NoSuchMessage(uid));
            };
            let Location::Maildir(entry) = &m.location else {
                return Err(Error::NoSuchMessage(uid));
            };
            let new_flags = m.flags.apply(op, flags);
            let changed = new_flags != m.flags;
            match self.md.set_flags(&entry.to_mail_entry(), new_flags) {
                Ok(to) => {
                    if let Some(m) = self.messages.make_mut().get_mut(i) {
                        if m.flags != new_flags {
                            self.generation = next_generation();
                        }
                        if m.is_new() {
                            // Renamed into cur/.
                            self.new_count = self.new_count.saturating_sub(1);
                        }
                        m.flags = new_flags;
                        m.location = Location::Maildir(Entry::from(to));
                    }
                    if changed {
                        // Given now if it can be, else at the next refresh.
                        let _ = self.update_modseqs();
                    }
                    return Ok(new_flags);
                }
                Err(Error::Io { source, .. })
                    if source.kind() == io::ErrorKind::NotFound && attempt == 0 =>
                {
                    self.force_rescan();
                    let c = self.sync()?;
                    self.merge_pending(c);
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::NoSuchMessage(uid))
    }

    /// Moves every message of `new/` to `cur/`; returns their UIDs.
    pub fn move_new_to_cur(&mut self) -> Result<Vec<u32>> {
        if self.new_count == 0 {
            return Ok(Vec::new());
        }
        let uids: Vec<u32> = self
            .messages
            .iter()
            .filter(|m| m.is_new())
            .map(|m| m.uid)
            .collect();
        let mut moved = Vec::new();
        for uid in uids {
            match self.set_flags(uid, FlagOp::Add, Flags::empty()) {
                Ok(_) => moved.push(uid),
                Err(Error::NoSuchMessage(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(moved)
    }

    /// Deletes messages; returns the UIDs that were removed (an unknown or
    /// already removed UID is skipped).
    pub fn expunge(&mut self, uids: &[u32]) -> Result<Vec<u32>> {
        let mut done = Vec::new();
        for &uid in uids {
            for attempt in 0..2 {
                let Some(Location::Maildir(e)) = self.message(uid).map(|m| m.location.clone())
                else {
                    break;
                };
                match self.md.delete(&e.to_mail_entry()) {
                    Ok(()) => {
                        if let Some(i) = self.index_of(uid) {
                            let gone = self.messages.make_mut().remove(i);
                            if gone.is_new() {
                                self.new_count = self.new_count.saturating_sub(1);
                            }
                            self.generation = next_generation();
                            self.gone.push(uid);
                        }
                        done.push(uid);
                        break;
                    }
                    Err(Error::Io { source, .. })
                        if source.kind() == io::ErrorKind::NotFound && attempt == 0 =>
                    {
                        self.force_rescan();
                        let c = self.sync()?;
                        self.merge_pending(c);
                    }
                    Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        if !self.gone.is_empty() {
            self.gone.sort_unstable();
            self.gone.dedup();
            // Each expunge gets its mod-sequence and line now (RFC 7162
            // section 3.2.7); if the log cannot be written, the next
            // refresh tries again.
            let _ = self.update_modseqs();
        }
        Ok(done)
    }
}

mod index;
pub(crate) use index::fuzz_decode as fuzz_index;
mod messages;
mod modseqs;
mod ops;
#[cfg(test)]
mod tests;

pub use modseqs::Stored;

pub(crate) use ops::write_replace;
