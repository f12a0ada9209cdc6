//! IMAP STARTTLS (RFC 3501 section 6.2.1) through `imap_proto`'s tokio
//! driver over the Maildir backend: Python's imaplib upgrades, the
//! capabilities change (no STARTTLS, no LOGINDISABLED), LOGIN and SELECT
//! work over TLS; and commands pipelined after STARTTLS in the clear are
//! never executed (CVE-2011-0411).

use maildir::Store;
use mta_core::imap::MaildirBackend;
use mta_core::passwd::PasswdFile;
use mta_core::tls::{Acceptor, Connector, Identity};
use std::net::SocketAddr;
use std::process::Command;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

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

/// A server that refuses plaintext passwords before TLS, even from
/// loopback, so that LOGINDISABLED shows.
async fn start(dir: &std::path::Path) -> SocketAddr {
    let location = format!("maildir:{}/%u/Maildir", dir.display());
    Store::open(&location, "alice", None)
        .unwrap()
        .deliver("INBOX", b"Subject: over TLS\r\n\r\nsecret body\r\n")
        .unwrap();
    let users = PasswdFile::parse("alice:{PLAIN}wonderland\n").unwrap();
    let backend = MaildirBackend::new(users, &location);
    let (identity, _, _) = Identity::self_signed(&["localhost".to_string()]).unwrap();
    let acceptor = Acceptor::new(&identity).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (backend, acceptor) = (backend.clone(), acceptor.clone());
            tokio::spawn(async move {
                let mut options = imap_proto::tokio::Options::default();
                options.config.plaintext_auth = false;
                let _ =
                    imap_proto::tokio::serve_with_starttls(&backend, stream, options, &acceptor)
                        .await;
            });
        }
    });
    addr
}

const IMAPLIB_STARTTLS: &str = r#"
import imaplib, ssl, sys
port = int(sys.argv[1])
M = imaplib.IMAP4('127.0.0.1', port)
caps = M.capabilities
assert 'STARTTLS' in caps and 'LOGINDISABLED' in caps, caps
assert 'AUTH=PLAIN' not in caps, caps
try:
    M.login('alice', 'wonderland')
    raise AssertionError('LOGIN accepted before TLS')
except imaplib.IMAP4.error as e:
    print('refused before TLS:', e)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
typ, data = M.starttls(ssl_context=ctx)
assert typ == 'OK', (typ, data)
caps = M.capabilities
assert 'STARTTLS' not in caps and 'LOGINDISABLED' not in caps, caps
assert 'AUTH=PLAIN' in caps, caps
typ, data = M.login('alice', 'wonderland'); assert typ == 'OK', data
typ, data = M.select('INBOX'); assert typ == 'OK' and data == [b'1'], data
typ, data = M.fetch('1', '(BODY.PEEK[TEXT])'); assert typ == 'OK', data
print('body', data[0][1].decode().strip())
M.logout()
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imaplib_starttls_then_login_and_select() {
    if !tool("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let addr = start(dir.path()).await;
    let out = tokio::process::Command::new("python3")
        .args(["-c", IMAPLIB_STARTTLS, &addr.port().to_string()])
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
    assert!(stdout.contains("body secret body"), "{stdout}");
}

/// Reads lines until the tagged response of `tag`.
async fn until_tagged<R: tokio::io::AsyncBufRead + Unpin>(r: &mut R, tag: &str) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        assert!(r.read_line(&mut line).await.unwrap() > 0, "eof: {lines:?}");
        let done = line.starts_with(&format!("{tag} "));
        lines.push(line);
        if done {
            return lines;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_pipelined_after_starttls_are_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let addr = start(dir.path()).await;
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut r = BufReader::new(stream);
    let greeting = until_tagged(&mut r, "*").await;
    assert!(greeting[0].contains("STARTTLS"), "{greeting:?}");
    // An attacker's injection rides in the same segment as STARTTLS.
    r.get_mut()
        .write_all(b"a STARTTLS\r\nb CAPABILITY\r\nc LOGOUT\r\n")
        .await
        .unwrap();
    let ok = until_tagged(&mut r, "a").await;
    assert!(ok.last().unwrap().starts_with("a OK"), "{ok:?}");
    assert!(
        r.buffer().is_empty(),
        "bytes after the OK: {:?}",
        r.buffer()
    );
    let tls = Connector::opportunistic("localhost").unwrap();
    let stream = tls.connect(r.into_inner()).await.unwrap();
    let mut r = BufReader::new(stream);
    r.get_mut().write_all(b"d CAPABILITY\r\n").await.unwrap();
    let lines = until_tagged(&mut r, "d").await;
    // Only d's answer: b and c were never run.
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("* CAPABILITY "), "{lines:?}");
    assert!(!lines[0].contains("STARTTLS"), "{lines:?}");
    assert!(!lines[0].contains("LOGINDISABLED"), "{lines:?}");
    assert!(lines[0].contains("AUTH=PLAIN"), "{lines:?}");
    r.get_mut()
        .write_all(b"e LOGIN alice wonderland\r\nf STARTTLS\r\ng LOGOUT\r\n")
        .await
        .unwrap();
    let lines = until_tagged(&mut r, "e").await;
    assert!(lines.last().unwrap().starts_with("e OK"), "{lines:?}");
    // STARTTLS once only.
    let lines = until_tagged(&mut r, "f").await;
    assert!(lines.last().unwrap().starts_with("f BAD"), "{lines:?}");
    let lines = until_tagged(&mut r, "g").await;
    assert!(lines.last().unwrap().starts_with("g OK"), "{lines:?}");
    let mut rest = Vec::new();
    let _ = r.read_to_end(&mut rest).await;
}
