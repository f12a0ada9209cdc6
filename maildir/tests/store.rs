//! The store API over Maildir: UIDs, snapshot, flags, folders, faults.

use std::fs::{self, File, FileTimes};
use std::io::{self, Read};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use maildir::{
    Error, FileSystem, Flag, FlagOp, Flags, Format, MailLocation, Maildir, Store, TMP_MAX_AGE,
    TMP_SCAN_INTERVAL,
};

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::maildir(dir.path().join("Maildir")).unwrap();
    (dir, store)
}

fn msg(n: usize) -> Vec<u8> {
    format!("From: a@example.org\r\nSubject: {n}\r\n\r\nbody {n}\r\n").into_bytes()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn layout_and_modes() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, _store) = store();
    for sub in ["", "new", "cur", "tmp"] {
        let m = fs::metadata(dir.path().join("Maildir").join(sub)).unwrap();
        assert_eq!(m.permissions().mode() & 0o777, 0o700, "{sub}");
    }
}

#[test]
fn uids_follow_delivery_and_survive_reopen_and_flag_changes() {
    let (_dir, store) = store();
    let uids: Vec<u32> = (0..5)
        .map(|i| store.deliver("INBOX", &msg(i)).unwrap())
        .collect();
    assert_eq!(uids, [1, 2, 3, 4, 5]);
    let mut inbox = store.open_folder("inbox").unwrap();
    assert_eq!(inbox.name(), "INBOX");
    assert_eq!(inbox.uid_next(), 6);
    let validity = inbox.uid_validity();
    assert!(validity > 0);
    let snap: Vec<u32> = inbox.messages().iter().map(|m| m.uid()).collect();
    assert_eq!(snap, uids);
    assert!(inbox.messages().iter().all(|m| m.is_new()));
    assert_eq!(inbox.messages()[2].size(), msg(2).len() as u64);
    assert_eq!(inbox.read_message(3).unwrap(), msg(2));

    let f = inbox
        .set_flags(2, FlagOp::Add, Flags::from(Flag::Seen).with(Flag::Replied))
        .unwrap();
    assert_eq!(f.to_string(), "RS");
    assert!(!inbox.message(2).unwrap().is_new());
    inbox
        .set_flags(2, FlagOp::Remove, Flags::from(Flag::Replied))
        .unwrap();
    assert_eq!(inbox.move_new_to_cur().unwrap(), [1, 3, 4, 5]);

    let mut again = store.open_folder("INBOX").unwrap();
    assert_eq!(again.uid_validity(), validity);
    let snap: Vec<(u32, String)> = again
        .messages()
        .iter()
        .map(|m| (m.uid(), m.flags().to_string()))
        .collect();
    assert_eq!(
        snap,
        [(1, ""), (2, "S"), (3, ""), (4, ""), (5, "")].map(|(u, f)| (u, f.to_string()))
    );
    assert_eq!(again.read_message(2).unwrap(), msg(1));
    // The next delivery continues the sequence.
    assert_eq!(again.deliver(&msg(9)).unwrap(), 6);
}

#[test]
fn refresh_reports_what_another_process_did() {
    let (_dir, store) = store();
    store.deliver("INBOX", &msg(0)).unwrap();
    store.deliver("INBOX", &msg(1)).unwrap();
    let mut a = store.open_folder("INBOX").unwrap();
    let mut b = store.open_folder("INBOX").unwrap();
    assert!(a.refresh().unwrap().is_empty());

    b.set_flags(1, FlagOp::Set, Flags::from(Flag::Flagged))
        .unwrap();
    b.expunge(&[2]).unwrap();
    let uid = b.deliver(&msg(2)).unwrap();
    assert_eq!(uid, 3);

    // Whatever the clock granularity, the change is seen.
    assert!(a.has_changed().unwrap());
    let changes = a.refresh().unwrap();
    assert_eq!(changes.added, [3]);
    assert_eq!(changes.expunged, [2]);
    assert_eq!(changes.flags_changed, [1]);
    assert!(!changes.uid_validity_changed);
    assert!(a.message(1).unwrap().flags().contains(Flag::Flagged));
}

#[test]
fn changes_in_the_same_clock_tick_are_not_missed() {
    let (_dir, store) = store();
    let mut a = store.open_folder("INBOX").unwrap();
    for i in 0..20 {
        // Refresh, then change at once: same second, often same tick.
        a.refresh().unwrap();
        store.deliver("INBOX", &msg(i)).unwrap();
        assert!(a.has_changed().unwrap(), "round {i}");
        let ch = a.refresh().unwrap();
        assert_eq!(ch.added.len(), 1, "round {i}");
    }
    assert_eq!(a.messages().len(), 20);
}

#[test]
fn external_renames_keep_uids() {
    let (dir, store) = store();
    store.deliver("INBOX", &msg(0)).unwrap();
    let mut a = store.open_folder("INBOX").unwrap();
    // Another Maildir program moves the message to cur/ with flags.
    let root = dir.path().join("Maildir");
    let name = names_in(&root.join("new")).remove(0);
    fs::rename(
        root.join("new").join(&name),
        root.join("cur").join(format!("{name}:2,FS")),
    )
    .unwrap();
    let ch = a.refresh().unwrap();
    assert_eq!(ch.flags_changed, [1]);
    assert_eq!(a.message(1).unwrap().flags().to_string(), "FS");
    // Our cached name is stale: reading still works (rename is followed).
    fs::rename(
        root.join("cur").join(format!("{name}:2,FS")),
        root.join("cur").join(format!("{name}:2,S")),
    )
    .unwrap();
    assert_eq!(a.read_message(1).unwrap(), msg(0));
    assert_eq!(
        a.set_flags(1, FlagOp::Add, Flags::from(Flag::Draft))
            .unwrap()
            .to_string(),
        "DS"
    );
}

#[test]
fn uidlist_is_dovecot_format() {
    let (dir, store) = store();
    store.deliver("INBOX", &msg(0)).unwrap();
    store.deliver("INBOX", &msg(1)).unwrap();
    let text = fs::read_to_string(dir.path().join("Maildir/dovecot-uidlist")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let fields: Vec<&str> = header.split(' ').collect();
    assert_eq!(fields[0], "3");
    assert!(fields.iter().any(|f| f.starts_with('V')));
    assert!(fields.iter().any(|f| f.starts_with('N')));
    assert!(fields.iter().any(|f| f.starts_with('G') && f.len() == 33));
    let body: Vec<&str> = lines.collect();
    assert_eq!(body.len(), 2);
    assert!(body[0].starts_with("1 :") && body[0].contains(",S="));
    assert!(body[1].starts_with("2 :"));
}

#[test]
fn corrupt_uidlist_is_rebuilt_with_greater_uidvalidity() {
    let (dir, store) = store();
    for i in 0..3 {
        store.deliver("INBOX", &msg(i)).unwrap();
    }
    let mut a = store.open_folder("INBOX").unwrap();
    let old = a.uid_validity();
    fs::write(
        dir.path().join("Maildir/dovecot-uidlist"),
        "3 V12 N\u{0}garbage\n7 x\n",
    )
    .unwrap();
    let ch = a.refresh().unwrap();
    assert!(ch.uid_validity_changed);
    assert!(a.uid_validity() > old);
    assert_eq!(a.messages().len(), 3);
    let uids: Vec<u32> = a.messages().iter().map(|m| m.uid()).collect();
    assert_eq!(uids, [1, 2, 3]);
    // A fresh opener agrees.
    let b = store.open_folder("INBOX").unwrap();
    assert_eq!(b.uid_validity(), a.uid_validity());

    // Damage found at open time: the readable UIDVALIDITY is exceeded.
    let v = a.uid_validity();
    fs::write(
        dir.path().join("Maildir/dovecot-uidlist"),
        format!("3 V{v} Nx\n1 :a\n"),
    )
    .unwrap();
    let c = store.open_folder("INBOX").unwrap();
    assert!(c.uid_validity() > v);
    assert_eq!(c.messages().len(), 3);
    // Nothing readable at all: still a working list.
    fs::write(dir.path().join("Maildir/dovecot-uidlist"), "nonsense").unwrap();
    let d = store.open_folder("INBOX").unwrap();
    assert_ne!(d.uid_validity(), 0);
    assert_eq!(d.messages().len(), 3);
}

#[test]
fn dovecot_written_uidlist_is_honoured() {
    let (dir, store) = store();
    let root = dir.path().join("Maildir");
    fs::write(
        root.join("cur/1276528487.M364837P9451.kurkku,S=5:2,S"),
        "hello",
    )
    .unwrap();
    fs::write(root.join("new/1276533073.M242911P3632.kurkku"), "world!").unwrap();
    fs::write(
        root.join("dovecot-uidlist"),
        "3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1\n\
         25006 :1276528487.M364837P9451.kurkku,S=5:2,\n\
         25017 W2481 :1276533073.M242911P3632.kurkku\n",
    )
    .unwrap();
    let mut inbox = store.open_folder("INBOX").unwrap();
    assert_eq!(inbox.uid_validity(), 1275660208);
    assert_eq!(inbox.uid_next(), 25022);
    let got: Vec<(u32, u64)> = inbox
        .messages()
        .iter()
        .map(|m| (m.uid(), m.size()))
        .collect();
    assert_eq!(got, [(25006, 5), (25017, 6)]);
    assert_eq!(inbox.deliver(&msg(0)).unwrap(), 25022);
    // The extension field survives our append.
    let text = fs::read_to_string(root.join("dovecot-uidlist")).unwrap();
    assert!(text.contains("25017 W2481 :1276533073.M242911P3632.kurkku\n"));
}

#[test]
fn keywords_map_to_letters_in_dovecot_keywords() {
    let (dir, store) = store();
    store.deliver("INBOX", &msg(0)).unwrap();
    let mut inbox = store.open_folder("INBOX").unwrap();
    assert_eq!(inbox.keyword_index("$Junk", false).unwrap(), None);
    let junk = inbox.keyword_index("$Junk", true).unwrap().unwrap();
    let work = inbox.keyword_index("Work", true).unwrap().unwrap();
    assert_eq!((junk, work), (0, 1));
    assert_eq!(inbox.keyword_index("$junk", true).unwrap(), Some(0));
    let mut f = Flags::from(Flag::Seen);
    f.insert_keyword(work);
    inbox.set_flags(1, FlagOp::Set, f).unwrap();
    let text = fs::read_to_string(dir.path().join("Maildir/dovecot-keywords")).unwrap();
    assert_eq!(text, "0 $Junk\n1 Work\n");
    let cur = names_in(&dir.path().join("Maildir/cur"));
    assert!(cur[0].ends_with(":2,Sb"), "{cur:?}");
    let other = store.open_folder("INBOX").unwrap();
    assert_eq!(other.keywords().name(1), Some("Work"));
}

#[test]
fn folders_create_list_rename_delete_subscribe() {
    let (dir, store) = store();
    let root = dir.path().join("Maildir");
    store.create_folder("Sent").unwrap();
    store.create_folder("a").unwrap();
    store.create_folder("a/b").unwrap();
    store.create_folder("a/b/c").unwrap();
    assert!(matches!(
        store.create_folder("Sent"),
        Err(Error::FolderExists(_))
    ));
    assert!(matches!(
        store.create_folder("inbox"),
        Err(Error::FolderExists(_))
    ));
    assert!(root.join(".a.b/maildirfolder").is_file());
    assert_eq!(
        store.folders().unwrap(),
        ["INBOX", "Sent", "a", "a/b", "a/b/c"]
    );

    let uid = store.deliver("a/b", &msg(1)).unwrap();
    assert_eq!(uid, 1);
    store.rename_folder("a", "x").unwrap();
    assert_eq!(
        store.folders().unwrap(),
        ["INBOX", "Sent", "x", "x/b", "x/b/c"]
    );
    let mut xb = store.open_folder("x/b").unwrap();
    assert_eq!(xb.read_message(1).unwrap(), msg(1));
    assert!(matches!(
        store.rename_folder("Sent", "inbox"),
        Err(Error::FolderNotAllowed(_))
    ));
    assert!(matches!(
        store.rename_folder("nope", "y"),
        Err(Error::NoSuchFolder(_))
    ));
    assert!(matches!(
        store.rename_folder("Sent", "x"),
        Err(Error::FolderExists(_))
    ));

    store.delete_folder("x").unwrap();
    assert_eq!(store.folders().unwrap(), ["INBOX", "Sent", "x/b", "x/b/c"]);
    assert!(matches!(
        store.delete_folder("INBOX"),
        Err(Error::FolderNotAllowed(_))
    ));
    assert!(matches!(
        store.open_folder("x"),
        Err(Error::NoSuchFolder(_))
    ));
    assert!(!names_in(&root).iter().any(|n| n.starts_with("..")));

    store.subscribe("Sent").unwrap();
    store.subscribe("x/b").unwrap();
    store.subscribe("Sent").unwrap();
    store.subscribe("not/yet").unwrap();
    store.unsubscribe("not/yet").unwrap();
    assert_eq!(store.subscriptions().unwrap(), ["Sent", "x/b"]);
    assert_eq!(
        fs::read_to_string(root.join("subscriptions")).unwrap(),
        "Sent\nx/b\n"
    );
}

#[test]
fn bad_folder_names_are_refused_everywhere() {
    let (dir, store) = store();
    for bad in [
        "..",
        "../x",
        "a/../../b",
        "a//b",
        "/etc",
        "a/",
        ".x",
        "a.b",
        "nul\0",
        "ctl\x01",
        "del\x7f",
        "back\\slash",
        "",
    ] {
        assert!(
            matches!(
                store.create_folder(bad),
                Err(Error::InvalidFolderName { .. })
            ),
            "{bad:?}"
        );
        assert!(store.open_folder(bad).is_err(), "{bad:?}");
        assert!(store.deliver(bad, b"x").is_err(), "{bad:?}");
        assert!(store.subscribe(bad).is_err(), "{bad:?}");
    }
    // Nothing was created outside the root.
    assert_eq!(names_in(dir.path()), ["Maildir"]);
}

#[test]
fn copy_and_move_keep_flags_dates_and_give_new_uids() {
    let (_dir, store) = store();
    store.create_folder("Archive").unwrap();
    let date = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    let mut inbox = store.open_folder("INBOX").unwrap();
    let uid = inbox
        .append(&msg(7)[..], Flags::from(Flag::Seen), Some(date))
        .unwrap();
    let mut archive = store.open_folder("Archive").unwrap();
    let c = inbox.copy_to(uid, &mut archive).unwrap();
    let m = archive.move_to(c, &mut inbox).unwrap();
    assert_eq!(m, uid + 1, "a message moved back gets a new UID");
    assert!(archive.messages().is_empty());
    let info = inbox.message(m).unwrap();
    assert_eq!(info.internal_date(), date);
    assert!(info.flags().contains(Flag::Seen));
    assert_eq!(inbox.read_message(m).unwrap(), msg(7));
    archive.refresh().unwrap();
    assert_eq!(archive.uid_next(), 2);
    assert!(matches!(
        inbox.copy_to(999, &mut archive),
        Err(Error::NoSuchMessage(999))
    ));
}

#[test]
fn expunge_deleted_and_reused_uids_never() {
    let (_dir, store) = store();
    for i in 0..4 {
        store.deliver("INBOX", &msg(i)).unwrap();
    }
    let mut inbox = store.open_folder("INBOX").unwrap();
    inbox
        .set_flags(2, FlagOp::Add, Flags::from(Flag::Trashed))
        .unwrap();
    inbox
        .set_flags(4, FlagOp::Add, Flags::from(Flag::Trashed))
        .unwrap();
    assert_eq!(inbox.expunge_deleted().unwrap(), [2, 4]);
    assert_eq!(inbox.expunge(&[4, 77]).unwrap(), Vec::<u32>::new());
    // The last UID was expunged; the next message still gets a new one.
    assert_eq!(inbox.deliver(&msg(5)).unwrap(), 5);
    let again = store.open_folder("INBOX").unwrap();
    let uids: Vec<u32> = again.messages().iter().map(|m| m.uid()).collect();
    assert_eq!(uids, [1, 3, 5]);
}

#[test]
fn tmp_leftovers_older_than_36h_are_cleaned() {
    let (dir, store) = store();
    let tmp = dir.path().join("Maildir/tmp");
    let old = tmp.join("1.M1P1.old");
    let young = tmp.join("2.M2P2.young");
    fs::write(&old, "partial").unwrap();
    fs::write(&young, "in progress").unwrap();
    let long_ago = SystemTime::now() - TMP_MAX_AGE - Duration::from_secs(60);
    File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_times(
            FileTimes::new()
                .set_accessed(long_ago)
                .set_modified(long_ago),
        )
        .unwrap();
    // tmp/ read lately: an open does not look into it.
    let set_accessed = |t: SystemTime| {
        File::open(&tmp)
            .unwrap()
            .set_times(FileTimes::new().set_accessed(t))
            .unwrap();
    };
    set_accessed(SystemTime::now() - TMP_SCAN_INTERVAL + Duration::from_secs(60));
    drop(store.open_folder("INBOX").unwrap());
    assert!(old.exists());
    // Not read for longer: it does.
    set_accessed(SystemTime::now() - TMP_SCAN_INTERVAL - Duration::from_secs(60));
    let _inbox = store.open_folder("INBOX").unwrap();
    assert!(!old.exists());
    assert!(young.exists());
}

#[test]
fn location_specs() {
    let home = tempfile::tempdir().unwrap();
    let s = Store::open("maildir:~/Mail/%n", "carol@example.org", Some(home.path())).unwrap();
    assert_eq!(s.location().path, home.path().join("Mail/carol"));
    assert!(home.path().join("Mail/carol/cur").is_dir());
    let loc = MailLocation::parse(
        "mbox:~/mail:INBOX=/var/mail/%u",
        "dave",
        Some(Path::new("/h")),
    )
    .unwrap();
    assert_eq!(loc.format, Format::Mbox);
    assert_eq!(loc.inbox, Path::new("/var/mail/dave"));
    assert_eq!(loc.folder_dir.as_deref(), Some(Path::new("/h/mail")));
    for bad in [
        "maildir",
        "imap:/x",
        "maildir:",
        "maildir:~/x",
        "maildir:/x/%q",
        "mbox:/x:FOO=1",
    ] {
        assert!(MailLocation::parse(bad, "u", None).is_err(), "{bad}");
    }
    for user in ["", "..", "a/b", "x@..", "nl\n"] {
        assert!(
            MailLocation::parse("maildir:/m/%u", user, None).is_err(),
            "{user:?}"
        );
    }
}

/// A file system that fails one kind of call on demand.
#[derive(Debug, Default)]
struct Faulty {
    full_disk: AtomicBool,
    no_link: AtomicBool,
    no_dir_sync: AtomicBool,
}

impl FileSystem for Faulty {
    fn write_all(&self, file: &mut File, buf: &[u8]) -> io::Result<()> {
        if self.full_disk.load(Ordering::SeqCst) {
            // Part of the data reaches the file before the disk fills.
            let half = buf.get(..buf.len() / 2).unwrap_or_default();
            io::Write::write_all(file, half)?;
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        io::Write::write_all(file, buf)
    }
    fn hard_link(&self, from: &Path, to: &Path) -> io::Result<()> {
        if self.no_link.load(Ordering::SeqCst) {
            return Err(io::Error::from_raw_os_error(libc::EACCES));
        }
        fs::hard_link(from, to)
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        if self.no_dir_sync.load(Ordering::SeqCst) {
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        File::open(dir)?.sync_all()
    }
}

#[test]
fn faults_leave_no_message_behind() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = Arc::new(Faulty::default());
    let loc =
        MailLocation::parse(&format!("maildir:{}/M", dir.path().display()), "u", None).unwrap();
    let store = Store::open_location(loc, faulty.clone()).unwrap();
    let root = dir.path().join("M");
    let big = vec![b'x'; 300_000];

    faulty.full_disk.store(true, Ordering::SeqCst);
    let err = store.deliver("INBOX", &big).unwrap_err();
    assert!(err.is_temporary(), "{err}");
    faulty.full_disk.store(false, Ordering::SeqCst);

    faulty.no_link.store(true, Ordering::SeqCst);
    let err = store.deliver("INBOX", &big).unwrap_err();
    assert!(!err.is_temporary(), "{err}");
    faulty.no_link.store(false, Ordering::SeqCst);

    faulty.no_dir_sync.store(true, Ordering::SeqCst);
    assert!(store.deliver("INBOX", &big).is_err());
    faulty.no_dir_sync.store(false, Ordering::SeqCst);

    for sub in ["new", "cur", "tmp"] {
        assert!(
            names_in(&root.join(sub)).is_empty(),
            "{sub}: {:?}",
            names_in(&root.join(sub))
        );
    }
    // And the store works again once the fault is gone, UIDs unharmed.
    assert_eq!(store.deliver("INBOX", b"ok").unwrap(), 1);
}

#[test]
fn permission_denied_is_an_error_not_a_partial_message() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, _store) = store();
    let md = Maildir::open(dir.path().join("Maildir")).unwrap();
    let new = dir.path().join("Maildir/new");
    fs::set_permissions(&new, fs::Permissions::from_mode(0o500)).unwrap();
    let result = md.deliver(b"hello");
    fs::set_permissions(&new, fs::Permissions::from_mode(0o700)).unwrap();
    // Root ignores directory permissions; then the delivery simply works.
    if let Err(e) = result {
        assert!(e.io_error().is_some());
        assert!(names_in(&new).is_empty());
        assert!(names_in(&dir.path().join("Maildir/tmp")).is_empty());
    }
}

#[test]
fn large_messages_stream() {
    let (_dir, store) = store();
    let big: Vec<u8> = (0..5_000_000u32).map(|i| (i % 251) as u8).collect();
    let mut inbox = store.open_folder("INBOX").unwrap();
    let uid = inbox.append(&big[..], Flags::empty(), None).unwrap();
    let mut r = inbox.open_message(uid).unwrap();
    let mut buf = [0u8; 8192];
    let mut total = 0usize;
    let mut same = true;
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        same &= buf[..n] == big[total..total + n];
        total += n;
    }
    assert!(same);
    assert_eq!(total, big.len());
    assert_eq!(inbox.message(uid).unwrap().size(), big.len() as u64);
}

#[test]
fn stale_dotlock_of_a_dead_process_and_partial_uidlist_line_are_recovered() {
    let (dir, store) = store();
    let root = dir.path().join("Maildir");
    store.deliver("INBOX", &msg(0)).unwrap();
    // A process died holding Dovecot's dotlock, after writing half a line.
    let dead_pid = {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    };
    let lock = root.join("dovecot-uidlist.lock");
    fs::write(&lock, format!("{dead_pid}")).unwrap();
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(root.join("dovecot-uidlist"))
        .unwrap();
    io::Write::write_all(&mut f, b"2 :half-writ").unwrap();
    drop(f);
    let start = std::time::Instant::now();
    let uid = store.deliver("INBOX", &msg(1)).unwrap();
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(uid, 2, "the unfinished line never handed out UID 2");
    assert!(!lock.exists());
    let text = fs::read_to_string(root.join("dovecot-uidlist")).unwrap();
    assert!(!text.contains("half-writ"), "{text}");
    assert!(text.ends_with('\n'));
    let inbox = store.open_folder("INBOX").unwrap();
    assert_eq!(
        inbox.messages().iter().map(|m| m.uid()).collect::<Vec<_>>(),
        [1, 2]
    );
}

#[test]
fn names_record_size_and_crlf_size() {
    let (dir, store) = store();
    let uid = store
        .deliver("INBOX", b"Subject: lf\n\nline\r\nlast")
        .unwrap();
    let inbox = store.open_folder("INBOX").unwrap();
    let m = inbox.message(uid).unwrap();
    assert_eq!(m.size(), 23);
    assert_eq!(m.virtual_size(), Some(25), "two bare LFs become CRLF");
    let name = names_in(&dir.path().join("Maildir/new")).remove(0);
    assert!(name.ends_with(",S=23,W=25"), "{name}");
}

#[test]
fn handles_can_move_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Store>();
    send_sync::<maildir::Folder>();
    send_sync::<maildir::MessageReader>();
    send_sync::<Error>();
}

#[test]
fn renaming_inbox_moves_its_messages() {
    let (_dir, store) = store();
    store.deliver("INBOX", &msg(0)).unwrap();
    store.deliver("INBOX", &msg(1)).unwrap();
    let mut inbox = store.open_folder("INBOX").unwrap();
    inbox
        .set_flags(2, FlagOp::Add, Flags::from(Flag::Seen))
        .unwrap();
    store.rename_folder("INBOX", "Old").unwrap();
    assert!(store.open_folder("INBOX").unwrap().messages().is_empty());
    let mut old = store.open_folder("Old").unwrap();
    let infos = old.messages().to_vec();
    let got: Vec<(Vec<u8>, String)> = infos
        .iter()
        .map(|m| (old.read_message(m.uid()).unwrap(), m.flags().to_string()))
        .collect();
    assert_eq!(got, [(msg(0), String::new()), (msg(1), "S".to_owned())]);
    assert!(matches!(
        store.rename_folder("INBOX", "Old"),
        Err(Error::FolderExists(_))
    ));
}

#[test]
fn a_change_that_leaves_the_directory_mtime_unchanged_is_still_seen() {
    // A file system with one-second mtimes: a delivery right after a
    // refresh leaves new/'s mtime as the refresh saw it. We play that by
    // putting the mtime back after the delivery.
    let (dir, store) = store();
    let new = dir.path().join("Maildir/new");
    let mut inbox = store.open_folder("INBOX").unwrap();
    store.deliver("INBOX", &msg(0)).unwrap();
    inbox.refresh().unwrap();
    let seen = fs::metadata(&new).unwrap().modified().unwrap();
    // A plain Maildir delivery (another program's): no UID list change
    // to give it away either.
    Maildir::open(dir.path().join("Maildir"))
        .unwrap()
        .deliver(&msg(1))
        .unwrap();
    File::open(&new)
        .unwrap()
        .set_times(FileTimes::new().set_modified(seen))
        .unwrap();
    assert_eq!(fs::metadata(&new).unwrap().modified().unwrap(), seen);
    assert!(inbox.has_changed().unwrap());
    assert_eq!(inbox.refresh().unwrap().added, [2]);
}

#[test]
fn generation_changes_with_uids_flags_and_keywords_only() {
    let (_dir, store) = store();
    for n in 0..3 {
        store.deliver("INBOX", &msg(n)).unwrap();
    }
    let mut f = store.open_folder("INBOX").unwrap();
    assert_eq!(f.new_count(), 3);
    let mut last = f.generation().unwrap();
    let mut step = |f: &maildir::Folder, changed: bool, what: &str| {
        let now = f.generation().unwrap();
        assert_eq!(now != last, changed, "{what}");
        last = now;
    };
    f.refresh().unwrap();
    step(&f, false, "a refresh that finds nothing");
    f.move_new_to_cur().unwrap();
    step(&f, false, "new/ to cur/ with the same flags");
    assert_eq!(f.new_count(), 0);
    f.set_flags(1, FlagOp::Add, Flags::from(Flag::Seen))
        .unwrap();
    step(&f, true, "own flag change");
    f.set_flags(1, FlagOp::Add, Flags::from(Flag::Seen))
        .unwrap();
    step(&f, false, "the same flags again");
    store.deliver("INBOX", &msg(9)).unwrap();
    f.refresh().unwrap();
    step(&f, true, "a delivery by another process");
    assert_eq!(f.new_count(), 1);
    assert_eq!(f.move_new_to_cur().unwrap(), [4]);
    assert_eq!(f.new_count(), 0);
    let mut other = store.open_folder("INBOX").unwrap();
    other
        .set_flags(2, FlagOp::Add, Flags::from(Flag::Flagged))
        .unwrap();
    f.refresh().unwrap();
    step(&f, true, "a flag change by another process");
    f.expunge(&[3]).unwrap();
    step(&f, true, "own expunge");
    f.keyword_index("$Work", true).unwrap();
    f.refresh().unwrap();
    step(&f, true, "a new keyword");
    // Another handle's snapshot has a number of its own.
    assert_ne!(store.open_folder("INBOX").unwrap().generation(), Some(last));
}

#[test]
fn a_subscription_already_there_writes_nothing() {
    use std::os::unix::fs::MetadataExt;
    let (dir, store) = store();
    store.subscribe("Sent").unwrap();
    let path = dir.path().join("Maildir/subscriptions");
    let ino = std::fs::metadata(&path).unwrap().ino();
    store.subscribe("Sent").unwrap();
    store.unsubscribe("Nope").unwrap();
    // Still the same file: not written again (a rewrite is a rename).
    assert_eq!(std::fs::metadata(&path).unwrap().ino(), ino);
    store.subscribe("Trash").unwrap();
    assert_ne!(std::fs::metadata(&path).unwrap().ino(), ino);
    assert_eq!(store.subscriptions().unwrap(), ["Sent", "Trash"]);
}

#[test]
fn a_folder_that_is_not_there_is_no_such_folder_and_a_broken_one_an_error() {
    let (dir, store) = store();
    store.create_folder("Work").unwrap();
    assert!(matches!(
        store.open_folder("Nope"),
        Err(Error::NoSuchFolder(_))
    ));
    // cur/ there, tmp/ gone: the folder exists but cannot be opened.
    fs::remove_dir(dir.path().join("Maildir/.Work/tmp")).unwrap();
    assert!(matches!(store.open_folder("Work"), Err(Error::Io { .. })));
}

#[test]
fn a_change_found_while_reading_is_not_hidden_from_has_changed() {
    let (dir, store) = store();
    store.deliver("INBOX", &msg(0)).unwrap();
    let root = dir.path().join("Maildir");
    let mut a = store.open_folder("INBOX").unwrap();
    // Another program flags the message; the directories' mtimes are
    // old enough to be trusted, so the stamps alone show nothing once a
    // listing has seen them.
    let name = names_in(&root.join("new")).remove(0);
    fs::rename(
        root.join("new").join(&name),
        root.join("cur").join(format!("{name}:2,F")),
    )
    .unwrap();
    let old = SystemTime::now() - Duration::from_secs(60);
    for d in ["new", "cur"] {
        File::open(root.join(d)).unwrap().set_modified(old).unwrap();
    }
    // The read follows the rename with a refresh of its own, whose
    // finding waits for the caller's next refresh.
    assert_eq!(a.read_message(1).unwrap(), msg(0));
    assert!(a.has_changed().unwrap());
    assert_eq!(a.refresh().unwrap().flags_changed, [1]);
    assert!(!a.has_changed().unwrap());
}
