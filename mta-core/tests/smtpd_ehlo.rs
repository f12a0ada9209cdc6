//! What the engine's smtpd says first (the smtpd_banner greeting) and
//! advertises in its EHLO reply: only the extensions it implements end to end.

mod support;

use support::builder;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Reads one (possibly multi-line) reply and returns its lines.
async fn reply(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        assert!(
            r.read_line(&mut line).await.unwrap() > 0,
            "connection closed"
        );
        let done = line.as_bytes().get(3) == Some(&b' ');
        lines.push(line.trim_end().to_owned());
        if done {
            return lines;
        }
    }
}

#[tokio::test]
async fn ehlo_offers_no_dsn_until_notifications_honour_it() {
    let dir = tempfile::tempdir().unwrap();
    let engine = builder(dir.path(), "").start().await.unwrap();
    let stream = TcpStream::connect(engine.smtp_addrs()[0]).await.unwrap();
    let (rd, mut wr) = stream.into_split();
    let mut rd = BufReader::new(rd);
    assert!(reply(&mut rd).await[0].starts_with("220 "));
    wr.write_all(b"EHLO client.example.net\r\n").await.unwrap();
    let ehlo = reply(&mut rd).await;
    assert!(ehlo[0].starts_with("250"), "{ehlo:?}");
    let keywords: Vec<&str> = ehlo[1..]
        .iter()
        .map(|l| l[4..].split(' ').next().unwrap_or(""))
        .collect();
    assert!(keywords.contains(&"PIPELINING"), "{ehlo:?}");
    assert!(!keywords.contains(&"DSN"), "{ehlo:?}");
    // A NOTIFY parameter is then refused rather than silently ignored.
    wr.write_all(
        b"MAIL FROM:<carol@example.net>\r\nRCPT TO:<alice@example.com> NOTIFY=NEVER\r\nQUIT\r\n",
    )
    .await
    .unwrap();
    assert!(reply(&mut rd).await[0].starts_with("250"));
    let rcpt = reply(&mut rd).await;
    assert!(rcpt[0].starts_with('5'), "{rcpt:?}");
    engine.shutdown().await;
}

#[tokio::test]
async fn greeting_is_smtpd_banner() {
    for (extra, want) in [
        ("", "220 mx.example.com ESMTP Postfix"),
        (
            "smtpd_banner = $myhostname ESMTP ready\n",
            "220 mx.example.com ESMTP ready",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let engine = builder(dir.path(), extra).start().await.unwrap();
        let stream = TcpStream::connect(engine.smtp_addrs()[0]).await.unwrap();
        let (rd, _wr) = stream.into_split();
        let mut rd = BufReader::new(rd);
        assert_eq!(reply(&mut rd).await, [want]);
        engine.shutdown().await;
    }
}
