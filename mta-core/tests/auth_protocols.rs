//! One failure count for SMTP AUTH, POP3 and IMAP: a [`PasswordAuth`]
//! shared by the engine's submission listener and the POP3 and IMAP
//! listeners, driven by Python's smtplib, poplib and imaplib (clients we
//! did not write). Failures on any protocol add up per client address;
//! past the limit every protocol refuses even the right password (SMTP
//! 454 4.7.0, POP3 `-ERR [AUTH]`, IMAP `NO [UNAVAILABLE]`, a temporary
//! failure in RFC 5530's terms) until the block ends.

mod support;

use std::time::Duration;

use mta_core::auth::{AuthLimits, PasswordAuth, Verdict};
use mta_core::imap::MaildirBackend;
use mta_core::passwd::PasswdFile;
use mta_core::pop3::MaildirMaildrop;
use mta_core::smtpd::SmtpService;
use support::{PY_HELPERS, builder, python, quick_auth, run_python, self_signed_acceptor};

/// argv: submission, POP3 and IMAP ports. One wrong password on each
/// protocol (limit 3), then the right one on each while blocked, then
/// IMAP again once the block is over.
const CLIENTS: &str = r#"
sub, pop, imap = (int(a) for a in sys.argv[1:4])

def smtp(password):
    return smtp_plain(sub, "bob", password)

def pop3(password):
    p = poplib.POP3("127.0.0.1", pop, timeout=10)
    try:
        p.user("bob")
        p.pass_(password)
        return "ok"
    except poplib.error_proto as e:
        return e.args[0].decode()
    finally:
        p.close()

def imap4(password):
    m = imaplib.IMAP4("127.0.0.1", imap, timeout=10)
    try:
        m.login("bob", password)
        return "ok"
    except imaplib.IMAP4.error as e:
        return str(e)
    finally:
        m.shutdown()

print("pop3 wrong:", pop3("guess1"))
print("imap wrong:", imap4("guess2"))
print("smtp wrong:", smtp("guess3"))
print("smtp blocked:", smtp("hunter2"))
print("pop3 blocked:", pop3("hunter2"))
print("imap blocked:", imap4("hunter2"))
print("imap after the block:", until_ok(lambda: imap4("hunter2")))
"#;

#[tokio::test(flavor = "multi_thread")]
async fn failures_add_up_across_smtp_pop3_and_imap() {
    if !python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let auth = quick_auth("bob:{PLAIN}hunter2\n", 3);
    let engine = builder(dir.path(), "")
        .tls_acceptor(self_signed_acceptor())
        .listen_submission("127.0.0.1:0".parse().unwrap())
        .auth(auth.clone())
        .start()
        .await
        .unwrap();
    let location = format!("maildir:{}/%u/Maildir", dir.path().display());
    let pop3 = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let imap = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ports = [
        engine.addr_of(SmtpService::Submission).unwrap().port(),
        pop3.local_addr().unwrap().port(),
        imap.local_addr().unwrap().port(),
    ];
    tokio::spawn(mta_core::pop3::run(
        pop3,
        MaildirMaildrop::with_auth(auth.clone(), &location),
    ));
    tokio::spawn(mta_core::imap::run(
        imap,
        MaildirBackend::with_auth(auth.clone(), &location),
    ));
    let out = run_python(
        format!("{PY_HELPERS}{CLIENTS}"),
        ports.map(|p| p.to_string()).into(),
    )
    .await;
    assert!(out.contains("pop3 wrong: -ERR [AUTH]"), "{out}");
    assert!(
        out.contains("imap wrong: b'[AUTHENTICATIONFAILED]"),
        "{out}"
    );
    assert!(out.contains("smtp wrong: 535 5.7.8"), "{out}");
    assert!(
        out.contains("smtp blocked: 454 4.7.0 Temporary authentication failure"),
        "{out}"
    );
    assert!(out.contains("pop3 blocked: -ERR [AUTH]"), "{out}");
    assert!(out.contains("imap blocked: b'[UNAVAILABLE]"), "{out}");
    assert!(out.contains("imap after the block: ok"), "{out}");
    assert_eq!(auth.check("127.0.0.1".parse().unwrap()), Verdict::Allow);
    engine.shutdown().await;
}

/// Addresses are counted apart, and a client whose address is not known
/// waits the delay without being counted.
#[tokio::test(start_paused = true)]
async fn unknown_clients_wait_but_are_not_counted() {
    let mut limits = AuthLimits::default();
    limits.max_failures = 2;
    let auth = PasswordAuth::new(PasswdFile::parse("bob:{PLAIN}pw\n").unwrap(), limits);
    let a = Some("192.0.2.1".parse().unwrap());
    let b = Some("192.0.2.2".parse().unwrap());
    let start = tokio::time::Instant::now();
    for _ in 0..5 {
        let _ = auth.verify_password(None, "bob", "x").await;
    }
    // The delay is waited each time (2 s, never doubled without an address).
    assert_eq!(start.elapsed(), Duration::from_secs(10));
    for _ in 0..2 {
        let _ = auth.verify_password(a, "bob", "x").await;
    }
    assert!(matches!(
        auth.verify_password(a, "bob", "pw").await,
        mta_core::auth::Attempt::Blocked { .. }
    ));
    assert!(matches!(
        auth.verify_password(b, "bob", "pw").await,
        mta_core::auth::Attempt::Success(_)
    ));
    assert!(matches!(
        auth.verify_password(None, "bob", "pw").await,
        mta_core::auth::Attempt::Success(_)
    ));
}

/// A user whose mail cannot be opened (here its Maildir would be under a
/// plain file) is refused `NO [UNAVAILABLE]`, not as if the password were
/// wrong.
#[tokio::test(flavor = "multi_thread")]
async fn imap_login_to_unopenable_mail_is_unavailable() {
    if !python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file"), b"not a directory").unwrap();
    let location = format!("maildir:{}/file/%u/Maildir", dir.path().display());
    let imap = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = imap.local_addr().unwrap().port();
    tokio::spawn(mta_core::imap::run(
        imap,
        MaildirBackend::with_auth(quick_auth("bob:{PLAIN}hunter2\n", 3), &location),
    ));
    let script = r#"
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=10)
for password in ("wrong", "hunter2"):
    try:
        m.login("bob", password)
        print(password, "ok")
    except imaplib.IMAP4.error as e:
        print(password, str(e))
"#;
    let out = run_python(script.into(), vec![port.to_string()]).await;
    assert!(out.contains("wrong b'[AUTHENTICATIONFAILED]"), "{out}");
    assert!(
        out.contains("hunter2 b'[UNAVAILABLE] Mail storage unavailable'"),
        "{out}"
    );
}
