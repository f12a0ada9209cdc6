//! missive::testing: start, users, delivery, envelopes, reset,
//! transcripts, read back over IMAP and POP3 (our clients and Python's).
#![cfg(feature = "testing")]

mod testing_util;

use std::time::Duration;

use missive::testing::{Command, Direction, EntryKind, Protocol, TestServer};
use testing_util::{
    ALICE, BOB, Lines, TIMEOUT, deliver, ports, python, send, send_to, server_with,
};

#[tokio::test]
async fn delivers_with_envelope_and_parsed_message() {
    let server = server_with(&[ALICE, BOB]).await;
    let outcome = send(
        server.smtp_addr(),
        "app@example.org",
        &["alice@localhost", "BOB@localhost"],
        b"From: App <app@example.org>\r\nSubject: Hello\r\n\r\nHi there\r\n.dot\r\n",
    )
    .await
    .unwrap();
    assert!(outcome.recipients.iter().all(|r| r.is_delivered()));
    let all = server.wait_for_messages(1, TIMEOUT).await.unwrap();
    assert_eq!(all.len(), 1);
    for user in [ALICE, BOB] {
        let got = server.messages_for(user);
        assert_eq!(got.len(), 1, "{user}");
        let m = &got[0];
        assert_eq!(m.subject(), Some("Hello"));
        assert_eq!(m.body_text().as_deref(), Some("Hi there\r\n.dot\r\n"));
        assert_eq!(m.mail_from(), "<app@example.org>");
        assert_eq!(m.rcpt_to(), ["<alice@localhost>", "<BOB@localhost>"]);
        let from = m.parsed().unwrap().from().unwrap().first().unwrap();
        assert_eq!(from.address(), Some("app@example.org"));
    }
    // On disk, in each INBOX's new/.
    for user in [ALICE, BOB] {
        let new = server.mail_dir().join(user).join("new");
        assert_eq!(std::fs::read_dir(new).unwrap().count(), 1);
    }
}

#[tokio::test]
async fn null_reverse_path_is_captured() {
    let server = server_with(&[ALICE]).await;
    send(
        server.smtp_addr(),
        "",
        &[ALICE],
        b"Subject: bounce\r\n\r\nx\r\n",
    )
    .await
    .unwrap();
    let got = server.wait_for_messages(1, TIMEOUT).await.unwrap();
    assert_eq!(got[0].mail_from(), "<>");
}

#[tokio::test]
async fn unknown_recipients_get_550_unless_mailboxes_are_created() {
    let strict = server_with(&[ALICE]).await;
    let outcome = send_to(
        strict.smtp_addr(),
        &["nobody@localhost", ALICE],
        b"Subject: x\r\n\r\nx\r\n",
    )
    .await
    .unwrap();
    let rejected = &outcome.recipients[0].reply;
    assert_eq!(rejected.code().get(), 550);
    assert_eq!(
        rejected.enhanced().map(|e| e.to_string()).as_deref(),
        Some("5.1.1")
    );
    assert!(outcome.recipients[1].is_delivered());
    let got = strict.wait_for_messages(1, TIMEOUT).await.unwrap();
    assert_eq!(got[0].rcpt_to(), ["<alice@localhost>"]);
    assert!(strict.messages_for("nobody@localhost").is_empty());

    let open = TestServer::builder()
        .create_mailboxes_on_delivery(true)
        .start()
        .await
        .unwrap();
    let outcome = send_to(open.smtp_addr(), &["new@example.com"], b"\r\nx\r\n")
        .await
        .unwrap();
    assert!(outcome.recipients[0].is_delivered());
    open.wait_for_messages(1, TIMEOUT).await.unwrap();
    assert_eq!(open.messages_for("new@example.com").len(), 1);
    // The created user logs in with the address as password.
    let mut pop = Lines::pop3_login(open.pop3_addr(), "new@example.com", "new@example.com").await;
    pop.send("STAT\r\n").await;
    pop.expect("+OK 1 ").await;
}

#[tokio::test]
async fn users_added_at_runtime_and_any_password() {
    let server = TestServer::start().await.unwrap();
    let carol = ["carol@localhost"];
    let outcome = send_to(server.smtp_addr(), &carol, b"\r\nx\r\n")
        .await
        .unwrap();
    assert_eq!(outcome.recipients[0].reply.code().get(), 550);
    server.add_user("carol@localhost", "secret");
    let outcome = send_to(server.smtp_addr(), &carol, b"\r\nx\r\n")
        .await
        .unwrap();
    assert!(outcome.recipients[0].is_delivered());

    let mut imap = Lines::greeted(server.imap_addr()).await;
    imap.send("a1 LOGIN carol@localhost wrong\r\n").await;
    imap.expect("a1 NO").await;
    imap.send("a2 LOGIN carol@localhost secret\r\n").await;
    imap.expect("a2 OK").await;
    // The Maildir store's mod-sequences, as full_server offers them.
    imap.send("a3 ENABLE QRESYNC\r\n").await;
    imap.expect("* ENABLED QRESYNC").await;
    imap.expect("a3 OK").await;

    let any = TestServer::builder()
        .accept_any_password(true)
        .start()
        .await
        .unwrap();
    let mut imap = Lines::greeted(any.imap_addr()).await;
    imap.send("a1 LOGIN whoever@localhost whatever\r\n").await;
    imap.expect("a1 OK").await;
}

#[tokio::test]
async fn wait_for_messages_times_out_with_the_count() {
    let server = TestServer::start().await.unwrap();
    let e = server
        .wait_for_messages(1, Duration::from_millis(50))
        .await
        .unwrap_err();
    assert_eq!((e.expected, e.received), (1, 0));
}

#[tokio::test]
async fn reset_purges_mail_and_transcripts() {
    let server = server_with(&[ALICE]).await;
    deliver(&server, b"\r\n1\r\n").await;
    assert!(!server.transcripts().is_empty());
    server.reset().await.unwrap();
    assert!(server.messages().is_empty());
    assert!(server.transcripts().is_empty());
    let mut pop = Lines::pop3_login(server.pop3_addr(), ALICE, "pw").await;
    pop.send("STAT\r\nQUIT\r\n").await;
    assert_eq!(pop.line().await.unwrap(), "+OK 0 0\r\n");
    // Users stay; counting starts again.
    let got = deliver(&server, b"\r\n2\r\n").await;
    assert_eq!(got.len(), 1);
    assert_eq!(&got[0].raw[..], b"\r\n2\r\n");
}

#[tokio::test]
async fn smtp_transcript_has_directions_parsed_commands_and_data() {
    let server = server_with(&[ALICE]).await;
    let m = deliver(&server, b"Subject: t\r\n\r\n.x\r\n")
        .await
        .remove(0);
    let t = server.transcript(m.envelope.connection).unwrap();
    assert_eq!(t.protocol, Protocol::Smtp);
    let first = &t.entries[0];
    assert_eq!(first.direction, Direction::ServerToClient);
    assert!(matches!(&first.kind, EntryKind::Reply(r) if r.code().get() == 220));
    assert!(t.commands().all(|c| matches!(c, Command::Smtp(_))), "{t}");
    let verbs: Vec<String> = t.commands().map(Command::name).collect();
    // Our client uses CHUNKING: the content is one BDAT chunk, as sent.
    assert_eq!(verbs, ["EHLO", "MAIL", "RCPT", "BDAT", "QUIT"]);
    let data: Vec<_> = t
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Data)
        .collect();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0].direction, Direction::ClientToServer);
    assert_eq!(&data[0].data[..], b"Subject: t\r\n\r\n.x\r\n");
    let codes: Vec<u16> = t.replies().map(|r| r.code().get()).collect();
    assert_eq!(codes, [220, 250, 250, 250, 250, 221]);
    let text = t.to_string();
    assert!(text.contains("C: RCPT TO:<alice@localhost>"), "{text}");

    // DATA by hand: the content after 354 is data, not commands.
    let mut c = Lines::smtp_at_data(server.smtp_addr()).await;
    let client = c.local_addr();
    c.send("QUIT\r\n..\r\n.\r\n").await;
    c.expect("250").await;
    c.send("QUIT\r\n").await;
    c.rest().await;
    let t = server.transcript_for(client).unwrap();
    let summary: Vec<String> = t
        .entries
        .iter()
        .map(|e| match &e.kind {
            EntryKind::Command(_) => format!("C {}", e.text().trim_end()),
            EntryKind::Data => format!("D {:?}", e.text()),
            EntryKind::Reply(r) => format!("S {}", r.code().get()),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        summary,
        [
            "S 220",
            "C HELO x",
            "C MAIL FROM:<a@b.example>",
            "C RCPT TO:<alice@localhost>",
            "C DATA",
            "S 250",
            "S 250",
            "S 250",
            "S 354",
            "D \"QUIT\\r\\n..\\r\\n.\\r\\n\"",
            "S 250",
            "C QUIT",
            "S 221",
        ]
    );
    assert!(t.closed);
    assert_eq!(&server.messages()[1].raw[..], b"QUIT\r\n.\r\n");
}

#[tokio::test]
async fn imap_and_pop3_transcripts_by_client_address() {
    let server = server_with(&[ALICE]).await;
    let mut imap = Lines::greeted(server.imap_addr()).await;
    let client = imap.local_addr();
    imap.send("a1 LOGIN {15}\r\n").await;
    imap.expect("+").await;
    imap.send("alice@localhost pw\r\na2 SELECT INBOX\r\n").await;
    imap.until("a2 ").await;
    imap.send("a3 LOGOUT\r\n").await;
    imap.rest().await;
    let t = server.transcript_for(client).unwrap();
    assert_eq!(t.protocol, Protocol::Imap);
    let commands: Vec<_> = t.commands().collect();
    assert_eq!(commands.len(), 3);
    let Command::Imap(login) = commands[0] else {
        panic!("{:?}", commands[0])
    };
    assert_eq!(login.tag.as_str(), "a1");
    let raw = t.entries.iter().find(|e| e.command().is_some()).unwrap();
    assert_eq!(&raw.data[..], b"a1 LOGIN {15}\r\nalice@localhost pw\r\n");

    let mut pop = Lines::greeted(server.pop3_addr()).await;
    let client = pop.local_addr();
    pop.send("USER alice@localhost\r\nPASS pw\r\nBOGUS\r\nQUIT\r\n")
        .await;
    pop.rest().await;
    let t = server.transcript_for(client).unwrap();
    assert_eq!(t.protocol, Protocol::Pop3);
    let kinds: Vec<(Direction, bool)> = t
        .entries
        .iter()
        .map(|e| (e.direction, matches!(e.kind, EntryKind::Command(_))))
        .collect();
    assert_eq!(kinds[0], (Direction::ServerToClient, false));
    assert!(
        t.entries
            .iter()
            .any(|e| e.kind == EntryKind::Unparsed && e.text() == "BOGUS\r\n")
    );
    assert!(matches!(
        t.commands().last(),
        Some(Command::Pop3(missive::pop3::Command::Quit))
    ));
}

const PY_SMTP_IMAP_POP3: &str = r#"
import sys, smtplib, imaplib, poplib
smtp_port, imap_port, pop_port = map(int, sys.argv[1:4])
with smtplib.SMTP("127.0.0.1", smtp_port) as s:
    s.login("alice@localhost", "pw")
    s.sendmail("py@example.org", ["alice@localhost"], "Subject: from python\r\n\r\nhello\r\n")
i = imaplib.IMAP4("127.0.0.1", imap_port)
i.login("alice@localhost", "pw")
i.select("INBOX")
typ, data = i.fetch("1", "(BODY[HEADER.FIELDS (SUBJECT)])")
print("IMAP", data[0][1].decode().strip())
i.logout()
p = poplib.POP3("127.0.0.1", pop_port)
p.user("alice@localhost")
p.pass_("pw")
resp, lines, octets = p.retr(1)
print("POP3", [l.decode() for l in lines if l.startswith(b"Subject")][0])
p.quit()
"#;

#[tokio::test]
async fn python_clients_send_and_read_back() {
    let server = server_with(&[ALICE]).await;
    let args = ports(&[server.smtp_addr(), server.imap_addr(), server.pop3_addr()]);
    let Some(out) = python(PY_SMTP_IMAP_POP3, &args).await else {
        return;
    };
    assert!(out.contains("IMAP Subject: from python"), "{out}");
    assert!(out.contains("POP3 Subject: from python"), "{out}");
    let got = server.messages_for(ALICE);
    assert_eq!(got[0].mail_from(), "<py@example.org>");
    // smtplib authenticated: its AUTH and the 235 are in the transcript.
    let t = server.transcript(got[0].envelope.connection).unwrap();
    assert!(
        t.commands()
            .any(|c| matches!(c, Command::Smtp(missive::smtp::Command::Auth { .. })))
    );
    assert!(t.replies().any(|r| r.code().get() == 235));
    let protocols: Vec<Protocol> = server.transcripts().iter().map(|t| t.protocol).collect();
    assert_eq!(protocols, [Protocol::Smtp, Protocol::Imap, Protocol::Pop3]);
}

#[tokio::test]
async fn sasl_exchanges_are_continuations() {
    let server = server_with(&[ALICE]).await;
    // "\0alice@localhost\0pw" in base64.
    let plain = "AGFsaWNlQGxvY2FsaG9zdABwdw==";

    let mut imap = Lines::greeted(server.imap_addr()).await;
    let client = imap.local_addr();
    imap.send("a1 AUTHENTICATE PLAIN\r\n").await;
    imap.expect("+").await;
    imap.send(&format!("{plain}\r\n")).await;
    imap.until("a1 ").await;
    imap.send("a2 NOOP\r\n").await;
    imap.expect("a2 OK").await;
    let t = server.transcript_for(client).unwrap();
    let client_side: Vec<&EntryKind> = t
        .entries
        .iter()
        .filter(|e| e.direction == Direction::ClientToServer)
        .map(|e| &e.kind)
        .collect();
    assert!(matches!(
        client_side[..],
        [
            EntryKind::Command(_),
            EntryKind::Continuation,
            EntryKind::Command(_)
        ]
    ));

    let mut pop = Lines::greeted(server.pop3_addr()).await;
    let client = pop.local_addr();
    pop.send("AUTH PLAIN\r\n").await;
    pop.expect("+").await;
    pop.send(&format!("{plain}\r\n")).await;
    pop.expect("+OK").await;
    pop.send("QUIT\r\n").await;
    pop.rest().await;
    let t = server.transcript_for(client).unwrap();
    let kinds: Vec<&EntryKind> = t.entries.iter().map(|e| &e.kind).collect();
    assert!(
        matches!(
            kinds[..],
            [
                EntryKind::Response,
                EntryKind::Command(_),
                EntryKind::Response,
                EntryKind::Continuation,
                EntryKind::Response,
                EntryKind::Command(_),
                EntryKind::Response,
            ]
        ),
        "{t}"
    );
}
