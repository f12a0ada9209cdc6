//! Times IMAP commands against any IMAP server over TCP, so that this
//! server and another one (Dovecot) can be measured by the same client on
//! copies of the same Maildir. `benches/imap_vs_dovecot.sh` drives it.
//!
//! ```text
//! # Write a folder of 10,000 messages of about 600 octets:
//! cargo run --release --example imap_bench -- make-folder --maildir DIR/m10k/Maildir --count 10000 --size 600
//! # Time SELECT, FETCH and SEARCH for user m10k:
//! cargo run --release --example imap_bench -- run --connect 127.0.0.1:10143 --user m10k --password secret
//! # Open 10,000 idle authenticated connections and keep them for 10 seconds:
//! cargo run --release --example imap_bench -- idle --connect 127.0.0.1:10143 --user m10k --password secret --count 10000
//! ```
//!
//! Messages are written with LF line ends and `,S=<size>,W=<vsize>` in
//! their names, as a delivery agent writes them. One message in the
//! folder (number 4243) holds the word `needle` for SEARCH TEXT.

use clap::{Parser, Subcommand};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "IMAP client timings (SELECT, FETCH, SEARCH) and idle connections")]
struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Writes a Maildir INBOX of `count` messages into `cur/`.
    MakeFolder {
        /// The Maildir (its cur/, new/ and tmp/ are created).
        #[arg(long)]
        maildir: PathBuf,
        /// Number of messages.
        #[arg(long)]
        count: usize,
        /// Approximate size of each message in octets.
        #[arg(long)]
        size: usize,
    },
    /// Times commands on the user's INBOX and prints one line per command.
    Run {
        /// Server address.
        #[arg(long)]
        connect: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        password: String,
        /// Label printed on each line (the server's name).
        #[arg(long, default_value = "server")]
        label: String,
        /// Repetitions of each timed command.
        #[arg(long, default_value_t = 10)]
        runs: usize,
        /// Time `FETCH 1:* BODY.PEEK[]` (for a folder of large messages).
        #[arg(long)]
        body: bool,
        /// Time `SEARCH TEXT "needle"`.
        #[arg(long)]
        search: bool,
    },
    /// Opens authenticated connections that select INBOX, then holds them.
    Idle {
        #[arg(long)]
        connect: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        password: String,
        /// Number of connections.
        #[arg(long, default_value_t = 10_000)]
        count: usize,
        /// Seconds to hold them open once all are up.
        #[arg(long, default_value_t = 10)]
        hold: u64,
        /// The server's process id: its VmRSS is read from /proc before
        /// and after, and the growth per connection printed.
        #[arg(long)]
        server_pid: Option<u32>,
    },
}

fn message(i: usize, size: usize) -> Vec<u8> {
    let mut m = format!(
        "From: Sender {i} <s{i}@example.org>\nTo: alice@example.org\nSubject: message number {i}\nDate: Tue, 1 Jul 2003 10:52:37 +0200\nMessage-ID: <{i}@example.org>\n\n"
    )
    .into_bytes();
    let line = b"The quick brown fox jumps over the lazy dog, again and again and again.\n";
    while m.len() < size {
        m.extend_from_slice(line);
    }
    if i == 4242 {
        m.extend_from_slice(b"a rare needle word\n");
    }
    m
}

fn make_folder(maildir: &std::path::Path, count: usize, size: usize) -> io::Result<()> {
    for d in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(d))?;
    }
    for i in 0..count {
        let m = message(i, size);
        let lines = m.iter().filter(|&&b| b == b'\n').count();
        let name = format!(
            "{}.M{i}P1.bench,S={},W={}:2,{}",
            1_700_000_000 + i,
            m.len(),
            m.len() + lines,
            if i % 3 == 0 { "S" } else { "" }
        );
        std::fs::write(maildir.join("cur").join(name), m)?;
    }
    Ok(())
}

/// A blocking IMAP client that reads responses, literals included, up to
/// the tagged one.
struct Client {
    r: BufReader<TcpStream>,
    n: u32,
    line: Vec<u8>,
    sink: Vec<u8>,
}

impl Client {
    fn connect(addr: &str, user: &str, password: &str) -> io::Result<Client> {
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        let mut c = Client {
            r: BufReader::with_capacity(1 << 14, s),
            n: 0,
            line: Vec::new(),
            // Allocated at the first literal.
            sink: Vec::new(),
        };
        c.line.clear();
        c.r.read_until(b'\n', &mut c.line)?;
        c.cmd(&format!("LOGIN \"{user}\" \"{password}\""))?;
        Ok(c)
    }

    /// Sends a command; reads to its tagged OK. Returns the octets read.
    fn cmd(&mut self, command: &str) -> io::Result<u64> {
        self.n += 1;
        let tag = format!("b{} ", self.n);
        self.r
            .get_mut()
            .write_all(format!("{tag}{command}\r\n").as_bytes())?;
        let mut total = 0u64;
        loop {
            self.line.clear();
            let k = self.r.read_until(b'\n', &mut self.line)?;
            if k == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed"));
            }
            total += k as u64;
            // A line ending in {n} announces n octets of literal.
            if let Some(n) = literal_len(&self.line) {
                if self.sink.is_empty() {
                    self.sink = vec![0; 1 << 16];
                }
                let mut left = n;
                while left > 0 {
                    let want = left.min(self.sink.len() as u64) as usize;
                    let got = self.r.read(&mut self.sink[..want])?;
                    if got == 0 {
                        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed"));
                    }
                    left -= got as u64;
                }
                total += n;
                continue;
            }
            if self.line.starts_with(tag.as_bytes()) {
                let rest = &self.line[tag.len()..];
                if !rest.starts_with(b"OK") {
                    return Err(io::Error::other(format!(
                        "{command}: {}",
                        String::from_utf8_lossy(&self.line)
                    )));
                }
                return Ok(total);
            }
        }
    }
}

fn literal_len(line: &[u8]) -> Option<u64> {
    let l = line.strip_suffix(b"\r\n")?.strip_suffix(b"}")?;
    let open = l.iter().rposition(|&b| b == b'{')?;
    std::str::from_utf8(l.get(open + 1..)?).ok()?.parse().ok()
}

struct Stats {
    times: Vec<Duration>,
    bytes: u64,
}

impl Stats {
    fn print(&mut self, label: &str, user: &str, what: &str) {
        self.times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let median = self
            .times
            .get(self.times.len() / 2)
            .copied()
            .unwrap_or_default();
        let min = self.times.first().copied().unwrap_or_default();
        let mut line = format!(
            "{label:8} {user:6} {what:34} median {:9.3} ms  min {:9.3} ms  runs {}",
            ms(median),
            ms(min),
            self.times.len()
        );
        if self.bytes > 0 && median > Duration::ZERO {
            line.push_str(&format!(
                "  {} octets, {:.0} MB/s",
                self.bytes,
                self.bytes as f64 / median.as_secs_f64() / 1e6
            ));
        }
        println!("{line}");
    }
}

fn time(runs: usize, mut f: impl FnMut() -> io::Result<u64>) -> io::Result<Stats> {
    let mut s = Stats {
        times: Vec::new(),
        bytes: 0,
    };
    for _ in 0..runs {
        let t = Instant::now();
        s.bytes = f()?;
        s.times.push(t.elapsed());
    }
    Ok(s)
}

#[allow(clippy::too_many_arguments)]
fn run(
    addr: &str,
    user: &str,
    password: &str,
    label: &str,
    runs: usize,
    body: bool,
    search: bool,
) -> io::Result<()> {
    // Warm up: the first SELECT builds UID lists and indexes, the first
    // reads fill caches. None of it is timed.
    let mut c = Client::connect(addr, user, password)?;
    let t = Instant::now();
    c.cmd("SELECT INBOX")?;
    Stats {
        times: vec![t.elapsed()],
        bytes: 0,
    }
    .print(label, user, "SELECT (first: builds UID list)");
    c.cmd("FETCH 1:* (UID FLAGS RFC822.SIZE)")?;
    if body {
        c.cmd("FETCH 1:* BODY.PEEK[]")?;
    }
    if search {
        c.cmd("SEARCH TEXT \"needle\"")?;
    }
    c.cmd("LOGOUT").ok();

    // SELECT in a new session: what a client pays on connecting (the
    // connection and LOGIN are not timed).
    let mut only = Vec::new();
    for _ in 0..runs {
        let mut c = Client::connect(addr, user, password)?;
        let t = Instant::now();
        c.cmd("SELECT INBOX")?;
        only.push(t.elapsed());
        c.cmd("LOGOUT").ok();
    }
    Stats {
        times: only,
        bytes: 0,
    }
    .print(label, user, "SELECT (new session)");

    let mut c = Client::connect(addr, user, password)?;
    c.cmd("SELECT INBOX")?;
    // The round trip of a command that does nothing, the least any
    // command costs.
    time(runs, || c.cmd("NOOP"))
        .map(|mut s| {
            s.bytes = 0;
            s
        })?
        .print(label, user, "NOOP");
    time(runs, || c.cmd("SELECT INBOX"))
        .map(|mut s| {
            s.bytes = 0;
            s
        })?
        .print(label, user, "SELECT (again, same session)");
    time(runs, || c.cmd("FETCH 1:* (UID FLAGS RFC822.SIZE)"))?.print(
        label,
        user,
        "FETCH 1:* (UID FLAGS RFC822.SIZE)",
    );
    if search {
        time(runs, || c.cmd("SEARCH TEXT \"needle\""))
            .map(|mut s| {
                s.bytes = 0;
                s
            })?
            .print(label, user, "SEARCH TEXT \"needle\"");
    }
    if body {
        time(runs, || c.cmd("FETCH 1:* BODY.PEEK[]"))?.print(label, user, "FETCH 1:* BODY.PEEK[]");
    }
    c.cmd("LOGOUT").ok();
    Ok(())
}

/// VmRSS of a process in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Raises the soft limit on open files to the hard limit; returns it.
fn raise_nofile() -> u64 {
    let mut l = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 {
            l.rlim_cur = l.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &l);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut l);
        }
    }
    l.rlim_cur
}

fn idle(
    addr: &str,
    user: &str,
    password: &str,
    count: usize,
    hold: u64,
    server_pid: Option<u32>,
) -> io::Result<()> {
    let limit = raise_nofile();
    println!("open files limit {limit}");
    // A first connection warms the server (folder snapshot, caches).
    let mut first = Client::connect(addr, user, password)?;
    first.cmd("SELECT INBOX")?;
    let before = server_pid.and_then(rss_kib);
    let t = Instant::now();
    let mut conns = Vec::with_capacity(count);
    for i in 0..count {
        let mut c = Client::connect(addr, user, password)
            .map_err(|e| io::Error::other(format!("connection {i}: {e}")))?;
        c.cmd("SELECT INBOX")?;
        conns.push(c);
    }
    println!(
        "{count} authenticated connections with INBOX selected, opened in {:.1} s; holding {hold} s",
        t.elapsed().as_secs_f64()
    );
    std::thread::sleep(Duration::from_secs(hold));
    if let (Some(b), Some(a)) = (before, server_pid.and_then(rss_kib)) {
        println!(
            "server VmRSS {b} KiB before, {a} KiB after: {} bytes per idle connection",
            a.saturating_sub(b) * 1024 / count.max(1) as u64
        );
    }
    // Each connection still answers.
    for c in conns.iter_mut() {
        c.cmd("NOOP")?;
    }
    println!("all {count} connections answered NOOP");
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Args::parse().cmd {
        Cmd::MakeFolder {
            maildir,
            count,
            size,
        } => make_folder(&maildir, count, size)?,
        Cmd::Run {
            connect,
            user,
            password,
            label,
            runs,
            body,
            search,
        } => run(&connect, &user, &password, &label, runs, body, search)?,
        Cmd::Idle {
            connect,
            user,
            password,
            count,
            hold,
            server_pid,
        } => idle(&connect, &user, &password, count, hold, server_pid)?,
    }
    Ok(())
}
