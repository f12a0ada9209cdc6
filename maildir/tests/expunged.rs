//! Expunges remembered with their mod-sequences (RFC 7162 QRESYNC):
//! `Folder::expunged_since` reports every message expunged after a
//! mod-sequence, whether this handle, another handle or another mail
//! reader removed it, across reopening, and says so when the log does
//! not go back far enough.

use std::fs;
use std::path::Path;

use maildir::{Flag, FlagOp, Flags, Folder, Store};

fn store(dir: &Path) -> Store {
    Store::maildir(dir.join("Maildir")).unwrap()
}

fn log_path(dir: &Path) -> std::path::PathBuf {
    dir.join("Maildir").join("missive-modseq")
}

fn deliver(s: &Store, n: usize) {
    for i in 0..n {
        s.deliver("INBOX", format!("Subject: {i}\r\n\r\nx\r\n").as_bytes())
            .unwrap();
    }
}

fn uids(f: &Folder) -> Vec<u32> {
    f.messages().iter().map(|m| m.uid()).collect()
}

/// A store in a new directory with `n` messages in its INBOX, the INBOX
/// open, and their UIDs.
fn inbox_of(n: usize) -> (tempfile::TempDir, Store, Folder, Vec<u32>) {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    deliver(&s, n);
    let f = s.open_folder("INBOX").unwrap();
    let all = uids(&f);
    (dir, s, f, all)
}

/// Removes a message's file as another mail reader would.
fn remove_behind_the_back(dir: &Path, f: &Folder, uid: u32) {
    let m = f.message(uid).unwrap();
    let cur = dir.join("Maildir/cur");
    let new = dir.join("Maildir/new");
    for sub in [cur, new] {
        for e in fs::read_dir(&sub).unwrap() {
            let e = e.unwrap();
            if e.file_name().to_string_lossy().starts_with(m.base()) {
                fs::remove_file(e.path()).unwrap();
                return;
            }
        }
    }
    panic!("no file for UID {uid}");
}

#[test]
fn expunges_get_modseqs_and_are_reported_since_a_modseq() {
    let (dir, _s, mut f, all) = inbox_of(5);
    let before = f.highest_modseq().unwrap();
    assert_eq!(f.expunged_since(before).unwrap(), Some(vec![]));

    let gone = f.expunge(&all[1..3]).unwrap();
    assert_eq!(gone, all[1..3]);
    let after_first = f.highest_modseq().unwrap();
    // Each expunge raised HIGHESTMODSEQ (RFC 7162 section 3.2.7).
    assert_eq!(after_first, before + 2);
    assert_eq!(f.expunged_since(before).unwrap(), Some(all[1..3].to_vec()));
    assert_eq!(
        f.expunged_since(before + 1).unwrap(),
        Some(vec![all[2]]),
        "only the expunge above the mod-sequence given"
    );
    assert_eq!(f.expunged_since(after_first).unwrap(), Some(vec![]));

    // A flag change and another expunge later.
    f.store_flags(&[all[0]], FlagOp::Add, Flags::from(Flag::Seen), None)
        .unwrap();
    f.expunge(&[all[4]]).unwrap();
    assert_eq!(f.expunged_since(after_first).unwrap(), Some(vec![all[4]]));

    // Kept across reopening, by a new store handle as after a restart.
    drop(f);
    let s = store(dir.path());
    let mut f = s.open_folder("INBOX").unwrap();
    assert_eq!(
        f.expunged_since(before).unwrap(),
        Some(vec![all[1], all[2], all[4]])
    );
    assert_eq!(uids(&f), vec![all[0], all[3]]);
}

#[test]
fn another_handles_expunge_is_logged_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    deliver(&s, 3);
    let mut a = s.open_folder("INBOX").unwrap();
    let mut b = s.open_folder("INBOX").unwrap();
    let all = uids(&a);
    let before = a.highest_modseq().unwrap();
    a.expunge(&[all[0]]).unwrap();
    let high = a.highest_modseq().unwrap();
    // b finds the message gone and sees a's line: no second expunge.
    b.refresh().unwrap();
    assert_eq!(uids(&b), all[1..]);
    assert_eq!(b.highest_modseq().unwrap(), high);
    assert_eq!(b.expunged_since(before).unwrap(), Some(vec![all[0]]));
    let log = fs::read_to_string(log_path(dir.path())).unwrap();
    assert_eq!(
        log.lines().filter(|l| l.ends_with(" -")).count(),
        1,
        "{log}"
    );
}

#[test]
fn a_file_removed_by_another_mail_reader_gets_an_expunge() {
    let (dir, _s, mut f, all) = inbox_of(3);
    let before = f.highest_modseq().unwrap();
    remove_behind_the_back(dir.path(), &f, all[1]);
    f.refresh().unwrap();
    assert_eq!(uids(&f), vec![all[0], all[2]]);
    assert!(f.highest_modseq().unwrap() > before);
    assert_eq!(f.expunged_since(before).unwrap(), Some(vec![all[1]]));
}

#[test]
fn a_file_removed_while_no_handle_was_open_gets_an_expunge() {
    let (dir, s, f, all) = inbox_of(4);
    let before = f.highest_modseq().unwrap();
    remove_behind_the_back(dir.path(), &f, all[3]);
    remove_behind_the_back(dir.path(), &f, all[0]);
    drop(f);
    drop(s);
    // A new process: the snapshot is listed afresh, and only the log
    // still knows the two messages.
    let s = store(dir.path());
    let mut f = s.open_folder("INBOX").unwrap();
    assert_eq!(uids(&f), vec![all[1], all[2]]);
    assert!(f.highest_modseq().unwrap() >= before + 2);
    assert_eq!(
        f.expunged_since(before).unwrap(),
        Some(vec![all[0], all[3]])
    );
}

#[test]
fn a_message_delivered_after_the_listing_is_not_taken_for_expunged() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    deliver(&s, 2);
    let mut a = s.open_folder("INBOX").unwrap();
    let first = uids(&a)[0];
    // Delivered, and logged by another handle in a log written anew (so
    // that `a` reads all of it) while `a` has not listed the folder since.
    deliver(&s, 1);
    let mut b = s.open_folder("INBOX").unwrap();
    let newest = *uids(&b).last().unwrap();
    fs::remove_file(log_path(dir.path())).unwrap();
    b.store_flags(&[newest], FlagOp::Add, Flags::from(Flag::Seen), None)
        .unwrap();
    drop(b);
    // A STORE reads the whole log without a listing.
    a.store_flags(&[first], FlagOp::Add, Flags::from(Flag::Seen), None)
        .unwrap();
    assert!(!uids(&a).contains(&newest));
    let log = fs::read_to_string(log_path(dir.path())).unwrap();
    assert!(!log.lines().any(|l| l.ends_with(" -")), "{log}");
    a.refresh().unwrap();
    assert!(uids(&a).contains(&newest));
    let high = a.highest_modseq().unwrap();
    assert_eq!(a.expunged_since(high).unwrap(), Some(vec![]));
}

#[test]
fn a_rewritten_log_no_longer_goes_back_before_the_rewrite() {
    let (dir, _s, mut f, all) = inbox_of(3);
    let before = f.highest_modseq().unwrap();
    f.expunge(&[all[0]]).unwrap();
    // Many flag changes on few messages: the log is compacted.
    for _ in 0..600 {
        f.store_flags(&[all[1]], FlagOp::Add, Flags::from(Flag::Seen), None)
            .unwrap();
        f.store_flags(&[all[1]], FlagOp::Remove, Flags::from(Flag::Seen), None)
            .unwrap();
    }
    drop(f);
    let s = store(dir.path());
    let mut f = s.open_folder("INBOX").unwrap();
    let high = f.highest_modseq().unwrap();
    let log = fs::read_to_string(log_path(dir.path())).unwrap();
    assert!(
        log.lines().count() < 100,
        "compacted: {} lines",
        log.lines().count()
    );
    assert!(log.starts_with("missive-modseq 2 "), "{log}");
    assert_eq!(f.expunged_since(before).unwrap(), None);
    assert_eq!(f.expunged_since(high).unwrap(), Some(vec![]));
    f.expunge(&[all[2]]).unwrap();
    assert_eq!(f.expunged_since(high).unwrap(), Some(vec![all[2]]));
}

#[test]
fn a_version_1_log_is_read_and_rewritten_knowing_no_earlier_expunges() {
    let (dir, s, f, all) = inbox_of(2);
    let validity = f.uid_validity();
    drop(f);
    drop(s);
    fs::write(
        log_path(dir.path()),
        format!(
            "missive-modseq 1 {validity} 40\n{} 30 :\n{} 35 :\n",
            all[0], all[1]
        ),
    )
    .unwrap();
    let s = store(dir.path());
    let mut f = s.open_folder("INBOX").unwrap();
    let m: Vec<u64> = f.messages().iter().map(|m| m.modseq()).collect();
    assert_eq!(m, vec![30, 35], "version 1 mod-sequences are kept");
    assert_eq!(f.highest_modseq(), Some(40));
    assert_eq!(f.expunged_since(39).unwrap(), None);
    let log = fs::read_to_string(log_path(dir.path())).unwrap();
    assert!(log.starts_with("missive-modseq 2 "), "{log}");
    f.expunge(&[all[0]]).unwrap();
    assert_eq!(f.expunged_since(40).unwrap(), Some(vec![all[0]]));
}
