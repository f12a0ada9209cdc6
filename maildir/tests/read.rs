//! Reading messages whole with CRLF line ends (`read_message_crlf` and
//! `read_message_crlf_into`), as IMAP and POP3 send them.

use maildir::Store;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::maildir(dir.path().join("Maildir")).unwrap();
    (dir, store)
}

#[test]
fn read_into_a_used_buffer_gives_the_message_alone() {
    let (_dir, store) = store();
    let big = "line\n".repeat(5000);
    let a = store.deliver("INBOX", big.as_bytes()).unwrap();
    let b = store
        .deliver("INBOX", b"Subject: b\nshort\r\nmixed\n")
        .unwrap();
    let mut f = store.open_folder("INBOX").unwrap();
    let mut buf = Vec::new();
    f.read_message_crlf_into(a, &mut buf).unwrap();
    assert_eq!(buf, "line\r\n".repeat(5000).as_bytes());
    f.read_message_crlf_into(b, &mut buf).unwrap();
    assert_eq!(buf, b"Subject: b\r\nshort\r\nmixed\r\n");
    assert_eq!(f.read_message_crlf(b).unwrap(), buf);
}

#[test]
fn a_message_whose_name_gives_a_wrong_size_is_read_whole() {
    let (dir, store) = store();
    let body = "Subject: size\n\n".to_owned() + &"x".repeat(3000) + "\n";
    let want = body.replace('\n', "\r\n");
    store.deliver("INBOX", body.as_bytes()).unwrap();
    let new = dir.path().join("Maildir/new");
    let name = std::fs::read_dir(&new)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name()
        .into_string()
        .unwrap();
    let real = format!(",S={}", body.len());
    assert!(name.contains(&real), "{name}");
    for (i, lie) in [",S=10", ",S=3000", ",S=3016", ",S=99999"]
        .into_iter()
        .enumerate()
    {
        let from = std::fs::read_dir(&new)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let to = new.join(format!("{i}{}", name.replace(&real, lie)));
        std::fs::rename(from, to).unwrap();
        let mut f = store.open_folder("INBOX").unwrap();
        let uid = f.messages()[0].uid();
        assert_eq!(f.read_message_crlf(uid).unwrap(), want.as_bytes(), "{lie}");
    }
}
