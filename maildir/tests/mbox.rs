//! mbox folders: mboxrd round trips, UIDs beside the mbox, locking, faults.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use maildir::{Error, FileSystem, Flag, FlagOp, Flags, MailLocation, Store};

const TRICKY: &[u8] = b"From: a@example.org\nSubject: quoting\n\nFrom the start\n>From quoted\n>>From twice\nFrom\nnot From here\n>From";

fn spool() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(
        &format!("mbox:{}/spool/%u", dir.path().display()),
        "bob",
        None,
    )
    .unwrap();
    (dir, store)
}

#[test]
fn deliver_read_round_trip() {
    let (dir, store) = spool();
    let msgs: Vec<Vec<u8>> = vec![
        TRICKY.to_vec(),
        b"Subject: crlf\r\n\r\nFrom x\r\nline\r\n".to_vec(),
        b"Subject: no final newline\n\nabc".to_vec(),
        Vec::new(),
    ];
    for (i, m) in msgs.iter().enumerate() {
        assert_eq!(store.deliver("INBOX", m).unwrap(), i as u32 + 1);
    }
    let raw = fs::read(dir.path().join("spool/bob")).unwrap();
    assert!(raw.starts_with(b"From MAILER-DAEMON "));
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("\n>From the start\n>>From quoted\n>>>From twice\nFrom\nnot From here\n>From\n\nFrom MAILER-DAEMON"));
    let mut inbox = store.open_folder("INBOX").unwrap();
    assert_eq!(inbox.messages().len(), msgs.len());
    for (i, m) in msgs.iter().enumerate() {
        let uid = i as u32 + 1;
        // mbox(5): a partial last line is completed by the writer.
        let mut want = m.clone();
        if !want.is_empty() && !want.ends_with(b"\n") {
            want.push(b'\n');
        }
        assert_eq!(inbox.read_message(uid).unwrap(), want, "message {uid}");
        assert_eq!(
            inbox.message(uid).unwrap().size(),
            want.len() as u64,
            "size {uid}"
        );
    }
    assert_eq!(inbox.uid_next(), 5);
}

#[test]
fn uids_flags_and_expunge_survive_reopen() {
    let (dir, store) = spool();
    for i in 0..5 {
        store
            .deliver(
                "INBOX",
                format!("Subject: {i}\n\nFrom body {i}\n").as_bytes(),
            )
            .unwrap();
    }
    let mut inbox = store.open_folder("INBOX").unwrap();
    let validity = inbox.uid_validity();
    inbox
        .set_flags(2, FlagOp::Add, Flags::from(Flag::Seen))
        .unwrap();
    assert_eq!(inbox.expunge(&[1, 3, 99]).unwrap(), [1, 3]);
    let mut again = store.open_folder("INBOX").unwrap();
    assert_eq!(again.uid_validity(), validity);
    let uids: Vec<u32> = again.messages().iter().map(|m| m.uid()).collect();
    assert_eq!(uids, [2, 4, 5]);
    assert!(again.message(2).unwrap().flags().contains(Flag::Seen));
    assert_eq!(
        again.read_message(4).unwrap(),
        b"Subject: 3\n\nFrom body 3\n"
    );
    assert_eq!(
        again.read_message(5).unwrap(),
        b"Subject: 4\n\nFrom body 4\n"
    );
    assert_eq!(again.deliver(b"new\n").unwrap(), 6);
    // The file holds exactly the remaining messages.
    let raw = fs::read_to_string(dir.path().join("spool/bob")).unwrap();
    assert_eq!(
        raw.matches("\nSubject: ").count() + usize::from(raw.starts_with("Subject")),
        3
    );
    assert!(!raw.contains("Subject: 0") && !raw.contains("Subject: 2"));
}

#[test]
fn another_program_appending_keeps_uids() {
    let (dir, store) = spool();
    store.deliver("INBOX", b"one\n").unwrap();
    let mut inbox = store.open_folder("INBOX").unwrap();
    let validity = inbox.uid_validity();
    // A classic MDA appends its own message.
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("spool/bob"))
        .unwrap();
    f.write_all(b"From someone@example.org Thu Jan  1 00:00:10 1970\nSubject: ext\n\nhi\n\n")
        .unwrap();
    drop(f);
    assert!(inbox.has_changed().unwrap());
    let ch = inbox.refresh().unwrap();
    assert_eq!(ch.added, [2]);
    assert_eq!(inbox.uid_validity(), validity);
    assert_eq!(inbox.read_message(2).unwrap(), b"Subject: ext\n\nhi\n");
    assert_eq!(
        inbox.message(2).unwrap().internal_date(),
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(10)
    );
}

#[test]
fn rewritten_mbox_gets_a_new_uidvalidity() {
    let (dir, store) = spool();
    store.deliver("INBOX", b"one\n").unwrap();
    store.deliver("INBOX", b"two\n").unwrap();
    let mut inbox = store.open_folder("INBOX").unwrap();
    let validity = inbox.uid_validity();
    // Another program removes the first message.
    let path = dir.path().join("spool/bob");
    let raw = fs::read_to_string(&path).unwrap();
    let second = raw.rfind("From MAILER-DAEMON").unwrap();
    fs::write(&path, &raw[second..]).unwrap();
    let ch = inbox.refresh().unwrap();
    assert!(ch.uid_validity_changed);
    assert!(inbox.uid_validity() > validity);
    assert_eq!(inbox.messages().len(), 1);
    let uid = inbox.messages()[0].uid();
    assert_eq!(inbox.read_message(uid).unwrap(), b"two\n");
}

#[test]
fn mbox_folders_beside_the_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let spec = format!("mbox:{0}/mail:INBOX={0}/spool/%u", dir.path().display());
    let store = Store::open(&spec, "eve", None).unwrap();
    store.create_folder("Sent").unwrap();
    store.create_folder("lists/rust").unwrap();
    assert_eq!(store.folders().unwrap(), ["INBOX", "Sent", "lists/rust"]);
    let uid = store.deliver("lists/rust", b"hello\n").unwrap();
    let mut rust = store.open_folder("lists/rust").unwrap();
    let mut sent = store.open_folder("Sent").unwrap();
    rust.set_flags(uid, FlagOp::Set, Flags::from(Flag::Flagged))
        .unwrap();
    let moved = rust.move_to(uid, &mut sent).unwrap();
    assert_eq!(sent.read_message(moved).unwrap(), b"hello\n");
    assert!(sent.message(moved).unwrap().flags().contains(Flag::Flagged));
    assert!(rust.messages().is_empty());
    store.rename_folder("lists/rust", "groups/rust").unwrap();
    assert_eq!(store.folders().unwrap(), ["INBOX", "Sent", "groups/rust"]);
    assert!(matches!(
        store.open_folder("../etc"),
        Err(Error::InvalidFolderName { .. })
    ));
    // A spool-only location has no other folders.
    let spool_only = Store::mbox(dir.path().join("spool/eve")).unwrap();
    assert!(matches!(
        spool_only.create_folder("x"),
        Err(Error::Unsupported(_))
    ));
}

#[derive(Debug, Default)]
struct FullDisk(AtomicBool);

impl FileSystem for FullDisk {
    fn write_all(&self, file: &mut File, buf: &[u8]) -> io::Result<()> {
        if self.0.load(Ordering::SeqCst) {
            io::Write::write_all(file, buf.get(..buf.len() / 2).unwrap_or_default())?;
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        io::Write::write_all(file, buf)
    }
}

#[test]
fn full_disk_leaves_the_mbox_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let fsys = Arc::new(FullDisk::default());
    let path = dir.path().join("spool/bob");
    let loc = MailLocation::parse(&format!("mbox:{}", path.display()), "bob", None).unwrap();
    let store = Store::open_location(loc, fsys.clone()).unwrap();
    store.deliver("INBOX", b"first\n").unwrap();
    let before = fs::read(&path).unwrap();
    fsys.0.store(true, Ordering::SeqCst);
    let err = store.deliver("INBOX", &vec![b'x'; 200_000]).unwrap_err();
    assert!(err.is_temporary());
    fsys.0.store(false, Ordering::SeqCst);
    assert_eq!(fs::read(&path).unwrap(), before);
    assert!(!Path::new(&format!("{}.lock", path.display())).exists());
    assert_eq!(store.deliver("INBOX", b"second\n").unwrap(), 2);
}

#[test]
fn a_big_mbox_is_read_as_a_stream() {
    let (_dir, store) = spool();
    let mut big = b"Subject: big\n\n".to_vec();
    for i in 0..200_000 {
        big.extend_from_slice(if i % 7 == 0 {
            b"From the depths\n"
        } else {
            b"ordinary line\n"
        });
    }
    let uid = store.deliver("INBOX", &big).unwrap();
    let mut inbox = store.open_folder("INBOX").unwrap();
    let mut r = inbox.open_message(uid).unwrap();
    let mut got = Vec::new();
    let mut chunk = [0u8; 1000];
    loop {
        let n = r.read(&mut chunk).unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&chunk[..n]);
    }
    assert!(got == big);
    assert_eq!(inbox.message(uid).unwrap().size(), big.len() as u64);
}
