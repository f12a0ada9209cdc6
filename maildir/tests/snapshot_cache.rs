//! SnapshotCache: a folder opened from a cached snapshot is the folder on
//! disk (changes by other processes included), an unchanged folder is
//! opened without a `stat` per message, and the cache stays bounded.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use maildir::{Flag, FlagOp, Flags, MailLocation, SnapshotCache, Store};

fn msg(n: usize) -> Vec<u8> {
    format!("From: a@example.org\r\nSubject: {n}\r\n\r\nbody {n}\r\n").into_bytes()
}

/// Counts `stat`s of message files (paths inside `cur/` or `new/`).
#[derive(Debug, Default)]
struct CountingFs {
    message_stats: AtomicUsize,
    listings: AtomicUsize,
}

impl maildir::FileSystem for CountingFs {
    fn metadata(&self, path: &Path) -> std::io::Result<std::fs::Metadata> {
        let in_subdir = path
            .parent()
            .and_then(|p| p.file_name())
            .is_some_and(|n| n == "cur" || n == "new");
        if in_subdir {
            self.message_stats.fetch_add(1, Ordering::Relaxed);
        }
        std::fs::metadata(path)
    }

    fn read_dir(&self, dir: &Path) -> std::io::Result<Vec<std::ffi::OsString>> {
        self.listings.fetch_add(1, Ordering::Relaxed);
        std::fs::read_dir(dir)?
            .map(|entry| entry.map(|e| e.file_name()))
            .collect()
    }
}

fn store_at(root: &Path, fs: maildir::fs::SharedFs) -> Store {
    let spec = format!("maildir:{}", root.display());
    Store::open_location(MailLocation::parse(&spec, "u", None).unwrap(), fs).unwrap()
}

/// Sets the mtimes of `new/` and `cur/` well in the past, so a listing
/// trusts them (they are older than MTIME_SLACK).
fn age_dirs(root: &Path) {
    let old = SystemTime::now() - Duration::from_secs(60);
    for d in ["new", "cur"] {
        let f = std::fs::File::open(root.join(d)).unwrap();
        f.set_modified(old).unwrap();
    }
}

/// (uid, flags, size) of every message, as a fresh uncached open sees it.
fn view(store: &Store) -> Vec<(u32, Flags, u64)> {
    let f = store.open_folder("INBOX").unwrap();
    f.messages()
        .iter()
        .map(|m| (m.uid(), m.flags(), m.size()))
        .collect()
}

#[test]
fn cached_snapshot_shows_changes_made_by_others() {
    let dir = tempfile::tempdir().unwrap();
    let cache = SnapshotCache::default();
    let cached = Store::maildir(dir.path())
        .unwrap()
        .with_snapshot_cache(cache.clone());
    let other = Store::maildir(dir.path()).unwrap();
    for i in 0..5 {
        other.deliver("INBOX", &msg(i)).unwrap();
    }
    {
        let a = cached.open_folder("INBOX").unwrap();
        assert_eq!(a.messages().len(), 5);
    }
    assert_eq!(cache.len(), 1);

    // Another process (no cache): a delivery, a flag change, an expunge.
    let uid_new = other.deliver("INBOX", &msg(5)).unwrap();
    {
        let mut f = other.open_folder("INBOX").unwrap();
        let uids: Vec<u32> = f.messages().iter().map(|m| m.uid()).collect();
        f.set_flags(uids[0], FlagOp::Add, Flags::from(Flag::Seen))
            .unwrap();
        f.expunge(&[uids[1]]).unwrap();
    }
    let b = cached.open_folder("INBOX").unwrap();
    let seen: Vec<(u32, Flags, u64)> = b
        .messages()
        .iter()
        .map(|m| (m.uid(), m.flags(), m.size()))
        .collect();
    assert_eq!(seen, view(&other));
    assert_eq!(seen.len(), 5);
    assert!(seen.iter().any(|m| m.0 == uid_new));
    assert!(seen[0].1.contains(Flag::Seen));
}

#[test]
fn sessions_share_changes_through_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = SnapshotCache::default();
    let store = Store::maildir(dir.path())
        .unwrap()
        .with_snapshot_cache(cache.clone());
    for i in 0..3 {
        store.deliver("INBOX", &msg(i)).unwrap();
    }
    let mut a = store.open_folder("INBOX").unwrap();
    let b = store.open_folder("INBOX").unwrap();
    let uid = a.messages()[2].uid();
    // A's change copies A's snapshot; B's stays as it was.
    a.set_flags(uid, FlagOp::Add, Flags::from(Flag::Flagged))
        .unwrap();
    assert!(a.message(uid).unwrap().flags().contains(Flag::Flagged));
    assert!(!b.message(uid).unwrap().flags().contains(Flag::Flagged));
    drop(a);
    let c = store.open_folder("INBOX").unwrap();
    assert!(c.message(uid).unwrap().flags().contains(Flag::Flagged));
    assert_eq!(c.messages().len(), 3);
}

#[test]
fn unchanged_folder_opens_without_a_stat_per_message() {
    let dir = tempfile::tempdir().unwrap();
    let plain = Store::maildir(dir.path()).unwrap();
    for i in 0..40 {
        plain.deliver("INBOX", &msg(i)).unwrap();
    }
    // Take the messages into cur/ and build the UID list.
    {
        let mut f = plain.open_folder("INBOX").unwrap();
        f.move_new_to_cur().unwrap();
    }
    age_dirs(dir.path());
    let fs = Arc::new(CountingFs::default());
    let store = store_at(dir.path(), fs.clone()).with_snapshot_cache(SnapshotCache::default());
    let first = store.open_folder("INBOX").unwrap();
    assert_eq!(first.messages().len(), 40);
    let stats_first = fs.message_stats.swap(0, Ordering::Relaxed);
    assert!(
        stats_first >= 40,
        "first open stats each message: {stats_first}"
    );
    drop(first);
    let listings = fs.listings.load(Ordering::Relaxed);
    let again = store.open_folder("INBOX").unwrap();
    assert_eq!(again.messages().len(), 40);
    assert_eq!(fs.message_stats.load(Ordering::Relaxed), 0);
    // Nothing is listed: not new/ or cur/, and not tmp/ either, read
    // less than TMP_SCAN_INTERVAL ago (it was just made).
    assert_eq!(fs.listings.load(Ordering::Relaxed), listings);
}

#[test]
fn cache_is_bounded_by_messages() {
    let dir = tempfile::tempdir().unwrap();
    let cache = SnapshotCache::new(5);
    let store = Store::maildir(dir.path())
        .unwrap()
        .with_snapshot_cache(cache.clone());
    store.create_folder("A").unwrap();
    store.create_folder("B").unwrap();
    for i in 0..3 {
        store.deliver("A", &msg(i)).unwrap();
        store.deliver("B", &msg(i)).unwrap();
    }
    for _ in 0..6 {
        store.deliver("INBOX", &msg(9)).unwrap();
    }
    drop(store.open_folder("A").unwrap());
    assert_eq!(cache.len(), 1);
    drop(store.open_folder("B").unwrap());
    // 3 + 3 > 5: the least recently used (A) goes.
    assert_eq!(cache.len(), 1);
    // A folder bigger than the whole cache is not held.
    drop(store.open_folder("INBOX").unwrap());
    assert_eq!(cache.len(), 1);
    assert!(format!("{cache:?}").contains("messages: 3"));
}

#[test]
fn recreated_folder_is_not_confused_with_its_cached_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let cache = SnapshotCache::default();
    let store = Store::maildir(dir.path())
        .unwrap()
        .with_snapshot_cache(cache.clone());
    store.create_folder("X").unwrap();
    for i in 0..4 {
        store.deliver("X", &msg(i)).unwrap();
    }
    let validity = {
        let f = store.open_folder("X").unwrap();
        assert_eq!(f.messages().len(), 4);
        f.uid_validity()
    };
    store.delete_folder("X").unwrap();
    store.create_folder("X").unwrap();
    store.deliver("X", &msg(7)).unwrap();
    let f = store.open_folder("X").unwrap();
    assert_eq!(f.messages().len(), 1);
    assert_eq!(f.messages()[0].uid(), 1);
    assert!(f.uid_validity() >= validity);
}
