//! The IMAP driver writes a command's responses at once: SELECT with a
//! mailbox already selected starts with `* OK [CLOSED]` (RFC 7162 section
//! 3.2.11), and that line must not leave alone before the rest, where
//! Nagle's algorithm would hold the rest back until the client's delayed
//! ACK (some 40 ms per SELECT).

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use mta_core::passwd::PasswdFile;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};

/// The server's end of the connection, noting what each write carried.
struct Recorded {
    inner: DuplexStream,
    writes: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl AsyncRead for Recorded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Recorded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &r {
            self.writes.lock().unwrap().push(buf[..*n].to_vec());
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Reads until a line starting with `tag` has come.
async fn until_tagged(client: &mut DuplexStream, tag: &str) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = client.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got);
        if text.lines().any(|l| l.starts_with(tag)) {
            return text.into_owned();
        }
    }
}

#[tokio::test]
async fn a_second_select_is_answered_in_one_write() {
    let dir = tempfile::tempdir().unwrap();
    let location = format!("maildir:{}/%u/Maildir", dir.path().display());
    let users = PasswdFile::parse("alice:{PLAIN}wonderland\n").unwrap();
    let backend = mta_core::imap::MaildirBackend::new(users, &location);
    let (mut client, server) = tokio::io::duplex(1 << 20);
    let writes = Arc::new(Mutex::new(Vec::new()));
    let stream = Recorded {
        inner: server,
        writes: writes.clone(),
    };
    let mut options = imap_proto::tokio::Options::default();
    options.config.plaintext_auth = true;
    options.config.condstore = true;
    let task =
        tokio::spawn(async move { imap_proto::tokio::serve(&backend, stream, options).await });

    client
        .write_all(b"a LOGIN alice wonderland\r\nb SELECT INBOX\r\n")
        .await
        .unwrap();
    let first = until_tagged(&mut client, "b ").await;
    assert!(first.contains("b OK [READ-WRITE]"), "{first}");
    let before = writes.lock().unwrap().len();
    client.write_all(b"c SELECT INBOX\r\n").await.unwrap();
    let second = until_tagged(&mut client, "c ").await;
    assert!(second.starts_with("* OK [CLOSED]"), "{second}");
    assert!(second.contains("c OK [READ-WRITE]"), "{second}");
    let after: Vec<Vec<u8>> = writes.lock().unwrap()[before..].to_vec();
    assert_eq!(
        after.len(),
        1,
        "{:?}",
        after
            .iter()
            .map(|w| String::from_utf8_lossy(w))
            .collect::<Vec<_>>()
    );

    client.write_all(b"z LOGOUT\r\n").await.unwrap();
    until_tagged(&mut client, "z ").await;
    task.await.unwrap().unwrap();
}
