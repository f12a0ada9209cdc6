//! Streamed APPEND through the IMAP server over Maildir: a message of
//! several MiB sent by Python's imaplib comes back byte for byte, lands
//! in `cur/` with APPENDUID, and an APPEND broken off by the client
//! leaves nothing in `tmp/`, `new/` or `cur/`.

use maildir::Store;
use mta_core::imap::{MaildirBackend, run};
use mta_core::passwd::PasswdFile;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

struct Server {
    addr: SocketAddr,
    _dir: tempfile::TempDir,
    maildir: PathBuf,
}

fn tool(name: &str, arg: &str) -> bool {
    let found = Command::new(name).arg(arg).output().is_ok();
    if !found {
        assert!(
            std::env::var("CI").is_err(),
            "{name} is required under CI (.ci/run installs it)"
        );
        eprintln!("skipping: {name} not found");
    }
    found
}

async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let loc = format!("maildir:{}/%u/Maildir", dir.path().display());
    Store::open(&loc, "alice", None).unwrap();
    let users = PasswdFile::parse("alice:{PLAIN}wonderland\n").unwrap();
    let backend = MaildirBackend::new(users, &loc);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(run(listener, backend));
    Server {
        addr,
        maildir: dir.path().join("alice/Maildir"),
        _dir: dir,
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imaplib_appends_a_big_message_streamed() {
    if !tool("python3", "--version") {
        return;
    }
    let server = start().await;
    let script = r#"
import imaplib, sys, hashlib
port = int(sys.argv[1]); out = sys.argv[2]
# 6 MiB of varied lines, well above the streaming threshold (256 KiB).
lines = [b'From: big@example.org', b'Subject: big one', b'']
i = 0; total = 0
while total < 6 * 1024 * 1024:
    line = ('line %08d ' % i).encode() + hashlib.sha256(str(i).encode()).hexdigest().encode()
    lines.append(line); total += len(line) + 2
    i += 1
msg = b'\r\n'.join(lines) + b'\r\n'
open(out, 'wb').write(msg)
M = imaplib.IMAP4('127.0.0.1', port)
M.login('alice', 'wonderland')
typ, data = M.append('INBOX', '(\\Flagged)', None, msg)
assert typ == 'OK' and b'APPENDUID' in data[0], (typ, data)
# A missing mailbox: NO [TRYCREATE] before the client sends the octets.
typ, data = M.append('Missing', None, None, msg)
assert typ == 'NO' and b'TRYCREATE' in data[0], (typ, data)
M.select('INBOX')
typ, data = M.fetch('1', '(RFC822.SIZE FLAGS BODY.PEEK[])')
assert typ == 'OK', data
body = data[0][1]
assert body == msg, (len(body), len(msg))
assert b'RFC822.SIZE %d' % len(msg) in data[0][0], data[0][0]
assert b'\\Flagged' in data[0][0], data[0][0]
# The connection goes on after the big literal.
typ, data = M.noop(); assert typ == 'OK'
M.logout()
print('ok', len(msg))
"#;
    let sent = server.maildir.join("sent.eml");
    let out = tokio::process::Command::new("python3")
        .args([
            "-c",
            script,
            &server.addr.port().to_string(),
            &sent.display().to_string(),
        ])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // On disk: exactly the octets sent, in cur/, nothing left in tmp/.
    let cur = files(&server.maildir.join("cur"));
    assert_eq!(cur.len(), 1, "{cur:?}");
    let stored = std::fs::read(&cur[0]).unwrap();
    assert_eq!(stored, std::fs::read(&sent).unwrap());
    assert!(stored.len() > 6 * 1024 * 1024);
    assert!(files(&server.maildir.join("tmp")).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_cut_off_leaves_nothing() {
    let server = start().await;
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut line = String::new();
    r.read_line(&mut line).await.unwrap();
    w.write_all(b"a LOGIN alice wonderland\r\n").await.unwrap();
    line.clear();
    r.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("a OK"), "{line}");
    let size = 4 * 1024 * 1024;
    w.write_all(format!("b APPEND INBOX {{{size}}}\r\n").as_bytes())
        .await
        .unwrap();
    line.clear();
    r.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("+ "), "{line}");
    // Half the message, then the client goes away.
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..(size / 2 / chunk.len()) {
        w.write_all(&chunk).await.unwrap();
    }
    w.flush().await.unwrap();
    // The octets reached tmp/ while they came.
    let tmp = server.maildir.join("tmp");
    let mut seen = false;
    for _ in 0..100 {
        if files(&tmp)
            .iter()
            .any(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
        {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen, "nothing written to tmp/ while the message came");
    drop(w);
    drop(r);
    // The server notices the end and removes the partial file.
    let mut gone = false;
    for _ in 0..200 {
        if files(&tmp).is_empty() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "tmp/ still holds {:?}", files(&tmp));
    assert!(files(&server.maildir.join("cur")).is_empty());
    assert!(files(&server.maildir.join("new")).is_empty());
}
