//! FETCH BODY[] of many messages of many sizes, with bare LF, CRLF and
//! mixed line ends, fetched all at once and one by one, twice: each body
//! is its message with CRLF line ends, whichever buffer it was read into
//! (the backend reuses buffers of messages already sent). Checked with
//! Python's imaplib against the messages' expected octets.

mod support;

use maildir::Store;

const SCRIPT: &str = r#"
import imaplib, os, sys
port, expected = int(sys.argv[1]), sys.argv[2]
want = {}
for name in os.listdir(expected):
    with open(os.path.join(expected, name), 'rb') as f:
        want[int(name)] = f.read()
M = imaplib.IMAP4('127.0.0.1', port); M.login('alice', 'wonderland')
typ, data = M.select('INBOX', readonly=True); assert int(data[0]) == len(want), data
for round in range(2):
    typ, data = M.fetch('1:*', '(BODY.PEEK[])'); assert typ == 'OK'
    got = [d for d in data if isinstance(d, tuple)]
    assert len(got) == len(want), len(got)
    for n, (head, body) in enumerate(got, 1):
        assert head.startswith(b'%d ' % n), head
        assert body == want[n], (round, n, len(body), len(want[n]))
    for n in sorted(want, reverse=True):
        typ, data = M.fetch(str(n), '(BODY.PEEK[])'); assert typ == 'OK'
        assert data[0][1] == want[n], (n, len(data[0][1]))
print('ok', len(want))
"#;

/// Message `n`: about `size` octets of numbered lines, with line ends by
/// `n % 3` (bare LF, CRLF, mixed), and what a client must receive for it.
fn message(n: usize, size: usize) -> (Vec<u8>, Vec<u8>) {
    let mut raw = format!("Subject: message {n}\n").into_bytes();
    let mut crlf = format!("Subject: message {n}\r\n").into_bytes();
    let mut line = 0;
    while raw.len() < size {
        let text = format!("line {line} of message {n}, some words to fill it up");
        raw.extend_from_slice(text.as_bytes());
        crlf.extend_from_slice(text.as_bytes());
        let bare = match n % 3 {
            0 => true,
            1 => false,
            _ => line % 2 == 0,
        };
        raw.extend_from_slice(if bare { b"\n" } else { b"\r\n" });
        crlf.extend_from_slice(b"\r\n");
        line += 1;
    }
    (raw, crlf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_of_every_size_and_line_end() {
    if !support::python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let expected = dir.path().join("expected");
    std::fs::create_dir(&expected).unwrap();
    let loc = format!("maildir:{}/%u/Maildir", dir.path().display());
    let store = Store::open(&loc, "alice", None).unwrap();
    // Small ones copied into the output, large ones sent as they are, one
    // too large for the backend to keep its buffer.
    let sizes = [
        100, 9_000, 60_000, 300, 120_000, 8_191, 8_193, 700_000, 50_000, 40,
    ];
    for n in 1..=40 {
        let (raw, crlf) = message(n, sizes[n % sizes.len()] + n);
        store.deliver("INBOX", &raw).unwrap();
        std::fs::write(expected.join(n.to_string()), crlf).unwrap();
    }
    let port = support::alice_imap(&loc).await;
    let out = support::run_python(
        SCRIPT.to_owned(),
        vec![port.to_string(), expected.display().to_string()],
    )
    .await;
    assert!(out.contains("ok 40"), "{out}");
}
