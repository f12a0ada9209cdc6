//! The whole system end to end: full_server processes on ephemeral ports,
//! driven by clients we did not write (Python's smtplib, imaplib and
//! poplib, curl, mbsync).

#[path = "e2e/support.rs"]
mod support;

use std::path::Path;
use std::process::Command;

use support::{Server, have, text};

const SEND: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/send.py");
const READ: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/read.py");
const SUBMIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/submit.py");

/// smtplib: sends one message; returns what send.py printed.
fn send(smtp: std::net::SocketAddr, from: &str, to: &[&str], subject: &str, body: &str) -> String {
    python_file(
        SEND,
        &[
            smtp.to_string(),
            from.into(),
            to.join(","),
            subject.into(),
            body.into(),
        ],
    )
}

/// imaplib over IMAPS and poplib over POP3S, once `want` messages are there.
fn read(server: &Server, user: &str, password: &str, want: usize) -> String {
    python_file(
        READ,
        &[
            "127.0.0.1".into(),
            server.port("IMAPS").to_string(),
            server.port("POP3S").to_string(),
            user.into(),
            password.into(),
            want.to_string(),
        ],
    )
}

fn python_file(script: &str, args: &[String]) -> String {
    let out = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{script}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn passwd(users: &[(&str, &str)]) -> String {
    users
        .iter()
        .map(|(u, p)| format!("{u}:{{PLAIN}}{p}\n"))
        .collect()
}

#[test]
fn alias_delivery_read_back_over_imaps_and_pop3s() {
    if !have("python3") {
        return;
    }
    let server = Server::with_config(&[
        (
            "main.cf",
            "mydestination = localhost\nalias_maps = hash:{dir}/aliases\n".into(),
        ),
        (
            "aliases",
            "# aliases(5)\ninfo: alice\nteam: alice,\n  bob\n".into(),
        ),
        (
            "passwd",
            passwd(&[("alice", "alice-pw"), ("bob", "bob-pw")]),
        ),
    ]);
    let smtp = server.addr("SMTP");
    let out = send(smtp, "bob@localhost", &["info@localhost"], "to info", "one");
    assert!(out.contains("sent") && !out.contains("refused"), "{out}");
    let out = send(smtp, "bob@localhost", &["team@localhost"], "to team", "two");
    assert!(out.contains("sent") && !out.contains("refused"), "{out}");
    let out = send(smtp, "bob@localhost", &["nobody@localhost"], "lost", "x");
    assert!(out.contains("refused nobody@localhost 550"), "{out}");

    let alice = read(&server, "alice", "alice-pw", 2);
    assert!(alice.contains("imaps 1 to info\n"), "{alice}");
    assert!(alice.contains("imaps 2 to team\n"), "{alice}");
    assert!(alice.contains("pop3s 1 to info\n"), "{alice}");
    assert!(alice.contains("pop3s 2 to team\n"), "{alice}");
    // The envelope recipient is the alias; the message is the one sent.
    assert!(alice.contains("To: info@localhost"), "{alice}");
    assert!(alice.contains("\r\n\r\none\r\n"), "{alice}");

    let bob = read(&server, "bob", "bob-pw", 1);
    assert!(bob.contains("imaps 1 to team\n"), "{bob}");
    assert!(bob.contains("pop3s 1 to team\n"), "{bob}");
    assert!(!bob.contains("to info"), "{bob}");
}

#[test]
fn relay_through_a_transport_map_and_a_bounce_back_to_the_sender() {
    if !have("python3") {
        return;
    }
    // The far side: the final destination of example.net.
    let far = Server::with_config(&[
        (
            "main.cf",
            "myhostname = mx.example.net\nmydestination = example.net\nalias_maps =\n".into(),
        ),
        ("passwd", passwd(&[("carol", "carol-pw")])),
    ]);
    // The near side sends example.net to it through transport_maps.
    let near = Server::with_config(&[
        (
            "main.cf",
            "mydestination = localhost\nalias_maps =\ntransport_maps = hash:{dir}/transport\n"
                .into(),
        ),
        (
            "transport",
            format!("example.net  smtp:[127.0.0.1]:{}\n", far.port("SMTP")),
        ),
        ("passwd", passwd(&[("alice", "alice-pw")])),
    ]);

    let out = send(
        near.addr("SMTP"),
        "alice@localhost",
        &["carol@example.net", "nobody@example.net"],
        "over the relay",
        "relayed body",
    );
    // The near side accepts both: it cannot know the far side's users.
    assert!(out.contains("sent") && !out.contains("refused"), "{out}");

    let carol = read(&far, "carol", "carol-pw", 1);
    assert!(carol.contains("imaps 1 over the relay\n"), "{carol}");
    assert!(carol.contains("relayed body"), "{carol}");
    // The far side's Received: line names the near side as its client.
    assert!(carol.contains("Received: from "), "{carol}");

    // nobody@example.net was refused by the far side (550 at RCPT): the
    // near side bounces it to alice, an RFC 3464 report in her INBOX.
    let alice = read(&near, "alice", "alice-pw", 1);
    assert!(alice.contains("imaps 1 "), "{alice}");
    assert!(alice.contains("multipart/report"), "{alice}");
    assert!(alice.contains("report-type=\"delivery-status\""), "{alice}");
    assert!(
        alice.contains("Final-Recipient: rfc822; nobody@example.net"),
        "{alice}"
    );
    assert!(alice.contains("Action: failed"), "{alice}");
    assert!(alice.contains("Status: 5."), "{alice}");
    assert!(
        !alice.contains("Final-Recipient: rfc822; carol@"),
        "{alice}"
    );
    assert_eq!(near.mailq(), "Mail queue is empty\n");
}

/// A demo user's password from the zero-configuration start.
fn demo(server: &Server, user: &str) -> String {
    server
        .demo
        .get(user)
        .unwrap_or_else(|| panic!("no demo user {user} in:\n{}", server.banner))
        .clone()
}

fn curl(args: &[&str], stdin: &[u8]) -> String {
    let out = support::run(
        Command::new("curl")
            .args(["-sS", "--max-time", "30"])
            .args(args),
        stdin,
    );
    assert!(out.status.success(), "curl {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn curl_over_smtp_imaps_and_pop3s_and_their_starttls() {
    if !have("curl") {
        return;
    }
    let server = Server::zero_config();
    let pw = demo(&server, "alice");
    let login = format!("alice:{pw}");
    let smtp = format!("smtp://127.0.0.1:{}", server.port("SMTP"));
    // Plain SMTP, then STARTTLS required (--ssl-reqd; -k: self-signed).
    curl(
        &[
            &smtp,
            "--mail-from",
            "bob@localhost",
            "--mail-rcpt",
            "alice@localhost",
            "-T",
            "-",
        ],
        b"From: bob@localhost\r\nTo: alice@localhost\r\nSubject: by curl\r\n\r\nplain smtp\r\n",
    );
    curl(
        &[
            &smtp,
            "--ssl-reqd",
            "-k",
            "--mail-from",
            "bob@localhost",
            "--mail-rcpt",
            "alice@localhost",
            "-T",
            "-",
        ],
        b"Subject: by curl over starttls\r\n\r\nstarttls smtp\r\n",
    );
    server.wait_inbox("alice", 2);

    let imaps = format!("imaps://127.0.0.1:{}", server.port("IMAPS"));
    // LIST, then each message by UID.
    let list = curl(&["-k", "-u", &login, &format!("{imaps}/")], b"");
    assert!(list.contains("INBOX"), "{list}");
    let first = curl(&["-k", "-u", &login, &format!("{imaps}/INBOX;UID=1")], b"");
    assert!(first.contains("Subject: by curl\r\n"), "{first}");
    assert!(first.contains("plain smtp"), "{first}");
    let second = curl(&["-k", "-u", &login, &format!("{imaps}/INBOX;UID=2")], b"");
    assert!(second.contains("starttls smtp"), "{second}");
    // A SEARCH over IMAPS.
    let found = curl(
        &[
            "-k",
            "-u",
            &login,
            &format!("{imaps}/INBOX?SUBJECT%20starttls"),
        ],
        b"",
    );
    assert!(found.contains("SEARCH 2"), "{found}");

    let pop3s = format!("pop3s://127.0.0.1:{}", server.port("POP3S"));
    let listing = curl(&["-k", "-u", &login, &format!("{pop3s}/")], b"");
    assert_eq!(listing.lines().count(), 2, "{listing}");
    let retr = curl(&["-k", "-u", &login, &format!("{pop3s}/1")], b"");
    assert!(retr.contains("plain smtp"), "{retr}");

    // The plain ports upgrade: IMAP STARTTLS and POP3 STLS (--ssl-reqd
    // makes curl fail rather than go on in plaintext).
    let imap = format!("imap://127.0.0.1:{}", server.port("IMAP"));
    let fetched = curl(
        &[
            "--ssl-reqd",
            "-k",
            "-u",
            &login,
            &format!("{imap}/INBOX;UID=2"),
        ],
        b"",
    );
    assert!(fetched.contains("starttls smtp"), "{fetched}");
    let pop3 = format!("pop3://127.0.0.1:{}", server.port("POP3 (STLS)"));
    let retr = curl(
        &["--ssl-reqd", "-k", "-u", &login, &format!("{pop3}/2")],
        b"",
    );
    assert!(retr.contains("starttls smtp"), "{retr}");

    // A wrong password is refused over both.
    let bad = support::run(
        Command::new("curl").args(["-sS", "-k", "-u", "alice:wrong", &format!("{imaps}/")]),
        b"",
    );
    assert!(!bad.status.success(), "{}", text(&bad));
}

/// Renames a Maildir file to carry the Seen flag, as a mail reader does.
fn mark_seen_locally(maildir: &Path) -> usize {
    let files: Vec<_> = ["new", "cur"]
        .iter()
        .flat_map(|sub| std::fs::read_dir(maildir.join(sub)).unwrap().flatten())
        .collect();
    for e in &files {
        let name = e.file_name().into_string().unwrap();
        let (base, flags) = name.split_once(":2,").unwrap_or((&name, ""));
        if !flags.contains('S') {
            let mut f: Vec<char> = format!("{flags}S").chars().collect();
            f.sort_unstable();
            let flags: String = f.into_iter().collect();
            let to = maildir.join("cur").join(format!("{base}:2,{flags}"));
            std::fs::rename(e.path(), to).unwrap();
        }
    }
    files.len()
}

#[test]
fn mbsync_syncs_an_account_both_ways() {
    if !have("mbsync") || !have("python3") {
        return;
    }
    let server = Server::zero_config();
    let pw = demo(&server, "alice");
    for i in 1..=2 {
        let out = send(
            server.addr("SMTP"),
            "bob@localhost",
            &["alice@localhost"],
            &format!("sync {i}"),
            "body",
        );
        assert!(out.contains("sent"), "{out}");
    }
    server.wait_inbox("alice", 2);

    let home = server.dir.path().join("home");
    let local = home.join("Mail");
    std::fs::create_dir_all(&local).unwrap();
    let config = home.join("mbsyncrc");
    std::fs::write(
        &config,
        format!(
            "IMAPAccount missive\nHost 127.0.0.1\nPort {port}\nUser alice\nPass {pw}\n\
             SSLType IMAPS\nCertificateFile {cert}\n\n\
             IMAPStore remote\nAccount missive\n\n\
             MaildirStore local\nPath {local}/\nInbox {local}/INBOX\n\n\
             Channel alice\nFar :remote:\nNear :local:\nPatterns *\nCreate Both\n\
             SyncState *\nSync All\n",
            port = server.port("IMAPS"),
            cert = server.certificate().display(),
            local = local.display(),
        ),
    )
    .unwrap();
    let mbsync = || {
        let out = Command::new("mbsync")
            .args(["-c"])
            .arg(&config)
            .arg("-a")
            .env("HOME", &home)
            .output()
            .unwrap();
        assert!(out.status.success(), "mbsync: {}", text(&out));
    };

    // Down: both messages land in the local Maildir.
    mbsync();
    let inbox = local.join("INBOX");
    let texts: Vec<String> = ["new", "cur"]
        .iter()
        .flat_map(|d| std::fs::read_dir(inbox.join(d)).unwrap().flatten())
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        texts.iter().any(|t| t.contains("Subject: sync 1")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("Subject: sync 2")),
        "{texts:?}"
    );

    // Up: flags set locally reach the server (STORE over IMAPS).
    assert_eq!(mark_seen_locally(&inbox), 2);
    mbsync();
    let flags = support::python(
        "import imaplib, ssl, sys\n\
         ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE\n\
         m = imaplib.IMAP4_SSL('127.0.0.1', int(sys.argv[1]), ssl_context=ctx)\n\
         m.login('alice', sys.argv[2]); m.select('INBOX', readonly=True)\n\
         for line in m.fetch('1:*', '(FLAGS)')[1]: print(line.decode())\n\
         m.logout()\n",
        &[server.port("IMAPS").to_string(), pw],
    );
    assert_eq!(flags.matches("\\Seen").count(), 2, "{flags}");
}

#[test]
fn smtplib_submission_with_auth_after_starttls_and_over_smtps() {
    if !have("python3") {
        return;
    }
    let server = Server::zero_config();
    let alice = demo(&server, "alice");
    let bob = demo(&server, "bob");
    let out = python_file(
        SUBMIT,
        &[
            "127.0.0.1".into(),
            server.port("submission").to_string(),
            server.port("SMTPS").to_string(),
            "alice".into(),
            alice,
            "bob@localhost".into(),
        ],
    );
    // RFC 4954 / RFC 6409: no MAIL before AUTH on submission; 535 for a
    // wrong password; after STARTTLS and AUTH the message goes through.
    assert!(out.contains("without auth: 530\n"), "{out}");
    assert!(out.contains("auth offered: True\n"), "{out}");
    assert!(out.contains("wrong password: 535\n"), "{out}");
    assert!(out.contains("submission sent\n"), "{out}");
    assert!(out.contains("smtps sent\n"), "{out}");

    let got = read(&server, "bob", &bob, 2);
    assert!(got.contains("imaps 1 over submission\n"), "{got}");
    assert!(got.contains("imaps 2 over smtps\n"), "{got}");
    assert!(!got.contains("without auth"), "{got}");
    // The Received: line records the authenticated, encrypted submission.
    assert!(got.contains("with ESMTPSA"), "{got}");
}
