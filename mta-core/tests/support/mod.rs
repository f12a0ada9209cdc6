//! Shared pieces of the engine tests: a configuration, a manual clock, a
//! client that sends one message, a scripted SMTP server, a TLS acceptor,
//! a password database with short delays, and a Python script runner.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use mta_core::auth::{AuthLimits, PasswordAuth};
use mta_core::clock::Clock;
use mta_core::config::{Environment, MainCf, MainConfig};
use mta_core::engine::{Engine, EngineBuilder};
use mta_core::passwd::PasswdFile;
use mta_core::router::StaticUsers;
use mta_core::tls::{Acceptor, Identity};
use smtp_proto::client::{Config, Envelope, Outcome};
use smtp_proto::tokio::{Handler, Options, serve};
use smtp_proto::{ForwardPath, Host, MailParameters, Mailbox, RcptParameters, Reply, ReversePath};

/// A clock the test moves.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<SystemTime>,
    start: Instant,
}

impl ManualClock {
    pub fn new() -> Arc<Self> {
        Arc::new(ManualClock {
            now: Mutex::new(SystemTime::now()),
            start: Instant::now(),
        })
    }

    pub fn advance(&self, d: Duration) {
        *self.now.lock().unwrap() += d;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap()
    }
    fn instant(&self) -> Instant {
        self.start
    }
}

/// main.cf for mx.example.com, local domain example.com, extra lines.
pub fn config(extra: &str) -> MainConfig {
    let text = format!(
        "myhostname = mx.example.com\nmydomain = example.com\nmydestination = $myhostname, example.com\nalias_maps =\n{extra}"
    );
    let cf = MainCf::parse_str(&text, "main.cf").unwrap();
    MainConfig::from_cf(&cf, &Environment::loopback("mx.example.com"))
        .unwrap()
        .config
}

/// An engine builder with a queue and Maildirs under `dir`, users alice
/// and bob and postmaster, one SMTP listener on loopback.
pub fn builder(dir: &std::path::Path, extra: &str) -> EngineBuilder {
    Engine::builder(config(extra))
        .queue_directory(dir.join("queue"))
        .mail_location(format!("maildir:{}/%u/Maildir", dir.display()))
        .users(StaticUsers::new(["alice", "bob", "postmaster"]))
        .listen("127.0.0.1:0".parse().unwrap())
}

/// The messages in a user's Maildir INBOX, oldest first by the time in
/// their file names (`<seconds>.M<microseconds>P...`, numbers not padded,
/// so not in the order of the text).
pub fn inbox(dir: &std::path::Path, user: &str) -> Vec<Vec<u8>> {
    let when = |p: &std::path::PathBuf| {
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let number = |s: &str| -> u64 {
            s.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .unwrap_or(0)
        };
        let micros = name.split_once(".M").map_or(0, |(_, rest)| number(rest));
        (number(&name), micros, name)
    };
    let mut names = Vec::new();
    for sub in ["new", "cur"] {
        let p = dir.join(user).join("Maildir").join(sub);
        let Ok(rd) = std::fs::read_dir(&p) else {
            continue;
        };
        names.extend(rd.filter_map(|e| e.ok()).map(|e| e.path()));
    }
    names.sort_by_cached_key(when);
    names
        .into_iter()
        .map(|n| std::fs::read(n).unwrap())
        .collect()
}

/// Waits (polling, at most 30 s) until `f` holds.
pub async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..1500 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// Sends one message from `from` to `to` (local parts and domains as
/// given) and returns the per-recipient outcome.
pub async fn send(
    addr: SocketAddr,
    from: &str,
    to: &[&str],
    message: &[u8],
) -> Result<Outcome, smtp_proto::error::DriverError> {
    send_from(None, addr, from, to, message).await
}

/// As [`send`], from a chosen local address.
pub async fn send_from(
    local: Option<std::net::IpAddr>,
    addr: SocketAddr,
    from: &str,
    to: &[&str],
    message: &[u8],
) -> Result<Outcome, smtp_proto::error::DriverError> {
    let socket = match local {
        None => tokio::net::TcpStream::connect(addr).await?,
        Some(ip) => {
            let s = tokio::net::TcpSocket::new_v4()?;
            s.bind(SocketAddr::new(ip, 0))?;
            s.connect(addr).await?
        }
    };
    let envelope = Envelope {
        reverse_path: if from.is_empty() {
            ReversePath::Null
        } else {
            ReversePath::Mailbox(Mailbox::parse(from).unwrap())
        },
        parameters: Default::default(),
        recipients: to
            .iter()
            .map(|t| {
                (
                    ForwardPath::Mailbox(Mailbox::parse(t).unwrap()),
                    Default::default(),
                )
            })
            .collect(),
    };
    let config = Config::new(Host::parse("client.example.net").unwrap());
    smtp_proto::tokio::send_message(
        socket,
        config,
        envelope,
        Bytes::copy_from_slice(message),
        None,
    )
    .await
}

/// What the scripted server received.
#[derive(Debug, Default, Clone)]
pub struct Received {
    pub reverse_path: String,
    pub recipients: Vec<String>,
    pub message: Vec<u8>,
}

/// An SMTP server that answers RCPT TO by local part: `bad*` gets 550
/// 5.1.1, `later*` gets 451 4.3.0, anything else 250; and keeps what it
/// accepted.
#[derive(Clone, Default)]
pub struct Sink {
    pub got: Arc<Mutex<Vec<Received>>>,
}

struct SinkSession {
    sink: Sink,
    cur: Received,
}

#[async_trait::async_trait]
impl Handler for SinkSession {
    async fn mail(&mut self, rp: &ReversePath, _: &MailParameters) -> Result<(), Reply> {
        self.cur = Received {
            reverse_path: match rp {
                ReversePath::Null => String::new(),
                ReversePath::Mailbox(m) => m.to_string(),
            },
            ..Received::default()
        };
        Ok(())
    }
    async fn rcpt(&mut self, fp: &ForwardPath, _: &RcptParameters) -> Result<(), Reply> {
        let ForwardPath::Mailbox(m) = fp else {
            return Ok(());
        };
        if m.local_part().starts_with("bad") {
            return Err(Reply::new(
                550,
                Some((5, 1, 1)),
                &format!("<{m}>: Recipient address rejected: User unknown"),
            )
            .unwrap());
        }
        if m.local_part().starts_with("later") {
            return Err(Reply::new(451, Some((4, 3, 0)), "try again later").unwrap());
        }
        self.cur.recipients.push(m.to_string());
        Ok(())
    }
    async fn data_end(&mut self, message: Option<Bytes>) -> Result<(), Reply> {
        self.cur.message = message.map(|m| m.to_vec()).unwrap_or_default();
        self.sink
            .got
            .lock()
            .unwrap()
            .push(std::mem::take(&mut self.cur));
        Ok(())
    }
}

impl Sink {
    /// Starts the server on loopback; returns its address.
    pub async fn start(&self) -> SocketAddr {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let sink = self.clone();
        tokio::spawn(async move {
            loop {
                let Ok((s, _)) = l.accept().await else { return };
                let sink = sink.clone();
                tokio::spawn(async move {
                    let mut h = SinkSession {
                        sink,
                        cur: Received::default(),
                    };
                    let _ = serve(
                        s,
                        smtp_proto::server::Config::new("sink.example.org"),
                        &mut h,
                        Options::default(),
                    )
                    .await;
                });
            }
        });
        addr
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// A TLS acceptor with a fresh self-signed certificate for `localhost`.
pub fn self_signed_acceptor() -> Acceptor {
    let (identity, _, _) = Identity::self_signed(&["localhost".into()]).unwrap();
    Acceptor::new(&identity).unwrap()
}

/// A password database from passwd-file `text` with short failure delays
/// (10 ms, at most 40 ms), `max_failures` failures per address before a
/// block of 1.5 s.
pub fn quick_auth(text: &str, max_failures: u32) -> PasswordAuth {
    let mut limits = AuthLimits::default();
    limits.failure_delay = Duration::from_millis(10);
    limits.max_failure_delay = Duration::from_millis(40);
    limits.max_failures = max_failures;
    limits.block_for = Duration::from_millis(1500);
    PasswordAuth::new(PasswdFile::parse(text).unwrap(), limits)
}

/// Whether python3 is here; under CI=true its absence fails the test,
/// otherwise the caller skips with a printed reason.
pub fn python() -> bool {
    let found = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        assert!(
            std::env::var("CI").is_err(),
            "python3 is required under CI (.ci/run installs it)"
        );
        eprintln!("skipping: python3 not found");
    }
    found
}

/// Python shared by the client scripts: imports, `ctx` (TLS without
/// certificate checks), `smtp_plain(port, user, password)` (STARTTLS, one
/// AUTH PLAIN; "ok" or the reply) and `until_ok(f)` (calls `f` until it
/// returns "ok", at most 20 s; returns the last result).
pub const PY_HELPERS: &str = r#"
import base64, imaplib, poplib, smtplib, ssl, sys, time
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE

def smtp_plain(port, user, password):
    s = smtplib.SMTP("127.0.0.1", port, timeout=10)
    s.starttls(context=ctx)
    s.ehlo("client.example.net")
    try:
        # One mechanism, one attempt (login() would also try LOGIN).
        s.auth("PLAIN", lambda challenge=None: "\0" + user + "\0" + password)
        return "ok"
    except smtplib.SMTPAuthenticationError as e:
        return "%d %s" % (e.smtp_code, e.smtp_error.decode())
    finally:
        s.close()

def until_ok(f):
    deadline = time.time() + 20
    while True:
        r = f()
        if r == "ok" or time.time() > deadline:
            return r
        time.sleep(0.2)
"#;

/// Python for an imaplib test: `raw(M, *args)` sends one command and
/// returns (type, tagged data, untagged responses); a BAD comes back as
/// type `'BAD'` rather than imaplib's exception.
pub const PY_IMAP_RAW: &str = r#"
def raw(M, *args):
    M.untagged_responses = {}
    try:
        typ, data = M._simple_command(*args)
    except M.error as e:
        assert 'BAD' in str(e), e
        return 'BAD', [str(e).encode()], dict(M.untagged_responses)
    if args[0] in ('SELECT', 'EXAMINE') and typ == 'OK':
        M.state = 'SELECTED'
    return typ, data, dict(M.untagged_responses)
"#;

/// The rest of the line of `out` that starts with `key` (what a Python
/// script printed as `key value`).
pub fn printed<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key} in {out}"))
}

/// Runs `python3 -c script args...` on a blocking thread; asserts it
/// exits with success and returns its standard output.
pub async fn run_python(script: String, args: Vec<String>) -> String {
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .args(args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    })
    .await
    .unwrap()
}

/// An IMAP server (`mta_core::imap::run`) on 127.0.0.1 for the one user
/// alice, password "wonderland", with mailboxes at `location`; returns
/// its port.
pub async fn alice_imap(location: &str) -> u16 {
    let users = PasswdFile::parse("alice:{PLAIN}wonderland\n").unwrap();
    let backend = mta_core::imap::MaildirBackend::new(users, location);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(mta_core::imap::run(listener, backend));
    port
}
