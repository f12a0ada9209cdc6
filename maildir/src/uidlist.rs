//! The UID list: `dovecot-uidlist`, version 3.
//!
//! # What we read
//!
//! - Version 3 (Dovecot 1.1 and later): a header line `3 V<uidvalidity>
//!   N<uidnext> [G<guid>] [other fields]`, fields in any order, then one
//!   line per message: `<uid> [<ext fields>] :<file name>`. The file name is
//!   the last known name (flags may have changed since); we match by its
//!   base (the part before `:`). Extension fields (`W<vsize>` and others)
//!   are kept and written back.
//! - Version 1 (Courier's `courierimapuiddb` layout): `1 <uidvalidity>
//!   <uidnext>`, then `<uid> <file name>` lines.
//!
//! A line whose UID is at or above the header's `N` raises UIDNEXT past it
//! (lines may be appended without rewriting the header). UIDs must
//! increase from line to line. Anything else (unknown version, missing `V`
//! or `N`, a bad line, a UID out of order) makes the file corrupt: the
//! folder then builds a new list with a new, greater UIDVALIDITY
//! (RFC 3501 section 2.3.1.1) instead of failing.
//!
//! # What we write
//!
//! Version 3 only: `3 V<uidvalidity> N<uidnext> G<guid>` and `<uid>
//! [<ext>] :<file name>` lines. New UIDs are appended to the file (one
//! `write`, then `fsync`); the whole file is replaced (written in `tmp/`,
//! fsynced, renamed over the old one, directory fsynced) when it is
//! created, corrupt, ends in a partial line, or holds many lines of
//! expunged messages. Both happen only under the folder lock
//! ([`crate::lock`]), and existing bytes are never modified in place, so a
//! reader needs no lock (Dovecot's rule for this file).

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::fs::SharedFs;

/// The file name of the UID list inside a folder.
pub(crate) const UIDLIST_NAME: &str = "dovecot-uidlist";

/// One message line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UidEntry {
    /// The last known file name (base and maybe info).
    pub name: String,
    /// Extension fields between the UID and the `:`, verbatim.
    pub ext: String,
}

impl UidEntry {
    pub fn base(&self) -> &str {
        crate::name::base_of(&self.name)
    }
}

/// The parsed list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UidList {
    pub validity: u32,
    pub next_uid: u32,
    /// Header fields other than the version, `V` and `N` (for example `G`).
    pub header_extra: Vec<String>,
    pub entries: BTreeMap<u32, UidEntry>,
    pub by_base: HashMap<String, u32>,
    /// Read from a version 1 file: the next write replaces it with version 3
    /// rather than appending lines of another format.
    pub from_v1: bool,
}

impl UidList {
    /// A new empty list with a fresh UIDVALIDITY greater than `previous`.
    pub fn new(previous: Option<u32>) -> UidList {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
            .unwrap_or(1);
        let validity = match previous {
            Some(p) => now.max(p.saturating_add(1)),
            None => now,
        }
        .max(1);
        UidList {
            validity,
            next_uid: 1,
            header_extra: vec![format!("G{}", guid())],
            entries: BTreeMap::new(),
            by_base: HashMap::new(),
            from_v1: false,
        }
    }

    pub fn uid_of(&self, base: &str) -> Option<u32> {
        self.by_base.get(base).copied()
    }

    /// Adds a line for a new UID.
    pub fn push(&mut self, uid: u32, name: String, ext: String) {
        let entry = UidEntry { name, ext };
        self.by_base.insert(entry.base().to_owned(), uid);
        self.entries.insert(uid, entry);
        if uid >= self.next_uid {
            self.next_uid = uid.saturating_add(1);
        }
    }

    /// Removes the line of `uid` (for a rewrite that drops expunged ones).
    pub fn remove(&mut self, uid: u32) {
        if let Some(e) = self.entries.remove(&uid)
            && self.by_base.get(e.base()) == Some(&uid)
        {
            self.by_base.remove(e.base());
        }
    }

    pub fn header_line(&self) -> String {
        let mut line = format!("3 V{} N{}", self.validity, self.next_uid);
        for f in &self.header_extra {
            line.push(' ');
            line.push_str(f);
        }
        line.push('\n');
        line
    }

    pub fn to_file(&self) -> String {
        let mut out = self.header_line();
        // A line is the UID, a space, a colon, the name and a newline.
        out.reserve(
            self.entries
                .values()
                .map(|e| e.name.len() + e.ext.len() + 14)
                .sum(),
        );
        for (uid, e) in &self.entries {
            push_entry_line(&mut out, *uid, e);
        }
        out
    }

    /// Parses a whole file. `Ok(None)` when it is corrupt.
    pub fn parse(data: &[u8]) -> Option<(UidList, usize)> {
        let (header, mut rest_start) = next_line(data, 0)?;
        let header = std::str::from_utf8(header).ok()?;
        let mut fields = header.split(' ').filter(|f| !f.is_empty());
        let version = fields.next()?;
        let mut list = UidList::default();
        let v1 = match version {
            "3" => {
                let (mut v, mut n) = (None, None);
                for f in fields {
                    match f.as_bytes().first() {
                        Some(b'V') => v = f.get(1..)?.parse::<u32>().ok(),
                        Some(b'N') => n = f.get(1..)?.parse::<u32>().ok(),
                        _ => list.header_extra.push(f.to_owned()),
                    }
                }
                list.validity = v?;
                list.next_uid = n?;
                false
            }
            "1" => {
                list.validity = fields.next()?.parse().ok()?;
                list.next_uid = fields.next()?.parse().ok()?;
                list.header_extra.push(format!("G{}", guid()));
                true
            }
            _ => return None,
        };
        if list.validity == 0 || list.next_uid == 0 {
            return None;
        }
        list.from_v1 = v1;
        let consumed = list.parse_lines(data, &mut rest_start, v1)?;
        Some((list, consumed))
    }

    /// Parses complete lines from `data[*pos..]`, returning the offset after
    /// the last complete line. `None` when a line is corrupt.
    pub fn parse_lines(&mut self, data: &[u8], pos: &mut usize, v1: bool) -> Option<usize> {
        let mut last_uid = self.entries.keys().next_back().copied().unwrap_or(0);
        while let Some((line, next)) = next_line(data, *pos) {
            *pos = next;
            if line.is_empty() {
                continue;
            }
            let line = std::str::from_utf8(line).ok()?;
            let (uid, ext, name) = if v1 {
                let (uid, name) = line.split_once(' ')?;
                (uid, "", name)
            } else {
                let (head, name) = line.split_once(':')?;
                let head = head.trim_end();
                let (uid, ext) = head.split_once(' ').unwrap_or((head, ""));
                (uid, ext.trim(), name)
            };
            let uid: u32 = uid.parse().ok()?;
            if uid == 0 || uid <= last_uid || name.is_empty() || name.contains('/') {
                return None;
            }
            last_uid = uid;
            self.push(uid, name.to_owned(), ext.to_owned());
        }
        Some(*pos)
    }
}

/// The `V` field (or version 1's second field) of a header that does not
/// parse as a whole.
fn salvage_validity(data: &[u8]) -> Option<u32> {
    let end = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let header = String::from_utf8_lossy(data.get(..end)?);
    let mut fields = header.split(' ');
    match fields.next()? {
        "1" => fields.next()?.parse().ok(),
        _ => fields.find_map(|f| f.strip_prefix('V')?.parse().ok()),
    }
}

/// Appends the line of `uid` to `out`: `<uid> [<ext> ]:<name>\n`.
pub(crate) fn push_entry_line(out: &mut String, uid: u32, e: &UidEntry) {
    use std::fmt::Write;
    // Into `out`, not a `format!` per line (which was a tenth of writing
    // a new list of 100,000 names). Writing to a String cannot fail.
    let _ = write!(out, "{uid}");
    out.push(' ');
    if !e.ext.is_empty() {
        out.push_str(&e.ext);
        out.push(' ');
    }
    out.push(':');
    out.push_str(&e.name);
    out.push('\n');
}

/// The line starting at `start` (without its `\n`) and the offset after
/// it; `None` if there is no complete line there.
fn next_line(data: &[u8], start: usize) -> Option<(&[u8], usize)> {
    let rest = data.get(start..)?;
    let nl = rest.iter().position(|b| *b == b'\n')?;
    Some((rest.get(..nl)?, start + nl + 1))
}

/// A 128-bit mailbox GUID in hex, from the clock, pid and the kernel's
/// random source when it is there.
fn guid() -> String {
    let mut bytes = [0u8; 16];
    let got = File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok();
    if !got {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        bytes = (now ^ (u128::from(std::process::id()) << 96)).to_be_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What reading the file found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListState {
    /// No file yet.
    Missing,
    /// Parsed; `list` is valid.
    Valid,
    /// Unreadable as a UID list; must be rebuilt.
    Corrupt,
}

/// The UID list file of one folder, read incrementally.
///
/// The open handle is kept so that the inode cannot be reused while we
/// remember it: a file with the same inode and a larger size is then
/// certainly the same file with lines appended.
///
/// A clone shares the parsed list (copied on its first change) and the
/// handle (read with `pread`, so clones never disturb each other's file
/// offset): cloning a folder's snapshot costs no copy of a big list.
#[derive(Debug, Clone)]
pub(crate) struct UidListFile {
    path: PathBuf,
    pub list: Arc<UidList>,
    pub state: ListState,
    handle: Option<Arc<File>>,
    ino: (u64, u64),
    /// Bytes parsed so far (complete lines only).
    offset: u64,
    /// The file does not end in a newline: appending would join lines.
    pub partial_tail: bool,
    stamp: Option<(u64, u64, i64, i64)>,
    /// `stamp` was just found on disk ([`UidListFile::adopt`]): the next
    /// [`UidListFile::refresh`] takes it as is, without a `stat`, unless
    /// [`UidListFile::end_fresh`] came first.
    fresh: bool,
    /// The UIDVALIDITY still readable in a corrupt file, so that the
    /// rebuilt list can take a greater one.
    pub salvaged_validity: Option<u32>,
    /// `list` holds only what a snapshot index recorded of the file
    /// (UIDVALIDITY, UIDNEXT, GUID), not its lines: see
    /// [`UidListFile::adopt`].
    pub deferred: bool,
}

impl UidListFile {
    pub fn new(dir: &Path) -> UidListFile {
        UidListFile {
            path: dir.join(UIDLIST_NAME),
            list: Arc::default(),
            state: ListState::Missing,
            handle: None,
            ino: (0, 0),
            offset: 0,
            partial_tail: false,
            stamp: None,
            fresh: false,
            salvaged_validity: None,
            deferred: false,
        }
    }

    /// The file's stamp when it was last read, and the list's UIDNEXT:
    /// what a snapshot index records to take the list later without
    /// reading it. `None` unless the list is valid.
    pub fn recorded(&self) -> Option<((u64, u64, i64, i64), u32)> {
        match (self.state, self.stamp) {
            (ListState::Valid, Some(stamp)) => Some((stamp, self.list.next_uid)),
            _ => None,
        }
    }

    /// Takes the list as a snapshot index recorded it (`stamp` and
    /// UIDNEXT from [`UidListFile::recorded`], with its UIDVALIDITY and
    /// GUID) without reading it, if the file still has that stamp: it was
    /// only ever appended to (a longer file) or replaced (another inode),
    /// so it is the file the index saw. Its lines are read at the first
    /// need ([`UidListFile::load`]), or by a refresh once the file
    /// changes. False, and nothing changed, when the stamp differs.
    pub fn adopt(
        &mut self,
        fs: &SharedFs,
        stamp: (u64, u64, i64, i64),
        validity: u32,
        next_uid: u32,
        guid: &str,
    ) -> bool {
        if validity == 0 || next_uid == 0 || file_stamp(fs, &self.path) != Some(stamp) {
            return false;
        }
        self.forget();
        let mut list = UidList {
            validity,
            next_uid,
            ..UidList::default()
        };
        if !guid.is_empty() {
            list.header_extra.push(format!("G{guid}"));
        }
        self.list = Arc::new(list);
        self.state = ListState::Valid;
        self.stamp = Some(stamp);
        self.deferred = true;
        self.fresh = true;
        true
    }

    /// The stamp [`UidListFile::adopt`] found is no longer fresh: the
    /// next refresh looks at the file (called when a folder's open, for
    /// which it was taken, is over).
    pub fn end_fresh(&mut self) {
        self.fresh = false;
    }

    /// Reads the lines of a list taken with [`UidListFile::adopt`].
    pub fn load(&mut self, fs: &SharedFs) -> Result<()> {
        if self.deferred {
            self.read_whole(fs)?;
        }
        Ok(())
    }

    /// True when the file on disk differs from what we last read.
    pub fn changed_on_disk(&self, fs: &SharedFs) -> bool {
        file_stamp(fs, &self.path) != self.stamp
    }

    /// Brings `list` up to date with the file. Cheap when nothing changed;
    /// reads only appended bytes when the file grew.
    pub fn refresh(&mut self, fs: &SharedFs) -> Result<()> {
        if std::mem::take(&mut self.fresh) && self.state == ListState::Valid {
            return Ok(());
        }
        let meta = match fs.metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.forget();
                self.state = ListState::Missing;
                return Ok(());
            }
            Err(e) => return Err(Error::io("stat", &self.path, e)),
        };
        let stamp = Some(stamp_of(&meta));
        if stamp == self.stamp && self.state != ListState::Missing {
            return Ok(());
        }
        let same_file = self.handle.is_some()
            && (meta.dev(), meta.ino()) == self.ino
            && meta.len() >= self.offset
            && self.state == ListState::Valid;
        if same_file && let Some(handle) = self.handle.as_ref() {
            let data = read_from(handle, self.offset, meta.len())
                .map_err(|e| Error::io("read", &self.path, e))?;
            let mut pos = 0;
            let v1 = self.list.from_v1;
            match Arc::make_mut(&mut self.list).parse_lines(&data, &mut pos, v1) {
                Some(done) => {
                    self.offset += done as u64;
                    self.partial_tail = done < data.len();
                }
                None => self.state = ListState::Corrupt,
            }
            self.stamp = stamp;
            return Ok(());
        }
        self.read_whole(fs)
    }

    fn read_whole(&mut self, fs: &SharedFs) -> Result<()> {
        self.forget();
        let Some((mut file, meta)) = crate::fs::open_existing(fs.as_ref(), &self.path)? else {
            self.state = ListState::Missing;
            return Ok(());
        };
        let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.read_to_end(&mut data)
            .map_err(|e| Error::io("read", &self.path, e))?;
        self.stamp = Some(stamp_of(&meta));
        self.ino = (meta.dev(), meta.ino());
        match UidList::parse(&data) {
            Some((list, consumed)) => {
                self.list = Arc::new(list);
                self.offset = consumed as u64;
                self.partial_tail = consumed < data.len();
                self.state = ListState::Valid;
                self.handle = Some(Arc::new(file));
            }
            None => {
                self.state = ListState::Corrupt;
                self.salvaged_validity = salvage_validity(&data);
            }
        }
        Ok(())
    }

    /// Holds the file at the path as read, `list` being what was written
    /// to it: `false` (nothing held) unless it is the file written
    /// (`written`: its device and inode), of `len` bytes.
    fn take_written(&mut self, fs: &SharedFs, written: (u64, u64), len: u64) -> Result<bool> {
        self.forget();
        let Some((file, meta)) = crate::fs::open_existing(fs.as_ref(), &self.path)? else {
            return Ok(false);
        };
        if (meta.dev(), meta.ino()) != written || meta.len() != len {
            return Ok(false);
        }
        self.stamp = Some(stamp_of(&meta));
        self.ino = written;
        self.offset = len;
        self.partial_tail = false;
        self.state = ListState::Valid;
        self.handle = Some(Arc::new(file));
        Arc::make_mut(&mut self.list).from_v1 = false;
        Ok(true)
    }

    fn forget(&mut self) {
        self.fresh = false;
        self.deferred = false;
        self.handle = None;
        self.stamp = None;
        self.offset = 0;
        self.partial_tail = false;
        self.ino = (0, 0);
    }

    /// Appends lines for new UIDs (already pushed into `list` by the
    /// caller). Must hold the folder lock.
    pub fn append(&mut self, fs: &SharedFs, text: &str) -> Result<()> {
        let file = self.append_unsynced(fs, text)?;
        // fdatasync: the appended lines and the new length are what must
        // survive a crash; the mtime need not.
        fs.sync_data(&file)
            .map_err(|e| Error::io("fsync", &self.path, e))
    }

    /// Like [`UidListFile::append`] without the sync: returns the file,
    /// which the caller makes durable (a batch of deliveries syncs it
    /// together with its directories). Must hold the folder lock.
    pub fn append_unsynced(&mut self, fs: &SharedFs, text: &str) -> Result<File> {
        let mut file = fs
            .open_append(&self.path, 0o600)
            .map_err(|e| Error::io("open", &self.path, e))?;
        fs.write_all(&mut file, text.as_bytes())
            .map_err(|e| Error::io("write", &self.path, e))?;
        self.offset += text.len() as u64;
        let meta = file
            .metadata()
            .map_err(|e| Error::io("stat", &self.path, e))?;
        self.stamp = Some(stamp_of(&meta));
        Ok(file)
    }

    /// Replaces the whole file with `list` (written in `tmp_dir`, fsynced,
    /// renamed). Must hold the folder lock.
    ///
    /// `made`: the list was made anew here by pushes alone (a new
    /// UIDVALIDITY, no line read or removed). The file then holds exactly
    /// what the list does (no name holds a newline: readers skip such
    /// files, see `FileName::parse`), and is not read back, unless the
    /// file at the path is no longer the one written.
    pub fn rewrite(
        &mut self,
        fs: &SharedFs,
        tmp_dir: &Path,
        folder_dir: &Path,
        made: bool,
    ) -> Result<()> {
        let tmp = tmp_dir.join(crate::name::unique_name() + ".uidlist");
        let text = self.list.to_file();
        let write = (|| -> io::Result<(u64, u64)> {
            let mut f = fs.create_new(&tmp, 0o600)?;
            fs.write_all(&mut f, text.as_bytes())?;
            fs.sync_file(&f)?;
            let m = f.metadata()?;
            Ok((m.dev(), m.ino()))
        })();
        let written = match write {
            Ok(id) => id,
            Err(e) => {
                let _ = fs.remove_file(&tmp);
                return Err(Error::io("write", &tmp, e));
            }
        };
        if let Err(e) = fs.rename(&tmp, &self.path) {
            let _ = fs.remove_file(&tmp);
            return Err(Error::io("rename", &self.path, e));
        }
        fs.sync_dir(folder_dir)
            .map_err(|e| Error::io("fsync", folder_dir, e))?;
        if made && self.take_written(fs, written, text.len() as u64)? {
            return Ok(());
        }
        let list = std::mem::take(&mut self.list);
        self.read_whole(fs)?;
        if self.state != ListState::Valid {
            // Someone replaced it between our rename and our read: keep
            // what we wrote in memory; the next refresh sees theirs.
            self.list = list;
        }
        Ok(())
    }
}

/// The bytes of `file` from `offset` to its end (`len` is the size a
/// `stat` just gave; bytes appended since are read too). Positioned
/// reads: the handle may be shared.
pub(crate) fn read_from(file: &File, offset: u64, len: u64) -> io::Result<Vec<u8>> {
    let mut data = vec![0; usize::try_from(len.saturating_sub(offset)).unwrap_or(0) + 4096];
    let mut have = 0;
    loop {
        if have == data.len() {
            data.resize(have * 2, 0);
        }
        let buf = data.get_mut(have..).unwrap_or_default();
        match file.read_at(buf, offset + have as u64) {
            Ok(0) => break,
            Ok(n) => have += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    data.truncate(have);
    Ok(data)
}

/// The UID list as it was just before a delivery linked its file: the
/// file (kept open, so its inode cannot be reused) and its length.
#[derive(Debug)]
pub(crate) struct Mark {
    file: File,
    ino: (u64, u64),
    len: u64,
}

impl UidListFile {
    /// Takes a [`Mark`]; `None` if there is no list to mark.
    pub fn mark(&self, fs: &SharedFs) -> Option<Mark> {
        let file = fs.open(&self.path).ok()?;
        let meta = file.metadata().ok()?;
        Some(Mark {
            file,
            ino: (meta.dev(), meta.ino()),
            len: meta.len(),
        })
    }

    /// Gives `name` (whose file was linked after `mark` was taken) a UID,
    /// reading only the header, the last line before the mark and the lines
    /// appended since: a delivery into a big folder does not read its
    /// whole list. Must hold the folder lock.
    ///
    /// Only a line appended after the mark can hold our base, since the
    /// file did not exist before; a list replaced since (a rewrite, a
    /// rebuild) has another inode and makes this answer `None`, as does
    /// anything unusual (version 1, a partial line, a very long line): the
    /// caller then reads the whole list.
    pub fn assign_after_mark(
        &mut self,
        fs: &SharedFs,
        mark: &Mark,
        base: &str,
        name: &str,
    ) -> Result<Option<u32>> {
        match self.assign_many_after_mark(fs, mark, &[(base, name)])? {
            Some((uids, appended)) => {
                if let Some(file) = appended {
                    fs.sync_data(&file)
                        .map_err(|e| Error::io("fsync", &self.path, e))?;
                }
                Ok(uids.first().copied())
            }
            None => Ok(None),
        }
    }

    /// [`UidListFile::assign_after_mark`] for several messages linked after
    /// `mark` (`(base, file name)` pairs, in delivery order): those a
    /// reader already numbered keep their UIDs, the others get the next
    /// ones in order, appended with one write. The UIDs are returned in the
    /// order of `names`, with the appended file when lines were written:
    /// the caller must sync it before the deliveries count as done. Must
    /// hold the folder lock.
    pub fn assign_many_after_mark(
        &mut self,
        fs: &SharedFs,
        mark: &Mark,
        names: &[(&str, &str)],
    ) -> Result<Option<(Vec<u32>, Option<File>)>> {
        const WINDOW: u64 = 8192;
        let meta = match fs.metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("stat", &self.path, e)),
        };
        if (meta.dev(), meta.ino()) != mark.ino || meta.len() < mark.len {
            return Ok(None);
        }
        let read = |from: u64, to: u64| -> Result<Vec<u8>> {
            let mut buf = vec![0u8; usize::try_from(to - from).unwrap_or(0)];
            mark.file
                .read_exact_at(&mut buf, from)
                .map_err(|e| Error::io("read", &self.path, e))?;
            Ok(buf)
        };
        let head = read(0, mark.len.min(WINDOW))?;
        let Some((header, header_end)) = next_line(&head, 0) else {
            return Ok(None);
        };
        let Some((list, _)) = UidList::parse(head.get(..header_end).unwrap_or_default())
            .filter(|_| header.starts_with(b"3 "))
        else {
            return Ok(None);
        };
        let header_end = header_end as u64;
        let mut next = list.next_uid;
        if mark.len > header_end {
            let start = mark.len.saturating_sub(WINDOW).max(header_end);
            let tail = read(start, mark.len)?;
            if tail.last() != Some(&b'\n') {
                return Ok(None);
            }
            let body = tail.get(..tail.len() - 1).unwrap_or_default();
            let line = match body.iter().rposition(|b| *b == b'\n') {
                Some(i) => body.get(i + 1..).unwrap_or_default(),
                None if start == header_end => body,
                None => return Ok(None),
            };
            let Some(uid) = line_uid(line) else {
                return Ok(None);
            };
            next = next.max(uid.saturating_add(1));
        }
        let mut uids: Vec<Option<u32>> = vec![None; names.len()];
        let wanted: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, (base, _))| (*base, i))
            .collect();
        let appended = read(mark.len, meta.len())?;
        let mut pos = 0;
        while let Some((line, after)) = next_line(&appended, pos) {
            pos = after;
            let Some(uid) = line_uid(line) else {
                return Ok(None);
            };
            let line_base = line
                .iter()
                .position(|b| *b == b':')
                .and_then(|i| std::str::from_utf8(line.get(i + 1..)?).ok())
                .map(crate::name::base_of);
            if let Some(&i) = line_base.and_then(|b| wanted.get(b))
                && let Some(slot) = uids.get_mut(i)
            {
                *slot = Some(uid);
            }
            next = next.max(uid.saturating_add(1));
        }
        if pos != appended.len() {
            return Ok(None);
        }
        let unassigned = uids.iter().filter(|u| u.is_none()).count();
        if u32::try_from(unassigned)
            .ok()
            .and_then(|n| next.checked_add(n))
            .is_none()
        {
            // Out of UIDs: the caller's full path decides what to do.
            return Ok(None);
        }
        let mut text = String::new();
        for (slot, (_, name)) in uids.iter_mut().zip(names) {
            if slot.is_none() {
                let entry = UidEntry {
                    name: (*name).to_owned(),
                    ext: String::new(),
                };
                push_entry_line(&mut text, next, &entry);
                *slot = Some(next);
                next = next.saturating_add(1);
            }
        }
        let file = if text.is_empty() {
            None
        } else {
            Some(self.append_unsynced(fs, &text)?)
        };
        // What this handle had cached no longer matches the file.
        self.forget();
        self.state = ListState::Missing;
        Ok(Some((uids.into_iter().flatten().collect(), file)))
    }
}

/// The UID at the start of a v3 line.
fn line_uid(line: &[u8]) -> Option<u32> {
    let end = line.iter().position(|b| *b == b' ')?;
    std::str::from_utf8(line.get(..end)?)
        .ok()?
        .parse()
        .ok()
        .filter(|u| *u != 0)
}

fn file_stamp(fs: &SharedFs, path: &Path) -> Option<(u64, u64, i64, i64)> {
    fs.metadata(path).ok().map(|m| stamp_of(&m))
}

fn stamp_of(m: &std::fs::Metadata) -> (u64, u64, i64, i64) {
    (m.ino(), m.len(), m.mtime(), m.mtime_nsec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_dovecot_example() {
        let text = "3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1\n\
                    25006 :1276528487.M364837P9451.kurkku,S=1355,W=1394:2,\n\
                    25017 W2481 :1276533073.M242911P3632.kurkku:2,F\n";
        let (list, consumed) = UidList::parse(text.as_bytes()).unwrap();
        assert_eq!(consumed, text.len());
        assert_eq!(list.validity, 1275660208);
        assert_eq!(list.next_uid, 25022);
        assert_eq!(list.uid_of("1276533073.M242911P3632.kurkku"), Some(25017));
        assert_eq!(
            list.uid_of("1276528487.M364837P9451.kurkku,S=1355,W=1394"),
            Some(25006)
        );
        assert_eq!(list.to_file(), text);
    }

    #[test]
    fn entry_lines_of_short_and_long_uids() {
        let mut out = String::new();
        let plain = UidEntry {
            name: "b:2,S".into(),
            ext: String::new(),
        };
        let ext = UidEntry {
            name: "c".into(),
            ext: "W12".into(),
        };
        for (uid, e) in [(7, &plain), (4_294_967_295, &ext), (10, &plain)] {
            push_entry_line(&mut out, uid, e);
        }
        assert_eq!(out, "7 :b:2,S\n4294967295 W12 :c\n10 :b:2,S\n");
    }

    #[test]
    fn appended_lines_raise_uidnext_and_partial_tail_is_left() {
        let text = "3 V5 N2\n1 :a\n2 :b\n3 :c";
        let (list, consumed) = UidList::parse(text.as_bytes()).unwrap();
        assert_eq!(list.next_uid, 3);
        assert_eq!(consumed, text.len() - 4);
    }

    #[test]
    fn corrupt_files() {
        for bad in [
            "",
            "garbage\n",
            "3 N5\n",
            "3 V1 N2\n2 :a\n1 :b\n",
            "3 V1 N2\nx :a\n",
            "3 V1 N2\n1 no-colon\n",
            "2 V1 N2\n",
        ] {
            assert!(UidList::parse(bad.as_bytes()).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn courier_v1() {
        let (list, _) = UidList::parse(b"1 77 10\n3 123.abc:2,S\n").unwrap();
        assert_eq!(list.validity, 77);
        assert_eq!(list.uid_of("123.abc"), Some(3));
    }
}
