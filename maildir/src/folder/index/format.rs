//! The bytes of the index file (the format is described in
//! [`super`]): writing, and reading with every check, either whole or in
//! two steps (the summary at open, the records when first needed).

use std::io::Read;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use super::super::DirStamp;
use crate::flags::Flags;
use crate::maildir::Subdir;
use crate::modseq::LogMark;
use crate::snapshot::{Columns, Entry, FlagColumn, Location, MessageInfo, NO_VSIZE, Name};

const MAGIC: &[u8; 8] = b"MsvIndex";
/// Version 1 had no mod-sequences, version 2 no summary.
pub(super) const VERSION: u32 = 3;
/// Magic, version, total length, summary length: read before the rest.
const PREFIX_LEN: usize = 8 + 4 + 8 + 8;
/// The least of a message's part of the summary (its flags' index).
const SUMMARY_PER_MESSAGE: usize = 1;
/// A message record without its name.
const RECORD_FIXED: usize = 1 + 8 + 1 + 8 + 8 + 4 + 8 + 8 + 2;
/// The most octets kept of each end of the mod-sequence log.
const MAX_EDGE: usize = 255;

/// The UID list file's stamp (inode, size, mtime) when it was read, and
/// its UIDNEXT then.
pub(super) type UidListStamp = ((u64, u64, i64, i64), u32);

/// What an index holds besides the messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Head<'a> {
    pub validity: u32,
    /// The UID list's GUID.
    pub guid: &'a str,
    pub uid_list: Option<UidListStamp>,
    pub new_stamp: DirStamp,
    pub cur_stamp: DirStamp,
    /// Where the read of the mod-sequence log stood when the messages
    /// had the mod-sequences written.
    pub log: Option<LogMark>,
}

/// The summary of an index: everything but the message records.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Summary {
    pub validity: u32,
    pub guid: String,
    pub uid_list: Option<UidListStamp>,
    pub new_stamp: DirStamp,
    pub cur_stamp: DirStamp,
    pub log: Option<LogMark>,
    /// The messages in `new/`.
    pub new_count: usize,
    /// The messages that need a mod-sequence (none, or none given yet
    /// for their flags).
    pub needing_modseq: usize,
    /// Each message's UID and flags.
    pub columns: Columns,
    /// Where the records begin.
    pub records_at: u64,
    /// The length of the whole file.
    pub len: u64,
}

/// A decoded index: its summary and its messages.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Index {
    pub summary: Summary,
    pub messages: Vec<MessageInfo>,
}

#[cfg(test)]
impl std::ops::Deref for Index {
    type Target = Summary;

    fn deref(&self) -> &Summary {
        &self.summary
    }
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
        ref log,
    } = *head;
    let guid = guid.as_bytes();
    let guid_len = u16::try_from(guid.len()).ok()?;
    let mut out = Vec::with_capacity(
        PREFIX_LEN + 800 + messages.len() * (SUMMARY_PER_MESSAGE + RECORD_FIXED + 64),
    );
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    // The lengths, filled in below.
    out.extend_from_slice(&0u64.to_le_bytes());
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
    let none = LogMark::default();
    let l = log.as_ref().unwrap_or(&none);
    out.push(u8::from(log.is_some()));
    for n in [l.dev, l.ino, l.offset, l.seen_len] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(&l.validity.to_le_bytes());
    out.extend_from_slice(&l.highest.to_le_bytes());
    out.extend_from_slice(&l.count.to_le_bytes());
    for edge in [&l.head, &l.tail] {
        out.push(
            u8::try_from(edge.len())
                .ok()
                .filter(|&n| usize::from(n) <= MAX_EDGE)?,
        );
        out.extend_from_slice(edge);
    }
    let new_count = messages.iter().filter(|m| m.is_new()).count();
    let needing = messages.iter().filter(|m| m.needs_modseq()).count();
    for n in [messages.len(), new_count, needing] {
        out.extend_from_slice(&u32::try_from(n).ok()?.to_le_bytes());
    }
    let columns = Columns::of(messages);
    out.extend_from_slice(&u32::try_from(columns.runs().len()).ok()?.to_le_bytes());
    for &(first, n) in columns.runs() {
        out.extend_from_slice(&first.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
    }
    match columns.flags() {
        FlagColumn::Indexed { values, of } => {
            out.extend_from_slice(&u32::try_from(values.len()).ok()?.to_le_bytes());
            for v in values {
                out.extend_from_slice(&v.to_bits().to_le_bytes());
            }
            out.extend_from_slice(of);
        }
        FlagColumn::Each(each) => {
            out.extend_from_slice(&0u32.to_le_bytes());
            for v in each {
                out.extend_from_slice(&v.to_bits().to_le_bytes());
            }
        }
    }
    let summary_len = out.len();
    if let Some(l) = out.get_mut(20..28) {
        l.copy_from_slice(&(summary_len as u64).to_le_bytes());
    }
    // The summary's checksum, once the total length is in.
    out.extend_from_slice(&[0; 8]);
    let records_at = out.len();
    for m in messages {
        let Location::Maildir(e) = &m.location else {
            return None;
        };
        let name = e.name.as_str();
        let name_len = u16::try_from(name.len()).ok()?;
        out.push(match e.subdir {
            Subdir::New => 0,
            Subdir::Cur => 1,
        });
        out.extend_from_slice(&m.size.to_le_bytes());
        let vsize = m.virtual_size();
        out.push(u8::from(vsize.is_some()));
        out.extend_from_slice(&vsize.unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&m.date_secs.to_le_bytes());
        out.extend_from_slice(&m.date_nanos.to_le_bytes());
        out.extend_from_slice(&m.modseq.to_le_bytes());
        out.extend_from_slice(&m.modseq_flags.to_bits().to_le_bytes());
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
    }
    let total = (out.len() + 8) as u64;
    if let Some(l) = out.get_mut(12..20) {
        l.copy_from_slice(&total.to_le_bytes());
    }
    let sum = checksum(out.get(records_at..)?);
    out.extend_from_slice(&sum.to_le_bytes());
    let sum = checksum(out.get(..summary_len)?);
    out.get_mut(summary_len..records_at)?
        .copy_from_slice(&sum.to_le_bytes());
    Some(out)
}

/// Reads an index file; `None` when it is not a whole, intact index of
/// this version.
pub(super) fn decode(data: &[u8]) -> Option<Index> {
    decode_from(data, data.len() as u64)
}

/// Reads a whole index of `len` bytes from `src`; `None` when it is not a
/// whole, intact index of this version.
pub(super) fn decode_from(mut src: impl Read, len: u64) -> Option<Index> {
    // The records from where the summary's read stopped, with what it
    // read past them.
    let mut read = Vec::new();
    let summary = decode_summary(Tee(&mut src, &mut read), len)?;
    let past = read.get(usize::try_from(summary.records_at).ok()?..)?;
    let messages = decode_records(
        past.chain(src),
        &summary.columns,
        summary.records_at,
        summary.len,
    )?;
    Some(Index { summary, messages })
}

/// A reader that keeps a copy of what it reads.
struct Tee<'a, R>(R, &'a mut Vec<u8>);

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        self.1.extend_from_slice(buf.get(..n).unwrap_or(&[]));
        Ok(n)
    }
}

/// Reads the summary of an index of `len` bytes from `src`: `None` when
/// it is not intact or not of this version. The first [`HEAD`] bytes are
/// read at once, which may go past the summary's checksum (into the
/// records); more only when the summary is longer.
pub(super) fn decode_summary(mut src: impl Read, len: u64) -> Option<Summary> {
    let mut head = vec![0u8; usize::try_from(len).ok()?.min(HEAD)];
    src.read_exact(&mut head).ok()?;
    let prefix = head.get(..PREFIX_LEN)?;
    let summary_len = u64::from_le_bytes(prefix.get(20..28)?.try_into().ok()?);
    if prefix.get(..8)? != MAGIC
        || u32::from_le_bytes(prefix.get(8..12)?.try_into().ok()?) != VERSION
        || u64::from_le_bytes(prefix.get(12..20)?.try_into().ok()?) != len
        // The summary's checksum and the file's last one after it.
        || summary_len < PREFIX_LEN as u64
        || summary_len > len.checked_sub(16)?
    {
        return None;
    }
    let mut r = Reader::with_head(&mut src, summary_len, head)?;
    r.take(PREFIX_LEN)?;
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
    let log = r.log_mark()?;
    let count = usize::try_from(r.u32()?).ok()?;
    let new_count = usize::try_from(r.u32()?).ok()?;
    let needing_modseq = usize::try_from(r.u32()?).ok()?;
    // Every message has its summary and its record: the file's length
    // bounds the count before anything is allocated for it.
    if count > usize::try_from(len).ok()? / (SUMMARY_PER_MESSAGE + RECORD_FIXED)
        || new_count > count
        || needing_modseq > count
    {
        return None;
    }
    // Each run holds a UID at least: the count bounds the runs.
    let runs_len = usize::try_from(r.u32()?).ok()?;
    if runs_len > count {
        return None;
    }
    let mut runs = Vec::with_capacity(runs_len);
    for _ in 0..runs_len {
        runs.push((r.u32()?, r.u32()?));
    }
    let values_len = usize::try_from(r.u32()?).ok()?;
    let flags = if values_len == 0 {
        let mut each = Vec::with_capacity(count);
        for _ in 0..count {
            each.push(Flags::from_bits(r.u64()?));
        }
        FlagColumn::Each(each)
    } else {
        if values_len > 256 {
            return None;
        }
        let mut values = Vec::with_capacity(values_len);
        for _ in 0..values_len {
            values.push(Flags::from_bits(r.u64()?));
        }
        // Shared from here on (`FlagRuns::of_shared`): when the buffer
        // holds them all, they stay where they were read (the buffer is
        // the last thing taken from), with no copy.
        let of = if count <= r.buf.len() {
            let at = r.take_at(count)?;
            Bytes::from(std::mem::take(&mut r.buf)).slice(at..at + count)
        } else {
            let mut of = Vec::with_capacity(count);
            let mut left = count;
            while left > 0 {
                let n = left.min(READ_BUF);
                of.extend_from_slice(r.take(n)?);
                left -= n;
            }
            Bytes::from(of)
        };
        FlagColumn::Indexed { values, of }
    };
    let columns = Columns::new(runs, flags)?;
    if !r.finish_section() {
        return None;
    }
    Some(Summary {
        validity,
        guid,
        uid_list,
        new_stamp,
        cur_stamp,
        log,
        new_count,
        needing_modseq,
        columns,
        records_at: summary_len + 8,
        len,
    })
}

/// Reads the records of an index of `len` bytes from `src`, which starts
/// at `records_at`, the messages having the UIDs and flags of the
/// summary's `columns`: `None` when they are not intact, or the file goes
/// on after them.
pub(in crate::folder) fn decode_records(
    src: impl Read,
    columns: &Columns,
    records_at: u64,
    len: u64,
) -> Option<Vec<MessageInfo>> {
    let body_len = len.checked_sub(records_at)?.checked_sub(8)?;
    let count = columns.len();
    if count > usize::try_from(body_len).ok()? / RECORD_FIXED {
        return None;
    }
    let mut r = Reader::new(src, body_len)?;
    let mut messages = Vec::with_capacity(count);
    // Every name in one buffer (the file's length bounds their sum),
    // which the messages' names refer to once all are in.
    let names_len = usize::try_from(body_len)
        .ok()?
        .saturating_sub(count * RECORD_FIXED)
        .min(count.saturating_mul(256));
    let mut names: Vec<u8> = Vec::with_capacity(names_len);
    prefault(messages.spare_capacity_mut());
    prefault(names.spare_capacity_mut());
    let shared = Arc::new(OnceLock::new());
    for (uid, flags) in columns.iter() {
        let rec = Record(r.array::<RECORD_FIXED>()?);
        let subdir = match rec.u8(0) {
            0 => Subdir::New,
            1 => Subdir::Cur,
            _ => return None,
        };
        let vsize = match (rec.u8(9), rec.u64(10)) {
            (0, _) => NO_VSIZE,
            (1, w) if w != NO_VSIZE => w,
            _ => return None,
        };
        // Any seconds are a time (a SystemTime holds an i64 of them).
        let (date_secs, date_nanos) = (rec.i64(18), rec.u32(26));
        if date_nanos >= 1_000_000_000 {
            return None;
        }
        let name = r.take(usize::from(rec.u16(46)))?;
        // Only what a listing could have found: a name that names a file
        // in new/ or cur/, never a path elsewhere (no '/' or NUL in any
        // name: checked over all names at once below). A name that
        // starts with a UTF-8 continuation byte would not be text of its
        // own even if all names together are.
        if matches!(name.first(), Some(b'.' | 0x80..=0xbf)) {
            return None;
        }
        let start = u32::try_from(names.len()).ok()?;
        names.extend_from_slice(name);
        let end = u32::try_from(names.len()).ok()?;
        messages.push(MessageInfo {
            uid,
            flags,
            size: rec.u64(1),
            vsize,
            date_secs,
            date_nanos,
            location: Location::Maildir(Entry {
                subdir,
                name: Name::shared(&shared, start, end),
            }),
            modseq: rec.u64(30),
            modseq_flags: Flags::from_bits(rec.u64(38)),
        });
    }
    if !r.finish_section() || !at_end(r.src) || memchr::memchr2(b'/', 0, &names).is_some() {
        return None;
    }
    // Valid UTF-8 cut only where a character starts (see above): every
    // name is valid UTF-8.
    shared.set(String::from_utf8(names).ok()?).ok()?;
    Some(messages)
}

/// True when `src` has nothing more.
fn at_end(mut src: impl Read) -> bool {
    let mut more = [0u8; 1];
    loop {
        match src.read(&mut more) {
            Ok(0) => return true,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            _ => return false,
        }
    }
}

/// Asks the kernel to map the pages of `room` (memory just allocated
/// and not yet written) in one call, rather than one page fault at a time
/// as the decoder writes into them: some 3,000 faults for a
/// 100,000-message index, which cost about a quarter of a first open.
/// Only whole pages inside `room` are touched; the contents do not change
/// (MADV_POPULATE_WRITE, Linux 5.14: "populate (prefault) page tables
/// writable ... avoid the actual memory access"). A kernel without it
/// answers EINVAL, and the pages fault in as they are written.
#[cfg(target_os = "linux")]
fn prefault<T>(room: &mut [std::mem::MaybeUninit<T>]) {
    const PAGE: usize = 4096;
    let start = room.as_mut_ptr() as usize;
    let end = start.saturating_add(std::mem::size_of_val(room));
    let first = start.div_ceil(PAGE).saturating_mul(PAGE);
    let last = end / PAGE * PAGE;
    if last > first {
        // SAFETY: [first, last) lies within `room`, memory this process
        // owns and that holds no initialized value; madvise reads and
        // writes no byte of it, it only maps its pages.
        unsafe {
            libc::madvise(
                first as *mut libc::c_void,
                last - first,
                libc::MADV_POPULATE_WRITE,
            );
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn prefault<T>(_room: &mut [std::mem::MaybeUninit<T>]) {}

/// The fixed part of a message record, read at once.
struct Record([u8; RECORD_FIXED]);

impl Record {
    fn bytes<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut b = [0; N];
        if let Some(s) = self.0.get(at..at + N) {
            b.copy_from_slice(s);
        }
        b
    }

    fn u8(&self, at: usize) -> u8 {
        self.0.get(at).copied().unwrap_or(0xff)
    }

    fn u16(&self, at: usize) -> u16 {
        u16::from_le_bytes(self.bytes(at))
    }

    fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.bytes(at))
    }

    fn u64(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.bytes(at))
    }

    fn i64(&self, at: usize) -> i64 {
        i64::from_le_bytes(self.bytes(at))
    }
}

/// A 64-bit checksum against a torn or damaged file (not against anyone
/// who means harm: the file only saves work, and every name it holds is
/// checked as a listing would be). Four independent lanes of eight bytes
/// a step, so that the multiplications overlap: well under a millisecond
/// for a 100,000-message index.
pub(super) fn checksum(data: &[u8]) -> u64 {
    let mut sum = Checksum::new(data.len() as u64);
    sum.update(data);
    sum.finish()
}

/// [`checksum`] of bytes given in pieces.
pub(super) struct Checksum {
    lanes: [u64; LANES],
    /// The start of a block the next piece completes.
    pending: [u8; BLOCK],
    pending_len: usize,
}

const LANES: usize = 4;
const BLOCK: usize = 8 * LANES;

impl Checksum {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;

    /// For `len` bytes in all.
    pub(super) fn new(len: u64) -> Checksum {
        let mut lanes = [0; LANES];
        for (i, l) in lanes.iter_mut().enumerate() {
            *l = (Checksum::K ^ len).wrapping_add(i as u64);
        }
        Checksum {
            lanes,
            pending: [0; BLOCK],
            pending_len: 0,
        }
    }

    fn mix(h: u64, w: u64) -> u64 {
        (h.rotate_left(23) ^ w).wrapping_mul(Checksum::K)
    }

    fn block(&mut self, b: &[u8]) {
        for (lane, w) in self.lanes.iter_mut().zip(b.chunks_exact(8)) {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            *lane = Checksum::mix(*lane, u64::from_le_bytes(word));
        }
    }

    pub(super) fn update(&mut self, mut data: &[u8]) {
        if self.pending_len > 0 {
            let n = (BLOCK - self.pending_len).min(data.len());
            let (head, rest) = data.split_at(n);
            if let Some(dst) = self.pending.get_mut(self.pending_len..self.pending_len + n) {
                dst.copy_from_slice(head);
            }
            self.pending_len += n;
            data = rest;
            if self.pending_len < BLOCK {
                return;
            }
            let p = self.pending;
            self.block(&p);
            self.pending_len = 0;
        }
        let mut blocks = data.chunks_exact(BLOCK);
        for b in &mut blocks {
            self.block(b);
        }
        let rest = blocks.remainder();
        if let Some(dst) = self.pending.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        self.pending_len = rest.len();
    }

    pub(super) fn finish(mut self) -> u64 {
        // The last bytes, zero-padded to a block (the length, mixed in at
        // the start, tells the padding from data).
        if let Some(rest) = self.pending.get_mut(self.pending_len..) {
            rest.fill(0);
        }
        let p = self.pending;
        self.block(&p);
        let mut h = self.lanes[0];
        for &l in &self.lanes[1..] {
            h = Checksum::mix(h, l);
        }
        // Final mixing, so that every input bit reaches every output bit.
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

/// The bytes of an index read at once to begin with: its prefix, and its
/// summary and the summary's checksum when they fit, in one read. Three
/// pages: the summary of some 11,000 messages whose UIDs have few gaps.
const HEAD: usize = 12 * 1024;

/// Reads a section of an index (the summary, or the records) through a
/// small buffer, summing the bytes as they come.
struct Reader<R> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Bytes of the body not yet read from `src`.
    left: u64,
    sum: Checksum,
    /// The first `trailer_got` bytes of the checksum after the section,
    /// when they were read with it ([`Reader::with_head`]).
    trailer: [u8; 8],
    trailer_got: usize,
}

impl<R: Read> Reader<R> {
    /// A reader of a section of `len` bytes (its checksum after them).
    fn new(src: R, len: u64) -> Option<Reader<R>> {
        Reader::with_head(src, len, Vec::new())
    }

    /// A reader of a section of `len` bytes whose first bytes `head`
    /// holds (with, when it goes past the section, the checksum after it
    /// or its beginning), the rest to be read from `src`, which stands
    /// after them.
    fn with_head(src: R, len: u64, mut buf: Vec<u8>) -> Option<Reader<R>> {
        let body = usize::try_from(len.min(buf.len() as u64)).ok()?;
        let after = buf.get(body..)?;
        let trailer_got = after.len().min(8);
        let mut trailer = [0u8; 8];
        trailer
            .get_mut(..trailer_got)?
            .copy_from_slice(after.get(..trailer_got)?);
        let mut sum = Checksum::new(len);
        sum.update(buf.get(..body)?);
        // Room for the largest take, as `new` makes it.
        let room = usize::try_from(len).ok()?.min(READ_BUF);
        if buf.len() < room {
            buf.resize(room, 0);
        }
        Some(Reader {
            src,
            buf,
            pos: 0,
            end: body,
            left: len - body as u64,
            sum,
            trailer,
            trailer_got,
        })
    }

    #[inline]
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let at = self.take_at(n)?;
        self.buf.get(at..at + n)
    }

    /// Takes `n` bytes; returns where they are in the buffer.
    #[inline]
    fn take_at(&mut self, n: usize) -> Option<usize> {
        if self.end - self.pos < n {
            self.fill(n)?;
        }
        let at = self.pos;
        let end = at.checked_add(n)?;
        if end > self.end {
            return None;
        }
        self.pos = end;
        Some(at)
    }

    /// Makes at least `n` unread bytes of the body be in the buffer.
    #[cold]
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

    /// True when the whole section was taken and the checksum after it
    /// (read from `src`, which then stands after the section) is the
    /// one of the section.
    fn finish_section(&mut self) -> bool {
        if self.pos != self.end || self.left != 0 {
            return false;
        }
        let mut stored = self.trailer;
        let Some(rest) = stored.get_mut(self.trailer_got..) else {
            return false;
        };
        if self.src.read_exact(rest).is_err() {
            return false;
        }
        let sum = std::mem::replace(&mut self.sum, Checksum::new(0));
        sum.finish() == u64::from_le_bytes(stored)
    }

    #[inline]
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

    /// The mod-sequence log's mark: `Some(None)` when the index has none.
    fn log_mark(&mut self) -> Option<Option<LogMark>> {
        let known = self.u8()?;
        let mut mark = LogMark {
            dev: self.u64()?,
            ino: self.u64()?,
            offset: self.u64()?,
            seen_len: self.u64()?,
            validity: self.u32()?,
            highest: self.u64()?,
            count: self.u64()?,
            ..LogMark::default()
        };
        let n = usize::from(self.u8()?);
        mark.head = self.take(n)?.to_vec();
        let n = usize::from(self.u8()?);
        mark.tail = self.take(n)?.to_vec();
        match known {
            0 => Some(None),
            1 => Some(Some(mark)),
            _ => None,
        }
    }
}

/// `data` (a whole file, checksums and all) with both checksums made
/// right again for what it holds, where its summary length leaves room
/// for them.
pub(super) fn resealed(mut data: Vec<u8>) -> Vec<u8> {
    let summary_len = data
        .get(20..28)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()));
    let Some(at) = summary_len
        .and_then(|l| usize::try_from(l).ok())
        .filter(|&l| l >= PREFIX_LEN && l.saturating_add(16) <= data.len())
    else {
        return data;
    };
    let sum = checksum(&data[..at]);
    data[at..at + 8].copy_from_slice(&sum.to_le_bytes());
    let end = data.len() - 8;
    let sum = checksum(&data[at + 8..end]);
    data[end..].copy_from_slice(&sum.to_le_bytes());
    data
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
