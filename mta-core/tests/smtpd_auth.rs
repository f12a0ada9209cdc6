//! SMTP AUTH (RFC 4954) on the engine's listeners, driven by Python's
//! smtplib (a client we did not write): submission (STARTTLS, then AUTH
//! PLAIN or LOGIN before MAIL), SMTPS (implicit TLS, RFC 8314), port 25
//! with smtpd_sasl_auth_enable, 538 5.7.11 before TLS, relaying only for
//! authenticated clients, `with ESMTPSA` (RFC 3848) in the Received
//! header, and the per-address failure limit (454 4.7.0).

mod support;

use mta_core::auth::{PasswordAuth, PlaintextAuth};
use mta_core::engine::{Engine, EngineBuilder, EngineOptions};
use mta_core::smtpd::SmtpService;
use support::{
    PY_HELPERS, Sink, builder, eventually, inbox, python, quick_auth, run_python,
    self_signed_acceptor,
};

/// alice: SHA512-CRYPT of "correct horse" (doveadm pw -s SHA512-CRYPT,
/// Dovecot 2.3.19.1); bob: PLAIN.
const PASSWD: &str = "alice:{SHA512-CRYPT}$6$JD4vLdZWt85LFAcP$dP8.Fj3sf8PA3vSvZUUxXSK9v9TMm63P3Yb7mzEAhrqbeuDBhggAJD9ZSAtp6l0qGtO6y9hQCd35qBj9DQTEc.\nbob:{PLAIN}hunter2\n";

fn auth(max_failures: u32) -> PasswordAuth {
    quick_auth(PASSWD, max_failures)
}

/// An engine relaying to `sink` for every non-local domain; loopback is
/// not in mynetworks, so only AUTH permits relaying.
fn relay_builder(dir: &std::path::Path, sink_port: u16, extra: &str) -> EngineBuilder {
    builder(
        dir,
        &format!("relayhost = [127.0.0.1]:{sink_port}\nmynetworks = 192.0.2.0/24\n{extra}"),
    )
    .tls_acceptor(self_signed_acceptor())
}

/// Starts [`relay_builder`]'s engine (with AUTH allowing 10 failures)
/// as `listen` adds listeners to it.
async fn start_relay(
    dir: &std::path::Path,
    sink_port: u16,
    extra: &str,
    listen: impl FnOnce(EngineBuilder) -> EngineBuilder,
) -> Engine {
    listen(relay_builder(dir, sink_port, extra).auth(auth(10)))
        .start()
        .await
        .unwrap()
}

/// A started [`Sink`] and its port.
async fn sink() -> (Sink, u16) {
    let sink = Sink::default();
    let port = sink.start().await.port();
    (sink, port)
}

fn options(loopback_plaintext: bool) -> EngineOptions {
    let mut o = EngineOptions::default();
    o.plaintext_auth = PlaintextAuth {
        anywhere: false,
        loopback: loopback_plaintext,
    };
    o
}

/// Runs [`PY_HELPERS`], [`PRELUDE`] and `script` with `args`; returns its output.
async fn run(script: &str, args: &[String]) -> String {
    run_python(format!("{PY_HELPERS}{PRELUDE}{script}"), args.to_vec()).await
}

const PRELUDE: &str = r#"
MSG = b"Subject: submitted\r\n\r\nhello from a client\r\n"
def b64(s):
    return base64.b64encode(s.encode()).decode()
"#;

/// argv: submission port.
const SUBMISSION: &str = r#"
port = int(sys.argv[1])
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("client.example.net")
assert s.has_extn("starttls"), s.esmtp_features
assert not s.has_extn("auth"), "AUTH offered before TLS"
code, text = s.docmd("AUTH", "PLAIN " + b64("\0alice\0correct horse"))
print("auth before tls:", code, text.decode())
code, text = s.mail("alice@example.com")
print("mail before tls:", code, text.decode())
s.rset()
s.starttls(context=ctx)
s.ehlo("client.example.net")
print("auth over tls:", str(s.esmtp_features.get("auth")).strip())
code, text = s.mail("alice@example.com")
print("mail before auth:", code, text.decode())
s.rset()
try:
    s.login("alice", "wrong horse")
except smtplib.SMTPAuthenticationError as e:
    print("bad password:", e.smtp_code, e.smtp_error.decode())
s.auth("PLAIN", lambda challenge=None: "\0alice\0correct horse")
print("plain ok")
refused = s.sendmail("alice@example.com", ["carol@example.org"], MSG)
assert refused == {}, refused
s.quit()
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.starttls(context=ctx)
s.ehlo("client.example.net")
s.user, s.password = "bob", "hunter2"
s.auth("LOGIN", s.auth_login, initial_response_ok=False)
print("login ok")
refused = s.sendmail("bob@example.com", ["dave@example.org"], MSG)
assert refused == {}, refused
s.quit()
"#;

#[tokio::test(flavor = "multi_thread")]
async fn submission_starttls_then_auth_plain_and_login_relay() {
    if !python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (sink, sink_port) = sink().await;
    let engine = start_relay(dir.path(), sink_port, "", |b| {
        b.listen_submission("127.0.0.1:0".parse().unwrap())
            .options(options(false))
    })
    .await;
    let port = engine.addr_of(SmtpService::Submission).unwrap().port();
    let out = run(SUBMISSION, &[port.to_string()]).await;
    assert!(
        out.contains("auth before tls: 538 5.7.11 Error: encryption required for authentication"),
        "{out}"
    );
    assert!(
        out.contains("mail before tls: 530 5.7.0 Authentication required"),
        "{out}"
    );
    assert!(out.contains("auth over tls: PLAIN LOGIN"), "{out}");
    assert!(
        out.contains("mail before auth: 530 5.7.0 Authentication required"),
        "{out}"
    );
    assert!(
        out.contains("bad password: 535 5.7.8 Error: authentication failed"),
        "{out}"
    );
    assert!(out.contains("plain ok"), "{out}");
    assert!(out.contains("login ok"), "{out}");
    eventually("both relayed", || sink.received().len() == 2).await;
    let mut got = sink.received();
    got.sort_by(|a, b| a.recipients.cmp(&b.recipients));
    assert_eq!(got[0].recipients, ["carol@example.org"]);
    assert_eq!(got[1].recipients, ["dave@example.org"]);
    for r in &got {
        let text = String::from_utf8_lossy(&r.message);
        assert!(text.contains(" with ESMTPSA id "), "{text}");
    }
    engine.shutdown().await;
}

/// argv: port.
const PORT_25: &str = r#"
port = int(sys.argv[1])
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("client.example.net")
print("auth offered:", str(s.esmtp_features.get("auth")).strip())
s.mail("someone@example.net")
code, text = s.rcpt("carol@example.org")
print("unauthenticated relay:", code, text.decode())
code, text = s.rcpt("alice@example.com")
print("unauthenticated local:", code)
s.rset()
if s.has_extn("auth"):
    s.login("bob", "hunter2")
    refused = s.sendmail("bob@example.com", ["carol@example.org"], MSG)
    assert refused == {}, refused
    print("authenticated relay ok")
else:
    code, text = s.docmd("AUTH", "PLAIN " + b64("\0bob\0hunter2"))
    print("auth disabled:", code, text.decode())
s.quit()
"#;

#[tokio::test(flavor = "multi_thread")]
async fn port_25_offers_auth_only_with_smtpd_sasl_auth_enable() {
    if !python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (sink, sink_port) = sink().await;
    // Loopback counts as secure (the default): AUTH before STARTTLS.
    let engine = start_relay(
        dir.path(),
        sink_port,
        "smtpd_tls_security_level = may\nsmtpd_sasl_auth_enable = yes\n",
        |b| b,
    )
    .await;
    let out = run(PORT_25, &[engine.smtp_addrs()[0].port().to_string()]).await;
    assert!(out.contains("auth offered: PLAIN LOGIN"), "{out}");
    assert!(
        out.contains("unauthenticated relay: 454 4.7.1 <carol@example.org>: Relay access denied"),
        "{out}"
    );
    assert!(out.contains("unauthenticated local: 250"), "{out}");
    assert!(out.contains("authenticated relay ok"), "{out}");
    eventually("relayed", || sink.received().len() == 1).await;
    let text = String::from_utf8_lossy(&sink.received()[0].message).into_owned();
    assert!(text.contains(" with ESMTPA id "), "{text}");
    engine.shutdown().await;

    // Without smtpd_sasl_auth_enable, port 25 offers no AUTH.
    let dir = tempfile::tempdir().unwrap();
    let engine = start_relay(
        dir.path(),
        sink_port,
        "smtpd_tls_security_level = may\n",
        |b| b,
    )
    .await;
    let out = run(PORT_25, &[engine.smtp_addrs()[0].port().to_string()]).await;
    assert!(out.contains("auth offered: None"), "{out}");
    assert!(out.contains("auth disabled: 502"), "{out}");
    engine.shutdown().await;
}

/// argv: SMTPS port.
const SMTPS: &str = r#"
port = int(sys.argv[1])
s = smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, timeout=10)
s.ehlo("client.example.net")
assert not s.has_extn("starttls"), s.esmtp_features
print("auth:", str(s.esmtp_features.get("auth")).strip())
code, text = s.mail("alice@example.com")
print("mail before auth:", code, text.decode())
s.rset()
s.login("alice", "correct horse")
refused = s.sendmail("alice@example.com", ["bob@example.com", "erin@example.org"], MSG)
assert refused == {}, refused
s.quit()
print("sent")
"#;

#[tokio::test(flavor = "multi_thread")]
async fn smtps_implicit_tls_with_auth() {
    if !python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (sink, sink_port) = sink().await;
    let engine = start_relay(dir.path(), sink_port, "", |b| {
        b.listen_smtps("127.0.0.1:0".parse().unwrap())
    })
    .await;
    let port = engine.addr_of(SmtpService::Smtps).unwrap().port();
    let out = run(SMTPS, &[port.to_string()]).await;
    assert!(out.contains("auth: PLAIN LOGIN"), "{out}");
    assert!(
        out.contains("mail before auth: 530 5.7.0 Authentication required"),
        "{out}"
    );
    assert!(out.contains("sent"), "{out}");
    eventually("relayed", || sink.received().len() == 1).await;
    eventually("delivered to bob", || inbox(dir.path(), "bob").len() == 1).await;
    let local = String::from_utf8(inbox(dir.path(), "bob").remove(0)).unwrap();
    assert!(local.contains(" with ESMTPSA id "), "{local}");
    engine.shutdown().await;
}

#[tokio::test]
async fn submission_and_smtps_need_a_password_database_and_smtps_an_identity() {
    let dir = tempfile::tempdir().unwrap();
    let err = builder(dir.path(), "")
        .listen_submission("127.0.0.1:0".parse().unwrap())
        .start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("requires AUTH"), "{err}");
    let err = builder(dir.path(), "")
        .listen_smtps("127.0.0.1:0".parse().unwrap())
        .auth(auth(10))
        .start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("needs a TLS identity"), "{err}");
}

/// argv: submission port, max failures.
const LIMIT: &str = r#"
port, limit = int(sys.argv[1]), int(sys.argv[2])
def attempt(password):
    return smtp_plain(port, "bob", password)
for i in range(limit):
    print("failure", i, attempt("guess%d" % i))
print("blocked:", attempt("hunter2"))
print("after the block:", until_ok(lambda: attempt("hunter2")))
"#;

#[tokio::test(flavor = "multi_thread")]
async fn failure_limit_refuses_with_454_until_the_block_ends() {
    if !python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let engine = relay_builder(dir.path(), 9, "")
        .listen_submission("127.0.0.1:0".parse().unwrap())
        .auth(auth(3))
        .start()
        .await
        .unwrap();
    let port = engine.addr_of(SmtpService::Submission).unwrap().port();
    let out = run(LIMIT, &[port.to_string(), "3".into()]).await;
    for i in 0..3 {
        assert!(out.contains(&format!("failure {i} 535 5.7.8")), "{out}");
    }
    assert!(
        out.contains("blocked: 454 4.7.0 Temporary authentication failure"),
        "{out}"
    );
    assert!(out.contains("after the block: ok"), "{out}");
    engine.shutdown().await;
}
