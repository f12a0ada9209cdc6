//! A small engine process for tests that need a real process to kill: the
//! queue crash test starts it, sends mail, kills it with SIGKILL, and
//! starts it again on the same directories.
//!
//! ```text
//! mta-test-engine QUEUE_DIR MAIL_DIR [USER...]
//! ```
//!
//! Serves SMTP on 127.0.0.1 (a free port, printed as `listening ADDR` on
//! standard output) for the local domain example.com, delivers to
//! `MAIL_DIR/<user>/Maildir`, and shuts down gracefully when standard input
//! closes.

use std::io::{BufRead, Write};

use mta_core::config::{Environment, MainCf, MainConfig};
use mta_core::engine::Engine;
use mta_core::router::StaticUsers;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [queue, mail, users @ ..] = args.as_slice() else {
        eprintln!("usage: mta-test-engine QUEUE_DIR MAIL_DIR [USER...]");
        std::process::exit(64);
    };
    let cf = MainCf::parse_str(
        "myhostname = mx.example.com\nmydestination = example.com\nalias_maps =\n",
        "main.cf",
    )?;
    let config = MainConfig::from_cf(&cf, &Environment::loopback("mx.example.com"))?.config;
    let users = if users.is_empty() {
        StaticUsers::new(["alice"])
    } else {
        StaticUsers::new(users)
    };
    let engine = Engine::builder(config)
        .queue_directory(queue)
        .mail_location(format!("maildir:{mail}/%u/Maildir"))
        .users(users)
        .listen("127.0.0.1:0".parse()?)
        .start()
        .await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening {}", engine.smtp_addrs()[0])?;
        out.flush()?;
    }
    // Until standard input closes.
    tokio::task::spawn_blocking(|| {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            if line.is_err() {
                break;
            }
        }
    })
    .await?;
    engine.shutdown().await;
    Ok(())
}
