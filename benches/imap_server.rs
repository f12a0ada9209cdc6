//! The IMAP server (tokio driver + Maildir backend, the composition of the
//! imap_server example) over an in-memory pipe: SELECT and
//! `FETCH 1:* (UID FLAGS RFC822.SIZE)` on 10k and 100k message folders,
//! FETCH BODY[] throughput, SEARCH TEXT over 10k messages, and the memory
//! one idle authenticated connection holds.
//!
//! Folders are written straight into `cur/` (no fsync per message) so that
//! building a 100k folder takes seconds; the UID list is built by the
//! first SELECT, outside the measurement.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mta_core::imap::MaildirBackend;
use mta_core::passwd::PasswdFile;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};

fn message(i: usize, body: usize) -> Vec<u8> {
    let mut m = format!(
        "From: Sender {i} <s{i}@example.org>\r\nTo: alice@example.org\r\nSubject: message number {i}\r\nDate: Tue, 1 Jul 2003 10:52:37 +0200\r\nMessage-ID: <{i}@example.org>\r\n\r\n"
    )
    .into_bytes();
    let line = b"The quick brown fox jumps over the lazy dog, again and again and again.\r\n";
    while m.len() < body {
        m.extend_from_slice(line);
    }
    if i == 4242 {
        m.extend_from_slice(b"a rare needle word\r\n");
    }
    m
}

/// A user `alice` whose INBOX holds `n` messages of about `size` octets.
fn folder(root: &Path, n: usize, size: usize) {
    let md = root.join("alice/Maildir");
    for d in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(d)).unwrap();
    }
    for i in 0..n {
        let m = message(i, size);
        let name = format!(
            "{}.M{i}P1.bench,S={}:2,{}",
            1_700_000_000 + i,
            m.len(),
            if i % 3 == 0 { "S" } else { "" }
        );
        std::fs::write(md.join("cur").join(name), m).unwrap();
    }
}

struct Client {
    r: BufReader<tokio::io::ReadHalf<DuplexStream>>,
    w: tokio::io::WriteHalf<DuplexStream>,
    n: u32,
}

impl Client {
    async fn connect(backend: &MaildirBackend) -> Client {
        let (a, b) = tokio::io::duplex(1 << 20);
        let backend = backend.clone();
        tokio::spawn(async move {
            let mut o = imap_proto::tokio::Options::default();
            o.config.plaintext_auth = true;
            let _ = imap_proto::tokio::serve(&backend, b, o).await;
        });
        let (r, w) = tokio::io::split(a);
        let mut c = Client {
            r: BufReader::new(r),
            w,
            n: 0,
        };
        let mut line = String::new();
        c.r.read_line(&mut line).await.unwrap();
        c.cmd("LOGIN alice secret").await;
        c
    }

    /// Sends a command and reads to its tagged response; returns the
    /// octets received.
    async fn cmd(&mut self, c: &str) -> usize {
        self.n += 1;
        let tag = format!("t{} ", self.n);
        self.w
            .write_all(format!("{tag}{c}\r\n").as_bytes())
            .await
            .unwrap();
        let mut total = 0;
        let mut line = Vec::new();
        loop {
            line.clear();
            let k = self.r.read_until(b'\n', &mut line).await.unwrap();
            assert!(k > 0, "connection closed");
            total += k;
            if line.starts_with(tag.as_bytes()) {
                assert!(
                    line[tag.len()..].starts_with(b"OK"),
                    "{}",
                    String::from_utf8_lossy(&line)
                );
                return total;
            }
        }
    }
}

fn setup(n: usize, size: usize) -> (tempfile::TempDir, MaildirBackend) {
    let dir = tempfile::tempdir().unwrap();
    folder(dir.path(), n, size);
    let users = PasswdFile::parse("alice:{PLAIN}secret\n").unwrap();
    let backend = MaildirBackend::new(
        users,
        &format!("maildir:{}/%u/Maildir", dir.path().display()),
    );
    (dir, backend)
}

fn select_and_fetch(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for n in [10_000usize, 100_000] {
        let (_dir, backend) = setup(n, 600);
        let mut client = rt.block_on(async {
            let mut c = Client::connect(&backend).await;
            c.cmd("SELECT INBOX").await; // builds the UID list
            c
        });
        let mut g = c.benchmark_group(format!("imap_{}k", n / 1000));
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(if n > 10_000 { 20 } else { 5 }));
        g.bench_function("select", |b| {
            b.iter(|| rt.block_on(client.cmd("SELECT INBOX")))
        });
        g.bench_function("fetch_uid_flags_size", |b| {
            b.iter(|| rt.block_on(client.cmd("FETCH 1:* (UID FLAGS RFC822.SIZE)")))
        });
        if n == 10_000 {
            g.bench_function("search_text", |b| {
                b.iter(|| rt.block_on(client.cmd("SEARCH TEXT \"needle\"")))
            });
        }
        g.finish();
    }
}

fn fetch_body(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (_dir, backend) = setup(200, 50_000);
    let mut client = rt.block_on(async {
        let mut c = Client::connect(&backend).await;
        c.cmd("SELECT INBOX").await;
        c
    });
    let bytes = rt.block_on(client.cmd("FETCH 1:* BODY.PEEK[]"));
    let mut g = c.benchmark_group("imap_fetch_body");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("200x50KB", |b| {
        b.iter(|| rt.block_on(client.cmd("FETCH 1:* BODY.PEEK[]")))
    });
    g.finish();
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Not a timing: the resident memory 10,000 idle authenticated
/// connections (with INBOX selected) add, printed per connection.
fn idle_memory(_c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (_dir, backend) = setup(20, 600);
    let n = 10_000;
    let before = rss_kib();
    let clients = rt.block_on(async {
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            let mut c = Client::connect(&backend).await;
            c.cmd("SELECT INBOX").await;
            v.push(c);
        }
        v
    });
    let after = rss_kib();
    println!(
        "imap idle memory: {n} authenticated connections with INBOX selected (20 messages) hold {} KiB, {} bytes per connection (client halves and 1 MiB-capacity pipes included)",
        after.saturating_sub(before),
        after.saturating_sub(before) * 1024 / n as u64
    );
    drop(clients);
}

criterion_group!(benches, idle_memory, select_and_fetch, fetch_body);
criterion_main!(benches);
