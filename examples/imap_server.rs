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
//! accepted from loopback clients only; others see `LOGINDISABLED`. The
//! server has no TLS of its own, so bind it to loopback or put it behind a
//! TLS terminator.

use clap::Parser;
use mta_core::imap::{MaildirBackend, run};
use mta_core::passwd::PasswdFile;
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
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let users = PasswdFile::load(&args.passwd)?;
    for entry in users.unsupported() {
        eprintln!(
            "imap_server: user {} has a password scheme this server cannot verify",
            entry.user
        );
    }
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    // Printed so that scripts starting the server on port 0 learn the port.
    println!("imap_server listening on {}", listener.local_addr()?);
    let backend = MaildirBackend::new(users, &args.mail_location);
    run(listener, backend).await?;
    Ok(())
}
