//! Interop with Postfix (the Debian package) on loopback, both ways:
//! Postfix relays mail for example.com into missive, and missive relays
//! mail for pf.example into Postfix, which delivers it to a Maildir.
//!
//! Needs `postfix` installed and root (Postfix's master runs as root).
//! Without them the test is skipped with a message, except under CI=true
//! where it fails: `.ci/run` installs Postfix with a debconf preseed.
//!
//! The private Postfix instance lives in a fixed directory,
//! /tmp/missive-postfix-interop, because Postfix accepts an alternate
//! configuration directory only when the default main.cf lists it in
//! alternate_config_directories; the test adds it there (creating
//! /etc/postfix/main.cf when the package was installed with "No
//! configuration").

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::{builder, inbox, send};

const DIR: &str = "/tmp/missive-postfix-interop";

fn available() -> Result<(), String> {
    if !Path::new("/usr/sbin/postfix").exists() {
        return Err("postfix is not installed (apt-get install postfix)".into());
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Err("Postfix's master must start as root".into());
    }
    Ok(())
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed: {text}");
    text
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Lists DIR in the default main.cf's alternate_config_directories.
fn allow_config_dir() {
    let main_cf = Path::new("/etc/postfix/main.cf");
    if !main_cf.exists() {
        std::fs::write(
            main_cf,
            format!("compatibility_level = 3.6\nalternate_config_directories = {DIR}\n"),
        )
        .unwrap();
        return;
    }
    let current = run(Command::new("postconf").args(["-h", "alternate_config_directories"]));
    if !current.split([',', ' ', '\n']).any(|d| d == DIR) {
        let value = if current.trim().is_empty() {
            DIR.to_owned()
        } else {
            format!("{}, {DIR}", current.trim())
        };
        run(Command::new("postconf")
            .args(["-e", &format!("alternate_config_directories = {value}")]));
    }
}

struct Postfix {
    dir: PathBuf,
}

impl Postfix {
    fn start(port: u16, missive_port: u16) -> Postfix {
        let dir = PathBuf::from(DIR);
        if dir.exists() {
            let _ = Command::new("postfix").args(["-c", DIR, "stop"]).output();
            std::fs::remove_dir_all(&dir).unwrap();
        }
        for d in ["data", "mail", "queue"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        run(Command::new("chown").args(["postfix", &format!("{DIR}/data")]));
        run(Command::new("chown").args(["nobody:nogroup", &format!("{DIR}/mail")]));
        std::fs::write(dir.join("vmailbox"), "friend@pf.example friend/\n").unwrap();
        std::fs::write(
            dir.join("transport"),
            format!("example.com smtp:[127.0.0.1]:{missive_port}\n"),
        )
        .unwrap();
        let main_cf = format!(
            "compatibility_level = 3.6\n\
             queue_directory = {DIR}/queue\n\
             data_directory = {DIR}/data\n\
             mail_owner = postfix\n\
             myhostname = postfix.example\n\
             mydestination =\n\
             mynetworks = 127.0.0.0/8\n\
             inet_interfaces = 127.0.0.1\n\
             inet_protocols = ipv4\n\
             maillog_file = {DIR}/maillog\n\
             maillog_file_prefixes = {DIR}\n\
             alias_maps =\n\
             alias_database =\n\
             smtpd_tls_security_level = none\n\
             smtp_tls_security_level = none\n\
             smtp_dns_support_level = disabled\n\
             transport_maps = texthash:{DIR}/transport\n\
             virtual_mailbox_domains = pf.example\n\
             virtual_mailbox_base = {DIR}/mail\n\
             virtual_mailbox_maps = texthash:{DIR}/vmailbox\n\
             virtual_uid_maps = static:65534\n\
             virtual_gid_maps = static:65534\n"
        );
        std::fs::write(dir.join("main.cf"), main_cf).unwrap();
        let services = [
            format!("127.0.0.1:{port} inet n - n - - smtpd"),
            "pickup unix n - n 60 1 pickup".into(),
            "cleanup unix n - n - 0 cleanup".into(),
            "qmgr unix n - n 300 1 qmgr".into(),
            "tlsmgr unix - - n 1000? 1 tlsmgr".into(),
            "rewrite unix - - n - - trivial-rewrite".into(),
            "bounce unix - - n - 0 bounce".into(),
            "defer unix - - n - 0 bounce".into(),
            "trace unix - - n - 0 bounce".into(),
            "verify unix - - n - 1 verify".into(),
            "flush unix n - n 1000? 0 flush".into(),
            "proxymap unix - - n - - proxymap".into(),
            "proxywrite unix - - n - 1 proxymap".into(),
            "smtp unix - - n - - smtp".into(),
            "relay unix - - n - - smtp".into(),
            "showq unix n - n - - showq".into(),
            "error unix - - n - - error".into(),
            "retry unix - - n - - error".into(),
            "discard unix - - n - - discard".into(),
            "local unix - n n - - local".into(),
            "virtual unix - n n - - virtual".into(),
            "lmtp unix - - n - - lmtp".into(),
            "anvil unix - - n - 1 anvil".into(),
            "scache unix - - n - 1 scache".into(),
            "postlog unix-dgram n - n - 1 postlogd".into(),
        ];
        std::fs::write(dir.join("master.cf"), services.join("\n") + "\n").unwrap();
        allow_config_dir();
        // Under `script` Postfix prints its fatal errors (it is silent on a
        // non-terminal stderr); -e passes its exit status on.
        run(Command::new("script").args(["-eqc", &format!("postfix -c {DIR} check"), "/dev/null"]));
        run(Command::new("script").args(["-eqc", &format!("postfix -c {DIR} start"), "/dev/null"]));
        Postfix { dir }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("maillog")).unwrap_or_default()
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = Command::new("postfix").args(["-c", DIR, "stop"]).output();
    }
}

async fn wait_for(what: &str, log: impl Fn() -> String, mut ok: impl FnMut() -> bool) {
    for _ in 0..600 {
        if ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}; Postfix log:\n{}", log());
}

fn maildir_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(rd) = std::fs::read_dir(dir.join(sub)) {
            for e in rd.flatten() {
                out.push(std::fs::read_to_string(e.path()).unwrap_or_default());
            }
        }
    }
    out
}

#[tokio::test]
async fn postfix_relays_into_missive_and_missive_into_postfix() {
    if let Err(why) = available() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("Postfix interop test cannot run under CI: {why}");
        }
        eprintln!("skipping the Postfix interop test: {why}");
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let pf_port = free_port();
    let engine = builder(data.path(), &format!("relayhost = [127.0.0.1]:{pf_port}\n"))
        .start()
        .await
        .unwrap();
    let missive = engine.smtp_addrs()[0];
    let postfix = Postfix::start(pf_port, missive.port());
    let pf_addr: std::net::SocketAddr = format!("127.0.0.1:{pf_port}").parse().unwrap();
    wait_for(
        "Postfix to listen",
        || postfix.log(),
        || std::net::TcpStream::connect(pf_addr).is_ok(),
    )
    .await;

    // Postfix -> missive.
    let out = send(
        pf_addr,
        "sender@pf.example",
        &["alice@example.com"],
        b"Subject: from postfix\r\n\r\nhello missive\r\n",
    )
    .await
    .unwrap();
    assert!(out.recipients[0].is_delivered(), "{out:?}");
    wait_for(
        "Postfix to relay into missive",
        || postfix.log(),
        || inbox(data.path(), "alice").len() == 1,
    )
    .await;
    let msg = String::from_utf8(inbox(data.path(), "alice").remove(0)).unwrap();
    assert!(
        msg.starts_with("Return-Path: <sender@pf.example>\r\nDelivered-To: alice@example.com\r\n"),
        "{msg}"
    );
    assert!(
        msg.contains("by mx.example.com (missive) with ESMTP"),
        "{msg}"
    );
    assert!(
        msg.contains("by postfix.example (Postfix) with ESMTP"),
        "{msg}"
    );
    assert!(msg.ends_with("hello missive\r\n"));

    // missive -> Postfix.
    let out = send(
        missive,
        "alice@example.com",
        &["friend@pf.example"],
        b"Subject: from missive\r\n\r\nhello postfix\r\n",
    )
    .await
    .unwrap();
    assert!(out.recipients[0].is_delivered(), "{out:?}");
    let friend = Path::new(DIR).join("mail/friend");
    wait_for(
        "missive to relay into Postfix",
        || postfix.log(),
        || maildir_files(&friend).len() == 1,
    )
    .await;
    let msg = maildir_files(&friend).remove(0);
    assert!(msg.contains("Delivered-To: friend@pf.example"), "{msg}");
    assert!(msg.contains("Return-Path: <alice@example.com>"), "{msg}");
    assert!(
        msg.contains("by mx.example.com (missive) with ESMTP"),
        "{msg}"
    );
    assert!(msg.contains("hello postfix"));
    let log = postfix.log();
    assert!(
        log.contains("to=<friend@pf.example>, relay=virtual") && log.contains("status=sent"),
        "{log}"
    );
    assert!(
        log.contains("to=<alice@example.com>, relay=127.0.0.1[127.0.0.1]"),
        "{log}"
    );
    support::eventually("missive queue empty", || engine.queue().is_empty()).await;
    engine.shutdown().await;
}
