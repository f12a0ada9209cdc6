//! Shutdown with sessions open (RFC 5321 section 3.8): an idle session is
//! told 421 4.3.2 at once; a message whose data is arriving finishes, gets
//! its 250, then the 421; the acknowledged message is delivered after a
//! restart.

mod support;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;

use support::{builder, eventually, inbox};

type Lines = tokio::io::Lines<BufReader<tokio::net::tcp::OwnedReadHalf>>;

async fn connect(addr: std::net::SocketAddr) -> (Lines, OwnedWriteHalf) {
    let (r, w) = TcpStream::connect(addr).await.unwrap().into_split();
    let mut lines = BufReader::new(r).lines();
    let greeting = lines.next_line().await.unwrap().unwrap();
    assert!(greeting.starts_with("220 "), "{greeting}");
    (lines, w)
}

/// Sends `command` and returns the reply's last line.
async fn say(lines: &mut Lines, w: &mut OwnedWriteHalf, command: &str) -> String {
    w.write_all(command.as_bytes()).await.unwrap();
    loop {
        let line = lines.next_line().await.unwrap().unwrap();
        if line.as_bytes().get(3) != Some(&b'-') {
            return line;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_finish_their_message_then_get_421() {
    let dir = tempfile::tempdir().unwrap();
    let engine = builder(dir.path(), "").start().await.unwrap();
    let addr = engine.smtp_addrs()[0];

    let (mut idle, mut idle_w) = connect(addr).await;
    say(&mut idle, &mut idle_w, "EHLO client.example.net\r\n").await;
    let (mut busy, mut busy_w) = connect(addr).await;
    say(&mut busy, &mut busy_w, "EHLO client.example.net\r\n").await;
    say(&mut busy, &mut busy_w, "MAIL FROM:<carol@example.net>\r\n").await;
    say(&mut busy, &mut busy_w, "RCPT TO:<alice@example.com>\r\n").await;
    let r = say(&mut busy, &mut busy_w, "DATA\r\n").await;
    assert!(r.starts_with("354 "), "{r}");
    busy_w
        .write_all(b"Subject: in flight\r\n\r\nbody\r\n")
        .await
        .unwrap();

    let stopping = tokio::spawn(engine.shutdown());
    let r = idle.next_line().await.unwrap().unwrap();
    assert!(r.starts_with("421 4.3.2 "), "{r}");
    assert!(
        idle.next_line().await.unwrap().is_none(),
        "closed after 421"
    );

    let r = say(&mut busy, &mut busy_w, ".\r\n").await;
    assert!(r.starts_with("250 "), "{r}");
    let r = busy.next_line().await.unwrap().unwrap();
    assert!(r.starts_with("421 4.3.2 "), "{r}");
    stopping.await.unwrap();

    // What was acknowledged is not lost: delivered before the stop or
    // after a restart.
    let engine = builder(dir.path(), "").start().await.unwrap();
    eventually("delivery after the restart", || {
        inbox(dir.path(), "alice").len() == 1
    })
    .await;
    let msg = String::from_utf8(inbox(dir.path(), "alice").remove(0)).unwrap();
    assert!(msg.ends_with("\r\nbody\r\n"), "{msg}");
    engine.shutdown().await;
}
