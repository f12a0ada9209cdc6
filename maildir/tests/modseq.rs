//! Mod-sequences (RFC 7162 CONDSTORE) of Maildir folders: given to new
//! mail and to every flag change, kept across reopening, never going
//! back, and surviving a torn log.

use std::fs;
use std::path::Path;

use maildir::{Flag, FlagOp, Flags, Folder, Store};

fn store(dir: &Path) -> Store {
    Store::maildir(dir.join("Maildir")).unwrap()
}

fn modseqs(f: &Folder) -> Vec<(u32, u64)> {
    f.messages().iter().map(|m| (m.uid(), m.modseq())).collect()
}

fn log_path(dir: &Path) -> std::path::PathBuf {
    dir.join("Maildir").join("missive-modseq")
}

fn seen() -> Flags {
    Flags::from(Flag::Seen)
}

#[test]
fn new_mail_and_flag_changes_get_increasing_modseqs_kept_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let mut f = s.open_folder("INBOX").unwrap();
    let empty = f.highest_modseq().unwrap();
    assert!(empty >= 1, "HIGHESTMODSEQ is positive");
    for n in 0..3 {
        s.deliver("INBOX", format!("Subject: {n}\r\n\r\nx\r\n").as_bytes())
            .unwrap();
    }
    f.refresh().unwrap();
    let first = modseqs(&f);
    assert_eq!(first.len(), 3);
    for w in first.windows(2) {
        assert!(w[0].1 < w[1].1, "{first:?}");
    }
    assert!(first[0].1 > empty);
    let high = f.highest_modseq().unwrap();
    assert_eq!(high, first[2].1);

    // A flag change gets a modseq above every other.
    let stored = f
        .store_flags(&[first[1].0], FlagOp::Add, seen(), None)
        .unwrap();
    assert_eq!(stored.messages.len(), 1);
    let (uid, flags, m) = stored.messages[0];
    assert_eq!(uid, first[1].0);
    assert!(flags.contains(Flag::Seen));
    assert!(m > high);
    assert_eq!(f.highest_modseq(), Some(m));
    // Setting a flag already set keeps the modseq (RFC 7162 3.1.11).
    let again = f
        .store_flags(&[first[1].0], FlagOp::Add, seen(), None)
        .unwrap();
    assert_eq!(again.messages[0].2, m);
    assert_eq!(f.highest_modseq(), Some(m));
    let before = modseqs(&f);
    drop(f);

    // Another process (no shared cache) reads the same modseqs.
    let s2 = store(dir.path());
    let f2 = s2.open_folder("INBOX").unwrap();
    assert_eq!(modseqs(&f2), before);
    assert_eq!(f2.highest_modseq(), Some(m));
}

#[test]
fn a_store_in_one_handle_shows_with_its_modseq_in_another() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    s.deliver("INBOX", b"Subject: a\r\n\r\nx\r\n").unwrap();
    s.deliver("INBOX", b"Subject: b\r\n\r\nx\r\n").unwrap();
    let mut a = s.open_folder("INBOX").unwrap();
    let mut b = store(dir.path()).open_folder("INBOX").unwrap();
    assert_eq!(modseqs(&a), modseqs(&b));
    let uid = a.messages()[0].uid();
    let stored = a
        .store_flags(&[uid], FlagOp::Add, Flags::from(Flag::Flagged), None)
        .unwrap();
    let m = stored.messages[0].2;
    let ch = b.refresh().unwrap();
    assert_eq!(ch.flags_changed, [uid]);
    assert_eq!(b.message(uid).unwrap().modseq(), m);
    assert!(b.message(uid).unwrap().flags().contains(Flag::Flagged));
    assert_eq!(b.highest_modseq(), Some(m));
    // Nothing more to give: the log did not grow.
    let len = fs::metadata(log_path(dir.path())).unwrap().len();
    b.refresh().unwrap();
    a.refresh().unwrap();
    assert_eq!(fs::metadata(log_path(dir.path())).unwrap().len(), len);
}

#[test]
fn unchanged_since_leaves_modified_messages_alone() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    for n in 0..3 {
        s.deliver("INBOX", format!("Subject: {n}\r\n\r\nx\r\n").as_bytes())
            .unwrap();
    }
    let mut f = s.open_folder("INBOX").unwrap();
    let ms = modseqs(&f);
    let uids: Vec<u32> = ms.iter().map(|p| p.0).collect();
    // The middle one changes after the client read ms[0].1.
    f.store_flags(&[uids[1]], FlagOp::Add, seen(), None)
        .unwrap();
    let limit = ms[2].1;
    let r = f
        .store_flags(&uids, FlagOp::Add, Flags::from(Flag::Trashed), Some(limit))
        .unwrap();
    assert_eq!(r.modified, [uids[1]]);
    assert_eq!(r.messages.len(), 2);
    assert!(!f.message(uids[1]).unwrap().flags().contains(Flag::Trashed));
    assert!(f.message(uids[0]).unwrap().flags().contains(Flag::Trashed));
    // UNCHANGEDSINCE 0 always fails (RFC 7162 section 3.1.3, example 8).
    let r = f
        .store_flags(&[uids[0]], FlagOp::Add, seen(), Some(0))
        .unwrap();
    assert_eq!(r.modified, [uids[0]]);
    assert!(r.messages.is_empty());
}

#[test]
fn a_rename_by_another_mail_reader_gets_a_new_modseq_at_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    s.deliver("INBOX", b"Subject: a\r\n\r\nx\r\n").unwrap();
    s.deliver("INBOX", b"Subject: b\r\n\r\nx\r\n").unwrap();
    let f = s.open_folder("INBOX").unwrap();
    let before = modseqs(&f);
    let high = f.highest_modseq().unwrap();
    drop(f);
    // What mutt does: move to cur/ with flags in the name.
    let new_dir = dir.path().join("Maildir/new");
    let name = fs::read_dir(&new_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .min()
        .unwrap();
    fs::rename(
        new_dir.join(&name),
        dir.path().join("Maildir/cur").join(format!("{name}:2,S")),
    )
    .unwrap();
    let f = store(dir.path()).open_folder("INBOX").unwrap();
    let after = modseqs(&f);
    assert_eq!(after.len(), 2);
    let changed: Vec<_> = after.iter().filter(|p| !before.contains(p)).collect();
    assert_eq!(changed.len(), 1, "{before:?} {after:?}");
    assert!(changed[0].1 > high);
    assert!(f.highest_modseq().unwrap() > high);
}

#[test]
fn highest_modseq_never_goes_back_when_messages_go() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    for n in 0..4 {
        s.deliver("INBOX", format!("Subject: {n}\r\n\r\nx\r\n").as_bytes())
            .unwrap();
    }
    let mut f = s.open_folder("INBOX").unwrap();
    let last = f.messages().last().unwrap().uid();
    f.store_flags(&[last], FlagOp::Add, seen(), None).unwrap();
    let high = f.highest_modseq().unwrap();
    f.expunge(&[last]).unwrap();
    // The expunge has its own mod-sequence (RFC 7162 section 3.2.7).
    assert_eq!(f.highest_modseq(), Some(high + 1));
    drop(f);
    let f = store(dir.path()).open_folder("INBOX").unwrap();
    assert_eq!(f.highest_modseq(), Some(high + 1));
}

#[test]
fn a_torn_last_line_is_skipped_and_the_next_append_starts_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    s.deliver("INBOX", b"Subject: a\r\n\r\nx\r\n").unwrap();
    s.deliver("INBOX", b"Subject: b\r\n\r\nx\r\n").unwrap();
    let f = s.open_folder("INBOX").unwrap();
    let before = modseqs(&f);
    let high = f.highest_modseq().unwrap();
    drop(f);
    // A crash in the middle of an append: half a line, no line feed,
    // which would read as a big modseq for UID 1 if joined to the next.
    let log = log_path(dir.path());
    let mut text = fs::read(&log).unwrap();
    text.extend_from_slice(b"1 9");
    fs::write(&log, &text).unwrap();

    let mut f = store(dir.path()).open_folder("INBOX").unwrap();
    assert_eq!(modseqs(&f), before);
    assert_eq!(f.highest_modseq(), Some(high));
    let uid = before[1].0;
    let m = f
        .store_flags(&[uid], FlagOp::Add, seen(), None)
        .unwrap()
        .messages[0]
        .2;
    assert_eq!(m, high + 1);
    drop(f);
    let f = store(dir.path()).open_folder("INBOX").unwrap();
    assert_eq!(f.message(uid).unwrap().modseq(), m);
    assert_eq!(f.message(before[0].0).unwrap().modseq(), before[0].1);
    let text = String::from_utf8(fs::read(&log).unwrap()).unwrap();
    assert!(text.contains("\n1 9\n"), "{text:?}");

    // A zero-filled tail (a file system that extended the file but lost
    // the data) is skipped too.
    let mut bytes = fs::read(&log).unwrap();
    bytes.extend_from_slice(&[0; 40]);
    bytes.push(b'\n');
    fs::write(&log, &bytes).unwrap();
    let f = store(dir.path()).open_folder("INBOX").unwrap();
    assert_eq!(f.message(uid).unwrap().modseq(), m);
    assert_eq!(f.highest_modseq(), Some(m));
}

#[test]
fn a_lost_log_line_gives_the_message_a_modseq_above_all_read() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    s.deliver("INBOX", b"Subject: a\r\n\r\nx\r\n").unwrap();
    let mut f = s.open_folder("INBOX").unwrap();
    let uid = f.messages()[0].uid();
    let log = log_path(dir.path());
    let kept = fs::read(&log).unwrap();
    f.store_flags(&[uid], FlagOp::Add, seen(), None).unwrap();
    drop(f);
    // The file was renamed, but the crash lost the appended line.
    fs::write(&log, &kept).unwrap();
    let f = store(dir.path()).open_folder("INBOX").unwrap();
    let m = f.message(uid).unwrap();
    assert!(m.flags().contains(Flag::Seen));
    let text = String::from_utf8(kept).unwrap();
    let logged: u64 = text
        .lines()
        .nth(1)
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!(m.modseq() > logged);
}

#[test]
fn a_log_of_expunged_messages_is_compacted_keeping_the_highest() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    for n in 0..1200 {
        s.deliver("INBOX", format!("Subject: {n}\r\n\r\nx\r\n").as_bytes())
            .unwrap();
    }
    let mut f = s.open_folder("INBOX").unwrap();
    let uids: Vec<u32> = f.messages().iter().map(|m| m.uid()).collect();
    let (gone, kept) = uids.split_at(1100);
    f.store_flags(kept, FlagOp::Add, seen(), None).unwrap();
    let high = f.highest_modseq().unwrap();
    let ms = modseqs(&f);
    let before = fs::metadata(log_path(dir.path())).unwrap().len();
    f.expunge(gone).unwrap();
    s.deliver("INBOX", b"Subject: last\r\n\r\nx\r\n").unwrap();
    f.refresh().unwrap();
    let after = fs::metadata(log_path(dir.path())).unwrap().len();
    assert!(after < before / 4, "{before} -> {after}");
    let newest = f.messages().last().unwrap().modseq();
    assert!(newest > high);
    drop(f);
    let f = store(dir.path()).open_folder("INBOX").unwrap();
    assert_eq!(f.highest_modseq(), Some(newest));
    let reread = modseqs(&f);
    assert_eq!(&reread[..100], &ms[1100..]);
}

#[test]
fn mbox_keeps_no_modseqs() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    fs::write(
        &inbox,
        b"From a@b Thu Jan  1 00:00:00 1970\nSubject: x\n\nbody\n",
    )
    .unwrap();
    let s = Store::mbox(&inbox).unwrap();
    let mut f = s.open_folder("INBOX").unwrap();
    assert_eq!(f.highest_modseq(), None);
    let uid = f.messages()[0].uid();
    let r = f.store_flags(&[uid], FlagOp::Add, seen(), Some(0)).unwrap();
    assert_eq!(r.messages[0].2, 0);
}

#[test]
fn a_folder_opened_from_its_snapshot_index_has_its_modseqs() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let root = dir.path().join("Maildir");
    // Enough messages for a snapshot index (missive-index), written
    // straight into cur/ as another delivery agent would.
    for i in 0..1100 {
        let name = format!("{}.M{i}P1Q{i}.test,S=10:2,S", 1_700_000_000 + i);
        fs::write(root.join("cur").join(name), b"Subject: x").unwrap();
    }
    let mut f = s.open_folder("INBOX").unwrap();
    let uid = f.messages()[7].uid();
    f.store_flags(&[uid], FlagOp::Add, Flags::from(Flag::Flagged), None)
        .unwrap();
    let want = modseqs(&f);
    let high = f.highest_modseq();
    drop(f);
    // Let the directory mtimes age so the index is trusted.
    std::thread::sleep(maildir::MTIME_SLACK + std::time::Duration::from_millis(300));
    drop(store(dir.path()).open_folder("INBOX").unwrap());
    let index = root.join("missive-index");
    let written = fs::metadata(&index).unwrap().modified().unwrap();
    let f = store(dir.path()).open_folder("INBOX").unwrap();
    assert_eq!(modseqs(&f), want);
    assert_eq!(f.highest_modseq(), high);
    drop(f);
    // Reading the mod-sequences did not make the index look stale.
    assert_eq!(fs::metadata(&index).unwrap().modified().unwrap(), written);
}
