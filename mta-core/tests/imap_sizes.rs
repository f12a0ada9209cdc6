//! RFC822.SIZE is the size of the message with CRLF line ends, the octets
//! BODY[] serves (RFC 9051 section 2.3.4), for messages stored with bare
//! LFs: delivered by the store (`,W=` in the name), written by another
//! tool (no size in the name), or mixed; and STATUS SIZE is at least their
//! sum (RFC 9051 section 6.3.11). Checked with Python's imaplib.

mod support;

use maildir::Store;

const SCRIPT: &str = r#"
import imaplib, re, sys
port = int(sys.argv[1])
M = imaplib.IMAP4('127.0.0.1', port)
M.login('alice', 'wonderland')
typ, data = M.select('INBOX'); assert typ == 'OK' and data == [b'4'], data
total = 0
for n in range(1, 5):
    # The size alone first: computed without the body in hand.
    typ, data = M.fetch(str(n), '(RFC822.SIZE)'); assert typ == 'OK', data
    size = int(re.search(rb'RFC822\.SIZE (\d+)', data[0]).group(1))
    typ, data = M.fetch(str(n), '(BODY.PEEK[])'); assert typ == 'OK', data
    body = data[0][1]
    assert size == len(body), (n, size, len(body))
    assert b'\n' not in body.replace(b'\r\n', b''), (n, body)
    # RFC822 (the rev1 form) serves the same octets.
    typ, data = M.fetch(str(n), '(RFC822.SIZE RFC822)'); assert data[0][1] == body, n
    total += size
    print(n, size)
typ, data = M.status('INBOX', '(MESSAGES SIZE)'); assert typ == 'OK', data
status_size = int(re.search(rb'SIZE (\d+)', data[0]).group(1))
assert status_size >= total, (status_size, total)
print('status', status_size, total)
# SEARCH LARGER/SMALLER compare the same size.
typ, data = M.search(None, 'LARGER', str(total)); assert data == [b''], data
M.logout()
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc822_size_counts_crlf_line_ends() {
    if !support::python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let loc = format!("maildir:{}/%u/Maildir", dir.path().display());
    let store = Store::open(&loc, "alice", None).unwrap();
    // 1: CRLF already; 2: bare LFs delivered by the store (",W=" recorded).
    store
        .deliver("INBOX", b"Subject: crlf\r\n\r\nalready CRLF\r\n")
        .unwrap();
    store
        .deliver("INBOX", b"Subject: lf\n\nbare\nline feeds\n")
        .unwrap();
    // 3 and 4: written by another tool, no sizes in the names; bare LFs,
    // and a mix with a final line without a line end.
    let cur = dir.path().join("alice/Maildir/cur");
    std::fs::write(
        cur.join("1700000001.M1P1.other:2,S"),
        b"Subject: foreign\n\nwritten\nelsewhere\n",
    )
    .unwrap();
    std::fs::write(
        cur.join("1700000002.M2P2.other:2,"),
        b"Subject: mixed\r\n\nhalf\r\nand half\nno end",
    )
    .unwrap();
    let port = support::alice_imap(&loc).await;
    let stdout = support::run_python(SCRIPT.to_owned(), vec![port.to_string()]).await;
    // The bare-LF messages are one octet bigger per line than on disk.
    assert!(stdout.contains("2 33\n"), "{stdout}");
    assert!(stdout.contains("3 40\n"), "{stdout}");
}
