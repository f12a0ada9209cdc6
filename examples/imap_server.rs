//! An IMAP server over users' Maildirs, with users from a Dovecot-style
//! passwd-file.
//!
//! ```text
//! cargo run --example imap_server -- \
//!     --listen 127.0.0.1:10143 \
//!     --passwd ./passwd \
//!     --mail-location 'maildir:./mail/%u/Maildir'
//! ```
//!
//! The passwd-file has one `user:{PLAIN}secret` line per user. `%u` in the
//! mail location is the user name, `~` the home directory from the
//! passwd-file. Plaintext passwords (LOGIN, AUTHENTICATE PLAIN) are
//! accepted from loopback clients, and from others once they have
//! upgraded with STARTTLS; before that they see `LOGINDISABLED`.
//!
//! STARTTLS (RFC 3501 section 6.2.1) is offered with `--cert FILE --key
//! FILE` (PEM), or with `--self-signed`, a certificate for `localhost`
//! generated at start and kept in memory (for tests). Without either the
//! server has no TLS, so bind it to loopback or put it behind a TLS
//! terminator.

use clap::Parser;
use mta_core::imap::{MaildirBackend, run, run_with_starttls};
use mta_core::passwd::PasswdFile;
use mta_core::tls::{Acceptor, Identity};
use std::path::PathBuf;

#[derive(Parser)]
#[command(about = "IMAP server over Maildirs (RFC 3501)")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:10143")]
    listen: String,
    /// Dovecot-style passwd-file (`user:{PLAIN}secret`).
    #[arg(long)]
    passwd: PathBuf,
    /// Where each user's mailboxes are, e.g. `maildir:/var/mail/%u/Maildir`.
    #[arg(long)]
    mail_location: String,
    /// PEM certificate chain for STARTTLS (with `--key`).
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// PEM private key for STARTTLS (with `--cert`).
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// Offer STARTTLS with a self-signed certificate for `localhost`
    /// made at start.
    #[arg(long, conflicts_with = "cert")]
    self_signed: bool,
}

/// The TLS acceptor the arguments ask for, if any.
fn acceptor(args: &Args) -> Result<Option<Acceptor>, Box<dyn std::error::Error>> {
    let identity = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => Identity::from_pem_files(cert, key)?,
        _ if args.self_signed => Identity::self_signed(&["localhost".to_string()])?.0,
        _ => return Ok(None),
    };
    Ok(Some(Acceptor::new(&identity)?))
}

/// What the server runs with.
struct Server {
    listener: tokio::net::TcpListener,
    backend: MaildirBackend,
    tls: Option<Acceptor>,
}

/// Loads the users and the certificate and binds the listener:
/// everything that can fail before the server runs.
async fn start(args: &Args) -> Result<Server, Box<dyn std::error::Error>> {
    let users = PasswdFile::load(&args.passwd)?;
    for entry in users.unsupported() {
        eprintln!(
            "imap_server: user {} has a password scheme this server cannot verify",
            entry.user
        );
    }
    let tls = acceptor(args)?;
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    let backend = MaildirBackend::new(users, &args.mail_location);
    Ok(Server {
        listener,
        backend,
        tls,
    })
}

async fn serve(server: Server) -> std::io::Result<()> {
    match server.tls {
        Some(tls) => run_with_starttls(server.listener, server.backend, tls).await,
        None => run(server.listener, server.backend).await,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let server = start(&args).await?;
    // Printed so that scripts starting the server on port 0 learn the port.
    println!("imap_server listening on {}", server.listener.local_addr()?);
    serve(server).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(argv: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("imap_server").chain(argv.iter().copied()))
    }

    #[test]
    fn usage_errors() {
        let base = ["--passwd", "p", "--mail-location", "maildir:/m/%u"];
        assert!(args(&[]).is_err());
        assert!(args(&["--passwd", "p"]).is_err());
        assert!(args(&base).is_ok());
        assert!(args(&[&base[..], &["--cert", "c"]].concat()).is_err());
        assert!(args(&[&base[..], &["--cert", "c", "--key", "k"]].concat()).is_ok());
        assert!(
            args(&[&base[..], &["--self-signed", "--cert", "c", "--key", "k"]].concat()).is_err()
        );
    }

    /// The example as a user runs it, against Python's imaplib: STARTTLS,
    /// then a streamed APPEND of a 3 MiB message that comes back whole.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn imaplib_starttls_and_a_big_append() {
        if std::process::Command::new("python3")
            .arg("--version")
            .output()
            .is_err()
        {
            assert!(std::env::var("CI").is_err(), "python3 is required under CI");
            eprintln!("skipping: python3 not found");
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let passwd = tmp.path().join("passwd");
        std::fs::write(&passwd, "alice:{PLAIN}secret\n").unwrap();
        let location = format!("maildir:{}/%u/Maildir", tmp.path().display());
        let a = args(&[
            "--listen",
            "127.0.0.1:0",
            "--passwd",
            passwd.to_str().unwrap(),
            "--mail-location",
            &location,
            "--self-signed",
        ])
        .unwrap();
        let server = start(&a).await.unwrap();
        let port = server.listener.local_addr().unwrap().port();
        tokio::spawn(serve(server));
        let script = r#"
import imaplib, ssl, sys
M = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]), timeout=20)
assert 'STARTTLS' in M.capabilities, M.capabilities
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
M.starttls(ssl_context=ctx)
assert 'STARTTLS' not in M.capabilities, M.capabilities
M.login('alice', 'secret')
msg = b'Subject: big\r\n\r\n' + b''.join(b'%07d ' % i + b'x' * 70 + b'\r\n' for i in range(40000))
typ, data = M.append('INBOX', None, None, msg)
assert typ == 'OK' and b'APPENDUID' in data[0], (typ, data)
M.select('INBOX')
typ, data = M.fetch('1', '(BODY.PEEK[])')
assert data[0][1] == msg, len(data[0][1])
M.logout()
"#;
        let out = tokio::process::Command::new("python3")
            .args(["-c", script, &port.to_string()])
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
