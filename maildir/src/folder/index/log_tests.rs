//! The mod-sequences an index carries, and the mark of the log they go
//! with: a log left alone is not read, one appended to is read from the
//! mark on, and any other log is read whole.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::PathBuf;

use super::*;
use crate::flags::{Flag, FlagOp, Flags};
use crate::modseq::{MODSEQ_NAME, parse};
use crate::snapshot::Location;

/// A folder of `n` messages (odd ones `\Seen`) opened once, so that it
/// has its log and an index with the log's mark.
pub(super) fn folder_with_index(n: usize) -> (tempfile::TempDir, Maildir) {
    MIN_MESSAGES.with(|m| m.set(1));
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path().join("M")).unwrap();
    for i in 0..n {
        let flags = (i % 2 == 1).then(|| Flags::from(Flag::Seen));
        md.deliver_from(
            format!("Subject: {i}\r\n\r\n{i}\r\n").as_bytes(),
            flags,
            None,
        )
        .unwrap();
    }
    // Directories old enough to be trusted: later opens list nothing.
    for sub in [crate::maildir::Subdir::New, crate::maildir::Subdir::Cur] {
        std::fs::File::open(md.subdir_path(sub))
            .unwrap()
            .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(10))
            .unwrap();
    }
    drop(MaildirFolder::open(md.clone()).unwrap());
    let ix = decode(&std::fs::read(md.path().join(INDEX_NAME)).unwrap()).unwrap();
    assert!(ix.log.is_some(), "the index has the log's mark");
    assert!(ix.messages.iter().all(|m| m.modseq > 0));
    (dir, md)
}

fn log_path(md: &Maildir) -> PathBuf {
    md.path().join(MODSEQ_NAME)
}

/// UID -> mod-sequence, as the folder has them.
fn modseqs(f: &MaildirFolder) -> BTreeMap<u32, u64> {
    f.messages().iter().map(|m| (m.uid, m.modseq)).collect()
}

/// UID -> mod-sequence, as a whole read of the log gives them (the
/// greatest line of each message).
fn modseqs_in_log(md: &Maildir) -> BTreeMap<u32, u64> {
    let p = parse(&std::fs::read(log_path(md)).unwrap(), true);
    let mut out = BTreeMap::new();
    for l in p.lines {
        let e = out.entry(l.uid).or_insert(0);
        *e = l.modseq.max(*e);
    }
    out
}

/// The octet offset of the log's line for `uid` (and the line).
fn line_of(md: &Maildir, uid: u32) -> (u64, String) {
    let text = std::fs::read_to_string(log_path(md)).unwrap();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.split(' ').next() == Some(&uid.to_string()) {
            return (at as u64, line.to_owned());
        }
        at += line.len();
    }
    panic!("no line for {uid}");
}

/// Changes the log in place (same inode, same length), which the log
/// never does: a read of the file shows it, a mark that spares the read
/// does not. The line of `uid` gets the mod-sequence `to`, of the same
/// number of digits.
fn change_in_place(md: &Maildir, uid: u32, to: u64) {
    let (at, line) = line_of(md, uid);
    let mut parts: Vec<String> = line.split(' ').map(str::to_owned).collect();
    assert_eq!(parts[1].len(), to.to_string().len());
    parts[1] = to.to_string();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(log_path(md))
        .unwrap();
    f.write_all_at(parts.join(" ").as_bytes(), at).unwrap();
}

fn flags_of(f: &MaildirFolder, uid: u32) -> Flags {
    f.message(uid).unwrap().flags
}

#[test]
fn an_unchanged_log_is_not_read() {
    let (_d, md) = folder_with_index(300);
    let before = {
        let f = MaildirFolder::from_index(md.clone());
        modseqs(&f)
    };
    // The middle of the file, away from the octets the mark keeps.
    change_in_place(&md, 150, 900);
    let f = MaildirFolder::open(md.clone()).unwrap();
    assert_eq!(modseqs(&f), before);
    assert!(f.modseqs.is_read());
    // A read of the file would have seen it.
    assert_eq!(modseqs_in_log(&md)[&150], 900);
}

#[test]
fn lines_appended_after_the_mark_are_read_and_only_they() {
    let (_d, md) = folder_with_index(300);
    let f = MaildirFolder::open(md.clone()).unwrap();
    let before = modseqs(&f);
    let highest = f.highest_modseq();
    drop(f);
    change_in_place(&md, 150, 900);
    // Another process logs a new mod-sequence for message 7 (flags as
    // its file name has them: no rename, no listing).
    let flags = {
        let f = MaildirFolder::from_index(md.clone());
        flags_of(&f, 7)
    };
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(log_path(&md))
        .unwrap();
    writeln!(log, "7 {} :{flags}", highest + 50).unwrap();
    drop(log);

    let f = MaildirFolder::open(md.clone()).unwrap();
    let mut want = before;
    want.insert(7, highest + 50);
    assert_eq!(modseqs(&f), want);
    assert_eq!(f.highest_modseq(), highest + 50);
}

#[test]
fn a_replaced_log_is_read_whole() {
    let (_d, md) = folder_with_index(300);
    // A compaction by another process: a new file (a new inode) renamed
    // over the old one, here with one line changed.
    let text = std::fs::read_to_string(log_path(&md)).unwrap();
    let (_, line) = line_of(&md, 150);
    let changed = {
        let mut parts: Vec<String> = line.split(' ').map(str::to_owned).collect();
        parts[1] = "9".repeat(parts[1].len());
        parts.join(" ")
    };
    let tmp = md.path().join("tmp").join("log");
    std::fs::write(&tmp, text.replace(&line, &changed)).unwrap();
    let old_ino = std::fs::metadata(log_path(&md)).unwrap().ino();
    std::fs::rename(&tmp, log_path(&md)).unwrap();
    assert_ne!(std::fs::metadata(log_path(&md)).unwrap().ino(), old_ino);

    let f = MaildirFolder::open(md.clone()).unwrap();
    assert_eq!(modseqs(&f), modseqs_in_log(&md));
    assert!(modseqs(&f)[&150] > 900);
    drop(f);
    // The open wrote the index again, with a mark of the new file: the
    // next start takes it rather than read the whole log again.
    let new_ino = std::fs::metadata(log_path(&md)).unwrap().ino();
    let ix = decode(&std::fs::read(md.path().join(INDEX_NAME)).unwrap()).unwrap();
    assert_eq!(ix.log.as_ref().map(|l| l.ino), Some(new_ino));
    let f = MaildirFolder::from_index(md.clone());
    assert!(f.modseqs.is_adopted());
}

#[test]
fn a_log_with_other_octets_at_the_mark_is_read_whole() {
    // The first line (the octets at the start) or the last before the
    // mark: what a file with the old one's inode number but other
    // contents would show.
    for uid in [1, 300] {
        let (_d, md) = folder_with_index(300);
        let (_, line) = line_of(&md, uid);
        let old: u64 = line.split(' ').nth(1).unwrap().parse().unwrap();
        let to = if old % 10 == 9 { old - 1 } else { old + 1 };
        change_in_place(&md, uid, to);
        let f = MaildirFolder::open(md.clone()).unwrap();
        assert_eq!(modseqs(&f), modseqs_in_log(&md), "line of {uid}");
        if to > old {
            assert_eq!(modseqs(&f)[&uid], to);
        }
    }
}

#[test]
fn a_truncated_or_missing_log_is_read_whole() {
    for keep in [None, Some(0), Some(10), Some(2000)] {
        let (_d, md) = folder_with_index(300);
        let highest = MaildirFolder::from_index(md.clone()).highest_modseq();
        match keep {
            None => std::fs::remove_file(log_path(&md)).unwrap(),
            Some(len) => std::fs::OpenOptions::new()
                .write(true)
                .open(log_path(&md))
                .unwrap()
                .set_len(len)
                .unwrap(),
        }
        let f = MaildirFolder::open(md.clone()).unwrap();
        // Every message has a mod-sequence, the one the log now says.
        assert!(f.messages().iter().all(|m| m.modseq > 0), "{keep:?}");
        assert_eq!(modseqs(&f), modseqs_in_log(&md), "{keep:?}");
        // HIGHESTMODSEQ never goes back.
        assert!(f.highest_modseq() >= highest, "{keep:?}");
    }
}

#[test]
fn changes_made_after_the_index_are_in_the_next_open() {
    let (_d, md) = folder_with_index(300);
    // A flag change by this process (a rename and a line) makes the
    // snapshot differ: the index is written again with a new mark.
    let mut f = MaildirFolder::open(md.clone()).unwrap();
    f.store_flags(&[3, 4], FlagOp::Add, Flags::from(Flag::Flagged), None)
        .unwrap();
    let want = modseqs(&f);
    let highest = f.highest_modseq();
    drop(f);
    let ix = decode(&std::fs::read(md.path().join(INDEX_NAME)).unwrap()).unwrap();
    assert_eq!(
        ix.log.as_ref().map(|l| l.seen_len),
        Some(std::fs::metadata(log_path(&md)).unwrap().len())
    );
    let f = MaildirFolder::open(md.clone()).unwrap();
    assert_eq!(modseqs(&f), want);
    assert_eq!(modseqs(&f), modseqs_in_log(&md));
    assert_eq!(f.highest_modseq(), highest);
    assert!(flags_of(&f, 3).contains(Flag::Flagged));
}

#[test]
fn a_torn_last_line_stays_torn_across_the_index() {
    let (_d, md) = folder_with_index(300);
    // A crash left a line without its line feed.
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(log_path(&md))
        .unwrap();
    write!(log, "12 77").unwrap();
    drop(log);
    // A handle reads the log (the torn tail is left), changes a flag
    // (its line starts on a fresh line) and writes the index.
    let mut f = MaildirFolder::open(md.clone()).unwrap();
    f.store_flags(&[5], FlagOp::Add, Flags::from(Flag::Replied), None)
        .unwrap();
    let want = modseqs(&f);
    drop(f);
    let f = MaildirFolder::open(md.clone()).unwrap();
    assert_eq!(modseqs(&f), want);
    assert_eq!(modseqs(&f), modseqs_in_log(&md));
    let text = std::fs::read_to_string(log_path(&md)).unwrap();
    assert!(text.contains("\n12 77\n"));
}

/// A handle that does not write the index (another process's, or one
/// whose index was lost): what it does is only in the log and the files.
fn without_index(md: &Maildir) -> MaildirFolder {
    let mut f = MaildirFolder::open(md.clone()).unwrap();
    f.index.writer = false;
    f
}

fn expunge_lines(md: &Maildir, uid: u32) -> usize {
    std::fs::read_to_string(log_path(md))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with(&format!("{uid} ")) && l.ends_with(" -"))
        .count()
}

#[test]
fn an_expunge_logged_after_the_index_is_read_once_and_not_logged_again() {
    let (_d, md) = folder_with_index(300);
    let highest = MaildirFolder::from_index(md.clone()).highest_modseq();
    let mut b = without_index(&md);
    assert_eq!(b.expunge(&[5]).unwrap(), vec![5]);
    drop(b);
    assert_eq!(expunge_lines(&md, 5), 1);

    // The index still holds message 5: the listing finds it gone, and the
    // log's tail says it is logged already.
    let mut f = MaildirFolder::open(md.clone()).unwrap();
    assert!(f.message(5).is_none());
    assert_eq!(f.expunged_since(highest).unwrap(), Some(vec![5]));
    drop(f);
    assert_eq!(expunge_lines(&md, 5), 1);
}

#[test]
fn a_message_logged_after_the_index_and_removed_behind_the_log_gets_its_expunge() {
    let (_d, md) = folder_with_index(300);
    // Another process delivers a message (and gives it a mod-sequence),
    // then a mail reader removes its file: no expunge line.
    let mut b = without_index(&md);
    let uid = b
        .append(&b"Subject: late\r\n\r\nx\r\n"[..], None, None)
        .unwrap();
    assert!(b.message(uid).unwrap().modseq > 0);
    let Location::Maildir(e) = &b.message(uid).unwrap().location else {
        panic!("a Maildir message");
    };
    let path = md.name_path(e.subdir, e.name.as_str());
    drop(b);
    std::fs::remove_file(path).unwrap();
    let highest = MaildirFolder::from_index(md.clone()).highest_modseq();

    // Not in the index, not in the folder, but in the log's tail: as a
    // whole read of the log finds it, it gets an expunge line.
    let mut f = MaildirFolder::open(md.clone()).unwrap();
    assert!(f.modseqs.is_read());
    assert!(f.message(uid).is_none());
    assert_eq!(expunge_lines(&md, uid), 1);
    assert_eq!(f.expunged_since(highest).unwrap(), Some(vec![uid]));
}
