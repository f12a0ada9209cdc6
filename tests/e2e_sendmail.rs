//! The sendmail-compatible entry and mailq, run as processes against a
//! full_server process, and mutt sending through them as a program that
//! shells out to sendmail.

#[path = "e2e/support.rs"]
mod support;

use std::process::Command;

use support::{Server, example, have, run, text};

fn sendmail(server: &Server) -> Command {
    let mut cmd = Command::new(example("sendmail"));
    cmd.env("MISSIVE_SMTP_SERVER", server.addr("SMTP").to_string())
        .env("LOGNAME", "bob");
    cmd
}

#[test]
fn sendmail_flags_deliver_through_a_running_server() {
    let server = Server::zero_config();

    // Recipients on the command line, the sender from -f, -F's full name
    // in the added From:, unknown -o options ignored; without -i a line
    // holding only "." ends the message.
    let out = run(
        sendmail(&server).args(["-oem", "-odb", "-f", "bob", "-F", "Bob Builder", "alice"]),
        b"Subject: first\n\nline one\n.\nnot part of the message\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    let got = server.wait_inbox("alice", 1);
    let m = &got[0];
    assert!(
        m.contains("Return-Path: <bob@localhost>") || m.contains("bob@localhost"),
        "{m}"
    );
    assert!(
        m.contains("From: \"Bob Builder\" <bob@localhost>\r\n"),
        "{m}"
    );
    assert!(m.contains("Subject: first\r\n"), "{m}");
    assert!(m.contains("Date: ") && m.contains("Message-ID: <"), "{m}");
    assert!(m.contains("line one\r\n") && !m.contains("not part"), "{m}");
    // STARTTLS, as offered on full_server's port 10025.
    assert!(m.contains(" with ESMTPS "), "{m}");

    // -t -oi: recipients from To/Cc/Bcc, Bcc removed, dots kept (and
    // dot-stuffed on the wire, so the "." line arrives intact).
    let out = run(
        sendmail(&server).args(["-t", "-oi"]),
        b"From: Bob <bob@localhost>\nTo: Alice <alice>\nBcc: bob@localhost\nSubject: second\n\n.\n..\nend\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    let bob = server.wait_inbox("bob", 1);
    let alice = server.wait_inbox("alice", 2);
    for m in [
        &bob[0],
        alice.iter().find(|m| m.contains("second")).unwrap(),
    ] {
        assert!(m.contains("\r\n\r\n.\r\n..\r\nend\r\n"), "{m}");
        assert!(!m.contains("Bcc:"), "Bcc must be removed: {m}");
        assert!(m.contains("From: Bob <bob@localhost>\r\n"), "{m}");
    }

    // A refused recipient: reported, exit status EX_NOUSER (67).
    let out = run(
        sendmail(&server).args(["-i", "nobody@localhost"]),
        b"Subject: x\n\nx\n",
    );
    assert_eq!(out.status.code(), Some(67), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nobody@localhost"),
        "{}",
        text(&out)
    );

    // No server: EX_UNAVAILABLE (69).
    let out = run(
        Command::new(example("sendmail"))
            .args(["--server", "127.0.0.1:9", "alice"])
            .env_remove("MISSIVE_SMTP_SERVER"),
        b"x\n",
    );
    assert_eq!(out.status.code(), Some(69), "{}", text(&out));

    // -bi (newaliases) has nothing to rebuild: it succeeds.
    let out = run(sendmail(&server).arg("-bi"), b"");
    assert!(out.status.success(), "{}", text(&out));

    // Unknown flag: EX_USAGE (64).
    let out = run(sendmail(&server).arg("-Z"), b"");
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));
}

#[test]
fn sendmail_bs_speaks_smtp_on_stdin_and_stdout() {
    let server = Server::zero_config();
    let session = b"EHLO client.localhost\r\nMAIL FROM:<bob@localhost>\r\n\
        RCPT TO:<alice@localhost>\r\nDATA\r\nSubject: over -bs\r\n\r\nhi\r\n.\r\nQUIT\r\n";
    let out = run(sendmail(&server).arg("-bs"), session);
    assert!(out.status.success(), "{}", text(&out));
    let replies = String::from_utf8_lossy(&out.stdout);
    assert!(replies.starts_with("220 "), "{replies}");
    assert!(replies.contains("\r\n354 "), "{replies}");
    assert!(replies.contains("\r\n221 "), "{replies}");
    let got = server.wait_inbox("alice", 1);
    assert!(got[0].contains("Subject: over -bs\r\n"), "{}", got[0]);
}

#[test]
fn mailq_lists_a_deferred_message_with_its_reason() {
    // example.net goes to a port where nothing listens: the message stays
    // in the queue, deferred, with the connection error as its reason.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let server = Server::with_config(&[
        (
            "main.cf",
            "mydestination = localhost\nalias_maps =\ntransport_maps = hash:{dir}/transport\n"
                .to_owned(),
        ),
        (
            "transport",
            format!("example.net smtp:[127.0.0.1]:{port}\n"),
        ),
        ("passwd", "bob:{PLAIN}secret\n".to_owned()),
    ]);
    assert_eq!(server.mailq(), "Mail queue is empty\n");
    let out = run(
        sendmail(&server).args(["-f", "bob@localhost", "carol@example.net"]),
        b"Subject: waits\n\nhello\n",
    );
    assert!(out.status.success(), "{}", text(&out));

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let listing = loop {
        let listing = server.mailq();
        if listing.contains("carol@example.net") && listing.contains("\n(") {
            break listing;
        }
        assert!(std::time::Instant::now() < deadline, "{listing}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let lines: Vec<&str> = listing.lines().collect();
    assert!(lines[0].starts_with("-Queue ID-"), "{listing}");
    assert!(lines[1].ends_with("  bob@localhost"), "{listing}");
    assert!(
        lines[2].starts_with('(') && lines[2].ends_with(')'),
        "{listing}"
    );
    assert!(lines[2].contains(&port.to_string()), "{listing}");
    assert_eq!(lines[3].trim(), "carol@example.net", "{listing}");
    assert_eq!(
        lines.last(),
        Some(&"-- 1 Kbytes in 1 Request."),
        "{listing}"
    );

    // sendmail -bp is the same listing.
    let out = run(
        sendmail(&server).arg("-bp").arg("--data").arg(&server.data),
        b"",
    );
    assert!(out.status.success(), "{}", text(&out));
    let bp = String::from_utf8_lossy(&out.stdout);
    assert!(
        bp.starts_with("-Queue ID-") && bp.contains("carol@example.net"),
        "{bp}"
    );
}

#[test]
fn mutt_sends_through_sendmail() {
    if !have("mutt") {
        return;
    }
    let server = Server::zero_config();
    // mutt runs $sendmail with its own flags (-oi, -oem, --, recipients).
    let muttrc = server.dir.path().join("muttrc");
    std::fs::write(
        &muttrc,
        format!(
            "set sendmail=\"{} --server {}\"\nset from=\"bob@localhost\"\nset use_from=yes\n\
             set realname=\"Bob\"\nset record=\"\"\n",
            example("sendmail").display(),
            server.addr("SMTP")
        ),
    )
    .unwrap();
    let out = run(
        Command::new("mutt")
            .args(["-n", "-F"])
            .arg(&muttrc)
            .args(["-s", "from mutt", "--", "alice@localhost"])
            .env("HOME", server.dir.path()),
        b"sent by mutt\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    let got = server.wait_inbox("alice", 1);
    assert!(got[0].contains("Subject: from mutt\r\n"), "{}", got[0]);
    assert!(got[0].contains("sent by mutt"), "{}", got[0]);
    assert!(got[0].contains("Bob <bob@localhost>"), "{}", got[0]);
}

#[test]
fn sendmail_authenticates_on_the_submission_port() {
    let server = Server::zero_config();
    let password = server.demo["alice"].clone();
    let submission = server.addr("submission").to_string();
    // Without credentials the submission port refuses MAIL (530 5.7.0).
    let out = run(
        sendmail(&server).args(["--server", &submission, "-f", "alice", "bob"]),
        b"Subject: refused\n\nx\n",
    );
    assert_eq!(out.status.code(), Some(67), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("530"),
        "{}",
        text(&out)
    );
    // With them: STARTTLS, AUTH, the message.
    let out = run(
        sendmail(&server)
            .args([
                "--server",
                &submission,
                "--user",
                "alice",
                "-f",
                "alice",
                "bob",
            ])
            .env("MISSIVE_SMTP_PASSWORD", &password),
        b"Subject: submitted\n\nby sendmail\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    let got = server.wait_inbox("bob", 1);
    assert!(got[0].contains("Subject: submitted\r\n"), "{}", got[0]);
    assert!(got[0].contains(" with ESMTPSA "), "{}", got[0]);
    // A wrong password: the session fails, EX_UNAVAILABLE.
    let out = run(
        sendmail(&server)
            .args(["--server", &submission, "--user", "alice", "bob"])
            .env("MISSIVE_SMTP_PASSWORD", "wrong"),
        b"Subject: x\n\nx\n",
    );
    assert_eq!(out.status.code(), Some(69), "{}", text(&out));
}
