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

use super::{ModSeqLog, parse};
use crate::fs::SharedFs;

/// Octets kept from each end of what was read: more than a header line
/// (at most 68).
const EDGE: usize = 128;

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
    /// The first octets of the file (its whole header line).
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
        let Ok((file, meta)) = crate::fs::open_with_metadata(fs.as_ref(), &self.path) else {
            return false;
        };
        if (meta.dev(), meta.ino()) != (mark.dev, mark.ino) || meta.len() < mark.offset {
            return false;
        }
        if edges(&file, mark.offset) != Some((mark.head.clone(), mark.tail.clone())) {
            return false;
        }
        // The header is among the octets just compared: its version.
        let Some(header) = parse(&mark.head, true).header else {
            return false;
        };
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
        self.fresh = Some(((meta.dev(), meta.ino()), meta.len()));
        self.old_version = header.expunges_above.is_none();
        self.adopted = true;
        true
    }

    /// The (device, inode) of the file this handle read, if it holds one.
    pub fn file_id(&self) -> Option<(u64, u64)> {
        self.handle.as_ref().map(|_| self.ino)
    }

    /// True from [`ModSeqLog::adopt`] to the next [`ModSeqLog::refresh`].
    pub fn is_adopted(&self) -> bool {
        self.handle.is_some() && self.adopted
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modseq::Found;

    #[test]
    fn an_adopted_mark_keeps_the_version_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let fs = crate::fs::os();
        for (header, old) in [
            ("missive-modseq 1 7 40", true),
            ("missive-modseq 2 7 40 40", false),
        ] {
            std::fs::write(
                dir.path().join(super::super::MODSEQ_NAME),
                format!("{header}\n3 12 :S\n"),
            )
            .unwrap();
            let mut read = ModSeqLog::new(dir.path());
            assert!(matches!(read.refresh(&fs, 7).unwrap(), Found::Whole(_)));
            assert_eq!(read.old_version, old);
            let mark = read.mark(7).unwrap();
            // The whole file is both ends of what was read.
            assert_eq!(mark.head, mark.tail);
            let mut adopted = ModSeqLog::new(dir.path());
            assert!(adopted.adopt(&fs, &mark));
            assert!(adopted.is_adopted() && !adopted.is_read());
            assert_eq!(adopted.old_version, old, "{header}");
            assert_eq!(adopted.highest, 40);
            // Nothing appended: nothing read, and the mark is confirmed.
            assert!(matches!(adopted.refresh(&fs, 7).unwrap(), Found::Appended(l) if l.is_empty()));
            assert!(adopted.is_read());
        }
    }
}
