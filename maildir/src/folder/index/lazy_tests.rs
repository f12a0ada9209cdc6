//! A folder started from its index reads the records only when something
//! asks for more than the UIDs and flags; records damaged after the
//! summary was read give placeholders until the next refresh lists the
//! folder.

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;

use super::log_tests::folder_with_index;
use super::tests::{fresh, index_path, snap};
use super::*;
use crate::flags::Flags;
use crate::snapshot::Location;

#[test]
fn a_start_from_the_index_reads_the_records_only_when_needed() {
    let (_d, md) = folder_with_index(6);
    let want = fresh(&md);
    let mut f = MaildirFolder::open(md.clone()).unwrap();
    assert!(f.refresh().unwrap().is_empty());
    assert!(
        !f.messages.records_read(),
        "an open and a refresh read none"
    );
    // What a SELECT asks for, from the summary.
    let uid_flags: Vec<(u32, Flags)> = f.uid_flags().collect();
    let listed: Vec<(u32, Flags)> = want.2.iter().map(|m| (m.uid, m.flags)).collect();
    assert_eq!(uid_flags, listed);
    assert_eq!(f.message_count(), 6);
    assert_eq!((f.uid_validity(), f.uid_next()), (want.0, want.1));
    assert_eq!(f.new_count(), want.2.iter().filter(|m| m.is_new()).count());
    assert!(!f.messages.records_read());
    // Anything more reads them: the same snapshot as a listing gives.
    assert_eq!(snap(&f), want);
    assert!(f.messages.records_read());
    // A copy from the cache shares them.
    let copy = f.detached();
    assert!(copy.messages.records_read());
}

#[test]
fn a_damaged_record_spoils_the_records_not_the_summary() {
    let (_d, md) = folder_with_index(3);
    let good = std::fs::read(index_path(&md)).unwrap();
    let summary = decode_summary(&good[..], good.len() as u64).unwrap();
    assert_eq!(summary.columns.len(), 3);
    let at = usize::try_from(summary.records_at).unwrap();
    // Any byte of the records (the last checksum too).
    for i in at..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x01;
        assert!(decode_summary(&bad[..], bad.len() as u64).is_some());
        assert_eq!(decode(&bad), None, "byte {i}");
    }
    // Any byte of the summary (its checksum too).
    for i in 0..at {
        let mut bad = good.clone();
        bad[i] ^= 0x01;
        assert_eq!(decode_summary(&bad[..], bad.len() as u64), None, "byte {i}");
    }
}

#[test]
fn records_damaged_after_the_start_give_placeholders_until_the_next_refresh() {
    let (_d, md) = folder_with_index(6);
    let mut f = MaildirFolder::open(md.clone()).unwrap();
    let shown: Vec<(u32, Flags)> = f.uid_flags().collect();
    assert!(!f.messages.records_read());
    // Behind the folder's back: a flag changed, a message removed, one
    // delivered.
    let cur = |uid: u32| {
        let m = fresh(&md).2.into_iter().find(|m| m.uid == uid).unwrap();
        let Location::Maildir(e) = m.location else {
            unreachable!()
        };
        md.name_path(e.subdir, e.name.as_str())
    };
    let (flagged, removed) = (shown[1].0, shown[2].0);
    let old = cur(flagged);
    let renamed = format!("{}F", old.to_str().unwrap());
    std::fs::rename(&old, &renamed).unwrap();
    std::fs::remove_file(cur(removed)).unwrap();
    md.deliver(&b"Subject: new\r\n\r\nnew\r\n"[..]).unwrap();
    let want = fresh(&md);
    // The index changes in place under the closed file: its last record's
    // name, so the records' checksum no longer holds.
    let file = OpenOptions::new()
        .write(true)
        .open(index_path(&md))
        .unwrap();
    let len = file.metadata().unwrap().len();
    file.write_at(b"#", len - 9).unwrap();
    drop(file);

    // Placeholders: the summary's UIDs and flags, no names.
    let got: Vec<(u32, Flags, String)> = f
        .messages()
        .iter()
        .map(|m| (m.uid, m.flags, m.base().to_owned()))
        .collect();
    let placeholders: Vec<(u32, Flags, String)> = shown
        .iter()
        .map(|&(u, fl)| (u, fl, String::new()))
        .collect();
    assert_eq!(got, placeholders);
    assert!(f.messages.are_placeholders());

    // Opening a message lists the folder and finds the file.
    let first = shown[0].0;
    let mut body = String::new();
    std::io::Read::read_to_string(&mut f.open_message(first).unwrap(), &mut body).unwrap();
    assert_eq!(body, "Subject: 0\r\n\r\n0\r\n");
    assert_eq!(snap(&f), want);
    // And the next refresh says what differs from what was shown.
    let c = f.refresh().unwrap();
    assert_eq!(c.flags_changed, vec![flagged]);
    assert_eq!(c.expunged, vec![removed]);
    assert_eq!(c.added, vec![want.1 - 1]);
    assert!(!c.uid_validity_changed);
    assert_eq!(f.message(flagged).unwrap().flags(), Flags::from_info("FS"));
    assert!(f.message(removed).is_none());
    assert!(f.refresh().unwrap().is_empty());
}

#[test]
fn an_index_written_again_after_the_start_gives_placeholders_then_the_listing() {
    let (_d, md) = folder_with_index(4);
    let want = fresh(&md);
    let mut f = MaildirFolder::open(md.clone()).unwrap();
    assert!(!f.messages.records_read());
    // Another handle writes the index again: a new file renamed over it,
    // of the same length (its records are not this summary's to trust).
    let data = std::fs::read(index_path(&md)).unwrap();
    let tmp = md.path().join("tmp").join("other.index");
    std::fs::write(&tmp, &data).unwrap();
    std::fs::rename(&tmp, index_path(&md)).unwrap();
    assert!(f.messages().iter().all(|m| m.base().is_empty()));
    assert!(f.messages.are_placeholders());
    // Nothing changed in the folder: the listing reports nothing.
    assert!(f.refresh().unwrap().is_empty());
    assert_eq!(snap(&f), want);
    assert!(!f.messages.are_placeholders());
}
