//! Unit tests of the folder: the delivery fast path.

use super::*;
use std::sync::Arc;

#[test]
fn delivery_finds_the_uid_a_reader_gave_its_message_first() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path().join("M")).unwrap();
    let mut reader = MaildirFolder::open(md.clone()).unwrap();
    md.deliver(b"earlier").unwrap();
    reader.refresh().unwrap();
    let mut deliverer = MaildirFolder::for_delivery(md.clone());
    let fs = md.file_system().clone();
    let mark = deliverer.uidfile.mark(&fs).unwrap();
    let d = md.deliver(b"mine").unwrap();
    // A reader sees the new file before the deliverer takes the lock.
    assert_eq!(reader.refresh().unwrap().added, [2]);
    let lock = FolderLock::acquire(&fs, md.path()).unwrap();
    let got = deliverer
        .uidfile
        .assign_after_mark(&fs, &mark, &d.base, &d.entry.name)
        .unwrap();
    lock.release();
    assert_eq!(got, Some(2));

    // Without a reader, the next UID follows the last line.
    let mark = deliverer.uidfile.mark(&fs).unwrap();
    let d = md.deliver(b"next").unwrap();
    let lock = FolderLock::acquire(&fs, md.path()).unwrap();
    let got = deliverer
        .uidfile
        .assign_after_mark(&fs, &mark, &d.base, &d.entry.name)
        .unwrap();
    lock.release();
    assert_eq!(got, Some(3));
    assert_eq!(reader.refresh().unwrap().added, [3]);

    // A list replaced since the mark (another inode): the caller must
    // read it whole.
    let mark = deliverer.uidfile.mark(&fs).unwrap();
    let list = std::fs::read(md.path().join("dovecot-uidlist")).unwrap();
    std::fs::write(md.path().join("tmp/x"), list).unwrap();
    std::fs::rename(md.path().join("tmp/x"), md.path().join("dovecot-uidlist")).unwrap();
    let d = md.deliver(b"after rewrite").unwrap();
    let got = deliverer
        .uidfile
        .assign_after_mark(&fs, &mark, &d.base, &d.entry.name)
        .unwrap();
    assert_eq!(got, None);
}

/// A file system that counts every `stat`.
#[derive(Debug, Default)]
struct Stats(std::sync::atomic::AtomicUsize);

impl crate::fs::FileSystem for Stats {
    fn metadata(&self, path: &std::path::Path) -> io::Result<std::fs::Metadata> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        std::fs::metadata(path)
    }
}

fn set_dirs_back(md: &Maildir) {
    for sub in [Subdir::New, Subdir::Cur] {
        let dir = std::fs::File::open(md.subdir_path(sub)).unwrap();
        dir.set_modified(SystemTime::now() - Duration::from_secs(10))
            .unwrap();
    }
}

/// Where change notices can be had, asking whether an unchanged folder
/// changed makes one `stat` (of `cur/`) instead of four; a delivery, a
/// flag change and a UID list written by another handle are still seen at
/// once.
#[test]
fn has_changed_makes_one_stat_while_no_notice_came() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path().join("M")).unwrap();
    md.deliver(b"one").unwrap();
    set_dirs_back(&md);
    let stats = Arc::new(Stats::default());
    let shared: SharedFs = stats.clone();
    let mut f = MaildirFolder::open(Maildir::open_with(md.path(), shared).unwrap()).unwrap();
    if f.watch.is_none() {
        return; // A file system without notices: the stats are the way.
    }
    let stat_count = || stats.0.load(std::sync::atomic::Ordering::Relaxed);
    assert!(!f.has_changed().unwrap());
    let before = stat_count();
    for _ in 0..3 {
        assert!(!f.has_changed().unwrap());
    }
    assert_eq!(stat_count(), before + 3);

    md.deliver(b"two").unwrap();
    assert!(f.has_changed().unwrap());
    set_dirs_back(&md);
    assert_eq!(f.refresh().unwrap().added.len(), 1);
    assert!(!f.has_changed().unwrap());
    assert!(!f.has_changed().unwrap());

    // A message taken into cur/ (new/ is watched), then a flag change in
    // cur/ (not watched: its stat sees it), each by another process.
    for (sub, info) in [(Subdir::New, "2,S"), (Subdir::Cur, "2,FS")] {
        let e = md.list_subdir(sub).unwrap().remove(0);
        std::fs::rename(
            md.subdir_path(sub).join(&e.name),
            md.subdir_path(Subdir::Cur)
                .join(format!("{}:{info}", e.base())),
        )
        .unwrap();
        set_dirs_back(&md);
        assert!(f.has_changed().unwrap());
        assert_eq!(f.refresh().unwrap().flags_changed.len(), 1);
        assert!(!f.has_changed().unwrap());
    }

    // Another handle writes the UID list (a new UIDVALIDITY).
    std::fs::remove_file(md.path().join("dovecot-uidlist")).unwrap();
    let other = MaildirFolder::open(md.clone()).unwrap();
    drop(other);
    assert!(f.has_changed().unwrap());
}

/// A file whose name holds a newline is left alone: written into the UID
/// list it broke the list's lines, and every open made a new UIDVALIDITY.
#[test]
fn a_name_with_a_newline_is_skipped_and_the_uid_list_kept() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path().join("M")).unwrap();
    md.deliver(b"kept").unwrap();
    std::fs::write(
        md.subdir_path(Subdir::Cur).join("1.M1P1.x\nevil:2,S"),
        "odd",
    )
    .unwrap();
    let first = MaildirFolder::open(md.clone()).unwrap();
    assert_eq!(first.messages().len(), 1);
    let validity = first.uid_validity();
    drop(first);
    let again = MaildirFolder::open(md.clone()).unwrap();
    assert_eq!(again.uid_validity(), validity);
    assert_eq!(again.messages().len(), 1);
    assert!(
        md.subdir_path(Subdir::Cur)
            .join("1.M1P1.x\nevil:2,S")
            .exists(),
        "not removed"
    );
}
