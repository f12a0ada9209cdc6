//! missive::testing fault injection: scripted SMTP replies, disconnects,
//! slow and stalled peers, each seen by a client and in the transcript.
#![cfg(feature = "testing")]

mod testing_util;

use std::time::Duration;

use missive::smtp::Reply;
use missive::testing::{ConnectionFault, FaultEvent, Protocol, SmtpCommand, SmtpFault, TestServer};
use testing_util::{
    ALICE, BOB, Lines, TIMEOUT, deliver, faults, ports, python, send_to, server_with,
};

async fn server() -> TestServer {
    server_with(&[ALICE, BOB]).await
}

fn reply(code: u16, e: (u8, u16, u16), text: &str) -> Reply {
    Reply::new(code, Some(e), text).unwrap()
}

/// `451 4.3.0 Try again later` to the first `RCPT TO:<bob@localhost>`.
fn bob_rcpt_451_once() -> SmtpFault {
    SmtpFault::reply(SmtpCommand::Rcpt, reply(451, (4, 3, 0), "Try again later"))
        .for_recipient(BOB)
        .once()
}

/// HELO, then MAIL: no reply to it but the end of the stream, and the
/// transcript says the server cut the connection.
async fn mail_gets_the_end_of_the_stream(server: &TestServer) {
    let mut c = Lines::greeted(server.smtp_addr()).await;
    let client = c.local_addr();
    c.send("HELO x\r\n").await;
    c.expect("250").await;
    c.send("MAIL FROM:<a@b.example>\r\n").await;
    assert_eq!(c.rest().await, b"");
    let t = server.transcript_for(client).unwrap();
    assert_eq!(faults(&t), [FaultEvent::Disconnected]);
    assert!(t.closed);
}

#[tokio::test]
async fn rcpt_for_one_recipient_fails_once() {
    let server = server().await;
    server.inject_smtp(bob_rcpt_451_once());
    let to = [ALICE, BOB];
    let first = send_to(server.smtp_addr(), &to, b"\r\n1\r\n")
        .await
        .unwrap();
    assert!(first.recipients[0].is_delivered());
    assert_eq!(first.recipients[1].reply.code().get(), 451);
    assert_eq!(first.recipients[1].reply.lines(), ["Try again later"]);
    let second = send_to(server.smtp_addr(), &to, b"\r\n2\r\n")
        .await
        .unwrap();
    assert!(second.recipients.iter().all(|r| r.is_delivered()));
    server.wait_for_messages(2, TIMEOUT).await.unwrap();
    assert_eq!(server.messages_for(BOB).len(), 1);
    assert_eq!(server.messages_for(ALICE).len(), 2);
    let m = &server.messages_for(ALICE)[0];
    assert_eq!(m.rcpt_to(), ["<alice@localhost>"]);
}

#[tokio::test]
async fn data_and_end_of_data_replies() {
    let server = server().await;
    for (command, scripted) in [
        (SmtpCommand::Data, reply(550, (5, 7, 1), "Content refused")),
        (SmtpCommand::DataEnd, reply(452, (4, 3, 1), "Disk full")),
    ] {
        server.inject_smtp(SmtpFault::reply(command, scripted.clone()).once());
        let out = send_to(server.smtp_addr(), &[ALICE], b"\r\nx\r\n")
            .await
            .unwrap();
        assert_eq!(out.recipients[0].reply, scripted, "{command:?}");
    }
    // Neither was delivered.
    assert!(server.messages().is_empty());
    assert!(
        server
            .wait_for_messages(1, Duration::from_millis(50))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn greeting_and_ehlo_replies() {
    let server = server().await;
    server.inject_smtp(
        SmtpFault::reply(SmtpCommand::Connect, reply(554, (5, 3, 2), "Not now")).once(),
    );
    let mut c = Lines::connect(server.smtp_addr()).await;
    assert!(c.line().await.unwrap().starts_with("554 "));
    server.inject_smtp(SmtpFault::reply(SmtpCommand::Ehlo, reply(421, (4, 3, 2), "Bye")).once());
    let e = send_to(server.smtp_addr(), &[ALICE], b"\r\nx\r\n").await;
    assert!(e.is_err(), "{e:?}");
    // Used up: the next session goes through.
    deliver(&server, b"\r\nx\r\n").await;
}

#[tokio::test]
async fn scripted_disconnect_at_a_command() {
    let server = server().await;
    server.inject_smtp(SmtpFault::disconnect(SmtpCommand::Mail).once());
    mail_gets_the_end_of_the_stream(&server).await;
    // A client sees an error.
    server.inject_smtp(SmtpFault::disconnect(SmtpCommand::DataEnd).once());
    let e = send_to(server.smtp_addr(), &[ALICE], b"\r\nx\r\n").await;
    assert!(e.is_err(), "{e:?}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn scripted_stall_and_delay() {
    let server = server().await;
    server.inject_smtp(SmtpFault::stall(SmtpCommand::DataEnd));
    server.inject_smtp(SmtpFault::delay(
        SmtpCommand::Mail,
        Duration::from_millis(20),
    ));
    let mut c = Lines::smtp_at_data(server.smtp_addr()).await;
    let client = c.local_addr();
    c.send("Subject: s\r\n\r\nx\r\n.\r\n").await;
    assert!(c.silent_for(Duration::from_millis(300)).await);
    let t = server.transcript_for(client).unwrap();
    assert_eq!(
        faults(&t),
        [
            FaultEvent::Delayed(Duration::from_millis(20)),
            FaultEvent::Stalled
        ]
    );
    assert!(!t.closed);
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn disconnect_after_server_bytes_then_normal() {
    let server = server().await;
    server.inject_connection(ConnectionFault::disconnect_after_bytes(Protocol::Imap, 10).once());
    let mut c = Lines::connect(server.imap_addr()).await;
    let client = c.local_addr();
    let got = c.rest().await;
    assert_eq!(got.len(), 10);
    assert!(got.starts_with(b"* OK"));
    let t = server.transcript_for(client).unwrap();
    assert_eq!(faults(&t), [FaultEvent::Disconnected]);
    assert_eq!(&t.entries[0].data[..], &got[..]);
    // Once only.
    let mut c = Lines::connect(server.imap_addr()).await;
    assert!(c.line().await.unwrap().ends_with("\r\n"));

    // Mid-session, for POP3: the greeting and a few octets of the next reply.
    let greeting = {
        let mut c = Lines::connect(server.pop3_addr()).await;
        c.line().await.unwrap()
    };
    let cut = greeting.len() as u64 + 2;
    server.inject_connection(ConnectionFault::disconnect_after_bytes(Protocol::Pop3, cut));
    let mut c = Lines::greeted(server.pop3_addr()).await;
    c.send("CAPA\r\n").await;
    assert_eq!(c.rest().await, b"+O");
}

#[tokio::test]
async fn disconnect_after_client_bytes() {
    let server = server().await;
    server.inject_connection(ConnectionFault::disconnect_after_client_bytes(
        Protocol::Smtp,
        12,
    ));
    // `HELO x` is 8 octets: the server reads 4 more, of MAIL, and hangs up.
    mail_gets_the_end_of_the_stream(&server).await;
}

#[tokio::test]
async fn stalled_peers() {
    let server = server().await;
    // No greeting at all.
    server.inject_connection(ConnectionFault::stall_after_bytes(Protocol::Pop3, 0).once());
    let mut c = Lines::connect(server.pop3_addr()).await;
    let client = c.local_addr();
    assert!(c.silent_for(Duration::from_millis(200)).await);
    let t = server.transcript_for(client).unwrap();
    assert_eq!(faults(&t), [FaultEvent::Stalled]);
    assert!(t.entries.iter().all(|e| e.data.is_empty()));

    // Half a greeting, then silence: the client's command is not read.
    server.inject_connection(ConnectionFault::stall_after_bytes(Protocol::Imap, 4).once());
    let mut c = Lines::connect(server.imap_addr()).await;
    let client = c.local_addr();
    c.send("a1 CAPABILITY\r\n").await;
    assert_eq!(c.bytes(4).await, b"* OK");
    assert!(c.silent_for(Duration::from_millis(200)).await);
    let t = server.transcript_for(client).unwrap();
    assert!(t.commands().next().is_none());
    assert_eq!(faults(&t), [FaultEvent::Stalled]);
}

#[tokio::test]
async fn slow_peer_delays_every_write() {
    let server = server().await;
    let delay = Duration::from_millis(5);
    server.inject_connection(ConnectionFault::slow(Protocol::Smtp, delay).once());
    let got = deliver(&server, b"\r\nx\r\n").await;
    let t = server.transcript(got[0].envelope.connection).unwrap();
    let delays = t
        .faults()
        .filter(|f| *f == FaultEvent::Delayed(delay))
        .count();
    // One before each write: greeting, EHLO, MAIL/RCPT/BDAT, QUIT at least.
    assert!(delays >= 4, "{t}");
    assert_eq!(delays, t.faults().count());
}

const PY_FAULTS: &str = r#"
import sys, smtplib
port = int(sys.argv[1])
with smtplib.SMTP("127.0.0.1", port) as s:
    refused = s.sendmail("py@example.org", ["alice@localhost", "bob@localhost"], "Subject: a\r\n\r\nx\r\n")
    print("REFUSED", sorted((k, v[0]) for k, v in refused.items()))
    try:
        s.sendmail("py@example.org", ["alice@localhost"], "Subject: b\r\n\r\nx\r\n")
        print("DATA accepted")
    except smtplib.SMTPDataError as e:
        print("DATA", e.smtp_code, e.smtp_error.decode())
"#;

#[tokio::test]
async fn python_smtplib_sees_scripted_replies() {
    let server = server().await;
    server.inject_smtp(bob_rcpt_451_once());
    // The first transaction's DATA passes; the second's is refused.
    server.inject_smtp(SmtpFault::delay(SmtpCommand::Data, Duration::ZERO).once());
    server.inject_smtp(SmtpFault::reply(
        SmtpCommand::Data,
        reply(550, (5, 7, 1), "No"),
    ));
    let Some(out) = python(PY_FAULTS, &ports(&[server.smtp_addr()])).await else {
        return;
    };
    assert!(out.contains("REFUSED [('bob@localhost', 451)]"), "{out}");
    assert!(out.contains("DATA 550 5.7.1 No"), "{out}");
    assert_eq!(server.messages().len(), 1);
}

const PY_STREAM_FAULTS: &str = r#"
import sys, socket, imaplib, poplib
imap_port, pop_port = map(int, sys.argv[1:3])
try:
    imaplib.IMAP4("127.0.0.1", imap_port, timeout=0.5)
    print("IMAP connected")
except (TimeoutError, socket.timeout):
    print("IMAP timeout")
p = poplib.POP3("127.0.0.1", pop_port, timeout=5)
p.user("alice@localhost")
try:
    p.pass_("pw")
    p.stat()
    print("POP3 ok")
except (poplib.error_proto, EOFError, ConnectionError) as e:
    print("POP3 dropped")
"#;

#[tokio::test]
async fn python_imaplib_and_poplib_see_stream_faults() {
    let server = server().await;
    // imaplib waits for a greeting that never comes.
    server.inject_connection(ConnectionFault::stall_after_bytes(Protocol::Imap, 0).once());
    // poplib's PASS is answered by a closed connection: the greeting and
    // USER's reply go out, then nothing.
    let pop_greeting = {
        let mut c = Lines::connect(server.pop3_addr()).await;
        let g = c.expect("+OK").await;
        c.send("USER alice@localhost\r\n").await;
        g.len() + c.expect("+OK").await.len()
    };
    server.inject_connection(
        ConnectionFault::disconnect_after_bytes(Protocol::Pop3, pop_greeting as u64).once(),
    );
    let args = ports(&[server.imap_addr(), server.pop3_addr()]);
    let Some(out) = python(PY_STREAM_FAULTS, &args).await else {
        return;
    };
    assert!(out.contains("IMAP timeout"), "{out}");
    assert!(out.contains("POP3 dropped"), "{out}");
    let seen: Vec<(Protocol, Vec<FaultEvent>)> = server
        .transcripts()
        .iter()
        .map(|t| (t.protocol, faults(t)))
        .filter(|(_, f)| !f.is_empty())
        .collect();
    assert_eq!(
        seen,
        [
            (Protocol::Imap, vec![FaultEvent::Stalled]),
            (Protocol::Pop3, vec![FaultEvent::Disconnected])
        ]
    );
}

#[tokio::test]
async fn faults_at_a_client_command() {
    let server = server().await;
    deliver(&server, b"Subject: 1\r\n\r\nx\r\n").await;

    // POP3 dies when RETR arrives; the session before it went normally.
    server.inject_connection(ConnectionFault::disconnect_at_command(Protocol::Pop3, "retr").once());
    let mut pop = Lines::pop3_login(server.pop3_addr(), ALICE, "pw").await;
    let client = pop.local_addr();
    pop.send("RETR 1\r\n").await;
    assert_eq!(pop.rest().await, b"");
    let t = server.transcript_for(client).unwrap();
    let last: Vec<String> = t.commands().map(|c| c.name()).collect();
    assert_eq!(last, ["USER", "PASS", "RETR"]);
    assert_eq!(faults(&t), [FaultEvent::Disconnected]);
    // The maildrop was not changed. (The cut session releases its lock
    // just after the client sees the end: retry while it says IN-USE.)
    let mut stat = String::new();
    for _ in 0..50 {
        let mut pop = Lines::greeted(server.pop3_addr()).await;
        pop.send("USER alice@localhost\r\nPASS pw\r\nSTAT\r\n")
            .await;
        pop.expect("+OK").await;
        if pop.line().await.unwrap().starts_with("+OK") {
            stat = pop.line().await.unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(stat.starts_with("+OK 1 "), "{stat:?}");

    // IMAP goes silent at UID FETCH, after SELECT was answered.
    server.inject_connection(ConnectionFault::stall_at_command(Protocol::Imap, "UID FETCH").once());
    let mut imap = Lines::greeted(server.imap_addr()).await;
    let client = imap.local_addr();
    imap.send("a1 LOGIN alice@localhost pw\r\na2 SELECT INBOX\r\n")
        .await;
    imap.until("a2 OK").await;
    imap.send("a3 UID FETCH 1:* FLAGS\r\n").await;
    assert!(imap.silent_for(Duration::from_millis(200)).await);
    let t = server.transcript_for(client).unwrap();
    let names: Vec<String> = t.commands().map(|c| c.name()).collect();
    assert_eq!(names, ["LOGIN", "SELECT", "UID FETCH"]);
    assert_eq!(faults(&t), [FaultEvent::Stalled]);

    // SMTP commands the handler never sees (RSET) can be faulted too.
    server.inject_connection(ConnectionFault::disconnect_at_command(
        Protocol::Smtp,
        "RSET",
    ));
    let mut smtp = Lines::greeted(server.smtp_addr()).await;
    smtp.send("HELO x\r\n").await;
    smtp.expect("250").await;
    smtp.send("RSET\r\n").await;
    assert_eq!(smtp.rest().await, b"");
}

const PY_POP_RETR: &str = r#"
import sys, poplib
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=5)
p.user("alice@localhost")
p.pass_("pw")
try:
    p.retr(1)
    print("RETR ok")
except (poplib.error_proto, EOFError, ConnectionError) as e:
    print("RETR failed")
"#;

#[tokio::test]
async fn python_poplib_sees_a_disconnect_at_retr() {
    let server = server().await;
    deliver(&server, b"Subject: 1\r\n\r\nx\r\n").await;
    server.inject_connection(ConnectionFault::disconnect_at_command(
        Protocol::Pop3,
        "RETR",
    ));
    let Some(out) = python(PY_POP_RETR, &ports(&[server.pop3_addr()])).await else {
        return;
    };
    assert!(out.contains("RETR failed"), "{out}");
}
