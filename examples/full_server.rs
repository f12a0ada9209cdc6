//! The mail system in one process: the MTA engine (SMTP in, queue,
//! delivery into Maildir), and POP3 and IMAP over the same Maildirs, with
//! TLS from a configured or generated certificate.
//!
//! ```text
//! cargo run --example full_server                    # zero configuration
//! cargo run --example full_server -- --config ./etc  # main.cf, dovecot.conf, passwd from ./etc
//! ```
//!
//! With no arguments it serves the domain `localhost` on 127.0.0.1, keeps
//! everything under `./missive-data` (queue, Maildirs, certificate, users)
//! and creates two demo users, alice and bob, whose passwords it prints.
//! Listeners (each standard port plus 10000):
//!
//! | port  | service                                                     |
//! |-------|-------------------------------------------------------------|
//! | 10025 | SMTP with STARTTLS (the engine: delivery, relay restrictions) |
//! | 10587 | submission: STARTTLS, then AUTH PLAIN/LOGIN before MAIL     |
//! | 10465 | SMTPS (submissions), implicit TLS (RFC 8314), AUTH required |
//! | 10110 | POP3 with STLS (RFC 2595)                                   |
//! | 10995 | POP3S, implicit TLS (RFC 8314)                              |
//! | 10143 | IMAP with STARTTLS (RFC 3501 section 6.2.1)                 |
//! | 10993 | IMAPS, implicit TLS (RFC 8314)                              |
//!
//! One passwd-file serves SMTP AUTH, POP3 and IMAP alike, and its users
//! are the local recipients; their home directories are the `~` of
//! mail_location. Plaintext passwords are accepted over TLS, and from
//! loopback clients without it, as Dovecot treats them;
//! `--no-loopback-plaintext` turns the loopback exception off. A failed
//! login waits (2 s, doubling to 15 s; dovecot.conf's auth_failure_delay)
//! and an address with 10 failures in 10 minutes is refused for 10
//! minutes, on every protocol at once.
//!
//! With `--config DIR`: `DIR/main.cf` (Postfix's parameters; the alias,
//! access, transport and virtual tables it names, relative paths taken
//! from DIR), `DIR/dovecot.conf` if present (mail_location, ssl_cert,
//! ssl_key, disable_plaintext_auth, auth_failure_delay) and the Dovecot
//! passwd-file (`user:{SCHEME}hash:uid:gid::home::`; PLAIN, SHA512-CRYPT,
//! ARGON2ID) named by dovecot.conf's passdb, else `DIR/passwd-file`, else
//! `DIR/passwd`. Data still goes under `--data`.
//!
//! Ctrl-C stops accepting connections, lets deliveries in progress finish
//! and closes the queue; every message acknowledged with 250 is on disk.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use clap::Parser;
use mta_core::auth::{AuthLimits, PasswdMailboxes, PasswordAuth, PlaintextAuth as Plaintext};
use mta_core::config::{AccessConfig, Environment, MainCf, MainConfig};
use mta_core::engine::{Engine, EngineOptions};
use mta_core::imap::MaildirBackend;
use mta_core::passwd::{PasswdFile, hash_argon2id};
use mta_core::pop3::MaildirMaildrop;
use mta_core::smtpd::SmtpService;
use mta_core::tls::{Acceptor, Identity};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

#[derive(Parser, Debug)]
#[command(about = "SMTP, POP3 and IMAP over Maildir, with TLS, in one process")]
struct Args {
    /// Directory with main.cf, dovecot.conf and passwd.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Where the queue, Maildirs, certificate and demo users are kept.
    #[arg(long, default_value = "./missive-data")]
    data: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    listen: IpAddr,
    /// Added to each standard port (25, 587, 465, 110, 995, 143, 993).
    #[arg(long, default_value_t = 10000)]
    port_offset: u16,
    /// Bind every listener to a free port instead (they are printed).
    #[arg(long)]
    ephemeral_ports: bool,
    /// Refuse plaintext authentication without TLS even from loopback.
    #[arg(long)]
    no_loopback_plaintext: bool,
}

const DEMO_USERS: [&str; 2] = ["alice", "bob"];

/// A random password from the system's random source, 16 letters/digits.
fn random_password() -> std::io::Result<String> {
    use std::io::Read;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// The demo users: created at first start (a passwd-file `data/passwd`
/// with ARGON2ID hashes and homes `data/mail/USER`, the passwords in
/// `data/demo-passwords`, both mode 0600), read back afterwards. Returns
/// the file and the `user password address` lines.
fn demo_users(data: &Path) -> Result<(PasswdFile, String), Box<dyn std::error::Error>> {
    let passwd = data.join("passwd");
    let shown = data.join("demo-passwords");
    if !passwd.exists() {
        let (mut lines, mut plain) = (String::new(), String::new());
        for user in DEMO_USERS {
            let password = random_password()?;
            let home = data.join("mail").join(user);
            lines.push_str(&format!(
                "{user}:{}::::{}::\n",
                hash_argon2id(&password)?,
                home.display()
            ));
            plain.push_str(&format!("{user} {password} {user}@localhost\n"));
        }
        write_private(&shown, &plain)?;
        write_private(&passwd, &lines)?;
    }
    let users = PasswdFile::load(&passwd)?;
    let plain = std::fs::read_to_string(&shown).unwrap_or_default();
    Ok((users, plain))
}

fn mail_location_spec(access: &AccessConfig, data: &Path) -> String {
    match &access.mail_location {
        Some(l) => {
            let format = match l.format {
                mta_core::config::MailboxFormat::Mbox => "mbox",
                _ => "maildir",
            };
            let mut spec = format!("{format}:{}", l.path);
            for (k, v) in &l.params {
                spec.push_str(&format!(":{k}={v}"));
            }
            spec
        }
        None => format!("maildir:{}/mail/%u/Maildir", data.display()),
    }
}

/// A listener's service as a task of the `services` set: it ends when
/// accepting fails or the set is dropped (which also ends its sessions).
async fn ignore(service: impl std::future::Future<Output = std::io::Result<()>>) {
    let _ = service.await;
}

/// A running system: the engine and the POP3/IMAP listeners.
struct Running {
    engine: Engine,
    services: JoinSet<()>,
    /// Each listener with its bound address, SMTP first.
    listeners: Vec<(&'static str, SocketAddr)>,
    data: PathBuf,
    generated_certificate: bool,
    /// The demo users' `user password address` lines (zero configuration).
    demo: String,
}

impl Running {
    /// Stops accepting, ends sessions, lets deliveries in progress finish
    /// and closes the queue.
    async fn shutdown(mut self) {
        self.services.shutdown().await;
        self.engine.shutdown().await;
    }
}

fn read_users(dir: &Path, access: &AccessConfig) -> Result<PasswdFile, Box<dyn std::error::Error>> {
    // dovecot.conf's passdb passwd-file if it names one, else
    // DIR/passwd-file, else DIR/passwd.
    match access.passdbs.iter().find_map(|db| db.passwd_file()) {
        Some(args) => {
            let text = std::fs::read_to_string(&args.path)
                .map_err(|e| format!("{}: {e}", args.path.display()))?;
            let scheme = args.scheme.as_deref().unwrap_or("PLAIN");
            Ok(PasswdFile::parse_with_scheme(&text, scheme)?)
        }
        None if dir.join("passwd-file").exists() => Ok(PasswdFile::load(dir.join("passwd-file"))?),
        None => Ok(PasswdFile::load(dir.join("passwd"))?),
    }
}

async fn start(args: &Args) -> Result<Running, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(&args.data)?;
    let data = std::fs::canonicalize(&args.data)?;

    // main.cf: the given one, or the zero-configuration defaults.
    let (cf, access, users, demo) = match &args.config {
        Some(dir) => {
            let dir = std::fs::canonicalize(dir)?;
            // Relative paths in main.cf and dovecot.conf are taken from DIR.
            std::env::set_current_dir(&dir)?;
            let cf = MainCf::read(dir.join("main.cf"))?;
            let access = if dir.join("dovecot.conf").exists() {
                let loaded = AccessConfig::load(dir.join("dovecot.conf"))?;
                for w in &loaded.warnings {
                    eprintln!("full_server: dovecot.conf: {w}");
                }
                loaded.config
            } else {
                AccessConfig::parse_str("", "dovecot.conf")?.config
            };
            let users = read_users(&dir, &access)?;
            (cf, access, users, String::new())
        }
        None => {
            let cf = MainCf::parse_str(
                "myhostname = localhost\nmydomain = localhost\nmydestination = localhost\nalias_maps =\nsmtpd_tls_security_level = may\n",
                "main.cf",
            )?;
            let access = AccessConfig::parse_str("", "dovecot.conf")?.config;
            let (users, demo) = demo_users(&data)?;
            (cf, access, users, demo)
        }
    };
    for entry in users.unsupported() {
        eprintln!(
            "full_server: user {} has a password scheme that cannot be verified",
            entry.user
        );
    }
    let loaded = MainConfig::from_cf(&cf, &Environment::loopback("localhost"))?;
    for w in &loaded.warnings {
        eprintln!("full_server: main.cf: {w}");
    }
    let config = loaded.config;

    // TLS: main.cf's files, else dovecot.conf's, else the generated pair.
    let (cert, key) = match (&config.smtpd_tls_cert_file, &config.smtpd_tls_key_file) {
        (Some(c), Some(k)) => (Some(c.clone()), Some(k.clone())),
        _ => (access.ssl_cert.clone(), access.ssl_key.clone()),
    };
    let identity = Identity::load_or_generate(
        cert.as_deref(),
        key.as_deref(),
        &data.join("tls"),
        &["localhost".into(), args.listen.to_string()],
    )?;
    let tls = Acceptor::new(&identity)?;
    // Dovecot's disable_plaintext_auth = no allows plaintext from anywhere;
    // the default (yes) still counts loopback as secure.
    let plaintext = Plaintext {
        anywhere: !access.disable_plaintext_auth,
        loopback: !args.no_loopback_plaintext,
    };
    // One password database and failure count for every protocol.
    let mut limits = AuthLimits::default();
    limits.failure_delay = access.auth_failure_delay;
    let auth = PasswordAuth::new(users, limits);

    let location = mail_location_spec(&access, &data);
    let port = |p: u16| {
        if args.ephemeral_ports {
            0
        } else {
            p.saturating_add(args.port_offset)
        }
    };

    let mut options = EngineOptions::default();
    options.plaintext_auth = plaintext;
    let engine = Engine::builder(config)
        .queue_directory(data.join("queue"))
        // The passwd-file's users are the local recipients; `~` in
        // mail_location is each one's home.
        .mailboxes(std::sync::Arc::new(PasswdMailboxes::new(
            location.clone(),
            auth.clone(),
        )))
        .users(auth.clone())
        .auth(auth.clone())
        .options(options)
        .listen(SocketAddr::new(args.listen, port(25)))
        .listen_submission(SocketAddr::new(args.listen, port(587)))
        .listen_smtps(SocketAddr::new(args.listen, port(465)))
        // STARTTLS on port 25 when main.cf's smtpd_tls_security_level is
        // may or encrypt (may in the zero-configuration defaults); always
        // on submission; the handshake on SMTPS.
        .tls_acceptor(tls.clone())
        .start()
        .await?;
    let mut listeners: Vec<(&'static str, SocketAddr)> = engine
        .listener_addrs()
        .iter()
        .map(|(service, a)| {
            let name = match service {
                SmtpService::Submission => "submission",
                SmtpService::Smtps => "SMTPS",
                _ => "SMTP",
            };
            (name, *a)
        })
        .collect();

    // One cache of folder snapshots for POP3 and IMAP sessions alike.
    let snapshots = maildir::SnapshotCache::default();
    let maildrop =
        MaildirMaildrop::with_auth(auth.clone(), &location).with_snapshot_cache(snapshots.clone());
    let backend = MaildirBackend::with_auth(auth, &location).with_snapshot_cache(snapshots);
    let mut services = JoinSet::new();
    let mut bind = async |what: &'static str, p: u16| -> Result<TcpListener, String> {
        let addr = SocketAddr::new(args.listen, port(p));
        let l = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("{what} on {addr}: {e}"))?;
        listeners.push((what, l.local_addr().map_err(|e| e.to_string())?));
        Ok(l)
    };
    let pop3_plain = bind("POP3 (STLS)", 110).await?;
    let pop3s = bind("POP3S", 995).await?;
    let imap_plain = bind("IMAP", 143).await?;
    let imaps = bind("IMAPS", 993).await?;
    use mta_core::tls::ListenerTls::{Implicit, Upgrade};
    let (upgrade, implicit) = (Upgrade(tls.clone()), Implicit(tls));
    let (pop3, imap) = (
        mta_core::pop3::serve_listener,
        mta_core::imap::serve_listener,
    );
    services.spawn(ignore(pop3(
        pop3_plain,
        maildrop.clone(),
        upgrade.clone(),
        plaintext,
    )));
    services.spawn(ignore(pop3(pop3s, maildrop, implicit.clone(), plaintext)));
    services.spawn(ignore(imap(
        imap_plain,
        backend.clone(),
        upgrade,
        plaintext,
    )));
    services.spawn(ignore(imap(imaps, backend, implicit, plaintext)));
    Ok(Running {
        engine,
        services,
        listeners,
        data,
        generated_certificate: identity.generated,
        demo,
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let running = start(&args).await?;
    println!(
        "missive full_server: domain localhost, data in {}",
        running.data.display()
    );
    for (what, addr) in &running.listeners {
        println!("  {what:<12} {addr}");
    }
    println!(
        "  certificate  {}",
        if running.generated_certificate {
            "self-signed, generated now"
        } else {
            "loaded"
        }
    );
    if !running.demo.is_empty() {
        println!(
            "demo users (login, password, address; also in {}):",
            running.data.join("demo-passwords").display()
        );
        for line in running.demo.lines() {
            println!("  {line}");
        }
    }
    println!("Ctrl-C to stop.");

    tokio::signal::ctrl_c().await?;
    println!("stopping: no new connections, deliveries in progress finish");
    running.shutdown().await;
    println!("stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(data: &Path, config: Option<&Path>) -> Args {
        Args {
            config: config.map(Path::to_path_buf),
            data: data.to_path_buf(),
            listen: IpAddr::from([127, 0, 0, 1]),
            port_offset: 0,
            ephemeral_ports: true,
            no_loopback_plaintext: false,
        }
    }

    fn addr(running: &Running, what: &str) -> SocketAddr {
        running
            .listeners
            .iter()
            .find(|(w, _)| *w == what)
            .map(|(_, a)| *a)
            .unwrap()
    }

    /// Python's smtplib, poplib and imaplib, clients we did not write.
    const CLIENTS: &str = r#"
import imaplib, poplib, smtplib, ssl, sys, time
smtp, pop3, pop3s, imap, imaps, user, pw, rcpt = sys.argv[1:9]
port = lambda a: int(a.rsplit(":", 1)[1])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", port(smtp), timeout=10)
s.ehlo()
if s.has_extn("starttls"):
    s.starttls(context=ctx)
    print("smtp starttls")
s.sendmail("bob@localhost", [rcpt], "Subject: tour\r\n\r\nhello " + user + "\r\n")
s.quit()
for _ in range(100):
    p = poplib.POP3_SSL("127.0.0.1", port(pop3s), context=ctx, timeout=10)
    p.user(user); p.pass_(pw)
    count = p.stat()[0]
    p.quit()
    if count:
        break
    time.sleep(0.1)
print("pop3s", count)
p = poplib.POP3("127.0.0.1", port(pop3), timeout=10)
p.stls(ctx); p.user(user); p.pass_(pw)
print("pop3 stls", p.stat()[0]); p.quit()
m = imaplib.IMAP4_SSL("127.0.0.1", port(imaps), ssl_context=ctx, timeout=10)
m.login(user, pw); m.select("INBOX")
print("imaps", m.fetch("1", "(BODY[TEXT])")[1][0][1].decode().strip())
m.logout()
m = imaplib.IMAP4("127.0.0.1", port(imap), timeout=10)
try:
    m.login(user, pw + "x")
except imaplib.IMAP4.error as e:
    print("bad password refused")
m.login(user, pw); print("imap loopback login ok"); m.logout()
m = imaplib.IMAP4("127.0.0.1", port(imap), timeout=10)
m.starttls(ssl_context=ctx); m.login(user, pw)
print("imap starttls", m.select("INBOX")[0], "STARTTLS" in m.capabilities); m.logout()
"#;

    fn python_available() -> bool {
        let found = std::process::Command::new("python3")
            .arg("--version")
            .output()
            .is_ok();
        if !found {
            assert!(std::env::var("CI").is_err(), "python3 is required under CI");
            eprintln!("skipping: python3 not found");
        }
        found
    }

    async fn clients(running: &Running, user: &str, pw: &str, rcpt: &str) -> String {
        let a = |w| addr(running, w).to_string();
        let out = tokio::process::Command::new("python3")
            .args(["-c", CLIENTS])
            .args([
                a("SMTP"),
                a("POP3 (STLS)"),
                a("POP3S"),
                a("IMAP"),
                a("IMAPS"),
            ])
            .args([user, pw, rcpt])
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn zero_configuration_demo_users_over_every_listener() {
        if !python_available() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let running = start(&args(dir.path(), None)).await.unwrap();
        assert!(running.generated_certificate);
        let names: Vec<_> = running.listeners.iter().map(|(w, _)| *w).collect();
        assert_eq!(
            names,
            [
                "SMTP",
                "submission",
                "SMTPS",
                "POP3 (STLS)",
                "POP3S",
                "IMAP",
                "IMAPS"
            ]
        );
        let demo = running.demo.clone();
        let mut lines = demo.lines().map(|l| l.split(' ').collect::<Vec<_>>());
        let alice = lines.next().unwrap();
        let bob = lines.next().unwrap();
        assert_eq!((alice[0], alice[2]), ("alice", "alice@localhost"));
        assert_eq!(bob[0], "bob");
        assert_eq!(alice[1].len(), 16);

        let out = clients(&running, "alice", alice[1], "alice@localhost").await;
        assert!(out.contains("smtp starttls"), "{out}");
        assert!(out.contains("pop3s 1"), "{out}");
        assert!(out.contains("pop3 stls 1"), "{out}");
        assert!(out.contains("imaps hello alice"), "{out}");
        assert!(out.contains("bad password refused"), "{out}");
        assert!(out.contains("imap loopback login ok"), "{out}");
        assert!(out.contains("imap starttls OK False"), "{out}");
        running.shutdown().await;

        // A second start reuses the users and the certificate.
        let again = start(&args(dir.path(), None)).await.unwrap();
        assert!(!again.generated_certificate);
        assert_eq!(again.demo, demo);
        again.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn config_dir_with_aliases_dovecot_conf_and_sha512_crypt() {
        if !python_available() {
            return;
        }
        let data = tempfile::tempdir().unwrap();
        let etc = tempfile::tempdir().unwrap();
        let d = etc.path().display();
        std::fs::write(
            etc.path().join("main.cf"),
            format!(
                "myhostname = mx.example.test\nmydestination = $myhostname, example.test\n\
                 alias_maps = hash:{d}/aliases\n"
            ),
        )
        .unwrap();
        std::fs::write(
            etc.path().join("aliases"),
            "info: carol\npostmaster: carol\n",
        )
        .unwrap();
        // doveadm pw -s SHA512-CRYPT -p 'correct horse' (Dovecot 2.3.19.1).
        std::fs::write(
            etc.path().join("users"),
            "carol:$6$JD4vLdZWt85LFAcP$dP8.Fj3sf8PA3vSvZUUxXSK9v9TMm63P3Yb7mzEAhrqbeuDBhggAJD9ZSAtp6l0qGtO6y9hQCd35qBj9DQTEc.\n",
        )
        .unwrap();
        std::fs::write(
            etc.path().join("dovecot.conf"),
            format!(
                "mail_location = maildir:{}/vmail/%u\n\
                 passdb {{\n  driver = passwd-file\n  args = scheme=SHA512-CRYPT {d}/users\n}}\n",
                data.path().display()
            ),
        )
        .unwrap();
        let running = start(&args(data.path(), Some(etc.path()))).await.unwrap();
        assert!(running.demo.is_empty(), "no demo users with --config");
        let out = clients(&running, "carol", "correct horse", "info@example.test").await;
        assert!(out.contains("pop3s 1"), "{out}");
        assert!(out.contains("imaps hello carol"), "{out}");
        assert!(data.path().join("vmail/carol").is_dir());
        running.shutdown().await;
    }

    /// Submission (STARTTLS, then AUTH) and SMTPS with smtplib; the
    /// recipient reads both over IMAPS. argv: submission, SMTPS and IMAPS
    /// addresses, sender and password, recipient user, password, address.
    const SUBMIT: &str = r#"
import imaplib, smtplib, ssl, sys, time
sub, smtps, imaps, user, pw, ruser, rpw, rcpt = sys.argv[1:9]
port = lambda a: int(a.rsplit(":", 1)[1])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", port(sub), timeout=10)
s.ehlo()
code, text = s.mail(user + "@localhost")
print("submission before auth:", code, text.decode())
s.rset()
s.starttls(context=ctx)
s.ehlo()
s.login(user, pw)
s.sendmail(user + "@localhost", [rcpt], "Subject: one\r\n\r\nvia submission\r\n")
s.quit()
s = smtplib.SMTP_SSL("127.0.0.1", port(smtps), context=ctx, timeout=10)
s.login(user, pw)
s.sendmail(user + "@localhost", [rcpt], "Subject: two\r\n\r\nvia smtps\r\n")
s.quit()
for _ in range(200):
    m = imaplib.IMAP4_SSL("127.0.0.1", port(imaps), ssl_context=ctx, timeout=10)
    m.login(ruser, rpw)
    count = int(m.select("INBOX")[1][0])
    if count >= 2:
        break
    m.logout()
    time.sleep(0.05)
for i in (1, 2):
    text = m.fetch(str(i), "(BODY.PEEK[])")[1][0][1].decode()
    print("message", i, "ESMTPSA" if " with ESMTPSA id " in text else "no ESMTPSA", text.split("\r\n\r\n", 1)[1].strip())
m.logout()
"#;

    async fn submit(running: &Running, from: (&str, &str), to: (&str, &str, &str)) -> String {
        let a = |w| addr(running, w).to_string();
        let out = tokio::process::Command::new("python3")
            .args(["-c", SUBMIT])
            .args([a("submission"), a("SMTPS"), a("IMAPS")])
            .args([from.0, from.1, to.0, to.1, to.2])
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

    fn demo_password(running: &Running, user: &str) -> String {
        running
            .demo
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{user} ")))
            .and_then(|rest| rest.split(' ').next())
            .unwrap()
            .to_owned()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn submission_and_smtps_between_the_demo_users() {
        if !python_available() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let running = start(&args(dir.path(), None)).await.unwrap();
        let passwd = std::fs::read_to_string(running.data.join("passwd")).unwrap();
        let home = running.data.join("mail/bob");
        assert!(
            passwd.contains(&format!(":::{}::", home.display())),
            "{passwd}"
        );
        let (alice, bob) = (
            demo_password(&running, "alice"),
            demo_password(&running, "bob"),
        );
        let out = submit(&running, ("alice", &alice), ("bob", &bob, "bob@localhost")).await;
        assert!(
            out.contains("submission before auth: 530 5.7.0 Authentication required"),
            "{out}"
        );
        assert!(out.contains("message 1 ESMTPSA via submission"), "{out}");
        assert!(out.contains("message 2 ESMTPSA via smtps"), "{out}");
        assert!(home.join("Maildir/cur").is_dir());
        running.shutdown().await;
    }

    /// DIR/passwd-file with home directories and mail_location `~/Maildir`:
    /// delivery, SMTP AUTH and IMAP all use the homes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn config_dir_passwd_file_homes_hold_the_mail() {
        if !python_available() {
            return;
        }
        let data = tempfile::tempdir().unwrap();
        let etc = tempfile::tempdir().unwrap();
        let homes = tempfile::tempdir().unwrap();
        let h = homes.path().display();
        std::fs::write(
            etc.path().join("main.cf"),
            "myhostname = mx.example.test\nmydestination = $myhostname, localhost, example.test\nalias_maps =\n",
        )
        .unwrap();
        std::fs::write(
            etc.path().join("passwd-file"),
            format!(
                "dave:{{PLAIN}}dave-pw:1000:1000::{h}/dave::\nerin:{{PLAIN}}erin-pw:1001:1001::{h}/erin::\n"
            ),
        )
        .unwrap();
        std::fs::write(
            etc.path().join("dovecot.conf"),
            "mail_location = maildir:~/Maildir\nauth_failure_delay = 100 msecs\n",
        )
        .unwrap();
        let running = start(&args(data.path(), Some(etc.path()))).await.unwrap();
        let out = submit(
            &running,
            ("dave", "dave-pw"),
            ("erin", "erin-pw", "erin@example.test"),
        )
        .await;
        assert!(out.contains("message 2 ESMTPSA via smtps"), "{out}");
        let cur = homes.path().join("erin/Maildir/cur");
        assert_eq!(std::fs::read_dir(&cur).unwrap().count(), 2);
        running.shutdown().await;
    }
}
