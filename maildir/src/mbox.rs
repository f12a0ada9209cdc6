//! mbox folders: an mbox file (mboxrd) plus a side file with UIDs and
//! flags.
//!
//! # Locking
//!
//! Every change, and every re-reading after a change, holds `fcntl(F_SETLK)`
//! on the mbox and then the dotlock `<mbox>.lock` (the order Debian asks
//! of every program; Dovecot's `mbox_write_locks = dotlock fcntl` takes the
//! same two). Appending writes the `From ` line, the quoted message and
//! the blank separator line at the end of the file, fsyncs it, and on any
//! error truncates the file back to its old length.
//!
//! # UIDs and flags
//!
//! An mbox has no place for a UID unless its messages are rewritten
//! (Dovecot's `X-UID` headers), so we keep them beside it, in
//! `.<mbox name>.uidlist` in the same directory:
//!
//! ```text
//! missive-mbox 1 V<uidvalidity> N<uidnext> S<mbox size described>
//! K <index> <keyword>
//! <uid> <From_ offset> <body offset> <body length> <size> <date> :<flags>
//! ```
//!
//! When the mbox has grown past `S` with a `From ` line at `S` (another
//! program appended), only the new part is read and its messages get new
//! UIDs. When it changed in any other way, it is read again in full and
//! gets a new, greater UIDVALIDITY. Expunge compacts the file in place
//! (never replacing its inode, which a deliverer may hold locked) and then
//! rewrites the side file; a crash between the two costs a new
//! UIDVALIDITY, never a reused UID. A crash in the middle of the
//! compaction itself can damage the mbox: that is the format's known
//! weakness (Dovecot's mbox documentation, "Crashes"), and a reason to
//! prefer Maildir.
//!
//! Reading a message takes no lock, so that a long download never holds
//! up deliveries; appends never move existing bytes, but an expunge by
//! another process during the read can shift them (the reader re-checks
//! the file before it starts, not while it reads).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::flags::{FlagOp, Flags, Keywords};
use crate::fs::SharedFs;
use crate::lock::{DotLock, LOCK_TIMEOUT, fcntl_lock};
use crate::mboxrd::{self, Unquote};
use crate::snapshot::{Changes, Location, MessageInfo};
use crate::uidlist::UidList;

/// Held while an mbox may change: the `fcntl` lock (on the open file)
/// and the dotlock.
#[derive(Debug)]
pub(crate) struct MboxLock {
    pub file: File,
    _dotlock: DotLock,
}

impl MboxLock {
    /// Opens (creating if needed, mode 0600) and locks the mbox.
    pub fn acquire(fs: &SharedFs, path: &Path) -> Result<MboxLock> {
        let file = fs
            .open_rw_create(path, 0o600)
            .map_err(|e| Error::io("open", path, e))?;
        fcntl_lock(&file, true, LOCK_TIMEOUT).map_err(|e| {
            if e.kind() == io::ErrorKind::TimedOut {
                Error::LockTimeout(path.to_owned())
            } else {
                Error::io("fcntl", path, e)
            }
        })?;
        let mut lock_name = path.as_os_str().to_owned();
        lock_name.push(".lock");
        let dotlock = DotLock::acquire(fs, PathBuf::from(lock_name))?;
        Ok(MboxLock {
            file,
            _dotlock: dotlock,
        })
    }
}

/// Appends one message to a locked mbox: `From ` line, quoted message,
/// blank line; fsync. On failure the file is cut back to its old length.
/// Returns the offset of the new `From ` line.
pub(crate) fn append_locked(
    fs: &SharedFs,
    path: &Path,
    lock: &mut MboxLock,
    message: impl Read,
    sender: &str,
    date: SystemTime,
) -> Result<u64> {
    let file = &mut lock.file;
    let before = file
        .metadata()
        .map_err(|e| Error::io("stat", path, e))?
        .len();
    // Each message must end with a blank line before the next From_ line.
    let mut sep: &[u8] = b"";
    if before > 0 {
        let mut tail = [0u8; 2];
        let n = usize::try_from(before.min(2)).unwrap_or(2);
        let tail = tail.get_mut(..n).unwrap_or_default();
        file.read_exact_at(tail, before - n as u64)
            .map_err(|e| Error::io("read", path, e))?;
        sep = match tail {
            [b'\n', b'\n'] => b"",
            [_, b'\n'] | [b'\n'] => b"\n",
            _ => b"\n\n",
        };
    }
    let from_offset = before + sep.len() as u64;
    let written = (|| -> io::Result<()> {
        file.seek(SeekFrom::Start(before))?;
        let mut out = io::BufWriter::with_capacity(
            64 * 1024,
            FsWriter {
                fs,
                file: &mut *file,
            },
        );
        out.write_all(sep)?;
        out.write_all(mboxrd::from_line(sender, date).as_bytes())?;
        let (_, ends_nl) = mboxrd::write_quoted(message, &mut out)?;
        out.write_all(if ends_nl { b"\n" } else { b"\n\n" })?;
        out.flush()?;
        drop(out);
        fs.sync_file(file)
    })();
    if let Err(e) = written {
        let _ = file.set_len(before);
        let _ = file.sync_all();
        return Err(Error::io("write", path, e));
    }
    Ok(from_offset)
}

/// Routes writes through [`FileSystem::write_all`](crate::FileSystem) so that
/// tests can fail them.
struct FsWriter<'a> {
    fs: &'a SharedFs,
    file: &'a mut File,
}

impl Write for FsWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.fs.write_all(self.file, buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Parses a side file and checks that writing it back parses the same
/// (for the fuzz target).
pub(crate) fn side_round_trip(text: &str) {
    if let Some(side) = Side::parse(text) {
        let again = side.to_file();
        assert_eq!(Side::parse(&again).as_ref(), Some(&side));
    }
}

/// Reads a file from a position with `pread`, leaving the descriptor's
/// offset alone.
struct ReadAt<'a> {
    file: &'a File,
    pos: u64,
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// One line of the side file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SideEntry {
    uid: u32,
    from: u64,
    body: u64,
    len: u64,
    size: u64,
    date: u64,
    flags: Flags,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Side {
    validity: u32,
    next_uid: u32,
    covered: u64,
    keywords: Keywords,
    entries: Vec<SideEntry>,
}

impl Side {
    fn parse(text: &str) -> Option<Side> {
        let mut lines = text.lines();
        let mut header = lines.next()?.split(' ');
        if header.next()? != "missive-mbox" || header.next()? != "1" {
            return None;
        }
        let mut side = Side::default();
        for f in header {
            let (k, v) = f.split_at_checked(1)?;
            match k {
                "V" => side.validity = v.parse().ok()?,
                "N" => side.next_uid = v.parse().ok()?,
                "S" => side.covered = v.parse().ok()?,
                _ => {}
            }
        }
        if side.validity == 0 || side.next_uid == 0 {
            return None;
        }
        let mut kw_text = String::new();
        let mut last = 0;
        for line in lines {
            if let Some(kw) = line.strip_prefix("K ") {
                kw_text.push_str(kw);
                kw_text.push('\n');
                continue;
            }
            let (nums, flags) = line.split_once(" :")?;
            let n: Vec<u64> = nums
                .split(' ')
                .map(|x| x.parse().ok())
                .collect::<Option<_>>()?;
            let [uid, from, body, len, size, date] = n.as_slice() else {
                return None;
            };
            let uid = u32::try_from(*uid).ok()?;
            if uid <= last || uid >= side.next_uid || body < from {
                return None;
            }
            last = uid;
            side.entries.push(SideEntry {
                uid,
                from: *from,
                body: *body,
                len: *len,
                size: *size,
                date: *date,
                flags: Flags::from_info(flags),
            });
        }
        side.keywords = Keywords::parse(&kw_text);
        Some(side)
    }

    fn to_file(&self) -> String {
        let mut out = format!(
            "missive-mbox 1 V{} N{} S{}\n",
            self.validity, self.next_uid, self.covered
        );
        for (i, name) in self.keywords.iter() {
            out.push_str(&format!("K {i} {name}\n"));
        }
        for e in &self.entries {
            out.push_str(&format!(
                "{} {} {} {} {} {} :{}\n",
                e.uid, e.from, e.body, e.len, e.size, e.date, e.flags
            ));
        }
        out
    }
}

/// An open mbox folder.
#[derive(Debug)]
pub(crate) struct MboxFolder {
    path: PathBuf,
    side_path: PathBuf,
    fs: SharedFs,
    side: Side,
    messages: Vec<MessageInfo>,
    stamp: Option<(u64, u64, i64, i64)>,
    side_stamp: Option<(u64, u64, i64, i64)>,
    pending: Changes,
}

fn side_path_of(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.uidlist"))
}

fn stamp(fs: &SharedFs, path: &Path) -> Result<Option<(u64, u64, i64, i64)>> {
    match fs.metadata(path) {
        Ok(m) => Ok(Some((m.ino(), m.len(), m.mtime(), m.mtime_nsec()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("stat", path, e)),
    }
}

impl MboxFolder {
    /// Opens an mbox folder and takes its first snapshot.
    pub fn open(path: PathBuf, fs: SharedFs) -> Result<MboxFolder> {
        let mut f = MboxFolder::handle(path, fs);
        f.sync()?;
        f.pending = Changes::default();
        Ok(f)
    }

    fn handle(path: PathBuf, fs: SharedFs) -> MboxFolder {
        MboxFolder {
            side_path: side_path_of(&path),
            path,
            fs,
            side: Side::default(),
            messages: Vec::new(),
            stamp: Some((u64::MAX, 0, 0, 0)),
            side_stamp: None,
            pending: Changes::default(),
        }
    }

    /// Delivers into an mbox without taking a snapshot first.
    pub fn deliver(path: &Path, fs: &SharedFs, message: impl Read, sender: &str) -> Result<u32> {
        let mut f = MboxFolder::handle(path.to_owned(), fs.clone());
        f.append_as(message, None, None, sender)
    }

    pub fn uid_validity(&self) -> u32 {
        self.side.validity
    }

    pub fn uid_next(&self) -> u32 {
        self.side.next_uid
    }

    pub fn messages(&self) -> &[MessageInfo] {
        &self.messages
    }

    pub fn keywords(&self) -> &Keywords {
        &self.side.keywords
    }

    pub fn has_changed(&self) -> Result<bool> {
        Ok(stamp(&self.fs, &self.path)? != self.stamp
            || stamp(&self.fs, &self.side_path)? != self.side_stamp)
    }

    pub fn refresh(&mut self) -> Result<Changes> {
        self.sync()?;
        Ok(std::mem::take(&mut self.pending))
    }

    fn sync(&mut self) -> Result<()> {
        if !self.has_changed()? {
            return Ok(());
        }
        if stamp(&self.fs, &self.path)?.is_none() && self.side.validity != 0 {
            // No file: an empty mailbox, nothing to lock or create.
            self.install(Side {
                entries: Vec::new(),
                covered: 0,
                ..self.side.clone()
            });
            self.stamp = None;
            return Ok(());
        }
        let mut lock = MboxLock::acquire(&self.fs, &self.path)?;
        self.sync_locked(&mut lock)
    }

    /// Reads the side file and the mbox (only its new part when it just
    /// grew), gives new messages UIDs, and writes the side file if that
    /// changed anything. Must hold the mbox lock.
    fn sync_locked(&mut self, lock: &mut MboxLock) -> Result<()> {
        let file = &mut lock.file;
        let meta = file
            .metadata()
            .map_err(|e| Error::io("stat", &self.path, e))?;
        let size = meta.len();
        let old = match std::fs::read_to_string(&self.side_path) {
            Ok(text) => Side::parse(&text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io("read", &self.side_path, e)),
        };
        let previous_validity = old
            .as_ref()
            .map(|s| s.validity)
            .into_iter()
            .chain([self.side.validity])
            .max()
            .filter(|v| *v != 0);
        let at_from = |off: u64| -> bool {
            let mut b = [0u8; 5];
            file.read_exact_at(&mut b, off).is_ok() && &b == b"From "
        };
        let mut side = match old {
            Some(s)
                if s.covered <= size
                    && (s.covered == size || s.covered == 0 || at_from(s.covered))
                    && s.entries.last().is_none_or(|e| at_from(e.from)) =>
            {
                s
            }
            _ => {
                let mut s = Side {
                    validity: UidList::new(previous_validity).validity,
                    next_uid: 1,
                    ..Side::default()
                };
                if let Some(old) = &old {
                    s.keywords = old.keywords.clone();
                }
                s
            }
        };
        let mut dirty = side.covered != size || old_is_none(&self.side_path);
        if side.covered < size {
            let start = side.covered;
            let reader = ReadAt { file, pos: start };
            let found = mboxrd::scan(reader.take(size - start), start)
                .map_err(|e| Error::io("read", &self.path, e))?;
            let mtime = meta.modified().ok();
            for m in found {
                let uid = side.next_uid;
                side.next_uid = side.next_uid.saturating_add(1);
                let date = m.date.or(mtime).unwrap_or(UNIX_EPOCH);
                side.entries.push(SideEntry {
                    uid,
                    from: m.from_offset,
                    body: m.body_offset,
                    len: m.body_len,
                    size: m.size,
                    date: date.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
                    flags: Flags::empty(),
                });
            }
            side.covered = size;
            dirty = true;
        }
        if dirty {
            self.write_side(&side)?;
        }
        self.install(side);
        self.stamp = stamp(&self.fs, &self.path)?;
        self.side_stamp = stamp(&self.fs, &self.side_path)?;
        Ok(())
    }

    fn write_side(&mut self, side: &Side) -> Result<()> {
        let tmp = self
            .side_path
            .with_file_name(format!(".{}.tmp", crate::name::unique_name()));
        crate::folder::write_replace(&self.fs, &tmp, &self.side_path, side.to_file().as_bytes())?;
        self.side_stamp = stamp(&self.fs, &self.side_path)?;
        Ok(())
    }

    /// Makes `side` the snapshot and records what changed.
    fn install(&mut self, side: Side) {
        let mut changes = Changes::default();
        if self.side.validity != 0 && side.validity != self.side.validity {
            changes.uid_validity_changed = true;
            changes.expunged = self.messages.iter().map(|m| m.uid).collect();
            self.messages.clear();
        }
        let old: HashMap<u32, Flags> = self.messages.iter().map(|m| (m.uid, m.flags)).collect();
        let mut messages = Vec::with_capacity(side.entries.len());
        for e in &side.entries {
            match old.get(&e.uid) {
                None => changes.added.push(e.uid),
                Some(f) if *f != e.flags => changes.flags_changed.push(e.uid),
                Some(_) => {}
            }
            messages.push(MessageInfo {
                uid: e.uid,
                flags: e.flags,
                size: e.size,
                vsize: crate::snapshot::NO_VSIZE,
                date_secs: i64::try_from(e.date).unwrap_or(i64::MAX),
                date_nanos: 0,
                location: Location::Mbox(Box::new(crate::snapshot::MboxPlace {
                    from: e.from,
                    offset: e.body,
                    len: e.len,
                    base: format!("{}.{}", side.validity, e.uid),
                })),
                modseq: 0,
                modseq_flags: e.flags,
            });
        }
        let live: std::collections::HashSet<u32> = side.entries.iter().map(|e| e.uid).collect();
        for m in &self.messages {
            if !live.contains(&m.uid) && !changes.expunged.contains(&m.uid) {
                changes.expunged.push(m.uid);
            }
        }
        changes.expunged.sort_unstable();
        self.messages = messages;
        self.side = side;
        merge(&mut self.pending, changes);
    }

    /// Opens a message as an unquoting stream over its bytes in the file.
    pub fn open_message(&mut self, uid: u32) -> Result<MboxReader> {
        self.sync()?;
        let Some((offset, len)) = self
            .messages
            .binary_search_by_key(&uid, |m| m.uid)
            .ok()
            .and_then(|i| self.messages.get(i))
            .and_then(|m| match &m.location {
                Location::Mbox(p) => Some((p.offset, p.len)),
                Location::Maildir(_) => None,
            })
        else {
            return Err(Error::NoSuchMessage(uid));
        };
        let mut file = self
            .fs
            .open(&self.path)
            .map_err(|e| Error::io("open", &self.path, e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io("seek", &self.path, e))?;
        Ok(MboxReader {
            inner: Unquote::new(BufReader::with_capacity(64 * 1024, file.take(len))),
        })
    }

    /// Appends a message; returns its UID.
    pub fn append(
        &mut self,
        message: impl Read,
        flags: Option<Flags>,
        date: Option<SystemTime>,
    ) -> Result<u32> {
        self.append_as(message, flags, date, "")
    }

    fn append_as(
        &mut self,
        message: impl Read,
        flags: Option<Flags>,
        date: Option<SystemTime>,
        sender: &str,
    ) -> Result<u32> {
        let mut lock = MboxLock::acquire(&self.fs, &self.path)?;
        // Bring the side file up to date first, so that only our message is
        // new after the append.
        self.sync_locked(&mut lock)?;
        let date = date.unwrap_or_else(SystemTime::now);
        let from = append_locked(&self.fs, &self.path, &mut lock, message, sender, date)?;
        self.sync_locked(&mut lock)?;
        let Some(uid) = self
            .side
            .entries
            .iter()
            .find(|e| e.from == from)
            .map(|e| e.uid)
        else {
            return Err(Error::NoSuchMessage(0));
        };
        if let Some(flags) = flags.filter(|f| !f.is_empty()) {
            self.change_flags_locked(uid, FlagOp::Set, flags)?;
        }
        Ok(uid)
    }

    fn change_flags_locked(&mut self, uid: u32, op: FlagOp, flags: Flags) -> Result<Flags> {
        let mut side = self.side.clone();
        let e = side
            .entries
            .iter_mut()
            .find(|e| e.uid == uid)
            .ok_or(Error::NoSuchMessage(uid))?;
        e.flags = e.flags.apply(op, flags);
        let result = e.flags;
        self.write_side(&side)?;
        self.install(side);
        // Our own change is not news for our caller.
        self.pending.flags_changed.retain(|u| *u != uid);
        Ok(result)
    }

    pub fn set_flags(&mut self, uid: u32, op: FlagOp, flags: Flags) -> Result<Flags> {
        let mut lock = MboxLock::acquire(&self.fs, &self.path)?;
        self.sync_locked(&mut lock)?;
        self.change_flags_locked(uid, op, flags)
    }

    /// Removes messages by compacting the mbox in place.
    pub fn expunge(&mut self, uids: &[u32]) -> Result<Vec<u32>> {
        let mut lock = MboxLock::acquire(&self.fs, &self.path)?;
        self.sync_locked(&mut lock)?;
        let gone: Vec<u32> = self
            .side
            .entries
            .iter()
            .filter(|e| uids.contains(&e.uid))
            .map(|e| e.uid)
            .collect();
        if gone.is_empty() {
            return Ok(gone);
        }
        let file = &mut lock.file;
        let size = self.side.covered;
        let mut side = self.side.clone();
        let mut write_pos = side.entries.first().map_or(0, |e| e.from);
        let mut kept = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        let ends: Vec<u64> = side
            .entries
            .iter()
            .skip(1)
            .map(|e| e.from)
            .chain([size])
            .collect();
        for (e, end) in side.entries.iter().zip(ends) {
            if gone.contains(&e.uid) {
                continue;
            }
            let shift = e.from - write_pos;
            // Copy [e.from, end) down to write_pos; write_pos <= read
            // position, so nothing is overwritten before it is read.
            let mut read = e.from;
            while read < end {
                let n = usize::try_from((end - read).min(buf.len() as u64)).unwrap_or(buf.len());
                let chunk = buf.get_mut(..n).unwrap_or_default();
                file.read_exact_at(chunk, read)
                    .and_then(|()| file.write_all_at(chunk, read - shift))
                    .map_err(|e| Error::io("compact", &self.path, e))?;
                read += n as u64;
            }
            write_pos += end - e.from;
            kept.push(SideEntry {
                from: e.from - shift,
                body: e.body - shift,
                ..e.clone()
            });
        }
        file.set_len(write_pos)
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io("truncate", &self.path, e))?;
        side.entries = kept;
        side.covered = write_pos;
        self.write_side(&side)?;
        self.install(side);
        self.stamp = stamp(&self.fs, &self.path)?;
        let p = &mut self.pending;
        p.expunged.retain(|u| !gone.contains(u));
        Ok(gone)
    }

    pub fn keyword_index(&mut self, keyword: &str, create: bool) -> Result<Option<u8>> {
        if let Some(i) = self.side.keywords.index_of(keyword) {
            return Ok(Some(i));
        }
        if !create {
            return Ok(None);
        }
        let mut lock = MboxLock::acquire(&self.fs, &self.path)?;
        self.sync_locked(&mut lock)?;
        let mut side = self.side.clone();
        let i = side.keywords.insert(keyword)?;
        self.write_side(&side)?;
        self.install(side);
        Ok(Some(i))
    }
}

fn old_is_none(side_path: &Path) -> bool {
    !side_path.exists()
}

fn merge(p: &mut Changes, c: Changes) {
    if c.uid_validity_changed {
        p.uid_validity_changed = true;
    }
    for uid in c.expunged {
        if let Some(i) = p.added.iter().position(|u| *u == uid) {
            p.added.remove(i);
        } else if !p.expunged.contains(&uid) {
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
    p.flags_changed.sort_unstable();
}

/// A message of an mbox, unquoted as it is read.
#[derive(Debug)]
pub struct MboxReader {
    inner: Unquote<BufReader<io::Take<File>>>,
}

impl Read for MboxReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}
