//! The embeddable test server (`missive::testing`) end to end: start it,
//! send a message the way an application would, script a failure, and
//! look at what the server saw.
//!
//! ```text
//! cargo run --example test_server            # the tour, then exit
//! cargo run --example test_server -- --serve  # keep serving; try swaks, curl, mutt
//! ```

use std::time::{Duration, Instant};

use bytes::Bytes;
use missive::smtp::client::{self, Envelope};
use missive::smtp::{ForwardPath, Host, Mailbox, Reply, ReversePath};
use missive::testing::{ConnectionFault, Protocol, SmtpCommand, SmtpFault, TestServer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let serve = std::env::args().any(|a| a == "--serve");
    tour(serve).await
}

async fn tour(serve: bool) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let server = TestServer::builder()
        .user("alice@localhost", "alice-pw")
        .user("bob@localhost", "bob-pw")
        .start()
        .await?;
    println!("started in {:?}", started.elapsed());
    println!("SMTP {}", server.smtp_addr());
    println!("IMAP {}", server.imap_addr());
    println!("POP3 {}", server.pop3_addr());
    if serve {
        println!("users alice@localhost / alice-pw, bob@localhost / bob-pw; Ctrl-C stops");
        tokio::signal::ctrl_c().await?;
        return Ok(());
    }

    // Bob's mailbox is busy once: his RCPT gets 451, Alice's goes through.
    let busy = Reply::new(451, Some((4, 3, 0)), "Mailbox busy, try again later")?;
    server.inject_smtp(
        SmtpFault::reply(SmtpCommand::Rcpt, busy)
            .for_recipient("bob@localhost")
            .once(),
    );
    let outcome = send(&server, &["alice@localhost", "bob@localhost"]).await?;
    for r in &outcome.recipients {
        println!("{}: {}", r.forward_path, r.reply);
    }
    // The retry reaches Bob.
    send(&server, &["bob@localhost"]).await?;

    let received = server.wait_for_messages(2, Duration::from_secs(5)).await?;
    for m in &received {
        println!(
            "MAIL FROM {} RCPT TO {:?}: {:?}",
            m.mail_from(),
            m.rcpt_to(),
            m.subject()
        );
    }
    assert_eq!(server.messages_for("bob@localhost").len(), 1);

    // The first conversation, as the server saw it.
    if let Some(t) = server.transcript(received[0].envelope.connection) {
        print!("{t}");
    }

    // The next IMAP connection dies in the middle of its greeting.
    server.inject_connection(ConnectionFault::disconnect_after_bytes(Protocol::Imap, 6).once());
    let mut socket = tokio::net::TcpStream::connect(server.imap_addr()).await?;
    let mut got = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut socket, &mut got).await?;
    println!("IMAP greeting cut: {:?}", String::from_utf8_lossy(&got));

    server.reset().await?;
    assert!(server.messages().is_empty());
    Ok(())
}

async fn send(
    server: &TestServer,
    to: &[&str],
) -> Result<client::Outcome, Box<dyn std::error::Error>> {
    let socket = tokio::net::TcpStream::connect(server.smtp_addr()).await?;
    let mut recipients = Vec::new();
    for t in to {
        recipients.push((ForwardPath::Mailbox(Mailbox::parse(t)?), Default::default()));
    }
    let envelope = Envelope {
        reverse_path: ReversePath::Mailbox(Mailbox::parse("app@example.org")?),
        parameters: Default::default(),
        recipients,
    };
    let config = client::Config::new(Host::parse("app.example.org")?);
    let message =
        Bytes::from_static(b"From: app@example.org\r\nSubject: Your order\r\n\r\nShipped.\r\n");
    Ok(missive::smtp::tokio::send_message(socket, config, envelope, message, None).await?)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_tour_runs() {
        super::tour(false).await.unwrap();
    }

    /// Start-up time, printed (measured, not asserted).
    #[tokio::test]
    async fn start_up_time() {
        let n = 20;
        let t = std::time::Instant::now();
        for _ in 0..n {
            drop(missive::testing::TestServer::start().await.unwrap());
        }
        println!(
            "TestServer::start: {:?} on average over {n}",
            t.elapsed() / n
        );
    }
}
