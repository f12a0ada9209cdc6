//! Sends a file as one message to an SMTP (or LMTP) server and prints what
//! happened to each recipient.
//!
//! ```text
//! cargo run --example smtp_send -- --server 127.0.0.1:10025 \
//!     --from me@example.org --to you@example.org message.eml
//! ```

use std::process::ExitCode;

use bytes::Bytes;
use clap::Parser;
use smtp_proto::client::{Config, Envelope};
use smtp_proto::server::Mode;
use smtp_proto::{ForwardPath, Host, Mailbox, ReversePath};

#[derive(Parser, Debug)]
#[command(about = "Send a file as a message over SMTP or LMTP")]
struct Args {
    /// Server address (host:port).
    #[arg(long, default_value = "127.0.0.1:10025")]
    server: String,
    /// The reverse-path; empty for the null sender `<>`.
    #[arg(long)]
    from: String,
    /// A recipient; repeat for more.
    #[arg(long, required = true)]
    to: Vec<String>,
    /// The name to greet with.
    #[arg(long, default_value = "localhost")]
    helo: String,
    /// Speak LMTP.
    #[arg(long)]
    lmtp: bool,
    /// The message (RFC 5322 headers and body).
    file: std::path::PathBuf,
}

fn mailbox(s: &str) -> Result<Mailbox, String> {
    let s = s.trim().trim_start_matches('<').trim_end_matches('>');
    Mailbox::parse(s).map_err(|e| format!("{s:?}: {e}"))
}

async fn run(args: Args) -> Result<bool, Box<dyn std::error::Error>> {
    let message = Bytes::from(std::fs::read(&args.file)?);
    let from = args.from.trim();
    let reverse_path = if from.is_empty() || from == "<>" {
        ReversePath::Null
    } else {
        ReversePath::Mailbox(mailbox(from)?)
    };
    let mut recipients = Vec::new();
    for to in &args.to {
        recipients.push((ForwardPath::Mailbox(mailbox(to)?), Default::default()));
    }
    let envelope = Envelope {
        reverse_path,
        parameters: Default::default(),
        recipients,
    };
    let mut config = Config::new(Host::parse(&args.helo)?);
    if args.lmtp {
        config.mode = Mode::Lmtp;
    }
    let socket = tokio::net::TcpStream::connect(&args.server).await?;
    let outcome = smtp_proto::tokio::send_message(socket, config, envelope, message, None).await?;
    let mut all_ok = true;
    for r in &outcome.recipients {
        all_ok &= r.is_delivered();
        println!("{}: {}", r.forward_path, r.reply);
    }
    Ok(all_ok)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("smtp_send: {e}");
            ExitCode::from(2)
        }
    }
}
