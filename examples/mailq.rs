//! Lists the mail queue like Postfix's `mailq` (`postqueue -p`): queue id,
//! size, arrival time, sender, and each recipient still to deliver with
//! the reason of its last failed attempt.
//!
//! ```text
//! cargo run --example mailq                              # ./missive-data/queue
//! cargo run --example mailq -- --data /srv/missive-data
//! cargo run --example mailq -- --queue-directory /var/spool/missive
//! ```
//!
//! ```text
//! -Queue ID-       --Size-- ----Arrival Time---- -Sender/Recipient-------
//! 18B2F3A4C5D60001      466 Wed Nov 25 16:51:57  bob@localhost
//! (connect to [127.0.0.1]:9: Connection refused)
//!                                                carol@example.net
//!
//! -- 1 Kbytes in 1 Request.
//! ```
//!
//! It reads the queue directory with `mta_core::queue::snapshot`, which
//! writes nothing, so it runs safely beside the engine that owns the
//! queue. Times are in UTC. `*` after the id (a delivery attempt running)
//! is not shown: attempts run inside the engine's process.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mta_core::queue::snapshot;

#[path = "support/date.rs"]
mod date;
#[path = "support/listing.rs"]
mod listing;
use listing::render;

#[derive(Parser, Debug)]
#[command(about = "List the mail queue (as Postfix's mailq)")]
struct Args {
    /// full_server's data directory; the queue is DIR/queue.
    #[arg(long, default_value = "./missive-data")]
    data: PathBuf,
    /// The queue directory itself (instead of --data DIR/queue).
    #[arg(long)]
    queue_directory: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let dir = args
        .queue_directory
        .unwrap_or_else(|| args.data.join("queue"));
    match snapshot(&dir) {
        Ok(entries) => {
            print!("{}", render(&entries));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mailq: {}: {e}", dir.display());
            // EX_TEMPFAIL, as postqueue when the queue cannot be read.
            ExitCode::from(75)
        }
    }
}
