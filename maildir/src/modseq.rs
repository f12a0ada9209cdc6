//! The mod-sequence log of a Maildir folder (`missive-modseq`): the
//! per-message mod-sequences an IMAP server reports with CONDSTORE
//! (RFC 7162 section 3.1).
//!
//! # Format
//!
//! A text file beside `dovecot-uidlist`:
//!
//! ```text
//! missive-modseq 1 <uidvalidity> <highest>
//! <uid> <modseq> :<flag letters>
//! ...
//! ```
//!
//! Each line after the header says "from mod-sequence `modseq` on, the
//! message `uid` has these flags". A message's mod-sequence is the
//! greatest one logged for it; the folder's HIGHESTMODSEQ is the greatest
//! of the header's and every line's, expunged messages included, so it
//! never goes back. A message whose flags in its file name differ from
//! the flags logged with its mod-sequence (a rename by another mail
//! reader, a crash between a rename and its line) gets a new
//! mod-sequence, and so does a message with no line (new mail).
//!
//! # Crash safety
//!
//! Lines are appended under the folder lock with one `write` and an
//! `fdatasync` before the change is reported to anyone. A crash can leave
//! a last line without its line feed: such a tail is not read, and the
//! next append starts on a fresh line, so a torn line cannot join the
//! next one into a line that parses. A line that does not parse (torn,
//! zero-filled by the file system) is skipped: its message's flags then
//! differ from the last good line, so it gets a new mod-sequence above
//! every one read. When expunged messages' lines pile up, the file is
//! rewritten (written in `tmp/`, fsynced, renamed over the old one, the
//! directory fsynced) with one line per message and the highest
//! mod-sequence in the header.
//!
//! A log whose UIDVALIDITY is not the folder's is ignored and replaced:
//! mod-sequences only mean something with the UIDs they were given for.

use std::fs::File;
use std::io::{self, Read as _};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::flags::Flags;
use crate::fs::SharedFs;

mod mark;

pub(crate) use mark::LogMark;

/// The log's file name inside a folder.
pub(crate) const MODSEQ_NAME: &str = "missive-modseq";

const MAGIC: &str = "missive-modseq 1";

/// The highest mod-sequence of a folder that has none yet: the first
/// message gets 2, so that HIGHESTMODSEQ is positive (RFC 7162 section
/// 7, `mod-sequence-value`) before any message has one.
pub(crate) const FIRST_HIGHEST: u64 = 1;

/// The greatest mod-sequence a line may carry (RFC 7162 section 3.1:
/// unsigned 63-bit values).
const MAX_MODSEQ: u64 = i64::MAX as u64;

/// One line: `uid` has `flags` from `modseq` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line {
    pub uid: u32,
    pub modseq: u64,
    pub flags: Flags,
}

impl Line {
    pub(crate) fn write(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = writeln!(out, "{} {} :{}", self.uid, self.modseq, self.flags);
    }
}

/// What a read of the file found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// `(uidvalidity, highest)` of the header, when the read began at
    /// the start of the file and the header was whole and good.
    pub header: Option<(u32, u64)>,
    pub lines: Vec<Line>,
    /// Lines seen (good or not), for the compaction rule.
    pub count: usize,
    /// Octets up to the last line feed: what was read for good.
    pub consumed: usize,
}

/// A decimal number of at most `max_digits` digits, no sign, no leading
/// `+`.
fn number(s: &[u8], max_digits: usize) -> Option<u64> {
    if s.is_empty() || s.len() > max_digits {
        return None;
    }
    let mut n: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}

fn parse_header(line: &[u8]) -> Option<(u32, u64)> {
    let rest = line.strip_prefix(MAGIC.as_bytes())?.strip_prefix(b" ")?;
    let sp = memchr::memchr(b' ', rest)?;
    let v = u32::try_from(number(rest.get(..sp)?, 10)?).ok()?;
    let h = number(rest.get(sp + 1..)?, 20)?;
    Some((v, h.min(MAX_MODSEQ)))
}

/// `<uid> <modseq> :<letters>`, on bytes: a log of 100,000 lines is read
/// at every first open of a big folder.
fn parse_line(line: &[u8]) -> Option<Line> {
    let a = memchr::memchr(b' ', line)?;
    let uid = u32::try_from(number(line.get(..a)?, 10)?).ok()?;
    let rest = line.get(a + 1..)?;
    let b = memchr::memchr(b' ', rest)?;
    let modseq = number(rest.get(..b)?, 19)?;
    let letters = rest.get(b + 1..)?.strip_prefix(b":")?;
    if uid == 0 || modseq == 0 || modseq > MAX_MODSEQ {
        return None;
    }
    let mut flags = Flags::empty();
    for &c in letters {
        if !c.is_ascii_alphabetic() {
            return None;
        }
        flags.insert_letter(char::from(c));
    }
    Some(Line { uid, modseq, flags })
}

/// Parses whole lines of `data`; with `at_start`, the first line is the
/// header. Never fails: what does not parse is skipped.
pub(crate) fn parse(data: &[u8], at_start: bool) -> Parsed {
    let mut out = Parsed {
        lines: Vec::with_capacity(data.len() / 12),
        ..Parsed::default()
    };
    let mut pos = 0;
    let mut first = at_start;
    while let Some(rest) = data.get(pos..)
        && let Some(len) = memchr::memchr(b'\n', rest)
    {
        let raw = rest.get(..len).unwrap_or_default();
        pos += len + 1;
        if first {
            first = false;
            out.header = parse_header(raw);
            if out.header.is_some() {
                continue;
            }
        }
        out.count += 1;
        if let Some(l) = parse_line(raw) {
            out.lines.push(l);
        }
    }
    out.consumed = pos;
    out
}

/// The log file as one folder handle has read it.
#[derive(Debug, Clone)]
pub(crate) struct ModSeqLog {
    path: PathBuf,
    /// The file read from (kept open so that its inode is not reused
    /// while we hold an offset into it), its (device, inode), and the
    /// octets read for good.
    handle: Option<Arc<File>>,
    ino: (u64, u64),
    offset: u64,
    /// The octets after `offset` end without a line feed (a torn append).
    partial_tail: bool,
    /// The file's length at the last read.
    seen_len: u64,
    /// The UIDVALIDITY of the file's header (0: no file or no header).
    pub validity: u32,
    /// The greatest mod-sequence read or given.
    pub highest: u64,
    /// Lines in the file, for the compaction rule.
    pub count: usize,
    /// The state was taken from the snapshot index ([`ModSeqLog::adopt`])
    /// and the file not looked at since.
    adopted: bool,
}

/// What [`ModSeqLog::refresh`] found.
#[derive(Debug)]
pub(crate) enum Found {
    /// Lines appended since the last read.
    Appended(Vec<Line>),
    /// The file was replaced (or read for the first time): all its lines.
    Whole(Vec<Line>),
    /// There is no file, or its UIDVALIDITY is not `validity`.
    Void,
}

impl ModSeqLog {
    pub fn new(dir: &Path) -> ModSeqLog {
        ModSeqLog {
            path: dir.join(MODSEQ_NAME),
            handle: None,
            ino: (0, 0),
            offset: 0,
            partial_tail: false,
            seen_len: 0,
            validity: 0,
            highest: FIRST_HIGHEST,
            count: 0,
            adopted: false,
        }
    }

    /// True once the file was read (and is still held), and looked at
    /// since a state taken from the snapshot index.
    pub fn is_read(&self) -> bool {
        self.handle.is_some() && !self.adopted
    }

    /// Reads what changed in the file since the last call: cheap (one
    /// `stat`) when nothing did.
    pub fn refresh(&mut self, fs: &SharedFs, validity: u32) -> Result<Found> {
        self.adopted = false;
        let meta = match fs.metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.forget();
                return Ok(Found::Void);
            }
            Err(e) => return Err(Error::io("stat", &self.path, e)),
        };
        let same = self.handle.is_some() && (meta.dev(), meta.ino()) == self.ino;
        if same && meta.len() >= self.offset {
            if self.validity != validity {
                return Ok(Found::Void);
            }
            if meta.len() == self.seen_len {
                return Ok(Found::Appended(Vec::new()));
            }
            let Some(handle) = self.handle.clone() else {
                return Ok(Found::Void);
            };
            let data = crate::uidlist::read_from(&handle, self.offset, meta.len())
                .map_err(|e| Error::io("read", &self.path, e))?;
            let p = parse(&data, false);
            self.offset += p.consumed as u64;
            self.partial_tail = p.consumed < data.len();
            self.seen_len = self.offset + (data.len() - p.consumed) as u64;
            self.count += p.count;
            self.note(&p.lines);
            return Ok(Found::Appended(p.lines));
        }
        self.read_whole(fs, validity)
    }

    fn read_whole(&mut self, fs: &SharedFs, validity: u32) -> Result<Found> {
        self.forget();
        let mut file = match fs.open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Found::Void),
            Err(e) => return Err(Error::io("open", &self.path, e)),
        };
        let meta = file
            .metadata()
            .map_err(|e| Error::io("stat", &self.path, e))?;
        let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.read_to_end(&mut data)
            .map_err(|e| Error::io("read", &self.path, e))?;
        let p = parse(&data, true);
        let Some((v, h)) = p.header else {
            // No good header: nothing in it can be trusted to belong to
            // this UIDVALIDITY.
            return Ok(Found::Void);
        };
        self.handle = Some(Arc::new(file));
        self.ino = (meta.dev(), meta.ino());
        self.offset = p.consumed as u64;
        self.partial_tail = p.consumed < data.len();
        self.seen_len = data.len() as u64;
        self.validity = v;
        self.count = p.count;
        if v != validity {
            return Ok(Found::Void);
        }
        self.highest = self.highest.max(h);
        self.note(&p.lines);
        Ok(Found::Whole(p.lines))
    }

    fn note(&mut self, lines: &[Line]) {
        if let Some(m) = lines.iter().map(|l| l.modseq).max() {
            self.highest = self.highest.max(m);
        }
    }

    fn forget(&mut self) {
        self.handle = None;
        self.ino = (0, 0);
        self.offset = 0;
        self.partial_tail = false;
        self.seen_len = 0;
        self.validity = 0;
        self.count = 0;
        self.adopted = false;
    }

    /// The next mod-sequence to give; call with the folder lock held,
    /// after [`ModSeqLog::refresh`].
    pub fn next(&mut self) -> u64 {
        self.highest = self.highest.saturating_add(1).min(MAX_MODSEQ);
        self.highest
    }

    /// Appends `lines` and syncs them. Must hold the folder lock, with
    /// the file read to its end just before ([`ModSeqLog::refresh`]
    /// found it, with the folder's UIDVALIDITY).
    pub fn append(&mut self, fs: &SharedFs, lines: &[Line]) -> Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let mut text = String::with_capacity(lines.len() * 24 + 1);
        if self.partial_tail {
            // A torn last line stays alone on its line.
            text.push('\n');
        }
        for l in lines {
            l.write(&mut text);
        }
        let mut file = fs
            .open_append(&self.path, 0o600)
            .map_err(|e| Error::io("open", &self.path, e))?;
        let meta = file
            .metadata()
            .map_err(|e| Error::io("stat", &self.path, e))?;
        if (meta.dev(), meta.ino()) != self.ino {
            // Replaced since our read (we should hold the lock): read again
            // next time rather than count offsets in another file.
            self.forget();
        }
        let start = meta.len();
        fs.write_all(&mut file, text.as_bytes())
            .map_err(|e| Error::io("write", &self.path, e))?;
        fs.sync_data(&file)
            .map_err(|e| Error::io("fsync", &self.path, e))?;
        if self.handle.is_some() && start == self.seen_len {
            self.offset = start + text.len() as u64;
            self.seen_len = self.offset;
            self.partial_tail = false;
            self.count += lines.len();
        } else {
            // Someone else's octets are in between: read them next time.
            self.handle = None;
        }
        Ok(())
    }

    /// Replaces the file with a header and `lines`. Must hold the folder
    /// lock.
    pub fn rewrite(
        &mut self,
        fs: &SharedFs,
        tmp_dir: &Path,
        validity: u32,
        lines: &[Line],
    ) -> Result<()> {
        let mut text = String::with_capacity(lines.len() * 24 + 48);
        text.push_str(&format!("{MAGIC} {validity} {}\n", self.highest));
        for l in lines {
            l.write(&mut text);
        }
        let tmp = tmp_dir.join(crate::name::unique_name() + ".modseq");
        crate::folder::write_replace(fs, &tmp, &self.path, text.as_bytes())?;
        self.forget();
        // Read back, so that later appends count offsets in this file.
        self.read_whole(fs, validity).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_header() {
        let p = parse(
            b"missive-modseq 1 7 40\n3 12 :FS\n4 13 :\nbad line\n5 14 :S",
            true,
        );
        assert_eq!(p.header, Some((7, 40)));
        assert_eq!(
            p.lines,
            vec![
                Line {
                    uid: 3,
                    modseq: 12,
                    flags: Flags::from_info("FS")
                },
                Line {
                    uid: 4,
                    modseq: 13,
                    flags: Flags::empty()
                },
            ]
        );
        assert_eq!(p.count, 3);
        // The last line has no line feed: not read.
        assert_eq!(p.consumed, 47);
    }

    #[test]
    fn damaged_lines_are_skipped() {
        for bad in [
            "0 5 :S",
            "5 0 :S",
            "5 9223372036854775808 :S",
            "5 6 S",
            "5 6 :S x",
            "5 6 :S1",
            "5\u{0}6 :S",
            "\u{0}\u{0}\u{0}",
            "-5 6 :S",
            "5 +6 :S",
            "99999999999 6 :S",
        ] {
            let data = format!("{bad}\n");
            assert!(parse(data.as_bytes(), false).lines.is_empty(), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let p = parse(&data, true);
            proptest::prop_assert!(p.consumed <= data.len());
        }
    }
}
