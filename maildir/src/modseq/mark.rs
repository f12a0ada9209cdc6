//! Where a read of the log stopped, kept in the snapshot index so that
//! the first open after a restart reads only what was appended since
//! (or nothing, when nothing was).
//!
//! A log is only ever appended to or replaced by a rename, so a file with
//! the recorded device and inode, at least as long as the recorded
//! offset, is the file that was read, with lines appended. An inode
//! number can be reused once its file is gone (a compaction renames a
//! new file over the old one, a later one may get the old number), which
//! a handle that stays open prevents but a file on disk cannot: the
//! first and the last octets before the offset are kept too, and a file
//! that does not have them is read whole. Anything else odd (shorter,
//! another file, unreadable) is read whole as well.

use std::fs::File;
use std::os::unix::fs::{FileExt as _, MetadataExt as _};
use std::sync::Arc;

use super::ModSeqLog;
use crate::fs::SharedFs;

/// Octets kept from each end of what was read.
const EDGE: usize = 64;

/// The state of a [`ModSeqLog`] after a read, as the snapshot index
/// records it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LogMark {
    pub dev: u64,
    pub ino: u64,
    /// Octets read for good (up to the last line feed).
    pub offset: u64,
    /// The file's length at the read (beyond `offset`: a torn line).
    pub seen_len: u64,
    /// The UIDVALIDITY of the file's header.
    pub validity: u32,
    /// The greatest mod-sequence read or given.
    pub highest: u64,
    /// Lines read, for the compaction rule.
    pub count: u64,
    /// The first octets of the file (its header line).
    pub head: Vec<u8>,
    /// The last octets before `offset`.
    pub tail: Vec<u8>,
}

impl ModSeqLog {
    /// Where this handle's read of the file stands; `None` when it holds
    /// no file, or one of another UIDVALIDITY than `validity`.
    pub fn mark(&self, validity: u32) -> Option<LogMark> {
        let handle = self.handle.as_ref()?;
        if self.validity != validity || validity == 0 {
            return None;
        }
        let (head, tail) = edges(handle, self.offset)?;
        Some(LogMark {
            dev: self.ino.0,
            ino: self.ino.1,
            offset: self.offset,
            seen_len: self.seen_len,
            validity: self.validity,
            highest: self.highest,
            count: self.count as u64,
            head,
            tail,
        })
    }

    /// Takes `mark` as this handle's read, if the file is still the one
    /// it was made from (see the module documentation); the next
    /// [`ModSeqLog::refresh`] then reads only what was appended since, and
    /// until it [`ModSeqLog::is_read`] is false. False, and nothing
    /// changed, otherwise.
    pub fn adopt(&mut self, fs: &SharedFs, mark: &LogMark) -> bool {
        if self.handle.is_some() || mark.seen_len < mark.offset {
            return false;
        }
        let Ok(file) = fs.open(&self.path) else {
            return false;
        };
        let Ok(meta) = file.metadata() else {
            return false;
        };
        if (meta.dev(), meta.ino()) != (mark.dev, mark.ino) || meta.len() < mark.offset {
            return false;
        }
        if edges(&file, mark.offset) != Some((mark.head.clone(), mark.tail.clone())) {
            return false;
        }
        let Ok(count) = usize::try_from(mark.count) else {
            return false;
        };
        self.handle = Some(Arc::new(file));
        self.ino = (mark.dev, mark.ino);
        self.offset = mark.offset;
        self.seen_len = mark.seen_len;
        self.partial_tail = mark.seen_len > mark.offset;
        self.validity = mark.validity;
        self.count = count;
        self.highest = self.highest.max(mark.highest);
        self.adopted = true;
        true
    }
}

/// The first and the last (up to) [`EDGE`] octets of the first `offset`
/// of `file`.
fn edges(file: &File, offset: u64) -> Option<(Vec<u8>, Vec<u8>)> {
    let n = usize::try_from(offset).ok()?.min(EDGE);
    let mut head = vec![0; n];
    let mut tail = vec![0; n];
    file.read_exact_at(&mut head, 0).ok()?;
    file.read_exact_at(&mut tail, offset - n as u64).ok()?;
    Some((head, tail))
}
