//! The mod-sequence log of a Maildir folder (`missive-modseq`): the
//! per-message mod-sequences an IMAP server reports with CONDSTORE
//! (RFC 7162 section 3.1).
//!
//! # Format
//!
//! A text file beside `dovecot-uidlist`:
//!
//! ```text
//! missive-modseq 2 <uidvalidity> <highest> <expunges known above>
//! <uid> <modseq> :<flag letters>
//! <uid> <modseq> -
//! ...
//! ```
//!
//! Each line after the header says "from mod-sequence `modseq` on, the
//! message `uid` has these flags", or, ending in `-`, "the message `uid`
//! was expunged at mod-sequence `modseq`". A message's mod-sequence is the
//! greatest one logged for it; the folder's HIGHESTMODSEQ is the greatest
//! of the header's and every line's, expunged messages included, so it
//! never goes back.
//!
//! # Expunges
//!
//! QRESYNC (RFC 7162 section 3.2.5.1) asks which messages were expunged
//! since a mod-sequence. Every expunge gets a mod-sequence and a line
//! (section 3.2.7), so the log knows every expunge with a mod-sequence
//! above the header's last field: the highest mod-sequence when the file
//! was written, since a rewrite keeps no expunge lines. For a client
//! asking from further back the server reports every UID it does not
//! hold as expunged (the note in section 3.2.6). A version 1 file (no
//! such field, and no expunge lines) knows no expunges, and is rewritten
//! as version 2 at the next change.
//!
//! # New mod-sequences
//!
//! A message whose flags in its file name differ from the flags logged
//! with its mod-sequence (a rename by another mail reader, a crash
//! between a rename and its line) gets a new mod-sequence, and so does a
//! message with no line (new mail).
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

const MAGIC: &str = "missive-modseq";

/// The version written.
const VERSION: u32 = 2;

/// The highest mod-sequence of a folder that has none yet: the first
/// message gets 2, so that HIGHESTMODSEQ is positive (RFC 7162 section
/// 7, `mod-sequence-value`) before any message has one.
pub(crate) const FIRST_HIGHEST: u64 = 1;

/// The greatest mod-sequence a line may carry (RFC 7162 section 3.1:
/// unsigned 63-bit values).
const MAX_MODSEQ: u64 = i64::MAX as u64;

/// One line: `uid` has `flags` from `modseq` on, or (`expunged`) was
/// expunged at `modseq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line {
    pub uid: u32,
    pub modseq: u64,
    pub flags: Flags,
    pub expunged: bool,
}

impl Line {
    /// `uid` has `flags` from `modseq` on.
    pub(crate) fn flags(uid: u32, modseq: u64, flags: Flags) -> Line {
        Line {
            uid,
            modseq,
            flags,
            expunged: false,
        }
    }

    /// `uid` was expunged at `modseq`.
    pub(crate) fn expunge(uid: u32, modseq: u64) -> Line {
        Line {
            uid,
            modseq,
            flags: Flags::empty(),
            expunged: true,
        }
    }

    pub(crate) fn write(&self, out: &mut String) {
        use std::fmt::Write;
        if self.expunged {
            let _ = writeln!(out, "{} {} -", self.uid, self.modseq);
        } else {
            let _ = writeln!(out, "{} {} :{}", self.uid, self.modseq, self.flags);
        }
    }
}

/// A good header line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub validity: u32,
    pub highest: u64,
    /// Every expunge with a mod-sequence above this one has its line in
    /// the file; `None` for a version 1 file, which knows none.
    pub expunges_above: Option<u64>,
}

/// What a read of the file found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// The header, when the read began at the start of the file and the
    /// header was whole and good.
    pub header: Option<Header>,
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

/// `missive-modseq 1 <uidvalidity> <highest>` or `missive-modseq 2
/// <uidvalidity> <highest> <expunges known above>`.
fn parse_header(line: &[u8]) -> Option<Header> {
    let rest = line.strip_prefix(MAGIC.as_bytes())?.strip_prefix(b" ")?;
    let mut fields = rest.split(|&b| b == b' ');
    let version = number(fields.next()?, 10)?;
    let validity = u32::try_from(number(fields.next()?, 10)?).ok()?;
    let highest = number(fields.next()?, 20)?.min(MAX_MODSEQ);
    let expunges_above = match version {
        1 => None,
        2 => Some(number(fields.next()?, 20)?.min(MAX_MODSEQ)),
        _ => return None,
    };
    if fields.next().is_some() {
        return None;
    }
    Some(Header {
        validity,
        highest,
        expunges_above,
    })
}

/// `<uid> <modseq> :<letters>` or `<uid> <modseq> -`, on bytes: a log of
/// 100,000 lines is read at every first open of a big folder.
fn parse_line(line: &[u8]) -> Option<Line> {
    let a = memchr::memchr(b' ', line)?;
    let uid = u32::try_from(number(line.get(..a)?, 10)?).ok()?;
    let rest = line.get(a + 1..)?;
    let b = memchr::memchr(b' ', rest)?;
    let modseq = number(rest.get(..b)?, 19)?;
    let last = rest.get(b + 1..)?;
    if uid == 0 || modseq == 0 || modseq > MAX_MODSEQ {
        return None;
    }
    if last == b"-" {
        return Some(Line::expunge(uid, modseq));
    }
    let letters = last.strip_prefix(b":")?;
    let mut flags = Flags::empty();
    for &c in letters {
        if !c.is_ascii_alphabetic() {
            return None;
        }
        flags.insert_letter(char::from(c));
    }
    Some(Line::flags(uid, modseq, flags))
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
    /// The file is of version 1: it knows no expunges, and is rewritten at
    /// the next change.
    pub old_version: bool,
    /// The state was taken from the snapshot index ([`ModSeqLog::adopt`])
    /// and the file not looked at since.
    adopted: bool,
    /// The file's device and inode, and its length, as
    /// [`ModSeqLog::adopt`] just found them: the next
    /// [`ModSeqLog::refresh`] takes them rather than a `stat`, unless
    /// [`ModSeqLog::end_fresh`] came first.
    fresh: Option<((u64, u64), u64)>,
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
            old_version: false,
            adopted: false,
            fresh: None,
        }
    }

    /// What [`ModSeqLog::adopt`] found of the file is no longer fresh:
    /// the next refresh looks at it (called when a folder's open, for
    /// which it was taken, is over).
    pub fn end_fresh(&mut self) {
        self.fresh = None;
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
        let (ino, len) = match self.fresh.take() {
            Some(found) => found,
            None => match fs.metadata(&self.path) {
                Ok(m) => ((m.dev(), m.ino()), m.len()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    self.forget();
                    return Ok(Found::Void);
                }
                Err(e) => return Err(Error::io("stat", &self.path, e)),
            },
        };
        let same = self.handle.is_some() && ino == self.ino;
        if same && len >= self.offset {
            if self.validity != validity {
                return Ok(Found::Void);
            }
            if len == self.seen_len {
                return Ok(Found::Appended(Vec::new()));
            }
            let Some(handle) = self.handle.clone() else {
                return Ok(Found::Void);
            };
            let data = crate::uidlist::read_from(&handle, self.offset, len)
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

    /// The file, its metadata and all its octets; `None` when there is
    /// none.
    fn read_file(&self, fs: &SharedFs) -> Result<Option<(File, std::fs::Metadata, Vec<u8>)>> {
        let Some((mut file, meta)) = crate::fs::open_existing(fs.as_ref(), &self.path)? else {
            return Ok(None);
        };
        let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.read_to_end(&mut data)
            .map_err(|e| Error::io("read", &self.path, e))?;
        Ok(Some((file, meta, data)))
    }

    fn read_whole(&mut self, fs: &SharedFs, validity: u32) -> Result<Found> {
        self.forget();
        let Some((file, meta, data)) = self.read_file(fs)? else {
            return Ok(Found::Void);
        };
        let p = parse(&data, true);
        let Some(Header {
            validity: v,
            highest: h,
            expunges_above,
        }) = p.header
        else {
            // No good header: nothing in it can be trusted to belong to
            // this UIDVALIDITY.
            return Ok(Found::Void);
        };
        self.old_version = expunges_above.is_none();
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
        self.old_version = false;
        self.adopted = false;
        self.fresh = None;
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
        // No expunge lines are kept: the file knows the expunges to come.
        text.push_str(&format!(
            "{MAGIC} {VERSION} {validity} {} {}\n",
            self.highest, self.highest
        ));
        for l in lines {
            l.write(&mut text);
        }
        let tmp = tmp_dir.join(crate::name::unique_name() + ".modseq");
        crate::folder::write_replace(fs, &tmp, &self.path, text.as_bytes())?;
        self.forget();
        // Read back, so that later appends count offsets in this file.
        self.read_whole(fs, validity).map(|_| ())
    }

    /// The UIDs expunged at a mod-sequence above `since` (RFC 7162
    /// section 3.2.6), ascending, read from the file as it is now; `None`
    /// when the file does not go back that far (or is missing, damaged,
    /// of version 1 or of another UIDVALIDITY).
    pub fn expunged_since(
        &self,
        fs: &SharedFs,
        validity: u32,
        since: u64,
    ) -> Result<Option<Vec<u32>>> {
        let Some((_, _, data)) = self.read_file(fs)? else {
            return Ok(None);
        };
        let p = parse(&data, true);
        match p.header {
            Some(Header {
                validity: v,
                expunges_above: Some(above),
                ..
            }) if v == validity && since >= above => {}
            _ => return Ok(None),
        }
        let mut uids: Vec<u32> = p
            .lines
            .iter()
            .filter(|l| l.expunged && l.modseq > since)
            .map(|l| l.uid)
            .collect();
        uids.sort_unstable();
        uids.dedup();
        Ok(Some(uids))
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
        assert_eq!(
            p.header,
            Some(Header {
                validity: 7,
                highest: 40,
                expunges_above: None
            })
        );
        assert_eq!(
            p.lines,
            vec![
                Line::flags(3, 12, Flags::from_info("FS")),
                Line::flags(4, 13, Flags::empty()),
            ]
        );
        assert_eq!(p.count, 3);
        // The last line has no line feed: not read.
        assert_eq!(p.consumed, 47);
    }

    #[test]
    fn version_2_and_expunge_lines() {
        let p = parse(b"missive-modseq 2 7 40 31\n3 41 -\n4 42 :S\n", true);
        assert_eq!(
            p.header,
            Some(Header {
                validity: 7,
                highest: 40,
                expunges_above: Some(31)
            })
        );
        assert_eq!(
            p.lines,
            vec![
                Line::expunge(3, 41),
                Line::flags(4, 42, Flags::from_info("S"))
            ]
        );
        for line in [
            Line::expunge(3, 41),
            Line::flags(4, 42, Flags::from_info("FS")),
        ] {
            let mut text = String::new();
            line.write(&mut text);
            assert_eq!(parse(text.as_bytes(), false).lines, vec![line], "{text:?}");
        }
        for bad in [
            "missive-modseq 2 7 40",
            "missive-modseq 1 7 40 31",
            "missive-modseq 3 7 40 31",
            "missive-modseq 2 7 40 31 5",
        ] {
            assert_eq!(
                parse(format!("{bad}\n").as_bytes(), true).header,
                None,
                "{bad}"
            );
        }
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
            "5 6 --",
            "5 6 -S",
            "5 6 - ",
            "0 6 -",
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
