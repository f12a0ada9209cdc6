//! Interoperability with Dovecot on the same Maildir: Dovecot reads the
//! UIDs, UIDVALIDITY, flags and keywords we wrote, and we read what it
//! wrote. Dovecot's `imap` binary runs in pre-authenticated mode on
//! stdin/stdout (no server, no network).
//!
//! Needs `dovecot-imapd` (Debian). Locally the tests are skipped with a
//! message when it is missing; under `CI=true` they fail.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use maildir::{Flag, FlagOp, Flags, Store};

const IMAP: &str = "/usr/lib/dovecot/imap";

fn dovecot_available() -> bool {
    if Path::new(IMAP).exists() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{IMAP} is required under CI (apt-get install dovecot-imapd)"
    );
    eprintln!("skipped: {IMAP} not found (apt-get install dovecot-imapd)");
    false
}

/// A scratch area Dovecot can use: when we are root, Dovecot refuses to
/// run as root, so the tree belongs to `nobody` and it runs as `nobody`.
struct Scratch {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    as_root: bool,
}

impl Scratch {
    fn new() -> Scratch {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).unwrap();
        // SAFETY: geteuid has no preconditions.
        let as_root = unsafe { libc::geteuid() } == 0;
        fs::create_dir_all(root.join("run")).unwrap();
        fs::write(
            root.join("dovecot.conf"),
            format!(
                "protocols =\nbase_dir = {0}/run\nstate_dir = {0}/run\nlog_path = /dev/null\n\
                 ssl = no\nmail_location = maildir:{0}/Maildir\n",
                root.display()
            ),
        )
        .unwrap();
        Scratch {
            _tmp: tmp,
            root,
            as_root,
        }
    }

    fn maildir(&self) -> PathBuf {
        self.root.join("Maildir")
    }

    /// Runs one IMAP session (commands separated by CRLF) and returns
    /// Dovecot's output.
    fn imap(&self, commands: &str) -> String {
        if self.as_root {
            let status = Command::new("chown")
                .args(["-R", "65534:65534"])
                .arg(&self.root)
                .status()
                .unwrap();
            assert!(status.success());
        }
        let mut cmd = if self.as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--", IMAP]);
            c
        } else {
            Command::new(IMAP)
        };
        let mut child = cmd
            .arg("-c")
            .arg(self.root.join("dovecot.conf"))
            .env("USER", "test")
            .env("HOME", &self.root)
            .env("MAIL", format!("maildir:{}", self.maildir().display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(commands.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            text.contains("OK Logout"),
            "dovecot said:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    }
}

/// The number after `label` in a response line, e.g. `UIDVALIDITY 123`.
fn number_after(text: &str, label: &str) -> u32 {
    let at = text
        .find(label)
        .unwrap_or_else(|| panic!("{label} missing in\n{text}"));
    text[at + label.len()..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// `(uid, flags)` from `* n FETCH (UID u FLAGS (...))` lines.
fn fetched(text: &str) -> Vec<(u32, String)> {
    text.lines()
        .filter(|l| l.starts_with("* ") && l.contains(" FETCH ("))
        .map(|l| {
            let uid = number_after(l, "UID ");
            let flags = l
                .split("FLAGS (")
                .nth(1)
                .unwrap()
                .split(')')
                .next()
                .unwrap();
            let mut f: Vec<&str> = flags
                .split(' ')
                .filter(|f| !f.is_empty() && *f != "\\Recent")
                .collect();
            f.sort_unstable();
            (uid, f.join(" "))
        })
        .collect()
}

#[test]
fn dovecot_reads_our_uids_flags_and_keywords() {
    if !dovecot_available() {
        return;
    }
    let s = Scratch::new();
    let store = Store::maildir(s.maildir()).unwrap();
    for i in 0..3 {
        store
            .deliver(
                "INBOX",
                format!("Subject: {i}\r\n\r\nbody {i}\r\n").as_bytes(),
            )
            .unwrap();
    }
    let mut inbox = store.open_folder("INBOX").unwrap();
    inbox
        .set_flags(1, FlagOp::Add, Flags::from(Flag::Seen).with(Flag::Replied))
        .unwrap();
    let junk = inbox.keyword_index("$Junk", true).unwrap().unwrap();
    let mut f = Flags::from(Flag::Flagged);
    f.insert_keyword(junk);
    inbox.set_flags(2, FlagOp::Set, f).unwrap();
    inbox.expunge(&[3]).unwrap();
    assert_eq!(inbox.deliver(b"Subject: 4\r\n\r\nbody 4\r\n").unwrap(), 4);
    let validity = inbox.uid_validity();

    let out = s.imap("a SELECT INBOX\r\nb UID FETCH 1:* (FLAGS)\r\nc LOGOUT\r\n");
    assert_eq!(number_after(&out, "[UIDVALIDITY"), validity, "{out}");
    assert_eq!(number_after(&out, "[UIDNEXT"), 5, "{out}");
    assert_eq!(
        fetched(&out),
        [
            (1, "\\Answered \\Seen".to_owned()),
            (2, "$Junk \\Flagged".to_owned()),
            (4, String::new()),
        ]
    );
}

#[test]
fn we_read_what_dovecot_wrote() {
    if !dovecot_available() {
        return;
    }
    let s = Scratch::new();
    let m1 = "Subject: one\r\n\r\nfirst\r\n";
    let m2 = "Subject: two\r\n\r\nsecond\r\n";
    let out = s.imap(&format!(
        "a APPEND INBOX (\\Seen $Work) {{{}+}}\r\n{m1}\r\n\
         b APPEND INBOX {{{}+}}\r\n{m2}\r\n\
         c APPEND INBOX {{{}+}}\r\n{m2}\r\n\
         d SELECT INBOX\r\ne UID STORE 2 +FLAGS (\\Flagged)\r\n\
         f UID STORE 3 +FLAGS (\\Deleted)\r\ng EXPUNGE\r\nh LOGOUT\r\n",
        m1.len(),
        m2.len(),
        m2.len()
    ));
    let validity = number_after(&out, "[UIDVALIDITY");
    let store = Store::maildir(s.maildir()).unwrap();
    let mut inbox = store.open_folder("INBOX").unwrap();
    assert_eq!(inbox.uid_validity(), validity);
    assert_eq!(inbox.uid_next(), 4);
    let got: Vec<(u32, String)> = inbox
        .messages()
        .iter()
        .map(|m| (m.uid(), m.flags().to_string()))
        .collect();
    let work = inbox
        .keyword_index("$Work", false)
        .unwrap()
        .expect("$Work known from dovecot-keywords");
    let work_letter = char::from(b'a' + work);
    assert_eq!(got, [(1, format!("S{work_letter}")), (2, "F".to_owned())]);
    // Dovecot stores LF line ends; its ,W= field gives the CRLF size.
    assert_eq!(
        inbox.read_message(1).unwrap(),
        m1.replace("\r\n", "\n").as_bytes()
    );
    assert_eq!(
        inbox.message(1).unwrap().virtual_size(),
        Some(m1.len() as u64)
    );
    // Our next delivery continues Dovecot's sequence.
    assert_eq!(inbox.deliver(b"Subject: three\r\n\r\n").unwrap(), 4);
    let out = s.imap("a SELECT INBOX\r\nb UID FETCH 4 (FLAGS)\r\nc LOGOUT\r\n");
    assert_eq!(fetched(&out), [(4, String::new())]);
}
