//! Unit tests of the folder: the delivery fast path.

use super::*;

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
