//! Group commit: deliver_batch into several folders and stores, its syncs,
//! and what failures leave behind.

use std::fs::{self, File};
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use maildir::{BatchItem, FileSystem, MailLocation, Maildir, Store, deliver_batch};

fn msg(n: usize) -> Vec<u8> {
    format!("From: a@example.org\r\nSubject: {n}\r\n\r\nbody {n}\nbare LF\r\n").into_bytes()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

fn item<'a>(store: &'a Store, folder: &'a str, message: &'a [u8]) -> BatchItem<'a> {
    BatchItem {
        store,
        folder,
        reverse_path: "sender@example.org",
        message,
    }
}

/// Counts the syncs a delivery makes, and fails chosen calls on demand.
#[derive(Debug, Default)]
struct Counting {
    batch_syncs: AtomicUsize,
    single_syncs: AtomicUsize,
    /// Fail the next sync_batch whose number (from 1) is this one.
    fail_batch_sync: AtomicUsize,
    /// Fail writing a message that contains "FAIL".
    fail_marked_writes: AtomicBool,
    /// Refuse every link while set.
    fail_links: AtomicBool,
}

impl FileSystem for Counting {
    fn write_all(&self, file: &mut File, buf: &[u8]) -> io::Result<()> {
        if self.fail_marked_writes.load(Ordering::SeqCst) && buf.windows(4).any(|w| w == b"FAIL") {
            io::Write::write_all(file, buf.get(..buf.len() / 2).unwrap_or_default())?;
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        io::Write::write_all(file, buf)
    }
    fn sync_file(&self, file: &File) -> io::Result<()> {
        self.single_syncs.fetch_add(1, Ordering::SeqCst);
        file.sync_all()
    }
    fn sync_data(&self, file: &File) -> io::Result<()> {
        self.single_syncs.fetch_add(1, Ordering::SeqCst);
        file.sync_data()
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.single_syncs.fetch_add(1, Ordering::SeqCst);
        File::open(dir)?.sync_all()
    }
    fn sync_batch(&self, handles: &[&File]) -> io::Result<()> {
        let n = self.batch_syncs.fetch_add(1, Ordering::SeqCst) + 1;
        if self.fail_batch_sync.load(Ordering::SeqCst) == n {
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        handles.iter().try_for_each(|h| h.sync_all())
    }
    fn hard_link(&self, from: &Path, to: &Path) -> io::Result<()> {
        if self.fail_links.load(Ordering::SeqCst) {
            return Err(io::Error::from_raw_os_error(libc::EACCES));
        }
        fs::hard_link(from, to)
    }
}

fn counting_store(root: &Path, fsys: &Arc<Counting>) -> Store {
    let loc = MailLocation::parse(&format!("maildir:{}", root.display()), "u", None).unwrap();
    Store::open_location(loc, fsys.clone()).unwrap()
}

#[test]
fn one_batch_into_several_stores_and_folders() {
    let dir = tempfile::tempdir().unwrap();
    let alice = Store::maildir(dir.path().join("alice")).unwrap();
    let bob = Store::maildir(dir.path().join("bob")).unwrap();
    alice.create_folder("Lists").unwrap();
    // Numbering continues after earlier single deliveries.
    assert_eq!(alice.deliver("INBOX", &msg(0)).unwrap(), 1);
    let mut reader = alice.open_folder("INBOX").unwrap();

    let messages: Vec<Vec<u8>> = (1..=6).map(msg).collect();
    let items = [
        item(&alice, "INBOX", &messages[0]),
        item(&bob, "INBOX", &messages[1]),
        item(&alice, "Lists", &messages[2]),
        item(&alice, "inbox", &messages[3]),
        item(&bob, "INBOX", &messages[4]),
        item(&alice, "INBOX", &messages[5]),
    ];
    let uids: Vec<u32> = deliver_batch(&items)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(uids, [2, 1, 1, 3, 2, 4]);
    assert_eq!(alice.deliver("INBOX", &msg(7)).unwrap(), 5);

    // What a reader sees: every message once, with the UID the batch
    // reported, whole, and with its sizes in the name.
    let changes = reader.refresh().unwrap();
    assert_eq!(changes.added, [2, 3, 4, 5]);
    for (uid, n) in [(2, 1), (3, 4), (4, 6)] {
        assert_eq!(reader.read_message(uid).unwrap(), msg(n));
        let m = reader.message(uid).unwrap();
        assert_eq!(m.size(), msg(n).len() as u64);
    }
    let mut bob_inbox = bob.open_folder("INBOX").unwrap();
    assert_eq!(bob_inbox.read_message(2).unwrap(), msg(5));
    let lists = alice.open_folder("Lists").unwrap();
    assert_eq!(lists.messages().len(), 1);
    // ,W= counts each bare LF as CRLF.
    let new = names_in(&dir.path().join("bob/new"));
    let w = format!(",S={},W={}", msg(2).len(), msg(2).len() + 1);
    assert!(new.iter().any(|n| n.ends_with(&w)), "{new:?}");
    assert!(names_in(&dir.path().join("alice/tmp")).is_empty());
}

#[test]
fn a_batch_costs_two_syncs_whatever_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let fsys = Arc::new(Counting::default());
    let a = counting_store(&dir.path().join("a"), &fsys);
    let b = counting_store(&dir.path().join("b"), &fsys);
    // The first deliveries create the UID lists (a full write each).
    a.deliver("INBOX", b"first").unwrap();
    b.deliver("INBOX", b"first").unwrap();
    fsys.single_syncs.store(0, Ordering::SeqCst);
    fsys.batch_syncs.store(0, Ordering::SeqCst);

    let messages: Vec<Vec<u8>> = (0..40).map(msg).collect();
    let items: Vec<BatchItem<'_>> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| item(if i % 2 == 0 { &a } else { &b }, "INBOX", m))
        .collect();
    let results = deliver_batch(&items);
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(fsys.batch_syncs.load(Ordering::SeqCst), 2);
    assert_eq!(fsys.single_syncs.load(Ordering::SeqCst), 0);
    assert_eq!(a.open_folder("INBOX").unwrap().messages().len(), 21);
    assert_eq!(b.open_folder("INBOX").unwrap().uid_next(), 22);
}

#[test]
fn a_failed_write_or_link_fails_only_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let fsys = Arc::new(Counting::default());
    let root = dir.path().join("M");
    let store = counting_store(&root, &fsys);
    fsys.fail_marked_writes.store(true, Ordering::SeqCst);
    let bad = b"Subject: FAIL\r\n\r\nx".to_vec();
    let results = store.deliver_batch("INBOX", &[&msg(1), &bad, &msg(2)]);
    let err = results[1].as_ref().unwrap_err();
    assert!(err.is_temporary(), "{err}");
    assert_eq!(results[0].as_ref().unwrap(), &1);
    assert_eq!(results[2].as_ref().unwrap(), &2);
    assert_eq!(names_in(&root.join("new")).len(), 2);
    assert!(names_in(&root.join("tmp")).is_empty());

    fsys.fail_marked_writes.store(false, Ordering::SeqCst);
    fsys.fail_links.store(true, Ordering::SeqCst);
    let results = store.deliver_batch("INBOX", &[&msg(3)]);
    assert!(!results[0].as_ref().unwrap_err().is_temporary());
    fsys.fail_links.store(false, Ordering::SeqCst);
    assert!(names_in(&root.join("tmp")).is_empty());
    assert_eq!(store.open_folder("INBOX").unwrap().messages().len(), 2);
}

#[test]
fn a_failed_sync_fails_and_removes_the_whole_batch() {
    let dir = tempfile::tempdir().unwrap();
    let fsys = Arc::new(Counting::default());
    let root = dir.path().join("M");
    let store = counting_store(&root, &fsys);
    store.deliver("INBOX", &msg(0)).unwrap();
    let before = names_in(&root.join("new"));
    let messages: Vec<Vec<u8>> = (1..=5).map(msg).collect();
    let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();

    // The data sync (first) and the directory sync (second) in turn.
    for step in 1..=2 {
        fsys.batch_syncs.store(0, Ordering::SeqCst);
        fsys.fail_batch_sync.store(step, Ordering::SeqCst);
        let results = store.deliver_batch("INBOX", &refs);
        assert!(
            results
                .iter()
                .all(|r| r.as_ref().is_err_and(|e| e.is_temporary())),
            "step {step}: {results:?}"
        );
        assert_eq!(names_in(&root.join("new")), before, "step {step}");
        assert!(names_in(&root.join("tmp")).is_empty(), "step {step}");
    }
    fsys.fail_batch_sync.store(0, Ordering::SeqCst);

    // Nothing half-done remains: the folder shows only the first message,
    // and deliveries go on with increasing UIDs (those the failed batch
    // took are never reused).
    let mut inbox = store.open_folder("INBOX").unwrap();
    assert_eq!(inbox.messages().len(), 1);
    let uids: Vec<u32> = store
        .deliver_batch("INBOX", &refs)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(uids.windows(2).all(|w| w[0] < w[1]), "{uids:?}");
    assert!(uids[0] >= 2);
    inbox.refresh().unwrap();
    assert_eq!(inbox.messages().len(), 6);
    assert_eq!(inbox.read_message(uids[4]).unwrap(), msg(5));
}

#[test]
fn unknown_folders_and_mbox_stores_in_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    let md = Store::maildir(dir.path().join("M")).unwrap();
    let spool = Store::mbox(dir.path().join("spool/u")).unwrap();
    let (one, two, three) = (msg(1), msg(2), msg(3));
    let results = deliver_batch(&[
        item(&md, "Nope", &one),
        item(&spool, "INBOX", &two),
        item(&md, "INBOX", &three),
    ]);
    assert!(matches!(results[0], Err(maildir::Error::NoSuchFolder(_))));
    assert_eq!(results[1].as_ref().unwrap(), &1);
    assert_eq!(results[2].as_ref().unwrap(), &1);
    let text = fs::read_to_string(dir.path().join("spool/u")).unwrap();
    assert!(text.starts_with("From sender@example.org "), "{text}");
    assert!(deliver_batch(&[]).is_empty());
}

#[test]
fn maildir_deliver_batch_links_every_message_into_new() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path().join("M")).unwrap();
    let messages: Vec<Vec<u8>> = (0..10).map(msg).collect();
    let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    let done: Vec<_> = md
        .deliver_batch(&refs)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    for (d, m) in done.iter().zip(&messages) {
        assert_eq!(fs::read(md.entry_path(&d.entry)).unwrap(), *m);
        assert_eq!(d.size, m.len() as u64);
    }
    assert_eq!(md.list().unwrap().len(), 10);
    assert!(names_in(&dir.path().join("M/tmp")).is_empty());
    // A store opened later numbers them.
    let store = Store::maildir(dir.path().join("M")).unwrap();
    assert_eq!(store.open_folder("INBOX").unwrap().uid_next(), 11);
}
