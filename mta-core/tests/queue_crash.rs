//! Kill the engine with SIGKILL while it receives and delivers a stream of
//! messages; after a restart on the same directories every message that
//! got a 250 is delivered.
//!
//! Duplicates are possible and this test reports how many it saw: a
//! message delivered into the Maildir just before the kill may not have
//! its done marker on disk yet (done markers ride with the next group
//! commit), so the restarted engine delivers it again. Delivery is at
//! least once, never at most once.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{inbox, send};

fn start(queue: &std::path::Path, mail: &std::path::Path) -> (Child, std::net::SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mta-test-engine"))
        .arg(queue)
        .arg(mail)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening ")
        .unwrap()
        .parse()
        .unwrap();
    (child, addr)
}

fn subjects(mail: &std::path::Path) -> BTreeMap<u32, usize> {
    let mut seen = BTreeMap::new();
    for m in inbox(mail, "alice") {
        let text = String::from_utf8_lossy(&m);
        if let Some(n) = text
            .lines()
            .find_map(|l| l.strip_prefix("Subject: msg-"))
            .and_then(|n| n.trim().parse::<u32>().ok())
        {
            *seen.entry(n).or_insert(0) += 1;
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_message_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let (queue, mail) = (dir.path().join("queue"), dir.path().join("mail"));
    let (mut child, addr) = start(&queue, &mail);

    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let mut senders = Vec::new();
    for s in 0..4u32 {
        let acked = acked.clone();
        senders.push(tokio::spawn(async move {
            for i in 0..10_000u32 {
                let n = s * 100_000 + i;
                let body = format!("Subject: msg-{n}\r\n\r\n{}\r\n", "x".repeat(200));
                match send(
                    addr,
                    "carol@example.net",
                    &["alice@example.com"],
                    body.as_bytes(),
                )
                .await
                {
                    Ok(o) if o.recipients[0].is_delivered() => {
                        acked.lock().unwrap().insert(n);
                    }
                    _ => return,
                }
            }
        }));
    }
    // Let a stream build up, with deliveries running, then kill -9.
    for _ in 0..3000 {
        if acked.lock().unwrap().len() >= 300 && !subjects(&mail).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for s in senders {
        let _ = s.await;
    }
    let acked: BTreeSet<u32> = acked.lock().unwrap().clone();
    // A slow machine may get fewer in; the property holds for any number.
    assert!(
        acked.len() >= 20,
        "only {} messages acknowledged",
        acked.len()
    );
    let before = subjects(&mail).len();

    let (mut child, _) = start(&queue, &mail);
    let mut seen = subjects(&mail);
    for _ in 0..1500 {
        if acked.iter().all(|n| seen.contains_key(n)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        seen = subjects(&mail);
    }
    drop(child.stdin.take());
    let _ = child.wait();
    let missing: Vec<&u32> = acked.iter().filter(|n| !seen.contains_key(n)).collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    let duplicates = seen.values().filter(|&&c| c > 1).count();
    println!(
        "acknowledged {}, delivered before the kill {before}, after restart {}, duplicates {duplicates}",
        acked.len(),
        seen.len()
    );
}
