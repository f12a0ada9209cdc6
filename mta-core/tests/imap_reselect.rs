//! SELECT of a mailbox the session selected before answers from the
//! message list it made then while the mailbox is unchanged; every change
//! in between (another session's STORE or EXPUNGE, its own STORE, a
//! delivery by another process, a new keyword) shows in the next SELECT.
//! Checked with Python's imaplib, an IMAP4rev1 client (RECENT and UNSEEN).

mod support;

use maildir::Store;

const SCRIPT: &str = r#"
import imaplib, os, re, sys, time
port, new_dir = int(sys.argv[1]), sys.argv[2]
A = imaplib.IMAP4('127.0.0.1', port); A.login('alice', 'wonderland')
B = imaplib.IMAP4('127.0.0.1', port); B.login('alice', 'wonderland')

def select(M, readonly=False):
    typ, data = M.select('INBOX', readonly=readonly); assert typ == 'OK', data
    exists = int(data[0])
    recent = int(M.response('RECENT')[1][0] or 0)
    unseen = M.response('UNSEEN')[1][0]
    flags = M.response('FLAGS')[1][0]
    return exists, recent, unseen, flags

def flags(M, n):
    typ, data = M.fetch(str(n), '(FLAGS)'); assert typ == 'OK', data
    return re.search(rb'FLAGS \(([^)]*)\)', data[0]).group(1).split()

# Three messages in new/: recent for the first SELECT only.
assert select(A)[:3] == (3, 3, b'1'), select(A)
for _ in range(3):
    assert select(A)[:3] == (3, 0, b'1')

# Another session's flag change.
B.select('INBOX')
typ, _ = B.store('2', '+FLAGS', '(\\Seen \\Flagged)'); assert typ == 'OK'
assert select(A)[:3] == (3, 0, b'1')
assert sorted(flags(A, 2)) == [b'\\Flagged', b'\\Seen'], flags(A, 2)

# This session's own flag change.
typ, _ = A.store('1', '+FLAGS', '(\\Seen)'); assert typ == 'OK'
assert select(A)[:3] == (3, 0, b'3'), select(A)
assert flags(A, 1) == [b'\\Seen'], flags(A, 1)
assert select(A)[:3] == (3, 0, b'3')

# A delivery by another process, straight into new/: recent once.
with open(os.path.join(new_dir, '1800000000.M1P1.other'), 'wb') as f:
    f.write(b'Subject: four\r\n\r\nfour\r\n')
assert select(A)[:2] == (4, 1), select(A)
assert select(A)[:2] == (4, 0)

# Another session's expunge.
B.select('INBOX')
B.store('3', '+FLAGS', '(\\Deleted)')
typ, data = B.expunge(); assert data == [b'3'], data
assert select(A)[:3] == (3, 0, b'3'), select(A)

# A new keyword: in FLAGS and on the message.
typ, _ = B.store('1', '+FLAGS', '($Work)'); assert typ == 'OK'
exists, recent, unseen, fl = select(A)
assert b'$Work' in fl, fl
assert sorted(flags(A, 1)) == [b'$Work', b'\\Seen'], flags(A, 1)

# EXAMINE then SELECT of the same, unchanged mailbox.
assert select(A, readonly=True)[:3] == (3, 0, b'3')
assert select(A)[:3] == (3, 0, b'3')
typ, data = A.fetch('1:*', '(UID)'); assert len(data) == 3, data
print('ok')
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reselect_shows_every_change_in_between() {
    if !support::python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let loc = format!("maildir:{}/%u/Maildir", dir.path().display());
    let store = Store::open(&loc, "alice", None).unwrap();
    for n in 1..=3 {
        store
            .deliver(
                "INBOX",
                format!("Subject: {n}\r\n\r\nbody {n}\r\n").as_bytes(),
            )
            .unwrap();
    }
    let port = support::alice_imap(&loc).await;
    let new_dir = dir.path().join("alice/Maildir/new");
    let out = support::run_python(
        SCRIPT.to_owned(),
        vec![port.to_string(), new_dir.display().to_string()],
    )
    .await;
    assert!(out.contains("ok"), "{out}");
}
