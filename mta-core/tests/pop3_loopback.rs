//! The POP3 server over Maildir (the composition the pop3_server example
//! runs) on 127.0.0.1, against clients we did not write: Python's poplib,
//! curl and fetchmail.

use maildir::Store;
use mta_core::passwd::PasswdFile;
use mta_core::pop3::{MaildirMaildrop, run};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

const MESSAGES: [&[u8]; 3] = [
    b"From: a@example.org\r\nSubject: first\r\n\r\nHello.\r\n.leading dot\r\n",
    b"From: b@example.org\nSubject: second\n\nLF only\n.\n..two dots\n",
    b"From: c@example.org\r\nSubject: third\r\n\r\nline 1\r\nline 2\r\nline 3\r\n",
];

struct Server {
    addr: SocketAddr,
    _dir: tempfile::TempDir,
    maildir: PathBuf,
}

/// A tool the test needs: under CI its absence is a failure, locally a
/// skip with the reason printed.
fn tool(name: &str) -> bool {
    let found = Command::new(name).arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var("CI").is_err(),
            "{name} is required under CI (.ci/run installs it)"
        );
        eprintln!("skipping: {name} not found");
    }
    found
}

fn location(dir: &Path) -> String {
    format!("maildir:{}/%u/Maildir", dir.display())
}

async fn start_on(dir: tempfile::TempDir) -> Server {
    let users = PasswdFile::parse("alice:{PLAIN}wonderland\nbob:{PLAIN}builder\n").unwrap();
    let maildrop = MaildirMaildrop::new(users, &location(dir.path()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(run(listener, maildrop));
    let maildir = dir.path().join("alice/Maildir");
    Server {
        addr,
        _dir: dir,
        maildir,
    }
}

async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&location(dir.path()), "alice", None).unwrap();
    for m in MESSAGES {
        store.deliver("INBOX", m).unwrap();
    }
    start_on(dir).await
}

async fn python(script: &str, server: &Server) -> String {
    let out = tokio::process::Command::new("python3")
        .args([
            "-c",
            script,
            &server.addr.port().to_string(),
            &server.maildir.display().to_string(),
        ])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

const PRELUDE: &str = r#"
import poplib, sys, os
port, maildir = int(sys.argv[1]), sys.argv[2]
def login():
    p = poplib.POP3('127.0.0.1', port, timeout=20)
    p.user('alice')
    p.pass_('wonderland')
    return p
def files():
    out = []
    for sub in ('new', 'cur'):
        for name in sorted(os.listdir(os.path.join(maildir, sub))):
            out.append(open(os.path.join(maildir, sub, name), 'rb').read())
    return out
"#;

#[tokio::test]
async fn poplib_session() {
    if !tool("python3") {
        return;
    }
    let server = start().await;
    let script = format!(
        "{PRELUDE}{}",
        r#"
p = poplib.POP3('127.0.0.1', port, timeout=20)
caps = p.capa()
for c in ('USER', 'UIDL', 'TOP', 'RESP-CODES', 'PIPELINING'):
    assert c in caps, caps
assert caps['SASL'] == ['PLAIN', 'LOGIN'], caps
p.user('alice')
try:
    p.pass_('nope')
    raise SystemExit('bad password accepted')
except poplib.error_proto as e:
    assert e.args[0].startswith(b'-ERR [AUTH]'), e
p.user('alice')
p.pass_('wonderland')
count, octets = p.stat()
assert count == 3, count
sizes = [int(l.split()[1]) for l in p.list()[1]]
assert sum(sizes) == octets, (sizes, octets)
delivered = files()
assert len(delivered) == 3
for n in range(1, 4):
    resp, lines, size = p.retr(n)
    got = b''.join(l + b'\r\n' for l in lines)
    # The file as delivered, with line ends as POP3 sends them.
    match = [f for f in delivered if f.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n') == got]
    assert len(match) == 1, (n, got)
    assert len(got) == sizes[n - 1], (n, len(got), sizes)
resp, lines, _ = p.top(3, 1)
assert lines == [b'From: c@example.org', b'Subject: third', b'', b'line 1'], lines
first = p.uidl()[1]
p.quit()
q = login()
assert q.uidl()[1] == first
q.dele(1)
assert q.stat()[0] == 2
q.rset()
q.quit()
q = login()
assert q.stat()[0] == 3, 'RSET kept the message'
q.dele(2)
# Locked while this session runs.
r = poplib.POP3('127.0.0.1', port, timeout=20)
r.user('alice')
try:
    r.pass_('wonderland')
    raise SystemExit('second session got the lock')
except poplib.error_proto as e:
    assert e.args[0].startswith(b'-ERR [IN-USE]'), e
r.quit()
q.quit()
assert len(files()) == 2, 'DELE+QUIT removed the file'
q = login()
assert q.stat()[0] == 2
after = q.uidl()[1]
# A dropped connection (no QUIT) deletes nothing.
q.dele(1)
import socket, time
q.sock.shutdown(socket.SHUT_RDWR)
q.close()
# The server notices the hang-up and releases the lock.
for _ in range(200):
    try:
        q = login()
        break
    except poplib.error_proto as e:
        assert b'[IN-USE]' in e.args[0], e
        time.sleep(0.05)
else:
    raise SystemExit('lock never released')
assert q.stat()[0] == 2, ('dropped connection deleted a message', q.stat(), q.uidl())
q.quit()
# APOP with the timestamp of the greeting (RFC 1939 section 7).
a = poplib.POP3('127.0.0.1', port, timeout=20)
a.apop('bob', 'builder')
assert a.stat() == (0, 0)
a.quit()
# UIDL values stay those of the first session (message 2 is gone).
assert [l.split()[1] for l in after] == [first[0].split()[1], first[2].split()[1]], (first, after)
print(' '.join(l.split()[1].decode() for l in after))
"#
    );
    let uidls = python(&script, &server).await;

    // Restart, after another mail reader marked every message seen (the
    // files move to cur/ with ":2,S"): the UIDLs stay the same.
    for entry in std::fs::read_dir(server.maildir.join("new")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        std::fs::rename(
            &path,
            server.maildir.join("cur").join(format!("{name}:2,S")),
        )
        .unwrap();
    }
    let Server { _dir: dir, .. } = server;
    let restarted = start_on(dir).await;
    let again = python(
        &format!("{PRELUDE}q = login()\nprint(' '.join(l.split()[1].decode() for l in q.uidl()[1]))\nq.quit()\n"),
        &restarted,
    )
    .await;
    assert_eq!(uidls, again);
}

#[tokio::test]
async fn curl_lists_and_retrieves() {
    if !tool("curl") {
        return;
    }
    let server = start().await;
    let url = format!("pop3://127.0.0.1:{}/", server.addr.port());
    let list = tokio::process::Command::new("curl")
        .args(["-sS", "--max-time", "20", "-u", "alice:wonderland", &url])
        .output()
        .await
        .unwrap();
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let text = String::from_utf8_lossy(&list.stdout);
    assert_eq!(text.lines().count(), 3, "{text}");
    let retr = tokio::process::Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "20",
            "-u",
            "alice:wonderland",
            &format!("{url}3"),
        ])
        .output()
        .await
        .unwrap();
    assert!(
        retr.status.success(),
        "{}",
        String::from_utf8_lossy(&retr.stderr)
    );
    assert_eq!(retr.stdout, MESSAGES[2]);
    let bad = tokio::process::Command::new("curl")
        .args(["-sS", "--max-time", "20", "-u", "alice:wrong", &url])
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
}

#[tokio::test]
async fn fetchmail_fetches_into_mbox() {
    if !tool("fetchmail") {
        return;
    }
    let server = start().await;
    let work = tempfile::tempdir().unwrap();
    let mbox = work.path().join("mbox");
    let rc = work.path().join("fetchmailrc");
    // Each message is appended to an mbox with a From_ line, as a local
    // MDA would.
    let mda = work.path().join("mda.sh");
    std::fs::write(
        &mda,
        format!(
            "#!/bin/sh\n{{ echo 'From fetchmail@localhost Thu Jan  1 00:00:00 1970'; cat; echo; }} >> '{}'\n",
            mbox.display()
        ),
    )
    .unwrap();
    std::fs::write(
        &rc,
        format!(
            "poll 127.0.0.1 with proto POP3 port {} timeout 20\n  user \"alice\" there with password \"wonderland\" is \"alice\" here\n  options fetchall nokeep sslproto \"\" mda \"{}\"\n",
            server.addr.port(),
            mda.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&rc, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(&mda, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let out = tokio::process::Command::new("fetchmail")
        .args([
            "-f",
            &rc.display().to_string(),
            "--nosyslog",
            "--nodetach",
            "-v",
        ])
        .env("FETCHMAILHOME", work.path())
        .env("HOME", work.path())
        .output()
        .await
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{log}");
    let text = std::fs::read_to_string(&mbox).unwrap();
    assert_eq!(
        text.matches("\nFrom fetchmail@localhost").count() + 1,
        3,
        "{text}"
    );
    for subject in ["Subject: first", "Subject: second", "Subject: third"] {
        assert!(text.contains(subject), "{subject} missing: {text}");
    }
    // fetchmail deleted what it fetched (DELE + QUIT).
    let left = ["new", "cur"]
        .iter()
        .map(|s| std::fs::read_dir(server.maildir.join(s)).unwrap().count())
        .sum::<usize>();
    assert_eq!(left, 0, "{log}");
}

/// POP3 and IMAP sessions share one cache of folder snapshots: a POP3
/// session leaves the maildrop's snapshot in it, and a later session of
/// either protocol, starting from it, still sees a message delivered
/// meanwhile by another process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pop3_and_imap_share_snapshots() {
    if !tool("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let loc = location(dir.path());
    let store = Store::open(&loc, "alice", None).unwrap();
    for m in MESSAGES {
        store.deliver("INBOX", m).unwrap();
    }
    let users = PasswdFile::parse("alice:{PLAIN}wonderland\n").unwrap();
    let auth = mta_core::auth::PasswordAuth::new(users, Default::default());
    let cache = maildir::SnapshotCache::default();
    let pop3 = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let imap = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ports = [
        pop3.local_addr().unwrap().port(),
        imap.local_addr().unwrap().port(),
    ];
    tokio::spawn(run(
        pop3,
        MaildirMaildrop::with_auth(auth.clone(), &loc).with_snapshot_cache(cache.clone()),
    ));
    tokio::spawn(mta_core::imap::run(
        imap,
        mta_core::imap::MaildirBackend::with_auth(auth, &loc).with_snapshot_cache(cache.clone()),
    ));
    let script = r#"
import imaplib, poplib, sys
pop3, imap = int(sys.argv[1]), int(sys.argv[2])
def stat():
    p = poplib.POP3('127.0.0.1', pop3, timeout=20)
    p.user('alice'); p.pass_('wonderland')
    n = p.stat()[0]
    last = b'\r\n'.join(p.retr(n)[1])
    p.quit()
    return n, last
print('pop3 first', stat()[0])
sys.stdout.flush()
sys.stdin.readline()  # the test delivers a message
n, last = stat()
print('pop3 then', n, last.split(b'\r\n')[0].decode())
m = imaplib.IMAP4('127.0.0.1', imap)
m.login('alice', 'wonderland')
print('imap', int(m.select('INBOX', readonly=True)[1][0]))
m.logout()
"#;
    let mut child = tokio::process::Command::new("python3")
        .args(["-c", script, &ports[0].to_string(), &ports[1].to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    stdout.read_line(&mut line).await.unwrap();
    assert_eq!(line, "pop3 first 3\n");
    assert_eq!(cache.len(), 1, "the POP3 session left its snapshot");
    store
        .deliver(
            "INBOX",
            b"From: d@example.org\r\nSubject: fourth\r\n\r\nnew\r\n",
        )
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"go\n").await.unwrap();
    drop(stdin);
    let mut rest = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stdout, &mut rest)
        .await
        .unwrap();
    assert!(child.wait().await.unwrap().success(), "{rest}");
    assert_eq!(rest, "pop3 then 4 From: d@example.org\nimap 4\n");
    assert_eq!(cache.len(), 1);
}
