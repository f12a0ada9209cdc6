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

#[derive(Parser)]
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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let users = PasswdFile::load(&args.passwd)?;
    for entry in users.unsupported() {
        eprintln!("pop3_server: user {} has a password scheme this server cannot verify", entry.user);
    }
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    // Printed so that scripts starting the server on port 0 learn the port.
    println!("pop3_server listening on {}", listener.local_addr()?);
    let maildrop = MaildirMaildrop::new(users, &args.mail_location);
    run(listener, maildrop).await?;
    Ok(())
}
