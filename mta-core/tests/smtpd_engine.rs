//! The smtpd service end to end: restrictions at RCPT TO, size and hop
//! limits, the Received header, and local delivery with Return-Path and
//! Delivered-To.

mod support;

use support::{builder, eventually, inbox, send, send_from};

#[tokio::test]
async fn local_delivery_adds_postfix_headers() {
    let dir = tempfile::tempdir().unwrap();
    let engine = builder(dir.path(), "").start().await.unwrap();
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
    eventually("delivery to alice", || {
        inbox(dir.path(), "alice").len() == 1
    })
    .await;
    let msg = String::from_utf8(inbox(dir.path(), "alice").remove(0)).unwrap();
    let lines: Vec<&str> = msg.split("\r\n").collect();
    assert_eq!(lines[0], "Return-Path: <carol@example.net>");
    assert_eq!(lines[1], "Delivered-To: alice@example.com");
    assert!(
        lines[2].starts_with("Received: from client.example.net (unknown [127.0.0.1])"),
        "{msg}"
    );
    assert!(
        lines[3].starts_with("\tby mx.example.com (missive) with ESMTP id "),
        "{msg}"
    );
    assert!(lines[4].starts_with("\tfor <alice@example.com>; "), "{msg}");
    assert!(msg.ends_with("Subject: hi\r\n\r\nhello\r\n"));
    eventually("queue empty", || engine.queue().is_empty()).await;
    engine.shutdown().await;
}

#[tokio::test]
async fn unknown_local_recipient_is_refused_at_rcpt() {
    let dir = tempfile::tempdir().unwrap();
    let engine = builder(dir.path(), "").start().await.unwrap();
    let out = send(
        engine.smtp_addrs()[0],
        "carol@example.net",
        &["nosuchuser@example.com", "bob@example.com"],
        b"Subject: x\r\n\r\nx\r\n",
    )
    .await
    .unwrap();
    let r = &out.recipients[0].reply;
    assert_eq!(r.code().get(), 550);
    assert_eq!(r.enhanced().unwrap().to_string(), "5.1.1");
    assert!(out.recipients[1].is_delivered());
    eventually("delivery to bob", || inbox(dir.path(), "bob").len() == 1).await;
    engine.shutdown().await;
}

#[tokio::test]
async fn message_size_limit_is_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let engine = builder(dir.path(), "message_size_limit = 2000\n")
        .start()
        .await
        .unwrap();
    let mut big = b"Subject: big\r\n\r\n".to_vec();
    for _ in 0..100 {
        big.extend_from_slice(b"0123456789012345678901234567890123456789\r\n");
    }
    let out = send(
        engine.smtp_addrs()[0],
        "carol@example.net",
        &["alice@example.com"],
        &big,
    )
    .await
    .unwrap();
    assert_eq!(out.recipients[0].reply.code().get(), 552, "{out:?}");
    assert!(engine.queue().is_empty());
    engine.shutdown().await;
}

#[tokio::test]
async fn looping_mail_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let engine = builder(dir.path(), "hopcount_limit = 3\n")
        .start()
        .await
        .unwrap();
    let mut msg = Vec::new();
    for i in 0..4 {
        msg.extend_from_slice(format!("Received: from hop{i} by hop{i}; now\r\n").as_bytes());
    }
    msg.extend_from_slice(b"Subject: loop\r\n\r\nx\r\n");
    let out = send(
        engine.smtp_addrs()[0],
        "carol@example.net",
        &["alice@example.com"],
        &msg,
    )
    .await
    .unwrap();
    let r = &out.recipients[0].reply;
    assert_eq!(
        (r.code().get(), r.enhanced().unwrap().to_string()),
        (554, "5.4.6".to_owned())
    );
    // Three hops are still fine.
    let ok = &msg[msg.windows(2).position(|w| w == b"\r\n").unwrap() + 2..];
    let out = send(
        engine.smtp_addrs()[0],
        "carol@example.net",
        &["alice@example.com"],
        ok,
    )
    .await
    .unwrap();
    assert!(out.recipients[0].is_delivered());
    engine.shutdown().await;
}

/// No open relay: a client outside mynetworks (127.0.0.2 with mynetworks
/// = 127.0.0.1/32) may send to our domains but not elsewhere.
#[tokio::test]
async fn no_open_relay_from_outside_mynetworks() {
    let dir = tempfile::tempdir().unwrap();
    let engine = builder(
        dir.path(),
        "mynetworks = 127.0.0.1/32\nrelayhost = [127.0.0.1]:9\n",
    )
    .start()
    .await
    .unwrap();
    let addr = engine.smtp_addrs()[0];
    let outside = Some("127.0.0.2".parse().unwrap());
    let out = send_from(
        outside,
        addr,
        "spammer@example.net",
        &["victim@example.org", "alice@example.com"],
        b"Subject: spam\r\n\r\nx\r\n",
    )
    .await
    .unwrap();
    let refused = &out.recipients[0].reply;
    assert!(refused.is_permanent() || refused.is_transient(), "{out:?}");
    assert!(!out.recipients[0].is_delivered());
    assert!(
        refused.lines().join(" ").contains("Relay access denied"),
        "{refused:?}"
    );
    assert!(out.recipients[1].is_delivered());
    // From inside mynetworks the same relay recipient is accepted.
    let out = send(
        addr,
        "alice@example.com",
        &["friend@example.org"],
        b"Subject: ok\r\n\r\nx\r\n",
    )
    .await
    .unwrap();
    assert!(out.recipients[0].is_delivered(), "{out:?}");
    engine.shutdown().await;
}
