//! An SMTP sink, like Postfix's smtp-sink: accepts every message and prints
//! counts. With `--dir DIR` each message is written to its own file in DIR,
//! completely and fsynced, before the 250 goes out.
//!
//! ```text
//! cargo run --example smtp_sink                      # 127.0.0.1:10025, discard
//! cargo run --example smtp_sink -- --dir ./mail      # keep every message
//! cargo run --example smtp_sink -- --listen 127.0.0.1:2525 --lmtp
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use clap::Parser;
use smtp_proto::server::{self, AbortReason, Mode};
use smtp_proto::tokio::{DataMode, Handler, Options, async_trait, serve};
use smtp_proto::{ForwardPath, MailParameters, RcptParameters, Reply, ReversePath};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

#[derive(Parser, Debug)]
#[command(about = "Accept every SMTP message and count it (like Postfix's smtp-sink)")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:10025")]
    listen: SocketAddr,
    /// Write each message to its own file in this directory.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Speak LMTP instead of SMTP.
    #[arg(long)]
    lmtp: bool,
    /// The name in the greeting.
    #[arg(long, default_value = "localhost")]
    hostname: String,
}

/// Counters shared by all connections.
#[derive(Default)]
struct Counts {
    connections: AtomicU64,
    messages: AtomicU64,
    recipients: AtomicU64,
    octets: AtomicU64,
}

/// One connection's state: the message being received.
struct Sink {
    counts: Arc<Counts>,
    dir: Option<PathBuf>,
    recipients: u64,
    octets: u64,
    /// The temporary file being written, in `--dir` mode.
    file: Option<(tokio::fs::File, PathBuf)>,
}

impl Sink {
    async fn discard_file(&mut self) {
        if let Some((_, path)) = self.file.take() {
            let _ = tokio::fs::remove_file(path).await;
        }
    }
}

fn temporary_failure(what: &str, e: &std::io::Error) -> Reply {
    Reply::new(451, Some((4, 3, 0)), &format!("Error: {what}: {e}")).unwrap_or_else(|_| {
        Reply::new(451, Some((4, 3, 0)), "Error: local problem").expect("constant reply")
    })
}

#[async_trait]
impl Handler for Sink {
    async fn mail(&mut self, _: &ReversePath, _: &MailParameters) -> Result<(), Reply> {
        self.recipients = 0;
        self.octets = 0;
        Ok(())
    }

    async fn rcpt(&mut self, _: &ForwardPath, _: &RcptParameters) -> Result<(), Reply> {
        self.recipients += 1;
        Ok(())
    }

    async fn data_start(&mut self) -> Result<DataMode, Reply> {
        if let Some(dir) = &self.dir {
            // A unique name: process id, a per-process counter, and time.
            static SEQ: AtomicU64 = AtomicU64::new(0);
            let n = SEQ.fetch_add(1, Ordering::Relaxed);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let path = dir.join(format!(".tmp.{nanos}.{}.{n}", std::process::id()));
            let file = tokio::fs::File::create(&path)
                .await
                .map_err(|e| temporary_failure("cannot create message file", &e))?;
            self.file = Some((file, path));
        }
        Ok(DataMode::Stream)
    }

    async fn data_chunk(&mut self, chunk: Bytes) -> Result<(), Reply> {
        self.octets += chunk.len() as u64;
        if let Some((file, _)) = &mut self.file {
            file.write_all(&chunk)
                .await
                .map_err(|e| temporary_failure("cannot write message file", &e))?;
        }
        Ok(())
    }

    async fn data_end(&mut self, _: Option<Bytes>) -> Result<(), Reply> {
        if let Some((mut file, tmp)) = self.file.take() {
            // Durable before the 250: data fsynced, renamed into place, and
            // the directory entry fsynced too.
            let done = async {
                file.flush().await?;
                file.sync_all().await?;
                drop(file);
                let name = tmp
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_prefix(".tmp."))
                    .map(|n| format!("{n}.eml"))
                    .unwrap_or_else(|| "message.eml".into());
                let dir = tmp.parent().map(Path::to_path_buf).unwrap_or_default();
                tokio::fs::rename(&tmp, dir.join(name)).await?;
                tokio::task::spawn_blocking(move || std::fs::File::open(&dir)?.sync_all())
                    .await
                    .map_err(std::io::Error::other)?
            };
            if let Err(e) = done.await {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(temporary_failure("cannot store message", &e));
            }
        }
        let c = &self.counts;
        let messages = c.messages.fetch_add(1, Ordering::Relaxed) + 1;
        let recipients =
            c.recipients.fetch_add(self.recipients, Ordering::Relaxed) + self.recipients;
        let octets = c.octets.fetch_add(self.octets, Ordering::Relaxed) + self.octets;
        println!(
            "messages={messages} recipients={recipients} octets={octets} connections={}",
            c.connections.load(Ordering::Relaxed)
        );
        Ok(())
    }

    async fn data_abort(&mut self, reason: AbortReason) {
        eprintln!("message refused while arriving: {reason:?}");
        self.discard_file().await;
    }

    async fn reset(&mut self) {
        self.discard_file().await;
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir)?;
    }
    let listener = TcpListener::bind(args.listen).await?;
    println!("smtp_sink listening on {}", listener.local_addr()?);
    let counts = Arc::new(Counts::default());
    let mut config = server::Config::new(&args.hostname);
    if args.lmtp {
        config.mode = Mode::Lmtp;
    }
    loop {
        let (socket, peer) = listener.accept().await?;
        counts.connections.fetch_add(1, Ordering::Relaxed);
        let mut sink = Sink {
            counts: counts.clone(),
            dir: args.dir.clone(),
            recipients: 0,
            octets: 0,
            file: None,
        };
        let config = config.clone();
        tokio::spawn(async move {
            if let Err(e) = serve(socket, config, &mut sink, Options::default()).await {
                eprintln!("{peer}: {e}");
            }
            sink.discard_file().await;
        });
    }
}
