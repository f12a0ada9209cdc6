//! STARTTLS on the engine's SMTP listener (RFC 3207), driven by Python's
//! smtplib (a client we did not write): offered with
//! smtpd_tls_security_level `may` or `encrypt`, MAIL refused before TLS
//! with `encrypt` (530 5.7.0), the identity from a builder acceptor or from
//! smtpd_tls_cert_file and smtpd_tls_key_file.

mod support;

use std::process::Command;

use mta_core::tls::{Acceptor, Identity};
use support::{builder, eventually, inbox};

fn python() -> bool {
    let found = Command::new("python3").arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var("CI").is_err(),
            "python3 is required under CI (.ci/run installs it)"
        );
        eprintln!("skipping: python3 not found");
    }
    found
}

/// argv: port, mode (`encrypt`, `may`, `none`), CA file.
const SMTPLIB: &str = r#"
import smtplib, ssl, sys
port, mode, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("client.example.net")
if mode == "none":
    assert not s.has_extn("starttls"), s.esmtp_features
    print("no starttls offered")
    s.quit()
    raise SystemExit(0)
assert s.has_extn("starttls"), s.esmtp_features
if mode == "encrypt":
    code, text = s.mail("carol@example.net")
    print("before TLS:", code, text.decode())
    assert code == 530, (code, text)
    s.rset()
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
s.starttls(context=ctx)
s.ehlo("client.example.net")
assert not s.has_extn("starttls"), s.esmtp_features
print("cipher", s.sock.cipher()[0])
refused = s.sendmail("carol@example.net", ["alice@example.com"], b"Subject: over TLS\r\n\r\nsecret body\r\n")
assert refused == {}, refused
s.quit()
print("sent")
"#;

fn run(port: u16, mode: &str, ca: &std::path::Path) -> String {
    let out = Command::new("python3")
        .args(["-c", SMTPLIB, &port.to_string(), mode])
        .arg(ca)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn pair(dir: &std::path::Path) -> (Identity, std::path::PathBuf, std::path::PathBuf) {
    let (identity, cert, key) = Identity::self_signed(&["localhost".into()]).unwrap();
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&c, cert).unwrap();
    std::fs::write(&k, key).unwrap();
    (identity, c, k)
}

async fn delivered_over_tls(dir: &std::path::Path) {
    eventually("delivery to alice", || inbox(dir, "alice").len() == 1).await;
    let msg = String::from_utf8(inbox(dir, "alice").remove(0)).unwrap();
    assert!(msg.contains(" with ESMTPS id "), "{msg}");
    assert!(msg.ends_with("secret body\r\n"), "{msg}");
}

#[tokio::test(flavor = "multi_thread")]
async fn encrypt_refuses_mail_before_starttls() {
    if !python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (identity, ca, _) = pair(dir.path());
    let engine = builder(dir.path(), "smtpd_tls_security_level = encrypt\n")
        .tls_acceptor(Acceptor::new(&identity).unwrap())
        .start()
        .await
        .unwrap();
    let port = engine.smtp_addrs()[0].port();
    let out = tokio::task::spawn_blocking(move || run(port, "encrypt", &ca))
        .await
        .unwrap();
    assert!(
        out.contains("before TLS: 530 5.7.0 Must issue a STARTTLS command first"),
        "{out}"
    );
    assert!(out.contains("sent"), "{out}");
    delivered_over_tls(dir.path()).await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn may_offers_starttls_from_the_main_cf_pem_files() {
    if !python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_, cert, key) = pair(dir.path());
    let extra = format!(
        "smtpd_tls_security_level = may\nsmtpd_tls_cert_file = {}\nsmtpd_tls_key_file = {}\n",
        cert.display(),
        key.display()
    );
    let engine = builder(dir.path(), &extra).start().await.unwrap();
    let port = engine.smtp_addrs()[0].port();
    let out = tokio::task::spawn_blocking(move || run(port, "may", &cert))
        .await
        .unwrap();
    assert!(out.contains("sent"), "{out}");
    delivered_over_tls(dir.path()).await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_starttls_without_a_security_level() {
    if !python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (identity, ca, _) = pair(dir.path());
    let engine = builder(dir.path(), "")
        .tls_acceptor(Acceptor::new(&identity).unwrap())
        .start()
        .await
        .unwrap();
    let port = engine.smtp_addrs()[0].port();
    let out = tokio::task::spawn_blocking(move || run(port, "none", &ca))
        .await
        .unwrap();
    assert!(out.contains("no starttls offered"), "{out}");
    engine.shutdown().await;
}
