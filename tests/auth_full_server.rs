//! full_server as a process, the way a person starts it: every listener
//! printed (seven of them), and with `--no-loopback-plaintext` no
//! password accepted before TLS even from loopback (SMTP 538 5.7.11, IMAP
//! LOGINDISABLED, POP3 USER refused) while the same passwords work after
//! STARTTLS/STLS; Ctrl-C (SIGINT) ends it cleanly.

#[path = "e2e/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{example, have, python};

/// argv: submission, SMTPS, POP3, IMAP addresses, user, password.
const CLIENTS: &str = r#"
import imaplib, poplib, smtplib, ssl, sys, base64
sub, smtps, pop, imap, user, pw = sys.argv[1:7]
port = lambda a: int(a.rsplit(":", 1)[1])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", port(sub), timeout=10)
s.ehlo()
print("smtp auth before tls:", str(s.esmtp_features.get("auth")).strip())
plain = base64.b64encode(("\0" + user + "\0" + pw).encode()).decode()
code, text = s.docmd("AUTH", "PLAIN " + plain)
print("smtp AUTH before tls:", code, text.decode())
s.starttls(context=ctx)
s.ehlo()
s.login(user, pw)
print("smtp login after starttls ok")
s.quit()
s = smtplib.SMTP_SSL("127.0.0.1", port(smtps), context=ctx, timeout=10)
s.login(user, pw)
print("smtps login ok")
s.quit()
m = imaplib.IMAP4("127.0.0.1", port(imap), timeout=10)
print("imap LOGINDISABLED:", "LOGINDISABLED" in m.capabilities)
m.starttls(ssl_context=ctx)
m.login(user, pw)
print("imap login after starttls ok")
m.logout()
p = poplib.POP3("127.0.0.1", port(pop), timeout=10)
try:
    p.user(user)
    p.pass_(pw)
    print("pop3 plaintext accepted")
except poplib.error_proto as e:
    print("pop3 before stls:", e.args[0].decode())
p.close()
p = poplib.POP3("127.0.0.1", port(pop), timeout=10)
p.stls(ctx)
p.user(user)
p.pass_(pw)
print("pop3 login after stls ok")
p.quit()
"#;

#[test]
fn prints_seven_listeners_and_refuses_plaintext_without_the_loopback_exception() {
    if !have("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(example("full_server"))
        .args(["--ephemeral-ports", "--no-loopback-plaintext", "--data"])
        .arg(dir.path().join("data"))
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start full_server");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut banner = String::new();
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            banner.push_str(&line);
            banner.push('\n');
            if line.starts_with("Ctrl-C to stop") {
                let _ = tx.send(banner.clone());
                break;
            }
        }
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        let _ = tx.send(rest.join("\n"));
    });
    let banner = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("full_server prints its listeners");

    let mut listeners = BTreeMap::new();
    let mut demo = Vec::new();
    for line in banner.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let Some((last, name)) = words.split_last()
            && let Ok(addr) = last.parse::<SocketAddr>()
        {
            listeners.insert(name.join(" "), addr);
        } else if let [user, password, address] = words[..]
            && address.ends_with("@localhost")
        {
            demo.push((user.to_owned(), password.to_owned()));
        }
    }
    let names: Vec<&str> = listeners.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "IMAP",
            "IMAPS",
            "POP3 (STLS)",
            "POP3S",
            "SMTP",
            "SMTPS",
            "submission"
        ],
        "{banner}"
    );
    let (user, password) = demo.first().cloned().expect("demo users printed");

    let a = |n: &str| listeners[n].to_string();
    let out = python(
        CLIENTS,
        &[
            a("submission"),
            a("SMTPS"),
            a("POP3 (STLS)"),
            a("IMAP"),
            user,
            password,
        ],
    );
    assert!(out.contains("smtp auth before tls: None"), "{out}");
    assert!(out.contains("smtp AUTH before tls: 538 5.7.11"), "{out}");
    assert!(out.contains("smtp login after starttls ok"), "{out}");
    assert!(out.contains("smtps login ok"), "{out}");
    assert!(out.contains("imap LOGINDISABLED: True"), "{out}");
    assert!(out.contains("imap login after starttls ok"), "{out}");
    assert!(out.contains("pop3 before stls: -ERR"), "{out}");
    assert!(out.contains("pop3 login after stls ok"), "{out}");

    // Ctrl-C: a clean stop.
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("full_server did not stop on SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let rest = rx.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    assert!(status.success(), "{status:?}\n{rest}");
    assert!(rest.contains("stopped"), "{rest}");
}
