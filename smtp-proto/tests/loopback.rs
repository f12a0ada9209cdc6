//! The tokio driver on 127.0.0.1 talking to clients we did not write:
//! Python's smtplib (and raw sockets from Python for pipelining and
//! smuggling) and curl's smtp:// upload; and our own client over an
//! in-memory stream with a STARTTLS hook.
#![cfg(feature = "tokio")]

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use smtp_proto::client::{self, Envelope, TlsPolicy};
use smtp_proto::server::{self, AbortReason};
use smtp_proto::tokio::{
    DataMode, Handler, Io, Options, TlsAcceptor, TlsConnector, send_message, serve,
};
use smtp_proto::{ForwardPath, Host, MailParameters, Mailbox, RcptParameters, Reply, ReversePath};
use tokio::net::TcpListener;

#[derive(Debug, Clone, Default)]
struct Received {
    from: Option<String>,
    to: Vec<String>,
    data: Vec<u8>,
}

#[derive(Clone, Default)]
struct Store {
    messages: Arc<Mutex<Vec<Received>>>,
    aborted: Arc<Mutex<Vec<AbortReason>>>,
}

struct Recorder {
    store: Store,
    current: Received,
    stream: bool,
}

#[async_trait::async_trait]
impl Handler for Recorder {
    async fn mail(&mut self, reverse_path: &ReversePath, _: &MailParameters) -> Result<(), Reply> {
        self.current = Received {
            from: Some(reverse_path.to_string()),
            ..Default::default()
        };
        Ok(())
    }
    async fn rcpt(&mut self, forward_path: &ForwardPath, _: &RcptParameters) -> Result<(), Reply> {
        if forward_path.to_string().starts_with("<nobody") {
            return Err(Reply::new(550, Some((5, 1, 1)), "no such user").unwrap());
        }
        self.current.to.push(forward_path.to_string());
        Ok(())
    }
    async fn data_start(&mut self) -> Result<DataMode, Reply> {
        Ok(if self.stream {
            DataMode::Stream
        } else {
            DataMode::Whole
        })
    }
    async fn data_chunk(&mut self, chunk: Bytes) -> Result<(), Reply> {
        self.current.data.extend_from_slice(&chunk);
        Ok(())
    }
    async fn data_end(&mut self, message: Option<Bytes>) -> Result<(), Reply> {
        let mut m = std::mem::take(&mut self.current);
        if let Some(whole) = message {
            m.data = whole.to_vec();
        }
        self.store.messages.lock().unwrap().push(m);
        Ok(())
    }
    async fn data_abort(&mut self, reason: AbortReason) {
        self.store.aborted.lock().unwrap().push(reason);
    }
}

/// Starts an accept loop; returns the port and what it stores.
async fn start(config: server::Config, stream: bool) -> (u16, Store) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let store = Store::default();
    let s = store.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let (config, store) = (config.clone(), s.clone());
            tokio::spawn(async move {
                let mut h = Recorder {
                    store,
                    current: Received::default(),
                    stream,
                };
                let _ = serve(sock, config, &mut h, Options::default()).await;
            });
        }
    });
    (port, store)
}

/// Whether an external tool may be used; under CI=true a missing tool fails.
fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").is_err(),
            "{tool} is required under CI but missing"
        );
        eprintln!("skipping: {tool} not installed");
    }
    ok
}

/// Runs a Python script with the port as argv[1]; returns its stdout.
async fn python(script: &'static str, port: u16) -> String {
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(port.to_string())
            .output()
            .unwrap()
    });
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("python finished")
        .unwrap();
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn config() -> server::Config {
    server::Config::new("mx.test")
}

const SMTPLIB_DOTS: &str = r#"
import smtplib, sys
body = "Subject: dots\r\n\r\n.starts with a dot\r\n..two dots\r\n.\r\nend\r\n"
with smtplib.SMTP("127.0.0.1", int(sys.argv[1])) as s:
    s.ehlo("client.test")
    assert s.has_extn("pipelining") and s.has_extn("size")
    refused = s.sendmail("alice@client.test", ["bob@mx.test", "nobody@mx.test"], body)
    print(sorted(refused))
"#;

#[tokio::test]
async fn smtplib_dot_stuffed_body_arrives_intact() {
    if !have("python3") {
        return;
    }
    for stream in [false, true] {
        let (port, store) = start(config(), stream).await;
        let out = python(SMTPLIB_DOTS, port).await;
        assert_eq!(out.trim(), "['nobody@mx.test']");
        let m = store.messages.lock().unwrap().clone();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].from.as_deref(), Some("<alice@client.test>"));
        assert_eq!(m[0].to, vec!["<bob@mx.test>"]);
        assert_eq!(
            m[0].data,
            b"Subject: dots\r\n\r\n.starts with a dot\r\n..two dots\r\n.\r\nend\r\n"
        );
    }
}

const SMTPLIB_OVERSIZE: &str = r#"
import smtplib, sys
port = int(sys.argv[1])
body = "Subject: big\r\n\r\n" + ("x" * 70 + "\r\n") * 100
# Declared size: refused at MAIL FROM (RFC 1870).
with smtplib.SMTP("127.0.0.1", port) as s:
    try:
        s.sendmail("a@client.test", ["b@mx.test"], body)
        print("accepted")
    except smtplib.SMTPSenderRefused as e:
        print(e.smtp_code)
# Undeclared size: refused after the data, and the session goes on.
with smtplib.SMTP("127.0.0.1", port) as s:
    s.ehlo("client.test")
    s.esmtp_features.pop("size", None)
    s.mail("a@client.test")
    s.rcpt("b@mx.test")
    code, _ = s.data(body)
    print(code)
    print(s.noop()[0])
    s.sendmail("a@client.test", ["b@mx.test"], "Subject: small\r\n\r\nok\r\n")
    print("small ok")
"#;

#[tokio::test]
async fn smtplib_oversize_refused_with_552() {
    if !have("python3") {
        return;
    }
    let mut c = config();
    c.limits.message_size = Some(1000);
    let (port, store) = start(c, true).await;
    let out = python(SMTPLIB_OVERSIZE, port).await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines, vec!["552", "552", "250", "small ok"]);
    assert_eq!(store.messages.lock().unwrap().len(), 1);
    assert_eq!(*store.aborted.lock().unwrap(), vec![AbortReason::TooLarge]);
}

const RAW_PIPELINING: &str = r#"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
def reply():
    lines = []
    while True:
        l = f.readline().decode()
        lines.append(l)
        if l[3] == " ":
            return lines
reply()
s.sendall(b"EHLO client.test\r\n")
assert any("PIPELINING" in l for l in reply())
# One write: the whole transaction, RFC 2920 style.
s.sendall(b"MAIL FROM:<a@client.test>\r\nRCPT TO:<b@mx.test>\r\nRCPT TO:<nobody@mx.test>\r\nRCPT TO:<c@mx.test>\r\nDATA\r\n")
print(" ".join(reply()[0][:3] for _ in range(5)))
s.sendall(b"pipelined body\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n")
print(" ".join(reply()[0][:3] for _ in range(4)))
"#;

#[tokio::test]
async fn pipelined_commands_get_replies_in_order() {
    if !have("python3") {
        return;
    }
    let (port, store) = start(config(), false).await;
    let out = python(RAW_PIPELINING, port).await;
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        vec!["250 250 550 250 354", "250 250 250 221"]
    );
    let m = store.messages.lock().unwrap().clone();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].to, vec!["<b@mx.test>", "<c@mx.test>"]);
    assert_eq!(m[0].data, b"pipelined body\r\n");
}

const RAW_SMUGGLING: &str = r#"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
def reply():
    while True:
        l = f.readline().decode()
        if l[3] == " ":
            return l[:3]
reply()
codes = []
for cmd in [b"EHLO client.test\r\n", b"MAIL FROM:<a@client.test>\r\n", b"RCPT TO:<b@mx.test>\r\n", b"DATA\r\n"]:
    s.sendall(cmd)
    codes.append(reply())
# The smuggling attempt: a bare-LF end marker followed by a second transaction.
s.sendall(b"Subject: first\r\n\r\nhello\n.\r\nMAIL FROM:<admin@mx.test>\r\nRCPT TO:<victim@mx.test>\r\nDATA\r\nSubject: smuggled\r\n\r\n.\r\n")
codes.append(reply())
s.sendall(b"QUIT\r\n")
codes.append(reply())
print(" ".join(codes))
"#;

#[tokio::test]
async fn smuggling_attempt_produces_no_second_message() {
    if !have("python3") {
        return;
    }
    let (port, store) = start(config(), false).await;
    let out = python(RAW_SMUGGLING, port).await;
    assert_eq!(out.trim(), "250 250 250 354 250 221");
    let m = store.messages.lock().unwrap().clone();
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].to, vec!["<b@mx.test>"]);
    let body = String::from_utf8_lossy(&m[0].data);
    assert!(
        body.contains("hello\r\n.\r\nMAIL FROM:<admin@mx.test>"),
        "{body:?}"
    );
}

#[tokio::test]
async fn curl_smtp_upload() {
    if !have("curl") {
        return;
    }
    let (port, store) = start(config(), true).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mail.txt");
    let body = b"From: a@client.test\r\nTo: b@mx.test\r\nSubject: curl\r\n\r\n.dot line\r\nbye\r\n";
    std::fs::write(&file, body).unwrap();
    let url = format!("smtp://127.0.0.1:{port}/client.test");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("curl")
            .args([
                "-sS",
                "--max-time",
                "30",
                &url,
                "--mail-from",
                "a@client.test",
                "--mail-rcpt",
                "b@mx.test",
                "--mail-rcpt",
                "c@mx.test",
                "-T",
            ])
            .arg(&file)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m = store.messages.lock().unwrap().clone();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].to, vec!["<b@mx.test>", "<c@mx.test>"]);
    assert_eq!(m[0].data, body);
}

/// A stand-in for TLS: passes the stream through unchanged, so the test
/// exercises the upgrade hook and the session's handling of it.
struct Passthrough;

#[async_trait::async_trait]
impl TlsAcceptor for Passthrough {
    async fn accept(&self, io: Box<dyn Io>) -> std::io::Result<Box<dyn Io>> {
        Ok(io)
    }
}

#[async_trait::async_trait]
impl TlsConnector for Passthrough {
    async fn connect(&self, io: Box<dyn Io>) -> std::io::Result<Box<dyn Io>> {
        Ok(io)
    }
}

fn envelope(rcpts: &[&str]) -> Envelope {
    Envelope {
        reverse_path: ReversePath::Mailbox(Mailbox::parse("a@client.test").unwrap()),
        parameters: Default::default(),
        recipients: rcpts
            .iter()
            .map(|r| {
                (
                    ForwardPath::Mailbox(Mailbox::parse(r).unwrap()),
                    Default::default(),
                )
            })
            .collect(),
    }
}

#[tokio::test]
async fn our_client_to_our_server_with_starttls_hook() {
    for lmtp in [false, true] {
        let (a, b) = tokio::io::duplex(4096);
        let store = Store::default();
        let s = store.clone();
        let mut sc = config();
        sc.starttls = true;
        if lmtp {
            sc.mode = server::Mode::Lmtp;
        }
        let server = tokio::spawn(async move {
            let mut h = Recorder {
                store: s,
                current: Received::default(),
                stream: false,
            };
            serve(
                a,
                sc,
                &mut h,
                Options {
                    tls: Some(&Passthrough),
                    ..Options::default()
                },
            )
            .await
        });
        let mut cc = client::Config::new(Host::parse("client.test").unwrap());
        cc.tls = TlsPolicy::Required;
        if lmtp {
            cc.mode = server::Mode::Lmtp;
        }
        let msg = Bytes::from_static(b"Subject: x\r\n\r\n.\r\n..\r\nbody\r\n");
        let outcome = send_message(
            b,
            cc,
            envelope(&["x@mx.test", "nobody@mx.test", "y@mx.test"]),
            msg.clone(),
            Some(&Passthrough),
        )
        .await
        .unwrap();
        let codes: Vec<u16> = outcome
            .recipients
            .iter()
            .map(|r| r.reply.code().get())
            .collect();
        assert_eq!(codes, vec![250, 550, 250]);
        server.await.unwrap().unwrap();
        let m = store.messages.lock().unwrap().clone();
        assert_eq!(m[0].data, msg.to_vec());
    }
}

#[tokio::test(start_paused = true)]
async fn idle_client_gets_421_after_the_timeout() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let (a, b) = tokio::io::duplex(4096);
    let mut sc = config();
    sc.limits.command_timeout = Duration::from_secs(300);
    let server = tokio::spawn(async move {
        let mut h = Recorder {
            store: Store::default(),
            current: Received::default(),
            stream: false,
        };
        serve(a, sc, &mut h, Options::default()).await
    });
    let mut lines = BufReader::new(b).lines();
    assert!(
        lines
            .next_line()
            .await
            .unwrap()
            .unwrap()
            .starts_with("220 ")
    );
    // The paused clock jumps to the session's deadline.
    let line = lines.next_line().await.unwrap().unwrap();
    assert!(line.starts_with("421 4.4.2"), "{line}");
    server.await.unwrap().unwrap();
}
