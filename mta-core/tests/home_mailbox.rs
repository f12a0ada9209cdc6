//! home_mailbox: local mail goes to `$HOME/<home_mailbox>` (a Maildir when
//! it ends in `/`, else an mbox file) for users whose home is known, and to
//! the mailbox store otherwise.

mod support;

use mta_core::passwd::PasswdFile;
use mta_core::router::StaticUsers;
use support::{builder, eventually, inbox, send};

fn files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[tokio::test]
async fn maildir_in_the_passwd_file_home() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home").join("alice");
    let users = PasswdFile::parse(&format!(
        "alice:{{PLAIN}}pw:1000:1000::{}::\nbob:{{PLAIN}}pw\n",
        home.display()
    ))
    .unwrap();
    let engine = builder(dir.path(), "home_mailbox = Maildir/\n")
        .users(users)
        .start()
        .await
        .unwrap();
    let addr = engine.smtp_addrs()[0];
    let to = ["alice@example.com", "bob@example.com"];
    let out = send(
        addr,
        "carol@example.net",
        &to,
        b"Subject: hi\r\n\r\nhello\r\n",
    )
    .await
    .unwrap();
    assert!(out.recipients.iter().all(|r| r.is_delivered()), "{out:?}");
    let new = home.join("Maildir").join("new");
    eventually("alice's home Maildir", || files(&new) == 1).await;
    // bob has no home: his mail goes to the mailbox store (mail_location).
    eventually("bob's store", || inbox(dir.path(), "bob").len() == 1).await;
    assert!(inbox(dir.path(), "alice").is_empty());
    let entry = std::fs::read_dir(&new).unwrap().next().unwrap().unwrap();
    let msg = String::from_utf8(std::fs::read(entry.path()).unwrap()).unwrap();
    assert!(
        msg.starts_with("Return-Path: <carol@example.net>\r\nDelivered-To: alice@example.com\r\n"),
        "{msg}"
    );
    assert!(msg.ends_with("Subject: hi\r\n\r\nhello\r\n"), "{msg}");
    engine.shutdown().await;
}

#[tokio::test]
async fn mbox_file_in_a_static_users_home() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home").join("alice");
    std::fs::create_dir_all(&home).unwrap();
    let engine = builder(dir.path(), "home_mailbox = Mailbox\n")
        .users(StaticUsers::new(["postmaster"]).with_home("alice", &home))
        .start()
        .await
        .unwrap();
    let addr = engine.smtp_addrs()[0];
    let out = send(
        addr,
        "carol@example.net",
        &["alice@example.com"],
        b"Subject: hi\r\n\r\nhello\r\n",
    )
    .await
    .unwrap();
    assert!(out.recipients[0].is_delivered(), "{out:?}");
    let mbox = home.join("Mailbox");
    eventually("alice's home mbox", || {
        std::fs::read(&mbox).is_ok_and(|m| m.windows(7).any(|w| w == b"\r\nhello"))
    })
    .await;
    let text = String::from_utf8(std::fs::read(&mbox).unwrap()).unwrap();
    assert!(text.starts_with("From carol@example.net "), "{text}");
    assert!(text.contains("Delivered-To: alice@example.com"), "{text}");
    assert!(inbox(dir.path(), "alice").is_empty());
    engine.shutdown().await;
}
