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
//! size and internal date.
//!
//! While the UID list still has the recorded stamp it is the file the
//! index was made with (it is only ever appended to or replaced by a
//! rename), so it is not read at all: its lines are read when a listing
//! finds a name the snapshot does not hold (not for renames), when UIDs
//! are given, or when the file changes.
//!
//! # Format (version 1)
//!
//! Integers little-endian:
//!
//! ```text
//! "MsvIndex" | version u32 | total length u64 | UIDVALIDITY u32
//! | GUID length u16, GUID | UID list stamp | stamp of new/ | stamp of cur/
//! | count u32
//! | count x (uid u32 | subdir u8 | flags u64 | size u64 | has ,W= u8
//!            | ,W= u64 | date seconds i64 | date nanoseconds u32
//!            | name length u16 | name)
//! | checksum u64 of everything before it
//! ```
//!
//! A directory's stamp is `seen u8 | dirty u8 | inode u64 | mtime seconds
//! i64 | mtime nanoseconds i64`; the UID list's is `known u8 | inode u64 |
//! size u64 | mtime seconds i64 | mtime nanoseconds i64 | UIDNEXT u32`.
//!
//! Whatever a snapshot carries per message must be in the file: a field
//! added to [`MessageInfo`] is written and read here, with [`VERSION`]
//! raised so that older files are ignored.
//!
//! # A cache, never the truth
//!
//! The file is only a faster way to a snapshot the folder would give
//! anyway. One that is missing, short, of another version, with a bad
//! checksum, with UIDs out of order or a name that is no Maildir name, or
//! made with another UID list (another UIDVALIDITY or GUID) is ignored:
//! the folder is listed as if there were none. The UID list stays the
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

use std::io::Read;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{DirStamp, MaildirFolder};
use crate::flags::Flags;
use crate::maildir::{MailEntry, Maildir, Subdir};
use crate::name;
use crate::snapshot::{Location, MessageInfo};
use crate::uidlist::{ListState, UidList};

#[cfg(doc)]
use super::MTIME_SLACK;

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

const MAGIC: &[u8; 8] = b"MsvIndex";
const VERSION: u32 = 1;
/// Magic, version, length, UIDVALIDITY.
const HEADER_LEN: usize = 8 + 4 + 8 + 4;
/// A message record without its name.
const RECORD_FIXED: usize = 4 + 1 + 8 + 8 + 1 + 8 + 8 + 4 + 2;

/// What a handle knows of the folder's index file.
#[derive(Debug, Clone, Default)]
pub(super) struct IndexState {
    /// The snapshot the file holds: the one this handle (or the handle it
    /// was copied from) last read or wrote. Weak, so it keeps no messages
    /// alive; a change of the snapshot replaces the `Arc` (a refresh makes
    /// a new one, and `Arc::make_mut` copies or moves a shared or weakly
    /// referenced one), so equal pointers mean the same snapshot.
    written: Weak<Vec<MessageInfo>>,
    new_stamp: DirStamp,
    cur_stamp: DirStamp,
    validity: u32,
    uid_list: Option<UidListStamp>,
    /// The file exists (as far as this handle knows).
    on_disk: bool,
    /// This handle writes the index: one opened for use, not a cached
    /// copy or a delivery handle.
    pub(super) writer: bool,
}

impl IndexState {
    fn holds(&self, f: &MaildirFolder) -> bool {
        std::ptr::eq(self.written.as_ptr(), Arc::as_ptr(&f.messages))
            && self.new_stamp == f.new_stamp
            && self.cur_stamp == f.cur_stamp
            && self.validity == f.validity
            && self.uid_list == f.uidfile.recorded()
    }

    fn remember(&mut self, f: &MaildirFolder) {
        self.written = Arc::downgrade(&f.messages);
        self.new_stamp = f.new_stamp;
        self.cur_stamp = f.cur_stamp;
        self.validity = f.validity;
        self.uid_list = f.uidfile.recorded();
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
        let Ok((file, len)) = folder.fs().open(&path).and_then(|f| {
            let len = f.metadata()?.len();
            Ok((f, len))
        }) else {
            return folder;
        };
        folder.index.on_disk = true;
        if len > MAX_INDEX_BYTES {
            return folder;
        }
        let Some(ix) = decode_from(file, len) else {
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
        folder.new_count = ix.messages.iter().filter(|m| m.is_new()).count();
        folder.messages = Arc::new(ix.messages);
        folder.new_stamp = ix.new_stamp;
        folder.cur_stamp = ix.cur_stamp;
        folder.validity = ix.validity;
        let mut state = std::mem::take(&mut folder.index);
        state.remember(&folder);
        folder.index = state;
        folder
    }

    /// Whether the index file holds this snapshot.
    pub(super) fn index_holds(&self) -> bool {
        self.index.holds(self)
    }

    /// The snapshot changed only in what the index does not record (the
    /// mod-sequences, kept in missive-modseq): if the file held it before
    /// (`held`), it still does, and is not written again.
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

/// The UID list file's stamp (inode, size, mtime) when it was read, and
/// its UIDNEXT then.
type UidListStamp = ((u64, u64, i64, i64), u32);

/// What an index holds besides the messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Head<'a> {
    pub validity: u32,
    /// The UID list's GUID.
    pub guid: &'a str,
    pub uid_list: Option<UidListStamp>,
    pub new_stamp: DirStamp,
    pub cur_stamp: DirStamp,
}

/// A decoded index.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Index {
    pub validity: u32,
    pub guid: String,
    pub uid_list: Option<UidListStamp>,
    pub new_stamp: DirStamp,
    pub cur_stamp: DirStamp,
    pub messages: Vec<MessageInfo>,
}

/// The index file for a snapshot; `None` if a message cannot be written
/// in it (not a Maildir message, or a name longer than any file system
/// allows): an index that left it out would hide it.
pub(super) fn encode(head: &Head<'_>, messages: &[MessageInfo]) -> Option<Vec<u8>> {
    let Head {
        validity,
        guid,
        uid_list,
        new_stamp,
        cur_stamp,
    } = *head;
    let guid = guid.as_bytes();
    let guid_len = u16::try_from(guid.len()).ok()?;
    let mut out = Vec::with_capacity(HEADER_LEN + 128 + messages.len() * (RECORD_FIXED + 64));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    // The length, filled in at the end.
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&validity.to_le_bytes());
    out.extend_from_slice(&guid_len.to_le_bytes());
    out.extend_from_slice(guid);
    let ((ino, len, sec, nsec), next_uid) = uid_list.unwrap_or_default();
    out.push(u8::from(uid_list.is_some()));
    out.extend_from_slice(&ino.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&sec.to_le_bytes());
    out.extend_from_slice(&nsec.to_le_bytes());
    out.extend_from_slice(&next_uid.to_le_bytes());
    for s in [new_stamp, cur_stamp] {
        let (ino, sec, nsec) = s.seen.unwrap_or_default();
        out.push(u8::from(s.seen.is_some()));
        out.push(u8::from(s.dirty));
        out.extend_from_slice(&ino.to_le_bytes());
        out.extend_from_slice(&sec.to_le_bytes());
        out.extend_from_slice(&nsec.to_le_bytes());
    }
    out.extend_from_slice(&u32::try_from(messages.len()).ok()?.to_le_bytes());
    for m in messages {
        let Location::Maildir(e) = &m.location else {
            return None;
        };
        let name_len = u16::try_from(e.name.len()).ok()?;
        out.extend_from_slice(&m.uid.to_le_bytes());
        out.push(match e.subdir {
            Subdir::New => 0,
            Subdir::Cur => 1,
        });
        out.extend_from_slice(&m.flags.to_bits().to_le_bytes());
        out.extend_from_slice(&m.size.to_le_bytes());
        out.push(u8::from(m.vsize.is_some()));
        out.extend_from_slice(&m.vsize.unwrap_or(0).to_le_bytes());
        let (sec, nsec) = date_parts(m.internal_date);
        out.extend_from_slice(&sec.to_le_bytes());
        out.extend_from_slice(&nsec.to_le_bytes());
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(e.name.as_bytes());
    }
    let total = (out.len() + 8) as u64;
    if let Some(l) = out.get_mut(12..20) {
        l.copy_from_slice(&total.to_le_bytes());
    }
    let sum = checksum(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    Some(out)
}

/// Reads an index file; `None` when it is not a whole, intact index of
/// this version.
#[cfg(test)]
pub(super) fn decode(data: &[u8]) -> Option<Index> {
    decode_from(data, data.len() as u64)
}

/// Reads an index of `len` bytes from `src` in pieces (no buffer the size
/// of the file); `None` when it is not a whole, intact index of this
/// version. What was decoded counts only once the checksum at the end
/// matches.
pub(super) fn decode_from(src: impl Read, len: u64) -> Option<Index> {
    let body_len = len.checked_sub(8)?;
    let mut r = Reader {
        src,
        buf: vec![0; usize::try_from(body_len).ok()?.min(READ_BUF)],
        pos: 0,
        end: 0,
        left: body_len,
        sum: Checksum::new(body_len),
    };
    if r.take(8)? != MAGIC || r.u32()? != VERSION || r.u64()? != len {
        return None;
    }
    let validity = r.u32()?;
    let guid_len = usize::from(r.u16()?);
    let guid = std::str::from_utf8(r.take(guid_len)?).ok()?.to_owned();
    let has_uid_list = r.u8()?;
    let stamp = (r.u64()?, r.u64()?, r.i64()?, r.i64()?);
    let next_uid = r.u32()?;
    let uid_list = match has_uid_list {
        0 => None,
        1 => Some((stamp, next_uid)),
        _ => return None,
    };
    let new_stamp = r.stamp()?;
    let cur_stamp = r.stamp()?;
    let count = usize::try_from(r.u32()?).ok()?;
    if count > usize::try_from(body_len).ok()? / RECORD_FIXED {
        return None;
    }
    let mut messages = Vec::with_capacity(count);
    let mut last_uid = 0u32;
    for _ in 0..count {
        let uid = r.u32()?;
        if uid <= last_uid {
            return None;
        }
        last_uid = uid;
        let subdir = match r.u8()? {
            0 => Subdir::New,
            1 => Subdir::Cur,
            _ => return None,
        };
        let flags = Flags::from_bits(r.u64()?);
        let size = r.u64()?;
        let has_vsize = r.u8()?;
        let vsize = r.u64()?;
        let vsize = match has_vsize {
            0 => None,
            1 => Some(vsize),
            _ => return None,
        };
        let sec = r.i64()?;
        let nsec = r.u32()?;
        let internal_date = date_from_parts(sec, nsec)?;
        let name_len = usize::from(r.u16()?);
        let file_name = std::str::from_utf8(r.take(name_len)?).ok()?;
        // Only what a listing could have found: a name that names a file
        // in new/ or cur/, never a path elsewhere.
        if file_name.starts_with('.') || file_name.contains(['/', '\0']) {
            return None;
        }
        let entry = MailEntry {
            subdir,
            name: file_name.to_owned(),
        };
        messages.push(MessageInfo {
            uid,
            base: entry.base().to_owned(),
            flags,
            size,
            vsize,
            internal_date,
            location: Location::Maildir(entry),
            // Read from missive-modseq at the first refresh.
            modseq: 0,
            modseq_flags: crate::flags::Flags::empty(),
        });
    }
    if !r.finish() {
        return None;
    }
    Some(Index {
        validity,
        guid,
        uid_list,
        new_stamp,
        cur_stamp,
        messages,
    })
}

/// Seconds (negative before 1970) and nanoseconds since the epoch.
fn date_parts(t: SystemTime) -> (i64, u32) {
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

fn date_from_parts(sec: i64, nsec: u32) -> Option<SystemTime> {
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

/// A 64-bit checksum against a torn or damaged file (not against anyone
/// who means harm: the file only saves work, and every name it holds is
/// checked as a listing would be). Eight bytes a step, so it costs well
/// under a millisecond for a 100,000-message index.
fn checksum(data: &[u8]) -> u64 {
    let mut sum = Checksum::new(data.len() as u64);
    sum.update(data);
    sum.finish()
}

/// [`checksum`] of bytes given in pieces.
struct Checksum {
    h: u64,
    /// The start of a word the next piece completes.
    pending: [u8; 8],
    pending_len: usize,
}

impl Checksum {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;

    /// For `len` bytes in all.
    fn new(len: u64) -> Checksum {
        Checksum {
            h: Checksum::K ^ len,
            pending: [0; 8],
            pending_len: 0,
        }
    }

    fn word(&mut self, w: [u8; 8]) {
        self.h = (self.h.rotate_left(23) ^ u64::from_le_bytes(w)).wrapping_mul(Checksum::K);
    }

    fn update(&mut self, mut data: &[u8]) {
        if self.pending_len > 0 {
            let n = (8 - self.pending_len).min(data.len());
            let (head, rest) = data.split_at(n);
            if let Some(dst) = self.pending.get_mut(self.pending_len..self.pending_len + n) {
                dst.copy_from_slice(head);
            }
            self.pending_len += n;
            data = rest;
            if self.pending_len < 8 {
                return;
            }
            self.word(self.pending);
            self.pending_len = 0;
        }
        let mut words = data.chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            self.word(b);
        }
        let rest = words.remainder();
        if let Some(dst) = self.pending.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        self.pending_len = rest.len();
    }

    fn finish(mut self) -> u64 {
        let mut last = [0u8; 8];
        if let (Some(dst), Some(src)) = (
            last.get_mut(..self.pending_len),
            self.pending.get(..self.pending_len),
        ) {
            dst.copy_from_slice(src);
        }
        self.word(last);
        // Final mixing, so that every input bit reaches every output bit.
        let mut h = self.h;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// The most read at once: more than any one field (a name or the GUID,
/// at most 65,535 bytes).
const READ_BUF: usize = 256 * 1024;

/// Reads the body of an index (all but the checksum) through a small
/// buffer, summing the bytes as they come.
struct Reader<R> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Bytes of the body not yet read from `src`.
    left: u64,
    sum: Checksum,
}

impl<R: Read> Reader<R> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.end - self.pos < n {
            self.fill(n)?;
        }
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    /// Makes at least `n` unread bytes of the body be in the buffer.
    fn fill(&mut self, n: usize) -> Option<()> {
        if n > self.buf.len() {
            return None;
        }
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.pos = 0;
        while self.end < n {
            let room = self.buf.len() - self.end;
            let want = room.min(usize::try_from(self.left).unwrap_or(usize::MAX));
            let dst = self.buf.get_mut(self.end..self.end + want)?;
            let got = match self.src.read(dst) {
                // The body ended, or the file is shorter than it says.
                Ok(0) => return None,
                Ok(got) => got,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return None,
            };
            self.sum.update(dst.get(..got)?);
            self.end += got;
            self.left -= got as u64;
        }
        Some(())
    }

    /// True when the whole body was taken and the checksum after it (the
    /// file's last bytes) is the one of the body.
    fn finish(mut self) -> bool {
        if self.pos != self.end || self.left != 0 {
            return false;
        }
        let mut stored = [0u8; 8];
        if self.src.read_exact(&mut stored).is_err() {
            return false;
        }
        // Nothing after it.
        let mut more = [0u8; 1];
        if !matches!(self.src.read(&mut more), Ok(0)) {
            return false;
        }
        self.sum.finish() == u64::from_le_bytes(stored)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn u8(&mut self) -> Option<u8> {
        let [b] = self.array()?;
        Some(b)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.array()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.array()?))
    }

    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.array()?))
    }

    fn stamp(&mut self) -> Option<DirStamp> {
        let seen = self.u8()?;
        let dirty = self.u8()?;
        let ino = self.u64()?;
        let sec = self.i64()?;
        let nsec = self.i64()?;
        let seen = match seen {
            0 => None,
            1 => Some((ino, sec, nsec)),
            _ => return None,
        };
        let dirty = match dirty {
            0 => false,
            1 => true,
            _ => return None,
        };
        Some(DirStamp { seen, dirty })
    }
}

#[cfg(test)]
mod tests;
