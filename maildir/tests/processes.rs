//! Several processes on one Maildir: concurrent deliveries with flag
//! changes, and deliveries killed with SIGKILL.
//!
//! The children are this test binary itself, started with the ignored test
//! `child_process` and told their role through the environment.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use maildir::{Flag, FlagOp, Flags, Store};

fn spawn(role: &str, dir: &Path, extra: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "child_process",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("MISSIVE_ROLE", role)
    .env("MISSIVE_DIR", dir)
    .stdout(std::process::Stdio::null());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// Cheap pseudo-random numbers (no randomness crate needed for this).
struct Rng(u64);
impl Rng {
    fn seeded() -> Rng {
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        Rng(t ^ u64::from(std::process::id()) << 32 | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Entry point of the child processes; does nothing in a normal run.
#[test]
#[ignore = "started by the other tests as a child process"]
fn child_process() {
    let Ok(role) = std::env::var("MISSIVE_ROLE") else {
        return;
    };
    let dir = PathBuf::from(std::env::var("MISSIVE_DIR").unwrap());
    let store = Store::maildir(&dir).unwrap();
    match role.as_str() {
        "deliver" => {
            let me: u32 = std::env::var("MISSIVE_ID").unwrap().parse().unwrap();
            let count: u32 = std::env::var("MISSIVE_COUNT").unwrap().parse().unwrap();
            let out = std::env::var("MISSIVE_OUT").unwrap();
            let mut log = String::new();
            for n in 0..count {
                let msg = format!("Subject: p{me} n{n}\r\n\r\nbody\r\n");
                let uid = store.deliver("INBOX", msg.as_bytes()).unwrap();
                log.push_str(&format!("{n} {uid}\n"));
            }
            fs::write(out, log).unwrap();
        }
        "flagger" => {
            let stop = PathBuf::from(std::env::var("MISSIVE_STOP").unwrap());
            let out = std::env::var("MISSIVE_OUT").unwrap();
            let mut inbox = store.open_folder("INBOX").unwrap();
            let mut rng = Rng::seeded();
            let mut ops = 0u64;
            loop {
                let done = stop.exists();
                inbox.refresh().unwrap();
                let uids: Vec<u32> = inbox.messages().iter().map(|m| m.uid()).collect();
                for _ in 0..20.min(uids.len()) {
                    let uid = uids[(rng.next() % uids.len() as u64) as usize];
                    let flag = if rng.next().is_multiple_of(2) {
                        Flag::Seen
                    } else {
                        Flag::Flagged
                    };
                    let op = if rng.next().is_multiple_of(3) {
                        FlagOp::Remove
                    } else {
                        FlagOp::Add
                    };
                    inbox.set_flags(uid, op, Flags::from(flag)).unwrap();
                    ops += 1;
                }
                if done {
                    break;
                }
            }
            fs::write(out, format!("{ops}\n")).unwrap();
        }
        "crash" => {
            // Deliver until killed. Each message is long enough that a kill
            // often lands in the middle of writing it.
            let filler = "x".repeat(70);
            let mut n = 0u64;
            loop {
                let mut msg = format!("BEGIN {} {n}\n", std::process::id());
                for _ in 0..300 {
                    msg.push_str(&filler);
                    msg.push('\n');
                }
                msg.push_str("END\n");
                store.deliver("INBOX", msg.as_bytes()).unwrap();
                n += 1;
                let _ = std::io::stdout().flush();
            }
        }
        "crash_batch" => {
            // Deliver batches of 1 to 12 messages until killed.
            let filler = "x".repeat(70);
            let mut rng = Rng::seeded();
            let mut n = 0u64;
            loop {
                let count = 1 + rng.next() % 12;
                let batch: Vec<String> = (0..count)
                    .map(|k| {
                        let mut msg = format!("BEGIN {} {n} {k}\n", std::process::id());
                        for _ in 0..300 {
                            msg.push_str(&filler);
                            msg.push('\n');
                        }
                        msg.push_str("END\n");
                        msg
                    })
                    .collect();
                let refs: Vec<&[u8]> = batch.iter().map(|m| m.as_bytes()).collect();
                for r in store.deliver_batch("INBOX", &refs) {
                    r.unwrap();
                }
                n += 1;
            }
        }
        "mbox" => {
            let me: u32 = std::env::var("MISSIVE_ID").unwrap().parse().unwrap();
            let count: u32 = std::env::var("MISSIVE_COUNT").unwrap().parse().unwrap();
            let spool = Store::mbox(dir.join("spool")).unwrap();
            for n in 0..count {
                // Lines that need quoting, and a body long enough that two
                // unlocked writers would interleave.
                let mut msg = format!("Subject: p{me} n{n}\n\nFrom the start\n>From quoted\n");
                msg.push_str(&"y".repeat(5000));
                msg.push_str("\nEND\n");
                spool.deliver("INBOX", msg.as_bytes()).unwrap();
            }
        }
        other => panic!("unknown role {other}"),
    }
}

#[test]
fn two_deliverers_and_a_flagger_never_share_or_lose_a_uid() {
    const PER_PROCESS: u32 = 1000;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("Maildir");
    Store::maildir(&dir).unwrap();
    // One message first, so the flagger has work from the start.
    Store::maildir(&dir)
        .unwrap()
        .deliver("INBOX", b"Subject: seed\r\n\r\n")
        .unwrap();
    let stop = tmp.path().join("stop");
    let out = |n: &str| tmp.path().join(n).display().to_string();
    let mut flagger = spawn(
        "flagger",
        &dir,
        &[
            ("MISSIVE_STOP", stop.display().to_string()),
            ("MISSIVE_OUT", out("flagger")),
        ],
    );
    let deliverers: Vec<Child> = (1..=2)
        .map(|id| {
            spawn(
                "deliver",
                &dir,
                &[
                    ("MISSIVE_ID", id.to_string()),
                    ("MISSIVE_COUNT", PER_PROCESS.to_string()),
                    ("MISSIVE_OUT", out(&format!("deliver{id}"))),
                ],
            )
        })
        .collect();
    for mut d in deliverers {
        assert!(d.wait().unwrap().success(), "a deliverer failed");
    }
    fs::write(&stop, "").unwrap();
    assert!(flagger.wait().unwrap().success(), "the flagger failed");
    let ops: u64 = fs::read_to_string(out("flagger"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(ops > 0);

    // What each deliverer was told.
    let mut told: HashMap<(u32, u32), u32> = HashMap::new();
    let mut all_uids = HashSet::new();
    for id in 1..=2u32 {
        for line in fs::read_to_string(out(&format!("deliver{id}")))
            .unwrap()
            .lines()
        {
            let (n, uid) = line.split_once(' ').unwrap();
            let uid: u32 = uid.parse().unwrap();
            assert!(all_uids.insert(uid), "UID {uid} given twice");
            told.insert((id, n.parse().unwrap()), uid);
        }
    }
    assert_eq!(told.len(), 2 * PER_PROCESS as usize);

    // What a fresh reader sees agrees, message by message.
    let mut inbox = Store::maildir(&dir).unwrap().open_folder("INBOX").unwrap();
    assert_eq!(inbox.messages().len(), 2 * PER_PROCESS as usize + 1);
    let uids: Vec<u32> = inbox.messages().iter().map(|m| m.uid()).collect();
    for uid in uids {
        let text = String::from_utf8(inbox.read_message(uid).unwrap()).unwrap();
        let subject = text.lines().next().unwrap();
        if subject == "Subject: seed" {
            assert_eq!(uid, 1);
            continue;
        }
        let (p, n) = subject
            .strip_prefix("Subject: p")
            .unwrap()
            .split_once(" n")
            .unwrap();
        let key = (p.parse().unwrap(), n.parse().unwrap());
        assert_eq!(told.get(&key), Some(&uid), "message {key:?}");
    }
    assert_eq!(inbox.uid_next(), 2 * PER_PROCESS + 2);
}

fn check_complete(dir: &Path) -> usize {
    let mut count = 0;
    for sub in ["new", "cur"] {
        for e in fs::read_dir(dir.join(sub)).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            let data = fs::read(e.path()).unwrap();
            let size: usize = name
                .split(':')
                .next()
                .unwrap()
                .split(',')
                .find_map(|f| f.strip_prefix("S="))
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(data.len(), size, "{name}");
            assert!(
                data.starts_with(b"BEGIN ") && data.ends_with(b"END\n"),
                "{name} is partial"
            );
            count += 1;
        }
    }
    count
}

#[test]
fn killed_deliveries_leave_only_complete_messages_and_all_get_uids() {
    killed_deliveries("crash");
}

#[test]
fn killed_batch_deliveries_leave_only_complete_messages_and_all_get_uids() {
    killed_deliveries("crash_batch");
}

fn killed_deliveries(role: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("Maildir");
    Store::maildir(&dir).unwrap();
    let mut rng = Rng::seeded();
    let mut last_uid_next = 1;
    let mut validity = None;
    for round in 0..8 {
        let mut child = spawn(role, &dir, &[]);
        std::thread::sleep(Duration::from_millis(30 + rng.next() % 120));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let files = check_complete(&dir);
        // A restart: every complete message gets a UID, none twice, and
        // UIDs only grow.
        let inbox = Store::maildir(&dir).unwrap().open_folder("INBOX").unwrap();
        assert_eq!(inbox.messages().len(), files, "round {round}");
        let uids: HashSet<u32> = inbox.messages().iter().map(|m| m.uid()).collect();
        assert_eq!(uids.len(), files);
        assert!(inbox.uid_next() >= last_uid_next);
        last_uid_next = inbox.uid_next();
        // A kill never corrupts the UID list (that would force a new
        // UIDVALIDITY on every client).
        assert_eq!(
            *validity.get_or_insert(inbox.uid_validity()),
            inbox.uid_validity()
        );
    }
    assert!(last_uid_next > 1, "no child delivered anything");
    // A delivery after the crashes works and is not blocked by a stale lock.
    let uid = Store::maildir(&dir)
        .unwrap()
        .deliver("INBOX", b"BEGIN after\nEND\n")
        .unwrap();
    assert!(uid >= last_uid_next);
}

#[test]
fn two_processes_appending_to_one_mbox_never_interleave() {
    const PER_PROCESS: u32 = 150;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("box");
    let children: Vec<Child> = (1..=2)
        .map(|id| {
            spawn(
                "mbox",
                &dir,
                &[
                    ("MISSIVE_ID", id.to_string()),
                    ("MISSIVE_COUNT", PER_PROCESS.to_string()),
                ],
            )
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let mut inbox = Store::mbox(dir.join("spool"))
        .unwrap()
        .open_folder("INBOX")
        .unwrap();
    assert_eq!(inbox.messages().len(), 2 * PER_PROCESS as usize);
    let uids: Vec<u32> = inbox.messages().iter().map(|m| m.uid()).collect();
    assert_eq!(uids, (1..=2 * PER_PROCESS).collect::<Vec<_>>());
    let mut seen = HashSet::new();
    for uid in uids {
        let text = String::from_utf8(inbox.read_message(uid).unwrap()).unwrap();
        assert!(text.contains("\n\nFrom the start\n>From quoted\n"), "{uid}");
        assert!(
            text.ends_with(&format!("{}\nEND\n", "y".repeat(5000))),
            "{uid}"
        );
        assert!(seen.insert(text.lines().next().unwrap().to_owned()));
    }
}
