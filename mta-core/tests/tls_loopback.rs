//! TLS over loopback with a generated certificate: the acceptor and the
//! opportunistic connector against each other, the pair kept and reused
//! under the data directory, PEM files as main.cf names them, and POP3
//! STLS driven by Python's poplib (a client we did not write).

use std::process::Command;

use maildir::Store;
use mta_core::passwd::PasswdFile;
use mta_core::pop3::MaildirMaildrop;
use mta_core::tls::{Acceptor, Connector, Identity, TlsError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn names() -> Vec<String> {
    vec!["localhost".into(), "127.0.0.1".into()]
}

#[tokio::test]
async fn handshake_over_loopback_with_generated_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let identity = Identity::load_or_generate(None, None, dir.path(), &names()).unwrap();
    let acceptor = Acceptor::new(&identity).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        let mut buf = [0u8; 5];
        tls.read_exact(&mut buf).await.unwrap();
        tls.write_all(b"pong:").await.unwrap();
        tls.write_all(&buf).await.unwrap();
        tls.shutdown().await.unwrap();
    });

    let connector = Connector::opportunistic("localhost").unwrap();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = connector.connect(tcp).await.unwrap();
    let (_, conn) = tls.get_ref();
    let presented = conn.peer_certificates().unwrap();
    assert_eq!(presented, &identity.cert_chain[..]);
    assert!(conn.protocol_version().is_some());
    tls.write_all(b"hello").await.unwrap();
    let mut reply = Vec::new();
    tls.read_to_end(&mut reply).await.unwrap();
    assert_eq!(reply, b"pong:hello");
    server.await.unwrap();
}

#[test]
fn generated_pair_is_persisted_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let tls_dir = dir.path().join("tls");
    let first = Identity::load_or_generate(None, None, &tls_dir, &names()).unwrap();
    assert!(first.generated);
    let key = tls_dir.join(mta_core::tls::GENERATED_KEY_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "key readable by others: {mode:o}");
    }
    let second = Identity::load_or_generate(None, None, &tls_dir, &names()).unwrap();
    assert!(!second.generated);
    assert_eq!(first.cert_chain, second.cert_chain);
    assert_eq!(first.key.secret_der(), second.key.secret_der());
    // Both server configs build from the reloaded pair.
    second.server_config().unwrap();
}

#[test]
fn configured_pem_files_win_and_must_come_in_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let (made, cert_pem, key_pem) = Identity::self_signed(&names()).unwrap();
    let cert = dir.path().join("server.crt");
    let key = dir.path().join("server.key");
    std::fs::write(&cert, &cert_pem).unwrap();
    std::fs::write(&key, &key_pem).unwrap();
    let loaded =
        Identity::load_or_generate(Some(&cert), Some(&key), &dir.path().join("tls"), &names())
            .unwrap();
    assert!(!loaded.generated);
    assert_eq!(loaded.cert_chain, made.cert_chain);
    assert!(!dir.path().join("tls").exists(), "nothing generated");

    // One file holding both, as smtpd_tls_key_file = $smtpd_tls_cert_file.
    let both = dir.path().join("both.pem");
    std::fs::write(&both, format!("{cert_pem}{key_pem}")).unwrap();
    Identity::from_pem_files(&both, &both).unwrap();

    assert!(matches!(
        Identity::load_or_generate(Some(&cert), None, dir.path(), &names()),
        Err(TlsError::HalfConfigured)
    ));
    assert!(matches!(
        Identity::from_pem_files(&key, &key),
        Err(TlsError::Pem { .. })
    ));
    assert!(matches!(
        Identity::from_pem_files(&cert, &cert),
        Err(TlsError::Pem { .. })
    ));
    assert!(matches!(
        Identity::from_pem_files(&dir.path().join("missing"), &key),
        Err(TlsError::Io { .. })
    ));
}

/// A tool the test needs: under CI its absence is a failure, locally a
/// skip with the reason printed.
fn tool(name: &str) -> bool {
    let found = Command::new(name).arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var("CI").is_err(),
            "{name} is required under CI (.ci/run installs it)"
        );
        eprintln!("skipping: {name} not found");
    }
    found
}

const POPLIB_STLS: &str = r#"
import poplib, ssl, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=10)
caps = p.capa()
assert "STLS" in caps, caps
try:
    p.user("alice")
    raise SystemExit("USER accepted before TLS")
except poplib.error_proto as e:
    print("refused before TLS:", e)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
p.stls(ctx)
print("cert", p.sock.getpeercert(binary_form=True).hex())
assert "STLS" not in p.capa()
p.user("alice")
p.pass_("wonderland")
count, size = p.stat()
print("stat", count, size)
print(b"\n".join(p.retr(1)[1]).decode())
p.quit()
"#;

#[tokio::test]
async fn pop3_stls_with_poplib() {
    if !tool("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let location = format!("maildir:{}/%u/Maildir", dir.path().display());
    Store::open(&location, "alice", None)
        .unwrap()
        .deliver("INBOX", b"Subject: over TLS\r\n\r\nsecret body\r\n")
        .unwrap();
    let users = PasswdFile::parse("alice:{PLAIN}wonderland\n").unwrap();
    let maildrop = MaildirMaildrop::new(users, &location);
    let identity =
        Identity::load_or_generate(None, None, &dir.path().join("tls"), &names()).unwrap();
    let acceptor = Acceptor::new(&identity).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (maildrop, acceptor) = (maildrop.clone(), acceptor.clone());
            tokio::spawn(async move {
                let mut options = pop3_proto::tokio::Options::default();
                // Plaintext authentication only after STLS, even on loopback.
                options.config.plaintext_auth = false;
                let _ =
                    pop3_proto::tokio::serve_with_starttls(&maildrop, stream, options, &acceptor)
                        .await;
            });
        }
    });

    let out = tokio::process::Command::new("python3")
        .args(["-c", POPLIB_STLS, &port.to_string()])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("refused before TLS"), "{stdout}");
    let der: String = identity.cert_chain[0]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(stdout.contains(&format!("cert {der}")), "{stdout}");
    assert!(stdout.contains("stat 1 "), "{stdout}");
    assert!(stdout.contains("secret body"), "{stdout}");
}
