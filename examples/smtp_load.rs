//! SMTP load generator, like Postfix's smtp-source: N concurrent sessions
//! send M messages in all, each of about S octets, to any SMTP server, and
//! the rate and latency percentiles are printed.
//!
//! As smtp-source does by default, every message goes over its own
//! connection (connect, EHLO, MAIL, RCPT, DATA, QUIT); a message's latency
//! is measured from the connect to the reply to QUIT, so it includes the
//! server's fsync before its 250.
//!
//! ```text
//! cargo run --release --example smtp_sink -- --listen 127.0.0.1:10025 >/dev/null &
//! cargo run --release --example smtp_load -- --sessions 20 --messages 10000 --size 4096 \
//!     --from load@localhost --to alice@localhost --server 127.0.0.1:10025
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use smtp_proto::client::{Config, Envelope};
use smtp_proto::{ForwardPath, Host, Mailbox, ReversePath};

#[derive(Parser, Debug, Clone)]
#[command(about = "Send many messages over concurrent SMTP sessions and report the rate")]
struct Args {
    /// Sessions in parallel (smtp-source -s).
    #[arg(long, default_value_t = 10)]
    sessions: usize,
    /// Messages in all (smtp-source -m).
    #[arg(long, default_value_t = 1000)]
    messages: u64,
    /// Approximate size of each message in octets, headers included
    /// (smtp-source -l).
    #[arg(long, default_value_t = 1024)]
    size: usize,
    /// The reverse-path (smtp-source -f).
    #[arg(long, default_value = "load@localhost")]
    from: String,
    /// The forward-path (smtp-source -t).
    #[arg(long, default_value = "alice@localhost")]
    to: String,
    /// Server address.
    #[arg(long, default_value = "127.0.0.1:10025")]
    server: SocketAddr,
    /// The name to greet with.
    #[arg(long, default_value = "localhost")]
    helo: String,
}

/// What a run measured.
#[derive(Debug)]
struct Report {
    delivered: u64,
    failed: u64,
    elapsed: Duration,
    /// Latency of each delivered message, sorted.
    latencies: Vec<Duration>,
    /// The first few failures, for the operator.
    errors: Vec<String>,
}

impl Report {
    fn rate(&self) -> f64 {
        self.delivered as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `p`-th percentile (nearest rank), zero when nothing was sent.
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        let index = rank.clamp(1, self.latencies.len()) - 1;
        self.latencies.get(index).copied().unwrap_or_default()
    }
}

/// A message of about `size` octets: a few headers, then 76-character
/// lines of text.
fn build_message(from: &str, to: &str, size: usize) -> Bytes {
    let mut m = format!(
        "From: <{from}>\r\nTo: <{to}>\r\nSubject: smtp_load test message\r\n\
         Message-ID: <load.{}@localhost>\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n\r\n",
        std::process::id()
    )
    .into_bytes();
    let line = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmn\r\n";
    while m.len() + line.len() <= size {
        m.extend_from_slice(line);
    }
    let rest = size.saturating_sub(m.len() + 2);
    if rest > 0 {
        m.extend_from_slice(&line[..rest.min(line.len() - 2)]);
        m.extend_from_slice(b"\r\n");
    }
    Bytes::from(m)
}

fn mailbox(s: &str) -> Result<Mailbox, String> {
    let s = s.trim().trim_start_matches('<').trim_end_matches('>');
    Mailbox::parse(s).map_err(|e| format!("{s:?}: {e}"))
}

async fn run(args: &Args) -> Result<Report, String> {
    let envelope = Envelope {
        reverse_path: ReversePath::Mailbox(mailbox(&args.from)?),
        parameters: Default::default(),
        recipients: vec![(ForwardPath::Mailbox(mailbox(&args.to)?), Default::default())],
    };
    let config = Config::new(Host::parse(&args.helo).map_err(|e| e.to_string())?);
    let message = build_message(&args.from, &args.to, args.size);
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.sessions.max(1) {
        let (next, envelope, config, message) = (
            next.clone(),
            envelope.clone(),
            config.clone(),
            message.clone(),
        );
        let (server, total) = (args.server, args.messages);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failed = 0u64;
            let mut errors = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let t = Instant::now();
                let result = async {
                    let socket = tokio::net::TcpStream::connect(server)
                        .await
                        .map_err(|e| format!("connect {server}: {e}"))?;
                    let _ = socket.set_nodelay(true);
                    smtp_proto::tokio::send_message(
                        socket,
                        config.clone(),
                        envelope.clone(),
                        message.clone(),
                        None,
                    )
                    .await
                    .map_err(|e| e.to_string())
                }
                .await;
                match result {
                    Ok(outcome) if outcome.recipients.iter().all(|r| r.is_delivered()) => {
                        latencies.push(t.elapsed());
                    }
                    Ok(outcome) => {
                        failed += 1;
                        if errors.len() < 5 {
                            errors.extend(outcome.recipients.iter().map(|r| r.reply.to_string()));
                        }
                    }
                    Err(e) => {
                        failed += 1;
                        if errors.len() < 5 {
                            errors.push(e);
                        }
                    }
                }
            }
            (latencies, failed, errors)
        }));
    }
    let mut report = Report {
        delivered: 0,
        failed: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        errors: Vec::new(),
    };
    for task in tasks {
        let (latencies, failed, errors) = task.await.map_err(|e| e.to_string())?;
        report.delivered += latencies.len() as u64;
        report.latencies.extend(latencies);
        report.failed += failed;
        report.errors.extend(errors);
    }
    report.elapsed = start.elapsed();
    report.latencies.sort_unstable();
    report.errors.truncate(5);
    Ok(report)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(report) => {
            println!(
                "{} messages delivered, {} failed, {} octets each, {} sessions, to {}",
                report.delivered,
                report.failed,
                build_message(&args.from, &args.to, args.size).len(),
                args.sessions,
                args.server
            );
            println!(
                "elapsed {:.3} s, {:.1} messages/s",
                report.elapsed.as_secs_f64(),
                report.rate()
            );
            println!(
                "latency (connect to QUIT): p50 {} p90 {} p99 {} max {}",
                ms(report.percentile(50.0)),
                ms(report.percentile(90.0)),
                ms(report.percentile(99.0)),
                ms(report.latencies.last().copied().unwrap_or_default())
            );
            for e in &report.errors {
                eprintln!("error: {e}");
            }
            if report.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("smtp_load: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smtp_proto::tokio::{DataMode, Handler, Options, async_trait, serve};
    use smtp_proto::{MailParameters, RcptParameters, Reply};

    /// An in-process sink over smtp-proto's driver: counts messages and
    /// octets, refuses one recipient so failures are exercised.
    #[derive(Clone, Default)]
    struct Sink {
        messages: Arc<AtomicU64>,
        octets: Arc<AtomicU64>,
    }

    #[async_trait]
    impl Handler for Sink {
        async fn mail(&mut self, _: &ReversePath, _: &MailParameters) -> Result<(), Reply> {
            Ok(())
        }
        async fn rcpt(&mut self, to: &ForwardPath, _: &RcptParameters) -> Result<(), Reply> {
            if to.to_string().contains("nobody") {
                return Err(Reply::new(550, Some((5, 1, 1)), "no such user").unwrap());
            }
            Ok(())
        }
        async fn data_start(&mut self) -> Result<DataMode, Reply> {
            Ok(DataMode::Whole)
        }
        async fn data_end(&mut self, message: Option<Bytes>) -> Result<(), Reply> {
            let len = message.map_or(0, |m| m.len() as u64);
            self.octets.fetch_add(len, Ordering::Relaxed);
            self.messages.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
    }

    async fn sink() -> (SocketAddr, Sink) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let sink = Sink::default();
        let shared = sink.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let mut handler = shared.clone();
                tokio::spawn(async move {
                    let config = smtp_proto::server::Config::new("sink.test");
                    let _ = serve(socket, config, &mut handler, Options::default()).await;
                });
            }
        });
        (addr, sink)
    }

    fn args(server: SocketAddr, to: &str) -> Args {
        Args {
            sessions: 4,
            messages: 50,
            size: 3000,
            from: "load@localhost".into(),
            to: to.into(),
            server,
            helo: "client.test".into(),
        }
    }

    #[test]
    fn message_has_the_asked_size() {
        for size in [0, 100, 300, 1024, 4096, 100_000] {
            let m = build_message("a@b", "c@d", size);
            assert!(m.ends_with(b"\r\n"));
            if size >= 300 {
                assert!(m.len().abs_diff(size) <= 2, "{size}: {}", m.len());
            }
            assert!(!m.windows(5).any(|w| w == b"\r\n.\r\n"));
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn delivers_every_message_to_an_in_process_sink() {
        let (addr, sink) = sink().await;
        let report = run(&args(addr, "alice@localhost")).await.unwrap();
        assert_eq!(report.delivered, 50, "{:?}", report.errors);
        assert_eq!(report.failed, 0);
        assert_eq!(report.latencies.len(), 50);
        assert_eq!(sink.messages.load(Ordering::Relaxed), 50);
        let expected = build_message("load@localhost", "alice@localhost", 3000).len() as u64;
        assert_eq!(sink.octets.load(Ordering::Relaxed), 50 * expected);
        assert!(report.percentile(50.0) <= report.percentile(99.0));
        assert_eq!(report.percentile(100.0), *report.latencies.last().unwrap());
        assert!(report.rate() > 0.0);
    }

    #[tokio::test]
    async fn counts_refused_recipients_as_failures() {
        let (addr, sink) = sink().await;
        let report = run(&args(addr, "nobody@localhost")).await.unwrap();
        assert_eq!((report.delivered, report.failed), (0, 50));
        assert!(report.errors[0].starts_with("550"), "{:?}", report.errors);
        assert_eq!(sink.messages.load(Ordering::Relaxed), 0);
        assert_eq!(report.percentile(50.0), Duration::ZERO);
    }

    #[tokio::test]
    async fn reports_an_unreachable_server() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let mut a = args(addr, "alice@localhost");
        a.messages = 3;
        let report = run(&a).await.unwrap();
        assert_eq!((report.delivered, report.failed), (0, 3));
        assert!(report.errors[0].contains("connect"), "{:?}", report.errors);
    }
}
