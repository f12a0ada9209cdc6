//! QRESYNC (RFC 7162 section 3.2) through the Maildir server with
//! Python's imaplib: ENABLE QRESYNC, VANISHED instead of EXPUNGE for the
//! session that expunges and for another one, EXPUNGE still for a client
//! that did not enable it, HIGHESTMODSEQ in the OK of EXPUNGE, SELECT
//! (QRESYNC ...) reporting what was expunged and changed since (with
//! known UIDs, sequence match data, and a wrong UIDVALIDITY), UID FETCH
//! (CHANGEDSINCE ... VANISHED), MOVE, a file removed by another mail
//! reader, the BAD answers, and the expunges remembered across a server
//! restart.

mod support;

use maildir::Store;
use std::path::Path;

async fn start(dir: &Path) -> u16 {
    support::alice_imap(&format!("maildir:{}/%u/Maildir", dir.display())).await
}

fn deliver(dir: &Path, n: usize) {
    let loc = format!("maildir:{}/%u/Maildir", dir.display());
    let store = Store::open(&loc, "alice", None).unwrap();
    for i in 0..n {
        store
            .deliver(
                "INBOX",
                format!("Subject: m{i}\r\n\r\nbody {i}\r\n").as_bytes(),
            )
            .unwrap();
    }
}

const PRELUDE: &str = r#"
import imaplib, os, re, sys
port = int(sys.argv[1])
maildir = sys.argv[2]
def login(qresync=True):
    M = imaplib.IMAP4('127.0.0.1', port)
    M.login('alice', 'wonderland')
    if qresync:
        typ, data, u = raw(M, 'ENABLE', 'QRESYNC')
        assert typ == 'OK' and u['ENABLED'] == [b'QRESYNC'], (typ, u)
    return M
def fetches(u):
    """{UID: (flags, MODSEQ)} of untagged FETCH data."""
    out = {}
    for d in u.get('FETCH', []):
        if isinstance(d, tuple):
            d = d[0]
        uid = int(re.search(rb'UID (\d+)', d).group(1))
        flags = re.search(rb'FLAGS \(([^)]*)\)', d).group(1)
        modseq = int(re.search(rb'MODSEQ \((\d+)\)', d).group(1))
        out[uid] = (flags, modseq)
    return out
def highest(text):
    return int(re.search(rb'HIGHESTMODSEQ (\d+)', text[0]).group(1))
"#;

const SESSIONS: &str = r#"
A = login()
assert 'QRESYNC' in A.capabilities and 'CONDSTORE' in A.capabilities, A.capabilities
typ, data, u = raw(A, 'SELECT', 'INBOX')
assert typ == 'OK', data
validity = int(u['UIDVALIDITY'][0])
h0 = int(u['HIGHESTMODSEQ'][0])
assert u['EXISTS'] == [b'8'], u
# A client that did not enable QRESYNC (CONDSTORE only).
C = login(qresync=False)
raw(C, 'ENABLE', 'CONDSTORE')
typ, data, u = raw(C, 'SELECT', 'INBOX')
assert typ == 'OK', data
# The BAD answers (RFC 7162 sections 3.2.5 and 3.2.6).
typ, data, u = raw(C, 'SELECT', 'INBOX', '(QRESYNC (%d %d))' % (validity, h0))
assert typ == 'BAD', (typ, data)
typ, data, u = raw(C, 'SELECT', 'INBOX')
assert typ == 'OK', data
typ, data, u = raw(C, 'UID', 'FETCH', '1:*', '(FLAGS)', '(CHANGEDSINCE %d VANISHED)' % h0)
assert typ == 'BAD', (typ, data)
typ, data, u = raw(A, 'FETCH', '1:*', '(FLAGS)', '(CHANGEDSINCE %d VANISHED)' % h0)
assert typ == 'BAD', (typ, data)
typ, data, u = raw(A, 'UID', 'FETCH', '1:*', '(FLAGS)', '(VANISHED)')
assert typ == 'BAD', (typ, data)

# The expunging session gets VANISHED and HIGHESTMODSEQ (3.2.7).
B = login()
raw(B, 'SELECT', 'INBOX')
typ, data, u = raw(B, 'UID', 'STORE', '2', '+FLAGS', '(\\Seen)')
assert typ == 'OK', data
typ, data, u = raw(B, 'UID', 'STORE', '3,5', '+FLAGS', '(\\Deleted)')
assert typ == 'OK', data
# The FETCH of a STORE carries UID and MODSEQ (3.2.4).
assert set(fetches(u)) == {3, 5}, u
typ, data, u = raw(B, 'EXPUNGE')
assert typ == 'OK', data
assert u.get('VANISHED') == [b'3,5'], u
assert 'EXPUNGE' not in u, u
h1 = highest(data)
assert h1 > h0, (h0, h1)
# The other QRESYNC session: VANISHED, and the flag change with its UID
# and MODSEQ.
typ, data, u = raw(A, 'NOOP')
assert u.get('VANISHED') == [b'3,5'], u
assert 'EXPUNGE' not in u, u
f = fetches(u)
assert list(f) == [2] and b'\\Seen' in f[2][0].split() and h0 < f[2][1] < h1, f
# The CONDSTORE-only session: EXPUNGE, as before.
typ, data, u = raw(C, 'NOOP')
assert u.get('EXPUNGE') == [b'3', b'4'], u
assert 'VANISHED' not in u, u
# UID EXPUNGE too.
raw(B, 'UID', 'STORE', '6', '+FLAGS', '(\\Deleted)')
typ, data, u = raw(B, 'UID', 'EXPUNGE', '6')
assert u.get('VANISHED') == [b'6'], u
h2 = highest(data)
assert h2 > h1
# Another mail reader removes message 4's file.
cur = os.path.join(maildir, 'cur')
new = os.path.join(maildir, 'new')
names = [os.path.join(d, n) for d in (cur, new) for n in os.listdir(d)]
typ, data, u = raw(B, 'UID', 'FETCH', '4', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
subject = u['FETCH'][0][1].strip()
victim = [p for p in names if open(p, 'rb').read().startswith(subject)]
assert len(victim) == 1, (subject, names)
os.remove(victim[0])
typ, data, u = raw(A, 'NOOP')
assert u.get('VANISHED') == [b'4,6'], u

# A client coming back with what it knew at h0: SELECT (QRESYNC).
D = login()
typ, data, u = raw(D, 'SELECT', 'INBOX', '(QRESYNC (%d %d))' % (validity, h0))
assert typ == 'OK', data
assert u['EXISTS'] == [b'4'], u
assert u.get('VANISHED') == [b'(EARLIER) 3:6'], u
f = fetches(u)
assert list(f) == [2] and b'\\Seen' in f[2][0].split(), f
# Known UIDs: only those are reported.
typ, data, u = raw(D, 'SELECT', 'INBOX', '(QRESYNC (%d %d 1,3,5))' % (validity, h0))
assert u.get('VANISHED') == [b'(EARLIER) 3,5'], u
assert 'FETCH' not in u, u
# Sequence match data (3.2.5.2): message 3 has UID 7, so the client
# knows every expunge below it; a pair that does not match stops there.
typ, data, u = raw(D, 'SELECT', 'INBOX', '(QRESYNC (%d %d 1:8 (1,3 1,7)))' % (validity, h0))
assert 'VANISHED' not in u, u
typ, data, u = raw(D, 'SELECT', 'INBOX', '(QRESYNC (%d %d 1:8 (1,3 1,8)))' % (validity, h0))
assert u.get('VANISHED') == [b'(EARLIER) 3:6'], u
typ, data, u = raw(D, 'SELECT', 'INBOX', '(QRESYNC (%d %d 1:8 (2,3 2,7)))' % (validity, h0))
assert 'VANISHED' not in u, u
# Another UIDVALIDITY: the usual SELECT responses and nothing more.
typ, data, u = raw(D, 'SELECT', 'INBOX', '(QRESYNC (%d %d))' % (validity + 1, h0))
assert typ == 'OK', data
assert 'VANISHED' not in u and 'FETCH' not in u, u
# Up to date: nothing to report.
typ, data, u = raw(D, 'SELECT', 'INBOX', '(QRESYNC (%d %d))' % (validity, int(u['HIGHESTMODSEQ'][0])))
assert 'VANISHED' not in u and 'FETCH' not in u, u
# UID FETCH (CHANGEDSINCE VANISHED): VANISHED (EARLIER) before the FETCHes.
M = D
M.untagged_responses = {}
tag = M._new_tag()
M.send(tag + b' UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)\r\n' % h0)
lines = []
while True:
    l = M._get_line()
    lines.append(l)
    if l.startswith(tag):
        break
assert lines[-1].startswith(tag + b' OK'), lines
assert lines[0] == b'* VANISHED (EARLIER) 3:6', lines
assert len(lines) == 3 and re.search(rb'UID 2\b', lines[1]), lines
typ, data, u = raw(D, 'UID', 'FETCH', '1:4', '(FLAGS)', '(CHANGEDSINCE %d VANISHED)' % h2)
assert u.get('VANISHED') == [b'(EARLIER) 4'], u
# [CLOSED] between two mailboxes (3.2.11).
typ, data, u = raw(D, 'SELECT', 'INBOX')
assert 'CLOSED' in repr(u.get('OK', [])), u
# MOVE: VANISHED for the session that moves, and HIGHESTMODSEQ in its OK
# (RFC 6851 section 4.4).
raw(B, 'SELECT', 'INBOX')
typ, data, u = raw(B, 'UID', 'MOVE', '8', 'Trash')
assert typ == 'OK' and u.get('VANISHED') == [b'8'], (typ, data, u)
assert highest(data) > h2, data
print('validity %d' % validity)
print('h0 %d' % h0)
print('h1 %d' % h1)
print('sessions ok')
"#;

const RESTART: &str = r#"
validity, h0, h1 = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
D = login()
typ, data, u = raw(D, 'SELECT', 'INBOX', '(QRESYNC (%d %d))' % (validity, h0))
assert typ == 'OK', data
assert u.get('VANISHED') == [b'(EARLIER) 3:6,8'], u
assert list(fetches(u)) == [2], u
# Remembered, not guessed: since h1 only 6 (UID EXPUNGE), 4 (removed by
# the other mail reader) and 8 (moved) went; 3 and 5 went before.
typ, data, u = raw(D, 'UID', 'FETCH', '1:*', '(FLAGS)', '(CHANGEDSINCE %d VANISHED)' % h1)
assert u.get('VANISHED') == [b'(EARLIER) 4,6,8'], u
print('restart ok')
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qresync_with_sessions_another_mail_reader_and_a_restart() {
    if !support::python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    deliver(dir.path(), 8);
    let maildir = dir.path().join("alice/Maildir").display().to_string();
    let port = start(dir.path()).await;
    let out = support::run_python(
        format!("{}{PRELUDE}{SESSIONS}", support::PY_IMAP_RAW),
        vec![port.to_string(), maildir.clone()],
    )
    .await;
    assert!(out.contains("sessions ok"), "{out}");
    let validity = support::printed(&out, "validity ").to_owned();
    let h0 = support::printed(&out, "h0 ").to_owned();
    let h1 = support::printed(&out, "h1 ").to_owned();

    // Another server on the same Maildirs remembers the expunges.
    let port = start(dir.path()).await;
    let out = support::run_python(
        format!("{}{PRELUDE}{RESTART}", support::PY_IMAP_RAW),
        vec![port.to_string(), maildir, validity, h0, h1],
    )
    .await;
    assert!(out.contains("restart ok"), "{out}");
}
