//! Helpers shared by the tests of `missive::testing`.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use missive::smtp::client::{self, Envelope, Outcome};
use missive::smtp::{ForwardPath, Host, Mailbox, ReversePath};
use missive::testing::{FaultEvent, ReceivedMessage, TestServer, Transcript};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The reverse-path of the messages a test does not look at the sender of.
pub const SENDER: &str = "a@b.example";
/// The user most tests deliver to; like every user here, password `pw`.
pub const ALICE: &str = "alice@localhost";
pub const BOB: &str = "bob@localhost";

/// A running test server with these users, each with the password `pw`.
pub async fn server_with(users: &[&str]) -> TestServer {
    users
        .iter()
        .fold(TestServer::builder(), |b, u| b.user(u, "pw"))
        .start()
        .await
        .expect("the test server starts")
}

/// Sends one message from [`SENDER`] with our own SMTP client.
pub async fn send_to(
    addr: SocketAddr,
    to: &[&str],
    message: &'static [u8],
) -> Result<Outcome, missive::smtp::error::DriverError> {
    send(addr, SENDER, to, message).await
}

/// Sends `message` from [`SENDER`] to [`ALICE`], checks that it was
/// delivered and waits for the server to have it: all messages received.
pub async fn deliver(server: &TestServer, message: &'static [u8]) -> Vec<ReceivedMessage> {
    let before = server.messages().len();
    let outcome = send_to(server.smtp_addr(), &[ALICE], message)
        .await
        .expect("sent");
    assert!(
        outcome.recipients.iter().all(|r| r.is_delivered()),
        "{outcome:?}"
    );
    server
        .wait_for_messages(before + 1, TIMEOUT)
        .await
        .expect("received")
}

/// The faults a transcript records, in order.
pub fn faults(t: &Transcript) -> Vec<FaultEvent> {
    t.faults().collect()
}

/// The ports of these addresses, as arguments for a script.
pub fn ports(addrs: &[SocketAddr]) -> Vec<String> {
    addrs.iter().map(|a| a.port().to_string()).collect()
}

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

    /// Connected, with the server's greeting read.
    pub async fn greeted(addr: SocketAddr) -> Self {
        let mut c = Lines::connect(addr).await;
        c.line().await.expect("a greeting");
        c
    }

    /// SMTP: greeted, `HELO x`, a transaction from [`SENDER`] to [`ALICE`]
    /// and `DATA`, all answered (the last by 354): the content is next.
    pub async fn smtp_at_data(addr: SocketAddr) -> Self {
        let mut c = Lines::greeted(addr).await;
        c.send("HELO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<alice@localhost>\r\nDATA\r\n")
            .await;
        for code in ["250", "250", "250", "354"] {
            c.expect(code).await;
        }
        c
    }

    /// POP3: greeted, then `USER` and `PASS` (pipelined), both answered
    /// `+OK`.
    pub async fn pop3_login(addr: SocketAddr, user: &str, password: &str) -> Self {
        let mut c = Lines::greeted(addr).await;
        c.send(&format!("USER {user}\r\nPASS {password}\r\n")).await;
        c.expect("+OK").await;
        c.expect("+OK").await;
        c
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

    /// The next line, which starts with `prefix`.
    pub async fn expect(&mut self, prefix: &str) -> String {
        let line = self.line().await.expect("a line");
        assert!(line.starts_with(prefix), "{line:?} is not {prefix:?}...");
        line
    }

    /// Reads up to the first line that starts with `prefix`, and returns it.
    pub async fn until(&mut self, prefix: &str) -> String {
        loop {
            let line = self.line().await.expect("a line");
            if line.starts_with(prefix) {
                return line;
            }
        }
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
