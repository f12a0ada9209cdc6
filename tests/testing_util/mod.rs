//! Helpers shared by the tests of `missive::testing`.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use missive::smtp::client::{self, Envelope, Outcome};
use missive::smtp::{ForwardPath, Host, Mailbox, ReversePath};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Sends one message with our own SMTP client (smtp-proto's).
pub async fn send(
    addr: SocketAddr,
    from: &str,
    to: &[&str],
    message: &'static [u8],
) -> Result<Outcome, missive::smtp::error::DriverError> {
    let socket = TcpStream::connect(addr).await?;
    let reverse_path = if from.is_empty() {
        ReversePath::Null
    } else {
        ReversePath::Mailbox(Mailbox::parse(from).expect("reverse-path"))
    };
    let envelope = Envelope {
        reverse_path,
        parameters: Default::default(),
        recipients: to
            .iter()
            .map(|t| {
                (
                    ForwardPath::Mailbox(Mailbox::parse(t).expect("forward-path")),
                    Default::default(),
                )
            })
            .collect(),
    };
    let config = client::Config::new(Host::parse("client.test").expect("host"));
    let sent = missive::smtp::tokio::send_message(
        socket,
        config,
        envelope,
        Bytes::from_static(message),
        None,
    );
    tokio::time::timeout(TIMEOUT, sent)
        .await
        .expect("the SMTP client finished in time")
}

/// A line-at-a-time client for hand-written exchanges.
pub struct Lines {
    reader: BufReader<TcpStream>,
}

impl Lines {
    pub async fn connect(addr: SocketAddr) -> Self {
        Lines {
            reader: BufReader::new(TcpStream::connect(addr).await.expect("connect")),
        }
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.reader.get_ref().local_addr().expect("local address")
    }

    /// The next line, or `None` at the end of the stream.
    pub async fn line(&mut self) -> Option<String> {
        let mut s = String::new();
        let n = tokio::time::timeout(TIMEOUT, self.reader.read_line(&mut s))
            .await
            .expect("a line in time")
            .ok()?;
        (n > 0).then_some(s)
    }

    pub async fn send(&mut self, line: &str) {
        self.reader
            .get_mut()
            .write_all(line.as_bytes())
            .await
            .expect("write");
    }

    /// Exactly `n` octets.
    pub async fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = vec![0u8; n];
        tokio::time::timeout(TIMEOUT, self.reader.read_exact(&mut out))
            .await
            .expect("octets in time")
            .expect("read");
        out
    }

    /// Everything until the server closes.
    pub async fn rest(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let _ = tokio::time::timeout(TIMEOUT, self.reader.read_to_end(&mut out))
            .await
            .expect("the server closed in time");
        out
    }

    /// Whether nothing arrives within `wait`.
    pub async fn silent_for(&mut self, wait: Duration) -> bool {
        let mut b = [0u8; 1];
        tokio::time::timeout(wait, self.reader.read(&mut b))
            .await
            .is_err()
    }
}

/// Runs a Python script with arguments; `None` (after saying why) when
/// python3 is missing outside CI. Panics on a failed script.
pub async fn python(script: &str, args: &[String]) -> Option<String> {
    let out = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output();
    let out = match tokio::time::timeout(Duration::from_secs(60), out).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("python3 is required under CI");
            }
            eprintln!("skipped: python3 not found");
            return None;
        }
        Ok(Err(e)) => panic!("python3: {e}"),
        Err(_) => panic!("python3 timed out"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "python failed: {}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Some(stdout)
}
