//! Interoperability with Python's `mailbox` module, both ways: Maildir
//! (flags intact) and mbox (mboxrd quoting of `From ` and `>From ` lines).
//!
//! Needs `python3`. Locally the tests are skipped with a message when it is
//! missing; under `CI=true` they fail.

use std::fs;
use std::path::Path;
use std::process::Command;

use maildir::{Flag, FlagOp, Flags, Store};

fn python(script: &str, arg: &Path) -> Option<String> {
    let out = match Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(arg)
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "python3 is required under CI: {e}"
            );
            eprintln!("skipped: python3 not found ({e})");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

const BODY_LINES: &str = "From the start of a line\n>From already quoted\n>>From twice\nplain\n";

#[test]
fn python_reads_our_maildir_with_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("Maildir");
    let store = Store::maildir(&root).unwrap();
    store.create_folder("Sent").unwrap();
    let mut inbox = store.open_folder("INBOX").unwrap();
    let a = inbox.deliver(b"Subject: a\n\nplain new message\n").unwrap();
    let b = inbox
        .append(
            &b"Subject: b\n\nreplied\n"[..],
            Flags::from(Flag::Seen).with(Flag::Replied),
            None,
        )
        .unwrap();
    inbox
        .set_flags(b, FlagOp::Add, Flags::from(Flag::Flagged))
        .unwrap();
    let _ = a;
    store.deliver("Sent", b"Subject: s\n\nsent\n").unwrap();

    let script = r#"
import mailbox, sys
md = mailbox.Maildir(sys.argv[1], create=False)
rows = []
for key, msg in md.items():
    rows.append((msg['Subject'], msg.get_subdir(), msg.get_flags(), msg.get_payload()))
for r in sorted(rows):
    print('|'.join(r).replace('\n', '\\n'))
print('folders', ','.join(sorted(md.list_folders())))
sent = md.get_folder('Sent')
print('sent', [m['Subject'] for m in sent])
"#;
    let Some(out) = python(script, &root) else {
        return;
    };
    assert_eq!(
        out,
        "a|new||plain new message\\n\nb|cur|FRS|replied\\n\nfolders Sent\nsent ['s']\n"
    );
}

#[test]
fn we_read_python_maildir_and_python_sees_our_flag_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("Maildir");
    let script = r#"
import mailbox, sys
md = mailbox.Maildir(sys.argv[1], create=True)
m = mailbox.MaildirMessage(b'Subject: one\n\nfirst\n')
md.add(m)
m = mailbox.MaildirMessage(b'Subject: two\n\nsecond\n')
m.set_subdir('cur'); m.set_flags('SD')
md.add(m)
md.add_folder('Archive')
"#;
    if python(script, &root).is_none() {
        return;
    }
    let store = Store::maildir(&root).unwrap();
    assert_eq!(store.folders().unwrap(), ["INBOX", "Archive"]);
    let mut inbox = store.open_folder("INBOX").unwrap();
    assert_eq!(inbox.messages().len(), 2);
    let mut by_subject = Vec::new();
    for m in inbox.messages().to_vec() {
        let text = String::from_utf8(inbox.read_message(m.uid()).unwrap()).unwrap();
        by_subject.push((
            text.lines().next().unwrap().to_owned(),
            m.flags().to_string(),
            m.is_new(),
            m.uid(),
        ));
    }
    by_subject.sort();
    assert_eq!(by_subject[0].0, "Subject: one");
    assert_eq!((by_subject[0].1.as_str(), by_subject[0].2), ("", true));
    assert_eq!((by_subject[1].1.as_str(), by_subject[1].2), ("DS", false));
    // Python wrote no size into the names: ours come from stat.
    assert_eq!(inbox.message(by_subject[0].3).unwrap().size(), 20);

    inbox
        .set_flags(
            by_subject[0].3,
            FlagOp::Set,
            Flags::from(Flag::Flagged).with(Flag::Seen),
        )
        .unwrap();
    inbox
        .set_flags(by_subject[1].3, FlagOp::Remove, Flags::from(Flag::Draft))
        .unwrap();
    let check = r#"
import mailbox, sys
md = mailbox.Maildir(sys.argv[1], create=False)
print(sorted((m['Subject'], m.get_flags(), m.get_subdir()) for m in md))
"#;
    let out = python(check, &root).unwrap();
    assert_eq!(out, "[('one', 'FS', 'cur'), ('two', 'S', 'cur')]\n");

    // Python changes a flag; our refresh reports it and the UID stays.
    let change = r#"
import mailbox, sys
md = mailbox.Maildir(sys.argv[1], create=False)
for key, m in md.items():
    if m['Subject'] == 'two':
        m.add_flag('R')
        md[key] = m
"#;
    let validity = inbox.uid_validity();
    python(change, &root).unwrap();
    let ch = inbox.refresh().unwrap();
    assert_eq!(inbox.uid_validity(), validity);
    // Python's __setitem__ may write a new file under a new name, which is
    // a new message to any Maildir reader; either way the flag is there.
    let two = inbox
        .messages()
        .iter()
        .find(|m| m.flags().contains(Flag::Replied))
        .expect("flag R visible");
    assert!(ch.flags_changed.contains(&two.uid()) || ch.added.contains(&two.uid()));
}

#[test]
fn python_reads_our_mbox_as_mboxrd() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("mbox");
    let store = Store::mbox(&path).unwrap();
    for i in 0..3 {
        let msg = format!("From: x@example.org\nSubject: m{i}\n\n{BODY_LINES}");
        store.deliver("INBOX", msg.as_bytes()).unwrap();
    }
    let script = r#"
import mailbox, re, sys
for m in mailbox.mbox(sys.argv[1], create=False):
    raw = m.as_bytes(unixfrom=False)
    body = raw.split(b'\n\n', 1)[1]
    # Python's mbox does not unquote; mboxrd readers drop one '>'.
    body = re.sub(rb'(?m)^>(>*From )', rb'\1', body)
    print(m['Subject'], m.get_from().split()[0], repr(body.decode()))
"#;
    let Some(out) = python(script, &path) else {
        return;
    };
    let want: String = (0..3)
        .map(|i| format!("m{i} MAILER-DAEMON {:?}\n", BODY_LINES).replace('"', "'"))
        .collect();
    assert_eq!(out, want);
}

#[test]
fn we_read_python_written_mboxrd() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("mbox");
    // Python's writer quotes "From " lines only (mboxo); quoting the
    // already-quoted ones first makes the file mboxrd.
    let script = r#"
import mailbox, re, sys
body = "From the start of a line\n>From already quoted\n>>From twice\nplain\n"
box = mailbox.mbox(sys.argv[1], create=True)
for i in range(3):
    quoted = re.sub(r'(?m)^(>+From )', r'>\1', body)
    msg = mailbox.mboxMessage("From: x@example.org\nSubject: m%d\n\n%s" % (i, quoted))
    msg.set_from('sender@example.org')
    box.add(msg)
box.flush()
box.close()
"#;
    if python(script, &path).is_none() {
        return;
    }
    let store = Store::mbox(&path).unwrap();
    let mut inbox = store.open_folder("INBOX").unwrap();
    assert_eq!(inbox.messages().len(), 3);
    for (i, uid) in [1u32, 2, 3].into_iter().enumerate() {
        let text = String::from_utf8(inbox.read_message(uid).unwrap()).unwrap();
        assert_eq!(
            text,
            format!("From: x@example.org\nSubject: m{i}\n\n{BODY_LINES}")
        );
    }
    // And a message we append is read back by Python after its ones.
    store
        .deliver("INBOX", b"Subject: ours\n\nFrom us\n")
        .unwrap();
    let count = python(
        "import mailbox,sys\nprint([m['Subject'] for m in mailbox.mbox(sys.argv[1])])",
        &path,
    )
    .unwrap();
    assert_eq!(count, "['m0', 'm1', 'm2', 'ours']\n");
    let _ = fs::metadata(&path).unwrap();
}

#[test]
fn delivery_waits_for_a_python_mbox_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("mbox");
    let store = Store::mbox(&path).unwrap();
    store.deliver("INBOX", b"Subject: first\n\n").unwrap();
    // Python's mailbox.mbox.lock() takes lockf (fcntl) and the dotlock.
    let script = r#"
import mailbox, sys, time
box = mailbox.mbox(sys.argv[1], create=False)
box.lock()
print('locked', flush=True)
time.sleep(1.0)
box.add(b'Subject: python\n\nwritten under the lock\n')
box.flush()
box.unlock()
"#;
    let mut child = match Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "python3 required: {e}"
            );
            return;
        }
    };
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line, "locked\n");
    // Had we not waited, our message would come before Python's.
    assert_eq!(store.deliver("INBOX", b"Subject: second\n\n").unwrap(), 3);
    assert!(child.wait().unwrap().success());
    let mut inbox = store.open_folder("INBOX").unwrap();
    let subjects: Vec<String> = [1, 2, 3]
        .into_iter()
        .map(|uid| {
            let text = String::from_utf8(inbox.read_message(uid).unwrap()).unwrap();
            text.lines().next().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        subjects,
        ["Subject: first", "Subject: python", "Subject: second"]
    );
}
