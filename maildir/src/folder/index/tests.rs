//! The snapshot index: its format, damaged files, and a folder changed
//! behind an index's back opening as it would without one.

use std::ffi::OsString;
use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;

use super::*;
use crate::flags::{Flag, FlagOp, Flags};
use crate::fs::FileSystem;
use crate::fuzzing::Pieces;
use crate::maildir::{MailEntry, Subdir};
use crate::modseq::LogMark;
use crate::snapshot::SnapshotCache;
use crate::snapshot::{Location, MessageInfo};
use crate::uidlist::UIDLIST_NAME;

/// UIDVALIDITY, UIDNEXT and the messages.
pub(super) type Snap = (u32, u32, Vec<MessageInfo>);

pub(super) fn snap(f: &MaildirFolder) -> Snap {
    (f.uid_validity(), f.uid_next(), f.messages().to_vec())
}

pub(super) fn index_path(md: &Maildir) -> PathBuf {
    md.path().join(INDEX_NAME)
}

/// Gives every folder of this thread an index, however small.
fn index_small_folders() {
    MIN_MESSAGES.with(|m| m.set(1));
}

/// What an open finds with no index to start from. The index file is
/// moved aside meanwhile and back after: the same file (device and
/// inode) as before.
pub(super) fn fresh(md: &Maildir) -> Snap {
    let aside = md.path().join("tmp").join("index-aside");
    let had = std::fs::rename(index_path(md), &aside).is_ok();
    let f = MaildirFolder::open(md.clone()).unwrap();
    let s = snap(&f);
    // Not written back at drop: the caller's index stays as it was.
    let mut f = f;
    f.index.writer = false;
    drop(f);
    let _ = std::fs::remove_file(index_path(md));
    if had {
        std::fs::rename(&aside, index_path(md)).unwrap();
    }
    s
}

/// Sets the mtimes of `new/` and `cur/` so far back that a listing
/// trusts them.
fn age_dirs(md: &Maildir) {
    for sub in [Subdir::New, Subdir::Cur] {
        let dir = File::open(md.subdir_path(sub)).unwrap();
        dir.set_modified(SystemTime::now() - Duration::from_secs(10))
            .unwrap();
    }
}

fn folder_with(n: usize) -> (tempfile::TempDir, Maildir) {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path().join("M")).unwrap();
    for i in 0..n {
        let m = format!("Subject: {i}\r\n\r\nbody {i}\r\n");
        if i % 2 == 0 {
            md.deliver(m.as_bytes()).unwrap();
        } else {
            md.deliver_from(m.as_bytes(), Some(Flags::from(Flag::Seen)), None)
                .unwrap();
        }
    }
    (dir, md)
}

#[test]
fn an_index_reads_back_what_was_written() {
    index_small_folders();
    let (_d, md) = folder_with(5);
    let f = MaildirFolder::open(md).unwrap();
    let mut messages = f.messages().to_vec();
    // Dates before 1970 and sizes without ,W= survive too.
    (messages[0].date_secs, messages[0].date_nanos) =
        crate::snapshot::date_parts(UNIX_EPOCH - Duration::new(5, 250));
    assert_eq!(
        messages[0].internal_date(),
        UNIX_EPOCH - Duration::new(5, 250)
    );
    messages[1].vsize = crate::snapshot::NO_VSIZE;
    messages[2].flags = Flags::from_info("DFRSTXaz");
    messages[3].modseq = u64::MAX;
    messages[3].modseq_flags = Flags::from_info("Sz");
    let log = LogMark {
        dev: 1,
        ino: u64::MAX,
        offset: 300,
        seen_len: 301,
        validity: 42,
        highest: 99,
        count: 12,
        head: b"missive-modseq 1 42 7\n".to_vec(),
        tail: vec![7; 64],
    };
    let new_stamp = DirStamp {
        seen: Some((7, -3, 999)),
        dirty: true,
    };
    let head = Head {
        validity: 42,
        guid: "abc",
        uid_list: Some(((1, 2, -3, 4), 77)),
        new_stamp,
        cur_stamp: DirStamp::default(),
        log: Some(log.clone()),
    };
    let ix = decode(&encode(&head, &messages).unwrap()).unwrap();
    assert_eq!(
        (
            ix.validity,
            ix.guid.as_str(),
            ix.uid_list,
            ix.new_stamp,
            ix.cur_stamp,
            ix.log.clone(),
        ),
        (
            42,
            "abc",
            Some(((1, 2, -3, 4), 77)),
            new_stamp,
            DirStamp::default(),
            Some(log)
        )
    );
    assert_eq!(ix.messages, messages);
    assert_eq!(ix.new_count, messages.iter().filter(|m| m.is_new()).count());
}

#[test]
fn a_snapshot_with_a_message_an_index_cannot_hold_gets_none() {
    index_small_folders();
    let (_d, md) = folder_with(2);
    let f = MaildirFolder::open(md).unwrap();
    let head = Head {
        validity: f.validity,
        guid: "",
        uid_list: None,
        new_stamp: f.new_stamp,
        cur_stamp: f.cur_stamp,
        log: f.modseqs.mark(f.validity),
    };
    let mut long = f.messages().to_vec();
    if let Location::Maildir(e) = &mut long[1].location {
        e.name = "x".repeat(70_000).into();
    }
    assert_eq!(encode(&head, &long), None);
    let mut mbox = f.messages().to_vec();
    mbox[0].location = Location::Mbox(Box::new(crate::snapshot::MboxPlace {
        from: 0,
        offset: 0,
        len: 0,
        base: "1.1".into(),
    }));
    assert_eq!(encode(&head, &mbox), None);
}

#[test]
fn damaged_or_foreign_index_files_are_ignored() {
    index_small_folders();
    let (_d, md) = folder_with(4);
    let f = MaildirFolder::open(md.clone()).unwrap();
    let head = Head {
        validity: f.validity,
        guid: guid(&f.uidfile.list),
        uid_list: f.uidfile.recorded(),
        new_stamp: f.new_stamp,
        cur_stamp: f.cur_stamp,
        log: f.modseqs.mark(f.validity),
    };
    let good = encode(&head, f.messages()).unwrap();
    assert!(decode(&good).is_some());
    for len in 0..good.len() {
        assert_eq!(decode(&good[..len]), None, "cut at {len}");
    }
    for at in 0..good.len() {
        let mut bad = good.clone();
        bad[at] ^= 0x20;
        assert_eq!(decode(&bad), None, "byte {at} changed");
    }
    let mut longer = good.clone();
    longer.push(0);
    assert_eq!(decode(&longer), None);
    // Another version, even with a right checksum: version 1 (no
    // mod-sequences) and a later one.
    let other_version = |v: u32| {
        let mut other = good.clone();
        other[8..12].copy_from_slice(&v.to_le_bytes());
        resealed(other)
    };
    let (v1, other) = (other_version(1), other_version(VERSION + 1));
    assert_eq!(decode(&v1), None);
    assert_eq!(decode(&other), None);
    // A name that is a path, with a right checksum.
    let mut evil = f.messages().to_vec();
    if let Location::Maildir(e) = &mut evil[0].location {
        e.name = String::from("../../etc/passwd").into();
    }
    let data = encode(&head, &evil).unwrap();
    assert_eq!(decode(&data), None);
    // UIDs out of order.
    let mut swapped = f.messages().to_vec();
    swapped.swap(0, 1);
    let data = encode(&head, &swapped).unwrap();
    assert_eq!(decode(&data), None);
    drop(f);

    // A folder opened over such files shows what it holds.
    let want = fresh(&md);
    for data in [
        &good[..good.len() / 2],
        &b"garbage"[..],
        &[][..],
        &v1[..],
        &other[..],
        &longer[..],
    ] {
        std::fs::write(index_path(&md), data).unwrap();
        let f = MaildirFolder::open(md.clone()).unwrap();
        assert_eq!(snap(&f), want);
        // And replaces it with a good one.
        let on_disk = decode(&std::fs::read(index_path(&md)).unwrap()).unwrap();
        assert_eq!(on_disk.messages, want.2);
    }
}

/// A file system that counts directory listings and `stat`s of message
/// files.
#[derive(Debug, Default)]
struct Counting {
    listings: AtomicUsize,
    message_stats: AtomicUsize,
}

fn in_mail_dir(p: &Path) -> bool {
    p.components()
        .any(|c| c.as_os_str() == "new" || c.as_os_str() == "cur")
}

impl FileSystem for Counting {
    fn read_dir(&self, dir: &Path) -> io::Result<Vec<OsString>> {
        if in_mail_dir(dir) {
            self.listings.fetch_add(1, Ordering::Relaxed);
        }
        std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.file_name()))
            .collect()
    }

    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        if in_mail_dir(path) && path.parent().is_some_and(in_mail_dir) {
            self.message_stats.fetch_add(1, Ordering::Relaxed);
        }
        std::fs::metadata(path)
    }
}

fn counted(md: &Maildir) -> (Arc<Counting>, Maildir) {
    let fs = Arc::new(Counting::default());
    let shared: crate::fs::SharedFs = fs.clone();
    (fs, Maildir::open_with(md.path(), shared).unwrap())
}

#[test]
fn an_unchanged_folder_opens_from_its_index_without_listing() {
    index_small_folders();
    let (_d, md) = folder_with(6);
    age_dirs(&md);
    // The first open lists the folder and writes the index.
    let first = snap(&MaildirFolder::open(md.clone()).unwrap());
    assert!(index_path(&md).exists());

    let (fs, counted_md) = counted(&md);
    let f = MaildirFolder::open(counted_md).unwrap();
    assert_eq!(snap(&f), first);
    assert_eq!(fs.listings.load(Ordering::Relaxed), 0);
    assert_eq!(fs.message_stats.load(Ordering::Relaxed), 0);
    assert_eq!(f.new_count(), 3);
    // Nor was the UID list read.
    assert!(f.uidfile.deferred);
    drop(f);
    assert_eq!(fresh(&md), first);

    // Such a handle reads the list when it needs it: to number a message
    // it stores, or one a listing finds.
    let mut f = MaildirFolder::open(md.clone()).unwrap();
    assert!(f.uidfile.deferred);
    let uid = f.append(&b"Subject: mine\r\n\r\n"[..], None, None).unwrap();
    assert_eq!(uid, first.1);
    assert!(!f.uidfile.deferred);
    drop(f);
    age_dirs(&md);
    drop(MaildirFolder::open(md.clone()).unwrap());
    md.deliver(b"Subject: theirs\r\n\r\n").unwrap();
    let mut f = MaildirFolder::open(md.clone()).unwrap();
    assert!(!f.uidfile.deferred);
    assert_eq!(f.messages().last().unwrap().uid, first.1 + 1);
    let uid = f.append(&b"Subject: mine\r\n\r\n"[..], None, None).unwrap();
    assert_eq!(uid, first.1 + 2);
    drop(f);
    assert_eq!(snap(&MaildirFolder::open(md.clone()).unwrap()), fresh(&md));
}

#[test]
fn a_first_open_lists_each_directory_once() {
    // No UID list yet: the names of the refresh's listing are every
    // message there is, and the new list is made from them.
    let (_d, md) = folder_with(5);
    let (fs, counted_md) = counted(&md);
    let f = MaildirFolder::open(counted_md).unwrap();
    assert_eq!(f.messages().len(), 5);
    assert_eq!(fs.listings.load(Ordering::Relaxed), 2);
    drop(f);
    assert_eq!(snap(&MaildirFolder::open(md.clone()).unwrap()).2.len(), 5);
}

#[test]
fn a_new_uid_list_is_held_as_written() {
    let (_d, md) = folder_with(5);
    let mut f = MaildirFolder::open(md.clone()).unwrap();
    let read = |md: &Maildir| {
        let text = std::fs::read(md.path().join(UIDLIST_NAME)).unwrap();
        let (list, consumed) = crate::uidlist::UidList::parse(&text).unwrap();
        assert_eq!(consumed, text.len());
        list
    };
    let on_disk = read(&md);
    assert_eq!(on_disk.to_file(), f.uidfile.list.to_file());
    assert_eq!(on_disk.by_base, f.uidfile.list.by_base);
    assert!(!f.uidfile.list.from_v1);
    // Held as read: a line for a new message is appended where a reader
    // of the file expects it, and the handle sees no change of its own.
    md.deliver(b"Subject: more\r\n\r\n").unwrap();
    f.refresh().unwrap();
    assert_eq!(f.messages().len(), 6);
    let on_disk = read(&md);
    assert_eq!(on_disk.entries.len(), 6);
    assert_eq!(on_disk.to_file(), f.uidfile.list.to_file());
    assert!(!f.uidfile.changed_on_disk(f.md.file_system()));
}

#[test]
fn a_listing_with_lengths_follows_links_as_metadata_does() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a"), b"abc").unwrap();
    std::os::unix::fs::symlink(dir.path().join("a"), dir.path().join("b")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("c")).unwrap();
    let summary = |fs: &dyn FileSystem| {
        let mut v: Vec<(OsString, Option<u64>)> = fs
            .read_dir_stat(dir.path())
            .unwrap()
            .into_iter()
            .map(|(n, stat)| (n, stat.map(|(len, _)| len)))
            .collect();
        v.sort();
        v
    };
    // The operating system's way, and the default one (`read_dir`, then
    // `metadata` of each path).
    let os = summary(&crate::fs::OsFs);
    assert_eq!(os, summary(&Stats::default()));
    assert_eq!(
        os,
        vec![
            ("a".into(), Some(3)),
            ("b".into(), Some(3)),
            ("c".into(), None)
        ]
    );
}

/// A file system that notes every path looked at with `stat`.
#[derive(Debug, Default)]
struct Stats(std::sync::Mutex<Vec<PathBuf>>);

impl FileSystem for Stats {
    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        self.0.lock().unwrap().push(path.to_owned());
        std::fs::metadata(path)
    }
}

#[test]
fn an_open_from_the_index_looks_at_each_file_once() {
    index_small_folders();
    let (_d, md) = folder_with(6);
    age_dirs(&md);
    drop(MaildirFolder::open(md.clone()).unwrap());
    let fs = Arc::new(Stats::default());
    let shared: crate::fs::SharedFs = fs.clone();
    let stats_md = Maildir::open_with(md.path(), shared).unwrap();
    fs.0.lock().unwrap().clear();
    let f = MaildirFolder::open(stats_md).unwrap();
    assert!(f.uidfile.deferred);
    let mut looked: Vec<PathBuf> = fs.0.lock().unwrap().clone();
    looked.sort();
    // new/, cur/ and tmp/ when the Maildir is opened, the UID list when
    // the index is read; the keywords file; the mod-sequence log through
    // the handle the index's mark was checked with.
    let mut want: Vec<PathBuf> = ["new", "cur", "tmp", UIDLIST_NAME, "dovecot-keywords"]
        .iter()
        .map(|n| md.path().join(n))
        .collect();
    want.sort();
    assert_eq!(looked, want);
}

#[test]
fn a_changed_directory_is_listed_without_a_stat_per_known_message() {
    index_small_folders();
    let (_d, md) = folder_with(6);
    age_dirs(&md);
    drop(MaildirFolder::open(md.clone()).unwrap());
    // Another process delivers one message: only new/ changed.
    md.deliver(b"Subject: late\r\n\r\nlate\r\n").unwrap();

    let (fs, counted_md) = counted(&md);
    let f = MaildirFolder::open(counted_md).unwrap();
    assert_eq!(f.messages().len(), 7);
    assert_eq!(fs.listings.load(Ordering::Relaxed), 1, "new/ only");
    assert_eq!(fs.message_stats.load(Ordering::Relaxed), 1, "the new one");
    drop(f);
    assert_eq!(snap(&MaildirFolder::open(md.clone()).unwrap()), fresh(&md));

    // Another mail reader changes flags: cur/ is listed, nothing is
    // stat'ed, and the UID list is not read (every name is known).
    age_dirs(&md);
    drop(MaildirFolder::open(md.clone()).unwrap());
    let e = md
        .list()
        .unwrap()
        .into_iter()
        .find(|e| e.subdir == Subdir::Cur)
        .unwrap();
    md.set_flags(&e, Flags::from_info("FRS")).unwrap();
    let (fs, counted_md) = counted(&md);
    let f = MaildirFolder::open(counted_md).unwrap();
    assert_eq!(fs.listings.load(Ordering::Relaxed), 1, "cur/ only");
    assert_eq!(fs.message_stats.load(Ordering::Relaxed), 0);
    assert!(f.uidfile.deferred);
    let m = f.messages().iter().find(|m| m.base() == e.base()).unwrap();
    assert_eq!(m.flags, Flags::from_info("FRS"));
    drop(f);
    assert_eq!(snap(&MaildirFolder::open(md.clone()).unwrap()), fresh(&md));
}

#[test]
fn changes_behind_the_index_show_up() {
    index_small_folders();
    let (_d, md) = folder_with(8);
    age_dirs(&md);
    drop(MaildirFolder::open(md.clone()).unwrap());
    let entries = md.list().unwrap();

    // A delivery, a rename with new flags, a move to cur/, an unlink.
    md.deliver(b"Subject: new\r\n\r\nnew\r\n").unwrap();
    let cur: Vec<&MailEntry> = entries.iter().filter(|e| e.subdir == Subdir::Cur).collect();
    let new: Vec<&MailEntry> = entries.iter().filter(|e| e.subdir == Subdir::New).collect();
    md.set_flags(cur[0], Flags::from_info("FS")).unwrap();
    md.move_to_cur(new[0]).unwrap();
    md.delete(cur[1]).unwrap();
    let f = MaildirFolder::open(md.clone()).unwrap();
    let got = snap(&f);
    drop(f);
    assert_eq!(got, fresh(&md));
    assert_eq!(got.2.len(), 8);
    let renamed = got.2.iter().find(|m| m.base() == cur[0].base()).unwrap();
    assert_eq!(renamed.flags, Flags::from_info("FS"));
    assert!(!got.2.iter().any(|m| m.base() == cur[1].base()));

    // The UID list replaced by one with a new UIDVALIDITY (and the same
    // GUID).
    age_dirs(&md);
    drop(MaildirFolder::open(md.clone()).unwrap());
    let old = std::fs::read_to_string(md.path().join(UIDLIST_NAME)).unwrap();
    let guid_field = old.split_whitespace().find(|f| f.starts_with('G')).unwrap();
    let mut text = format!("3 V{} N300 {guid_field}\n", got.0 + 1);
    for (i, e) in md.list().unwrap().iter().enumerate() {
        text.push_str(&format!("{} :{}\n", 200 + i, e.name));
    }
    std::fs::write(md.path().join(UIDLIST_NAME), text).unwrap();
    let before = got.0;
    let f = MaildirFolder::open(md.clone()).unwrap();
    let got = snap(&f);
    drop(f);
    assert_eq!((got.0, got.1), (before + 1, 300));
    assert_eq!(got.2[0].uid, 200);
    assert_eq!(got, fresh(&md));

    // The UID list removed: rebuilt.
    std::fs::remove_file(md.path().join(UIDLIST_NAME)).unwrap();
    let f = MaildirFolder::open(md.clone()).unwrap();
    let got = snap(&f);
    drop(f);
    assert_eq!(got, fresh(&md));

    // The UID list rewritten by another program with the same
    // UIDVALIDITY but other UIDs (and another GUID).
    age_dirs(&md);
    drop(MaildirFolder::open(md.clone()).unwrap());
    let mut text = format!("3 V{} N500 Gfeedface\n", got.0);
    for (i, e) in md.list().unwrap().iter().rev().enumerate() {
        text.push_str(&format!("{} :{}\n", 100 + i, e.name));
    }
    std::fs::write(md.path().join(UIDLIST_NAME), text).unwrap();
    let f = MaildirFolder::open(md.clone()).unwrap();
    let got = snap(&f);
    drop(f);
    assert_eq!(got.1, 500);
    assert_eq!(got, fresh(&md));
}

#[test]
fn a_change_in_the_tick_the_index_was_made_is_seen() {
    index_small_folders();
    let (_d, md) = folder_with(3);
    // Listed (and indexed) while cur/'s mtime is recent.
    drop(MaildirFolder::open(md.clone()).unwrap());
    let ix = decode(&std::fs::read(index_path(&md)).unwrap()).unwrap();
    assert!(ix.cur_stamp.dirty);
    let cur = md.subdir_path(Subdir::Cur);
    let mtime = std::fs::metadata(&cur).unwrap().modified().unwrap();
    // A change that leaves the mtime as it was (same clock tick).
    let e = md
        .list()
        .unwrap()
        .into_iter()
        .find(|e| e.subdir == Subdir::Cur)
        .unwrap();
    md.delete(&e).unwrap();
    File::open(&cur).unwrap().set_modified(mtime).unwrap();
    let f = MaildirFolder::open(md.clone()).unwrap();
    assert_eq!(f.messages().len(), 2);
    let got = snap(&f);
    drop(f);
    assert_eq!(got, fresh(&md));
}

#[test]
fn only_big_enough_folders_keep_an_index() {
    MIN_MESSAGES.with(|m| m.set(INDEX_MIN_MESSAGES));
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path().join("M")).unwrap();
    for i in 0..INDEX_MIN_MESSAGES - 1 {
        let name = format!("{}.M{i}P1.test,S=4:2,S", 1_700_000_000 + i);
        std::fs::write(md.subdir_path(Subdir::Cur).join(name), "abcd").unwrap();
    }
    drop(MaildirFolder::open(md.clone()).unwrap());
    assert!(!index_path(&md).exists());
    md.deliver(b"one more").unwrap();
    let mut f = MaildirFolder::open(md.clone()).unwrap();
    assert!(index_path(&md).exists(), "written at open");
    let uid = f.messages()[0].uid;
    f.expunge(&[uid]).unwrap();
    drop(f);
    assert!(!index_path(&md).exists(), "removed when too small");
}

#[test]
fn a_handle_writes_the_index_only_when_its_snapshot_changed() {
    index_small_folders();
    let (_d, md) = folder_with(4);
    age_dirs(&md);
    let mut f = MaildirFolder::open(md.clone()).unwrap();
    let written = || std::fs::metadata(index_path(&md)).unwrap().ino();
    let first = written();
    f.refresh().unwrap();
    f.save_index();
    assert_eq!(written(), first, "nothing changed");
    let uid = f.messages()[0].uid;
    f.set_flags(uid, FlagOp::Add, Flags::from(Flag::Flagged))
        .unwrap();
    drop(f);
    assert_ne!(written(), first);
    let on_disk = decode(&std::fs::read(index_path(&md)).unwrap()).unwrap();
    assert!(on_disk.messages[0].flags.contains(Flag::Flagged));
    // The copies a cache holds write nothing.
    let cache = SnapshotCache::default();
    let f = MaildirFolder::open_cached(md.clone(), Some(cache.clone())).unwrap();
    let second = written();
    let copy = f.detached();
    drop(f);
    drop(copy);
    drop(cache);
    assert_eq!(written(), second);
}

/// Something another process does to the folder, or a handle opened and
/// dropped by this one.
#[derive(Debug, Clone)]
enum Op {
    Deliver(bool),
    /// A delivery agent's: the message gets its UID at once.
    DeliverNumbered,
    /// Another handle's expunge (which writes no index).
    ExpungeByOther(usize),
    SetFlags(usize, u8),
    MoveToCur(usize),
    Unlink(usize),
    /// An unlink that leaves a recent mtime of its directory as it was
    /// (a change in the clock tick of the last one).
    UnlinkSameTick(usize),
    NewUidList,
    SameValidityOtherUids,
    AgeDirs,
    OpenAndDrop,
    DamageIndex(usize),
    /// Open from the index and compare with an open without one.
    Check,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => any::<bool>().prop_map(Op::Deliver),
        2 => Just(Op::DeliverNumbered),
        2 => any::<usize>().prop_map(Op::ExpungeByOther),
        3 => (any::<usize>(), any::<u8>()).prop_map(|(i, f)| Op::SetFlags(i, f)),
        1 => any::<usize>().prop_map(Op::MoveToCur),
        2 => any::<usize>().prop_map(Op::Unlink),
        2 => any::<usize>().prop_map(Op::UnlinkSameTick),
        1 => Just(Op::NewUidList),
        1 => Just(Op::SameValidityOtherUids),
        3 => Just(Op::AgeDirs),
        4 => Just(Op::OpenAndDrop),
        1 => any::<usize>().prop_map(Op::DamageIndex),
        3 => Just(Op::Check),
    ]
}

fn apply(md: &Maildir, op: &Op) {
    let entries = md.list().unwrap();
    let pick = |i: &usize| entries.get(i % entries.len().max(1));
    match op {
        Op::Deliver(flagged) => {
            let flags = flagged.then(|| Flags::from(Flag::Flagged));
            md.deliver_from(&b"Subject: x\r\n\r\nx\r\n"[..], flags, None)
                .unwrap();
        }
        Op::DeliverNumbered => {
            MaildirFolder::for_delivery(md.clone())
                .append(&b"Subject: y\r\n\r\ny\r\n"[..], None, None)
                .unwrap();
        }
        Op::ExpungeByOther(i) => {
            let mut f = MaildirFolder::open(md.clone()).unwrap();
            f.index.writer = false;
            if let Some(uid) = f
                .messages()
                .get(i % f.messages().len().max(1))
                .map(|m| m.uid)
            {
                f.expunge(&[uid]).unwrap();
            }
        }
        Op::SetFlags(i, bits) => {
            if let Some(e) = pick(i) {
                let letters: String = "DFRST"
                    .chars()
                    .enumerate()
                    .filter(|(k, _)| bits & (1 << k) != 0)
                    .map(|(_, c)| c)
                    .collect();
                md.set_flags(e, Flags::from_info(&letters)).unwrap();
            }
        }
        Op::MoveToCur(i) => {
            if let Some(e) = pick(i) {
                md.move_to_cur(e).unwrap();
            }
        }
        Op::Unlink(i) => {
            if let Some(e) = pick(i) {
                md.delete(e).unwrap();
            }
        }
        Op::UnlinkSameTick(i) => {
            if let Some(e) = pick(i) {
                let dir = md.subdir_path(e.subdir);
                let mtime = std::fs::metadata(&dir).unwrap().modified().unwrap();
                md.delete(e).unwrap();
                // Only a recent mtime can be the one of a change just
                // made: a listing trusts an older one.
                if mtime + Duration::from_secs(1) > SystemTime::now() {
                    File::open(&dir).unwrap().set_modified(mtime).unwrap();
                }
            }
        }
        Op::NewUidList => {
            let _ = std::fs::remove_file(md.path().join(UIDLIST_NAME));
        }
        Op::SameValidityOtherUids => {
            let path = md.path().join(UIDLIST_NAME);
            let Ok(old) = std::fs::read_to_string(&path) else {
                return;
            };
            let Some(v) = old.split_whitespace().find(|f| f.starts_with('V')) else {
                return;
            };
            // A list made anew has a GUID of its own (the index tells
            // lists apart by UIDVALIDITY and GUID).
            static MADE: AtomicUsize = AtomicUsize::new(1);
            let guid = MADE.fetch_add(1, Ordering::Relaxed) * 7919;
            let mut text = format!("3 {v} N900 G{guid:x}\n");
            for (i, e) in entries.iter().rev().enumerate() {
                text.push_str(&format!("{} :{}\n", 500 + i, e.name));
            }
            std::fs::write(&path, text).unwrap();
        }
        Op::AgeDirs => age_dirs(md),
        Op::OpenAndDrop => drop(MaildirFolder::open(md.clone()).unwrap()),
        Op::DamageIndex(at) => {
            if let Ok(data) = std::fs::read(index_path(md)) {
                std::fs::write(index_path(md), &data[..at % (data.len() + 1)]).unwrap();
            }
        }
        Op::Check => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Whatever happened since the index was written, a folder opened
    /// from it holds what a folder opened without it holds.
    #[test]
    fn an_open_from_the_index_equals_an_open_without(
        start in 0usize..6,
        ops in proptest::collection::vec(op(), 1..14),
    ) {
        index_small_folders();
        let (_d, md) = folder_with(start);
        age_dirs(&md);
        drop(MaildirFolder::open(md.clone()).unwrap());
        for (i, op) in ops.iter().chain([&Op::Check]).enumerate() {
            apply(&md, op);
            if matches!(op, Op::Check) {
                let f = MaildirFolder::open(md.clone()).unwrap();
                let got = snap(&f);
                drop(f);
                prop_assert_eq!(got, fresh(&md), "after op {}", i);
            }
        }
    }
}

/// A whole index of a small folder, for the decoder proptests.
fn sample_index() -> &'static [u8] {
    static SAMPLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    SAMPLE.get_or_init(|| {
        index_small_folders();
        let (_d, md) = folder_with(3);
        let f = MaildirFolder::open(md).unwrap();
        let head = Head {
            validity: f.validity,
            guid: guid(&f.uidfile.list),
            uid_list: f.uidfile.recorded(),
            new_stamp: f.new_stamp,
            cur_stamp: f.cur_stamp,
            log: f.modseqs.mark(f.validity),
        };
        encode(&head, f.messages()).unwrap()
    })
}

/// `body` with right checksums (the last eight bytes added for the
/// second one).
fn sealed(mut body: Vec<u8>) -> Vec<u8> {
    body.extend_from_slice(&[0; 8]);
    resealed(body)
}

proptest! {
    /// Any bytes: no panic.
    #[test]
    fn decoding_any_bytes_does_not_panic(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = decode(&data);
        let _ = decode(&sealed(data));
    }

    /// A valid file changed in a few places and given a right checksum
    /// (what the checksum cannot catch): no panic, and whatever decodes
    /// holds only names a listing could find, UIDs ascending.
    #[test]
    fn decoding_a_changed_file_with_a_right_checksum_is_safe(
        changes in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
    ) {
        let whole = sample_index();
        let mut body = whole[..whole.len() - 8].to_vec();
        for (at, b) in changes {
            let at = at % body.len();
            body[at] = b;
        }
        // Keep the length field right so that the records are parsed.
        let len = (body.len() + 8) as u64;
        body[12..20].copy_from_slice(&len.to_le_bytes());
        if let Some(ix) = decode(&sealed(body.clone())) {
            prop_assert!(ix.messages.windows(2).all(|w| w[0].uid < w[1].uid));
            for m in &ix.messages {
                let Location::Maildir(e) = &m.location else {
                    panic!("not a Maildir message");
                };
                prop_assert!(!e.name.as_str().contains('/') && !e.name.as_str().starts_with('.'));
            }
        }
        let cut = cut % (body.len() + 1);
        let _ = decode(&sealed(body[..cut].to_vec()));
    }
}

#[test]
fn a_huge_index_file_is_not_read() {
    index_small_folders();
    let (_d, md) = folder_with(2);
    let want = fresh(&md);
    // Sparse: no disk used.
    File::create(index_path(&md))
        .unwrap()
        .set_len(MAX_INDEX_BYTES + 1)
        .unwrap();
    let f = MaildirFolder::open(md.clone()).unwrap();
    assert_eq!(snap(&f), want);
}

/// A file system on which index files cannot be created.
#[derive(Debug, Default)]
struct NoIndex {
    attempts: AtomicUsize,
}

impl FileSystem for NoIndex {
    fn create_new(&self, path: &Path, mode: u32) -> io::Result<File> {
        if path.to_string_lossy().ends_with(".index") {
            self.attempts.fetch_add(1, Ordering::Relaxed);
            return Err(io::Error::from_raw_os_error(libc::EACCES));
        }
        crate::fs::OsFs.create_new(path, mode)
    }
}

#[test]
fn a_handle_that_cannot_write_the_index_stops_trying() {
    index_small_folders();
    let (dir, md) = folder_with(3);
    let fs = Arc::new(NoIndex::default());
    let shared: crate::fs::SharedFs = fs.clone();
    let md = Maildir::open_with(md.path(), shared).unwrap();
    let mut f = MaildirFolder::open(md).unwrap();
    assert_eq!(fs.attempts.load(Ordering::Relaxed), 1);
    let uid = f.messages()[0].uid;
    f.set_flags(uid, FlagOp::Add, Flags::from(Flag::Seen))
        .unwrap();
    drop(f);
    assert_eq!(fs.attempts.load(Ordering::Relaxed), 1);
    assert!(!dir.path().join("M").join(INDEX_NAME).exists());
}

proptest! {
    /// However the file comes in, the same index is read; a file longer
    /// or shorter than its length is not.
    #[test]
    fn an_index_read_in_any_pieces_is_the_same(step in 1usize..300) {
        let whole = sample_index();
        let want = decode(whole).unwrap();
        let got = decode_from(Pieces::new(whole, step), whole.len() as u64);
        prop_assert_eq!(got, Some(want));
        let longer = [whole, &b"x"[..]].concat();
        prop_assert_eq!(decode_from(Pieces::new(&longer, step), whole.len() as u64), None);
        let shorter = &whole[..whole.len() - 1];
        prop_assert_eq!(decode_from(Pieces::new(shorter, step), whole.len() as u64), None);
    }
}

#[test]
fn the_fuzz_body_reads_an_index_through() {
    // Checksums already right: resealing changes nothing, and the index
    // reads, whole and in pieces, and re-encodes.
    let data = sample_index();
    assert_eq!(resealed(data.to_vec()), data);
    assert!(decode(data).is_some());
    fuzz_decode(data);
    // A damaged record resealed is read or refused alike both ways.
    let mut bad = data.to_vec();
    let last = bad.len() - 9;
    bad[last] ^= 0x55;
    fuzz_decode(&bad);
}
