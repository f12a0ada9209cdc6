//! 10,000 idle authenticated IMAP connections, with INBOX selected, held
//! by one server process over real TCP sockets on 127.0.0.1; the growth of
//! the server's resident memory is printed per connection.
//!
//! The server runs in a child process (this test binary again, running
//! the ignored `child_server` test), so that the memory measured is the
//! server's alone and each process needs only one descriptor per
//! connection. Both processes raise their soft limit on open files to the
//! hard limit; with a low hard limit the test opens fewer connections and
//! says so.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use maildir::Store;
use mta_core::imap::{MaildirBackend, run};
use mta_core::passwd::PasswdFile;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

const CONNECTIONS: usize = 10_000;
const CHILD_ENV: &str = "MISSIVE_IMAP_IDLE_CHILD";

/// Raises the soft limit on open files to the hard limit; returns it.
fn raise_nofile() -> u64 {
    let mut l = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write a local rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 {
            l.rlim_cur = l.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &l);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut l);
        }
    }
    l.rlim_cur
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The server: serves a user with 20 messages on 127.0.0.1:0, prints
/// `PORT <port>`, and exits when its parent closes stdin.
#[test]
#[ignore = "run by idle_connections as the server process"]
fn child_server() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    raise_nofile();
    let dir = tempfile::tempdir().unwrap();
    let loc = format!("maildir:{}/%u/Maildir", dir.path().display());
    let store = Store::open(&loc, "alice", None).unwrap();
    for i in 0..20 {
        let m = format!("From: s{i}@example.org\r\nSubject: message {i}\r\n\r\nbody {i}\r\n");
        store.deliver("INBOX", m.as_bytes()).unwrap();
    }
    let users = PasswdFile::parse("alice:{PLAIN}wonderland\n").unwrap();
    let backend = MaildirBackend::new(users, &loc);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("PORT {}", listener.local_addr().unwrap().port());
        std::io::stdout().flush().unwrap();
        tokio::spawn(run(listener, backend));
        // Ends with the parent.
        let _ = tokio::task::spawn_blocking(|| {
            let mut sink = String::new();
            while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {}
        })
        .await;
    });
    std::process::exit(0);
}

/// One connection: greeting, LOGIN and SELECT pipelined, read to the
/// SELECT's tagged OK.
async fn open(port: u16) -> tokio::io::BufReader<tokio::net::TcpStream> {
    let s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut s = tokio::io::BufReader::with_capacity(512, s);
    let mut line = String::new();
    s.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("* OK"), "{line}");
    s.get_mut()
        .write_all(b"a LOGIN alice wonderland\r\nb SELECT INBOX\r\n")
        .await
        .unwrap();
    loop {
        line.clear();
        assert!(s.read_line(&mut line).await.unwrap() > 0, "closed");
        assert!(
            !line.starts_with("a NO") && !line.starts_with("a BAD"),
            "{line}"
        );
        if line.starts_with("b ") {
            assert!(line.starts_with("b OK"), "{line}");
            return s;
        }
    }
}

async fn noop(s: &mut tokio::io::BufReader<tokio::net::TcpStream>) {
    s.get_mut().write_all(b"c NOOP\r\n").await.unwrap();
    let mut line = String::new();
    loop {
        line.clear();
        assert!(s.read_line(&mut line).await.unwrap() > 0, "closed");
        if line.starts_with("c ") {
            assert!(line.starts_with("c OK"), "{line}");
            return;
        }
    }
}

#[test]
fn idle_connections() {
    let limit = raise_nofile();
    // Each process holds one descriptor per connection, plus a few.
    let n = CONNECTIONS.min(usize::try_from(limit.saturating_sub(256)).unwrap_or(0));
    if n < CONNECTIONS {
        println!(
            "open files hard limit is {limit}: opening {n} connections instead of {CONNECTIONS}"
        );
    } else {
        println!("open files limit raised to {limit}");
    }
    assert!(
        n >= 100,
        "open files limit {limit} is too low for this test"
    );
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_server", "--ignored", "--nocapture"])
        .env(CHILD_ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let port: u16 = loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "server did not start"
        );
        if let Some(p) = line.strip_prefix("PORT ") {
            break p.trim().parse().unwrap();
        }
    };

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // A first session warms the server (folder snapshot, pools).
        let mut first = open(port).await;
        noop(&mut first).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let before = rss_kib(pid);
        let t = Instant::now();
        let mut conns = Vec::with_capacity(n);
        // 64 logins in flight at a time.
        let mut pending = tokio::task::JoinSet::new();
        let mut started = 0;
        while conns.len() < n {
            while started < n && pending.len() < 64 {
                pending.spawn(open(port));
                started += 1;
            }
            if let Some(c) = pending.join_next().await {
                conns.push(c.unwrap());
            }
        }
        let opened = t.elapsed();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = rss_kib(pid);
        println!(
            "{n} idle authenticated IMAP connections (INBOX of 20 messages selected) opened in {:.1} s; server VmRSS {before} KiB -> {after} KiB: {} bytes per connection",
            opened.as_secs_f64(),
            after.saturating_sub(before) * 1024 / n as u64
        );
        // Every connection is still served.
        for c in conns.iter_mut() {
            noop(c).await;
        }
        noop(&mut first).await;
    });
    drop(child.stdin.take());
    let status = child.wait().unwrap();
    assert!(status.success(), "server process: {status}");
}
