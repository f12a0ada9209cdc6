//! The IMAP server over an mbox location of one file (`mbox:/var/mail/%u`
//! style), which holds INBOX alone: login works without the special-use
//! folders, the messages read back, and a CONDSTORE client is told the
//! mailbox keeps no mod-sequences (NOMODSEQ, RFC 7162 section 3.1.2.2).
//! Checked with Python's imaplib.

mod support;

use maildir::Store;

const SCRIPT: &str = r#"
import imaplib, sys
M = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
M.login('alice', 'wonderland')
typ, data = M.list(); assert typ == 'OK', data
assert len(data) == 1 and data[0].endswith(b'INBOX'), data
typ, data = M.select('INBOX'); assert typ == 'OK' and data == [b'2'], data
typ, data = M.fetch('2', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])'); assert typ == 'OK'
assert b'Subject: second' in data[0][1], data
typ, data = M.create('Sent'); assert typ == 'NO', data
M.close()
typ, data = M.enable('CONDSTORE'); assert typ == 'OK', data
typ, data = M.select('INBOX'); assert typ == 'OK', data
assert M.response('NOMODSEQ')[1] != [None], M.untagged_responses
M.logout()
print('ok')
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mbox_inbox_alone() {
    if !support::python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let loc = format!("mbox:{}/%u.mbox", dir.path().display());
    let store = Store::open(&loc, "alice", None).unwrap();
    for n in ["first", "second"] {
        store
            .deliver("INBOX", format!("Subject: {n}\r\n\r\nbody\r\n").as_bytes())
            .unwrap();
    }
    let port = support::alice_imap(&loc).await;
    let out = support::run_python(SCRIPT.to_owned(), vec![port.to_string()]).await;
    assert!(out.contains("ok"), "{out}");
}
