//! The tokio driver on 127.0.0.1 with an in-memory maildrop, against
//! Python's poplib, and over an in-memory pipe with paused time.
#![cfg(feature = "tokio")]

use async_trait::async_trait;
use pop3_proto::tokio::{LockedMaildrop, Maildrop, MessageReader, Options, Refusal, serve};
use pop3_proto::{Credentials, MessageInfo, UniqueId};
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};

type Messages = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

#[derive(Clone, Default)]
struct Memory {
    messages: Messages,
    locked: Arc<Mutex<bool>>,
}

struct Lock {
    store: Memory,
}

impl Drop for Lock {
    fn drop(&mut self) {
        *self.store.locked.lock().unwrap() = false;
    }
}

#[async_trait]
impl Maildrop for Memory {
    type Lock = Lock;
    async fn authenticate(&self, c: &Credentials) -> Result<String, Refusal> {
        match c {
            Credentials::User { user, pass }
                if user == "alice" && pass.expose() == "wonderland" =>
            {
                Ok(user.clone())
            }
            _ => Err(Refusal::BadCredentials),
        }
    }
    async fn open(&self, _user: &str) -> Result<Lock, Refusal> {
        let mut locked = self.locked.lock().unwrap();
        if *locked {
            return Err(Refusal::InUse);
        }
        *locked = true;
        Ok(Lock {
            store: self.clone(),
        })
    }
}

#[async_trait]
impl LockedMaildrop for Lock {
    async fn list(&mut self) -> io::Result<Vec<MessageInfo>> {
        let m = self.store.messages.lock().unwrap();
        Ok(m.iter()
            .map(|(u, d)| MessageInfo {
                uid: UniqueId::new(u.clone()).unwrap(),
                size: d.len() as u64,
            })
            .collect())
    }
    async fn retrieve(&mut self, uid: &UniqueId) -> io::Result<MessageReader> {
        let m = self.store.messages.lock().unwrap();
        let data = m
            .iter()
            .find(|(u, _)| u == uid.as_str())
            .map(|(_, d)| d.clone())
            .ok_or(io::ErrorKind::NotFound)?;
        Ok(Box::new(io::Cursor::new(data)))
    }
    async fn commit(&mut self, deleted: &[UniqueId]) -> io::Result<()> {
        self.store
            .messages
            .lock()
            .unwrap()
            .retain(|(u, _)| !deleted.iter().any(|d| d.as_str() == u));
        Ok(())
    }
}

fn python() -> Option<&'static str> {
    let found = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        assert!(std::env::var("CI").is_err(), "python3 is required under CI");
        eprintln!("skipping: python3 not found");
    }
    found.then_some("python3")
}

async fn start(store: Memory) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let store = store.clone();
            let mut options = Options::default();
            options.config.plaintext_auth = true;
            tokio::spawn(async move { serve(&store, stream, options).await });
        }
    });
    addr
}

const SCRIPT: &str = r#"
import poplib, sys
host, port = sys.argv[1], int(sys.argv[2])
p = poplib.POP3(host, port, timeout=20)
caps = p.capa()
assert 'UIDL' in caps and 'TOP' in caps and 'USER' in caps, caps
p.user('alice')
try:
    p.pass_('wrong')
    raise SystemExit('bad password accepted')
except poplib.error_proto as e:
    assert b'[AUTH]' in e.args[0], e
p.user('alice')
p.pass_('wonderland')
# A second session while the first holds the lock: [IN-USE].
q = poplib.POP3(host, port, timeout=20)
q.user('alice')
try:
    q.pass_('wonderland')
    raise SystemExit('lock not exclusive')
except poplib.error_proto as e:
    assert b'[IN-USE]' in e.args[0], e
q.quit()
assert p.stat() == (2, 47), p.stat()
resp, lines, _ = p.retr(2)
assert lines == [b'Subject: two', b'', b'.dot', b'end'], lines
resp, lines, _ = p.top(2, 0)
assert lines == [b'Subject: two', b''], lines
assert p.uidl()[1] == [b'1 id-1', b'2 id-2']
p.dele(1)
assert p.stat() == (1, 27)
p.rset()
assert p.stat() == (2, 47)
p.dele(1)
p.quit()
print('ok')
"#;

#[tokio::test]
async fn poplib_against_driver() {
    let Some(py) = python() else { return };
    let store = Memory::default();
    store.messages.lock().unwrap().extend([
        ("id-1".to_string(), b"Subject: one\r\n\r\nhi\r\n".to_vec()),
        (
            "id-2".to_string(),
            b"Subject: two\r\n\r\n.dot\r\nend\r\n".to_vec(),
        ),
    ]);
    let addr = start(store.clone()).await;
    let out = tokio::process::Command::new(py)
        .args(["-c", SCRIPT, "127.0.0.1", &addr.port().to_string()])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let left: Vec<String> = store
        .messages
        .lock()
        .unwrap()
        .iter()
        .map(|(u, _)| u.clone())
        .collect();
    assert_eq!(left, ["id-2"]);
    assert!(!*store.locked.lock().unwrap(), "lock released after QUIT");
}

/// A 50 MB message produced lazily: the driver pulls it in chunks and
/// never asks for more than its chunk size at once.
struct Lazy {
    left: usize,
    max_request: Arc<Mutex<usize>>,
}

impl AsyncRead for Lazy {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        {
            let mut m = self.max_request.lock().unwrap();
            *m = (*m).max(buf.remaining());
        }
        let n = buf.remaining().min(self.left);
        let line = b"0123456789012345678901234567890123456789012345678901234567890123456789\r\n";
        for i in 0..n {
            buf.put_slice(&[line[(self.left - n + i) % line.len()]]);
        }
        self.left -= n;
        Poll::Ready(Ok(()))
    }
}

#[derive(Clone)]
struct Big(Arc<Mutex<usize>>);
struct BigLock(Arc<Mutex<usize>>);
const BIG: usize = 50 * 1024 * 1024;

#[async_trait]
impl Maildrop for Big {
    type Lock = BigLock;
    async fn authenticate(&self, c: &Credentials) -> Result<String, Refusal> {
        Ok(c.user().to_string())
    }
    async fn open(&self, _: &str) -> Result<BigLock, Refusal> {
        Ok(BigLock(self.0.clone()))
    }
}

#[async_trait]
impl LockedMaildrop for BigLock {
    async fn list(&mut self) -> io::Result<Vec<MessageInfo>> {
        Ok(vec![MessageInfo {
            uid: UniqueId::new("big").unwrap(),
            size: BIG as u64,
        }])
    }
    async fn retrieve(&mut self, _: &UniqueId) -> io::Result<MessageReader> {
        Ok(Box::new(Lazy {
            left: BIG,
            max_request: self.0.clone(),
        }))
    }
    async fn commit(&mut self, _: &[UniqueId]) -> io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn retr_of_50_mb_streams_in_chunks() {
    let max = Arc::new(Mutex::new(0));
    let (mut client, server) = tokio::io::duplex(64 * 1024);
    let big = Big(max.clone());
    let mut options = Options::default();
    options.config.plaintext_auth = true;
    let task = tokio::spawn(async move { serve(&big, server, options).await });
    client
        .write_all(b"USER a\r\nPASS b\r\nRETR 1\r\nQUIT\r\n")
        .await
        .unwrap();
    let mut total = 0usize;
    let mut tail = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = client.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        total += n;
        tail.extend_from_slice(&buf[..n]);
        if tail.len() > 200 {
            tail.drain(..tail.len() - 200);
        }
    }
    task.await.unwrap().unwrap();
    assert!(total > BIG, "{total}");
    assert!(
        String::from_utf8_lossy(&tail).ends_with("\r\n.\r\n+OK signing off (1 messages left)\r\n")
    );
    assert!(*max.lock().unwrap() <= Options::default().chunk_size);
}

/// RFC 1939 section 3: after 10 idle minutes the driver closes without a
/// response and without deleting.
#[tokio::test(start_paused = true)]
async fn autologout_after_ten_minutes() {
    let store = Memory::default();
    store
        .messages
        .lock()
        .unwrap()
        .push(("id-1".into(), b"x\r\n".to_vec()));
    let (mut client, server) = tokio::io::duplex(4096);
    let mut options = Options::default();
    options.config.plaintext_auth = true;
    let s2 = store.clone();
    let task = tokio::spawn(async move { serve(&s2, server, options).await });
    client
        .write_all(b"USER alice\r\nPASS wonderland\r\nDELE 1\r\n")
        .await
        .unwrap();
    let start = tokio::time::Instant::now();
    let mut all = Vec::new();
    client.read_to_end(&mut all).await.unwrap();
    task.await.unwrap().unwrap();
    assert!(start.elapsed() >= std::time::Duration::from_secs(600));
    assert!(String::from_utf8_lossy(&all).ends_with("+OK message 1 deleted\r\n"));
    assert_eq!(store.messages.lock().unwrap().len(), 1);
    assert!(!*store.locked.lock().unwrap());
}

/// The TLS side of STLS for the test: tokio-rustls with a self-signed
/// certificate.
struct Tls(tokio_rustls::TlsAcceptor);

#[async_trait]
impl<S> pop3_proto::tokio::StartTls<S> for Tls
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    type Stream = tokio_rustls::server::TlsStream<S>;
    async fn upgrade(&self, stream: S) -> io::Result<Self::Stream> {
        self.0.accept(stream).await
    }
}

fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    use tokio_rustls::rustls;
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

const STLS_SCRIPT: &str = r#"
import poplib, ssl, sys
p = poplib.POP3('127.0.0.1', int(sys.argv[1]), timeout=20)
caps = p.capa()
assert 'STLS' in caps and 'USER' not in caps, caps
try:
    p.user('alice')
    raise SystemExit('plaintext USER accepted before TLS')
except poplib.error_proto as e:
    assert b'[AUTH]' in e.args[0], e
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
p.stls(context=ctx)
caps = p.capa()
assert 'STLS' not in caps and 'USER' in caps, caps
p.user('alice')
p.pass_('wonderland')
assert p.stat() == (1, 3), p.stat()
assert p.retr(1)[1] == [b'x']
p.quit()
print('ok')
"#;

/// RFC 2595: STLS through the driver with a real TLS handshake; plaintext
/// passwords refused before it and allowed after.
#[tokio::test]
async fn stls_with_poplib() {
    let Some(py) = python() else { return };
    let store = Memory::default();
    store
        .messages
        .lock()
        .unwrap()
        .push(("id-1".into(), b"x\r\n".to_vec()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let tls = Arc::new(Tls(tls_acceptor()));
    let s2 = store.clone();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        pop3_proto::tokio::serve_with_starttls(&s2, stream, Options::default(), tls.as_ref()).await
    });
    let out = tokio::process::Command::new(py)
        .args(["-c", STLS_SCRIPT, &port.to_string()])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
