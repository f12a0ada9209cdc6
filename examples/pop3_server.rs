//! A POP3 server over users' Maildirs, with users from a Dovecot-style
//! passwd-file.
//!
//! ```text
//! cargo run --example pop3_server -- \
//!     --listen 127.0.0.1:10110 \
//!     --passwd ./passwd \
//!     --mail-location 'maildir:./mail/%u/Maildir'
//! ```
//!
//! The passwd-file has one `user:{PLAIN}secret` line per user. `%u` in the
//! mail location is the user name, `~` the home directory from the
//! passwd-file. Plaintext passwords (USER/PASS, SASL PLAIN and LOGIN) are
//! accepted from loopback clients only; APOP works from anywhere. The
//! server has no TLS of its own, so bind it to loopback or put it behind a
//! TLS terminator.

use clap::Parser;
use mta_core::passwd::PasswdFile;
use mta_core::pop3::{MaildirMaildrop, run};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(about = "POP3 server over Maildirs (RFC 1939)")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:10110")]
    listen: String,
    /// Dovecot-style passwd-file (`user:{PLAIN}secret`).
    #[arg(long)]
    passwd: PathBuf,
    /// Where each user's maildrop is, e.g. `maildir:/var/mail/%u/Maildir`.
    #[arg(long)]
    mail_location: String,
}

/// Loads the users and binds the listener: everything that can fail
/// before the server runs.
async fn start(
    args: &Args,
) -> Result<(tokio::net::TcpListener, MaildirMaildrop), Box<dyn std::error::Error>> {
    let users = PasswdFile::load(&args.passwd)?;
    for entry in users.unsupported() {
        eprintln!(
            "pop3_server: user {} has a password scheme this server cannot verify",
            entry.user
        );
    }
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    Ok((listener, MaildirMaildrop::new(users, &args.mail_location)))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (listener, maildrop) = start(&args).await?;
    // Printed so that scripts starting the server on port 0 learn the port.
    println!("pop3_server listening on {}", listener.local_addr()?);
    run(listener, maildrop).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(argv: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("pop3_server").chain(argv.iter().copied()))
    }

    #[test]
    fn usage_errors() {
        assert!(args(&[]).is_err());
        assert!(args(&["--passwd", "p"]).is_err());
        assert!(args(&["--passwd", "p", "--mail-location", "maildir:/m/%u"]).is_ok());
    }

    /// The example as a user runs it, against Python's poplib.
    #[tokio::test]
    async fn serves_a_maildir_to_poplib() {
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
        let store = maildir::Store::open(&location, "alice", None).unwrap();
        store
            .deliver("INBOX", b"Subject: hello\r\n\r\nbody\r\n")
            .unwrap();
        let a = args(&[
            "--listen",
            "127.0.0.1:0",
            "--passwd",
            passwd.to_str().unwrap(),
            "--mail-location",
            &location,
        ])
        .unwrap();
        let (listener, maildrop) = start(&a).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(run(listener, maildrop));
        let script = r#"
import poplib, sys
p = poplib.POP3('127.0.0.1', int(sys.argv[1]), timeout=20)
p.user('alice')
p.pass_('secret')
assert p.stat()[0] == 1
assert p.retr(1)[1] == [b'Subject: hello', b'', b'body']
p.dele(1)
p.quit()
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
        let inbox = store.open_folder("INBOX").unwrap();
        assert!(
            inbox.messages().is_empty(),
            "DELE + QUIT removed the message"
        );
    }
}
