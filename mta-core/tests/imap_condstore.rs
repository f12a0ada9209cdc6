//! CONDSTORE (RFC 7162 section 3.1) through the Maildir server with
//! Python's imaplib: HIGHESTMODSEQ in SELECT and STATUS, SELECT
//! (CONDSTORE), ENABLE CONDSTORE, FETCH MODSEQ and CHANGEDSINCE, STORE
//! UNCHANGEDSINCE with MODIFIED, SEARCH MODSEQ with its (MODSEQ n),
//! MODSEQ in the FETCH another session's STORE causes, new mail and a
//! rename by another mail reader getting new mod-sequences, and the
//! mod-sequences kept across a server restart.

mod support;

use maildir::Store;
use std::path::Path;

async fn start(dir: &Path) -> u16 {
    support::alice_imap(&format!("maildir:{}/%u/Maildir", dir.display())).await
}

fn deliver(dir: &Path) {
    let loc = format!("maildir:{}/%u/Maildir", dir.display());
    let store = Store::open(&loc, "alice", None).unwrap();
    for m in [
        &b"Subject: one\r\n\r\nfirst\r\n"[..],
        b"Subject: two\r\n\r\nsecond\r\n",
        b"Subject: three\r\n\r\nthird\r\n",
    ] {
        store.deliver("INBOX", m).unwrap();
    }
}

const PRELUDE: &str = r#"
import imaplib, os, re, sys
port = int(sys.argv[1])
maildir = sys.argv[2]
def login():
    M = imaplib.IMAP4('127.0.0.1', port)
    M.login('alice', 'wonderland')
    return M
def modseqs(fetch_lines):
    """{sequence number: MODSEQ} of untagged FETCH data."""
    out = {}
    for d in fetch_lines:
        if isinstance(d, tuple):
            d = d[0]
        m = re.match(rb'(\d+) \(.*MODSEQ \((\d+)\)', d)
        assert m, d
        out[int(m.group(1))] = int(m.group(2))
    return out
"#;

const SESSIONS: &str = r#"
A = login()
assert 'CONDSTORE' in A.capabilities, A.capabilities
# SELECT (CONDSTORE): HIGHESTMODSEQ (RFC 7162 3.1.2.1, 3.1.8).
typ, data, u = raw(A, 'SELECT', 'INBOX', '(CONDSTORE)')
assert typ == 'OK', data
h0 = int(u['HIGHESTMODSEQ'][0])
# FETCH MODSEQ (3.1.4.2): one per message, distinct, the highest is h0.
typ, data, u = raw(A, 'FETCH', '1:*', '(MODSEQ)')
ms = modseqs(u['FETCH'])
assert sorted(ms) == [1, 2, 3] and len(set(ms.values())) == 3, ms
assert max(ms.values()) == h0, (ms, h0)
# STATUS HIGHESTMODSEQ (3.1.7).
typ, data, u = raw(A, 'STATUS', 'INBOX', '(MESSAGES HIGHESTMODSEQ)')
assert u['STATUS'] == [b'INBOX (MESSAGES 3 HIGHESTMODSEQ %d)' % h0], u
# Another session: after ENABLE CONDSTORE (RFC 5161), a plain SELECT
# reports HIGHESTMODSEQ (3.1.2).
B = login()
typ, data, u = raw(B, 'ENABLE', 'CONDSTORE')
assert u['ENABLED'] == [b'CONDSTORE'], u
typ, data, u = raw(B, 'SELECT', 'INBOX')
assert u['HIGHESTMODSEQ'] == [b'%d' % h0], u
# A STORE in A: its FETCH carries the new MODSEQ ...
typ, data, u = raw(A, 'STORE', '2', '+FLAGS', '(\\Flagged)')
assert typ == 'OK', data
m1 = modseqs(u['FETCH'])[2]
assert m1 > h0 and b'\\Flagged' in u['FETCH'][0], (u, h0)
# ... and B sees the change with the same MODSEQ (3.1.4.2, example 14),
# and the UID (3.2.4).
typ, data, u = raw(B, 'NOOP')
assert u['FETCH'] == [b'2 (FLAGS (\\Flagged) UID 2 MODSEQ (%d))' % m1], u
# FETCH CHANGEDSINCE (3.1.4.1): only what changed, MODSEQ implied.
typ, data, u = raw(A, 'UID', 'FETCH', '1:*', '(FLAGS)', '(CHANGEDSINCE %d)' % h0)
assert len(u['FETCH']) == 1 and u['FETCH'][0].startswith(b'2 (UID 2 FLAGS (\\Flagged'), u
assert u['FETCH'][0].endswith(b' MODSEQ (%d))' % m1), u
typ, data, u = raw(A, 'FETCH', '1:*', '(FLAGS)', '(CHANGEDSINCE %d)' % m1)
assert 'FETCH' not in u, u
# SEARCH MODSEQ (3.1.5, 3.1.6), also with an entry name, and ESEARCH
# (3.1.10).
typ, data, u = raw(A, 'SEARCH', 'MODSEQ', str(h0 + 1))
assert u['SEARCH'] == [b'2 (MODSEQ %d)' % m1], u
typ, data, u = raw(A, 'SEARCH', 'MODSEQ', '"/flags/\\\\draft"', 'all', str(ms[1]))
assert u['SEARCH'] == [b'1 2 3 (MODSEQ %d)' % m1], u
typ, data, u = raw(A, 'SEARCH', 'MODSEQ', str(m1 + 1))
assert u['SEARCH'] == [b''] or u['SEARCH'] == [None], u
typ, data, u = raw(A, 'UID', 'SEARCH', 'RETURN', '(ALL)', 'MODSEQ', str(ms[1]))
assert u['ESEARCH'][0].endswith(b'UID ALL 1:3 MODSEQ %d' % m1), u
# STORE UNCHANGEDSINCE (3.1.3): message 2 changed after h0, so it is
# left alone and reported MODIFIED; 1 and 3 get FETCH MODSEQ even with
# .SILENT.
typ, data, u = raw(A, 'STORE', '1:3', '(UNCHANGEDSINCE %d)' % h0, '+FLAGS.SILENT', '(\\Seen)')
assert typ == 'OK' and data[0].startswith(b'[MODIFIED 2]'), (typ, data)
after = modseqs(u['FETCH'])
assert sorted(after) == [1, 3] and min(after.values()) > m1, u
assert all(b'FLAGS' not in d for d in u['FETCH']), u
typ, data, u = raw(A, 'UID', 'STORE', '2', '(UNCHANGEDSINCE 0)', '+FLAGS', '(\\Seen)')
assert typ == 'OK' and data[0].startswith(b'[MODIFIED 2]'), (typ, data)
# A flag already set: the MODSEQ stays (3.1.11).
typ, data, u = raw(A, 'STORE', '1', '+FLAGS', '(\\Seen)')
assert modseqs(u['FETCH'])[1] == after[1], (u, after)
# B sees both changes with their MODSEQ.
typ, data, u = raw(B, 'NOOP')
seen = modseqs(u['FETCH'])
assert seen == after and all(b'\\Seen' in d for d in u['FETCH']), (u, after)
# A conditional STORE that passes, in B (example 3).
typ, data, u = raw(B, 'UID', 'STORE', '3', '(UNCHANGEDSINCE %d)' % after[3], '-FLAGS', '(\\Seen)')
assert typ == 'OK' and b'MODIFIED' not in data[0], data
m3 = modseqs(u['FETCH'])[3]
assert m3 > max(after.values()), u
assert u['FETCH'][0].startswith(b'3 (FLAGS () UID 3 MODSEQ'), u
# New mail gets a MODSEQ above all (3.1): an APPEND by B.
typ, data = B.append('INBOX', None, None, b'Subject: four\r\n\r\nfourth\r\n')
assert typ == 'OK', data
typ, data, u = raw(A, 'NOOP')
assert u['EXISTS'] == [b'4'], u
typ, data, u = raw(A, 'FETCH', '4', '(MODSEQ)')
m4 = modseqs(u['FETCH'])[4]
assert m4 > m3, (m4, m3)
# A FETCH that sets \Seen tells the new MODSEQ.
typ, data, u = raw(A, 'FETCH', '4', '(BODY[TEXT])')
assert typ == 'OK', data
body = b''.join(b''.join(d) if isinstance(d, tuple) else d for d in u['FETCH'])
typ, data, u = raw(A, 'FETCH', '4', '(FLAGS MODSEQ)')
m5 = modseqs(u['FETCH'])[4]
assert m5 > m4 and b'\\Seen' in u['FETCH'][0], u
assert b'fourth' in body and b'MODSEQ (%d)' % m5 in body, body
# Another mail reader (mutt) renames a message in cur/ to flag it:
# a new MODSEQ, seen by both sessions.
typ, data, u = raw(B, 'NOOP')
cur = os.path.join(maildir, 'cur')
name = [n for n in os.listdir(cur) if b'first' in open(os.path.join(cur, n), 'rb').read()][0]
assert name.endswith(':2,S'), name
os.rename(os.path.join(cur, name), os.path.join(cur, name[:-1] + 'FS'))
import time
deadline = time.time() + 10
while True:
    typ, data, u = raw(B, 'NOOP')
    if 'FETCH' in u or time.time() > deadline:
        break
    time.sleep(0.2)
m6 = modseqs(u['FETCH'])
assert list(m6) == [1] and m6[1] > m5 and b'\\Flagged \\Seen' in u['FETCH'][0], (u, m5)
typ, data, u = raw(A, 'NOOP')
assert modseqs(u['FETCH']) == m6, (u, m6)
typ, data, u = raw(A, 'STATUS', 'INBOX', '(HIGHESTMODSEQ)')
final = max(m6.values())
assert u['STATUS'] == [b'INBOX (HIGHESTMODSEQ %d)' % final], u
typ, data, u = raw(A, 'FETCH', '1:*', '(MODSEQ)')
print('modseqs', sorted(modseqs(u['FETCH']).items()))
print('highest', final)
A.logout(); B.logout()
print('sessions ok')
"#;

const RESTART: &str = r#"
C = login()
# Not CONDSTORE-aware yet: no HIGHESTMODSEQ; a FETCH MODSEQ enables.
typ, data, u = raw(C, 'EXAMINE', 'INBOX')
assert 'HIGHESTMODSEQ' not in u, u
typ, data, u = raw(C, 'FETCH', '1:*', '(MODSEQ)')
assert u['HIGHESTMODSEQ'] == [sys.argv[3].encode()], u
print('modseqs', sorted(modseqs(u['FETCH']).items()))
typ, data, u = raw(C, 'SELECT', 'INBOX')
assert u['HIGHESTMODSEQ'] == [sys.argv[3].encode()], u
# Every Maildir folder has mod-sequences, a new one too.
typ, data = C.create('Fresh')
typ, data, u = raw(C, 'SELECT', 'Fresh')
assert int(u['HIGHESTMODSEQ'][0]) >= 1, u
C.logout()
print('restart ok')
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn condstore_with_two_sessions_and_a_restart() {
    if !support::python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    deliver(dir.path());
    let maildir = dir.path().join("alice/Maildir").display().to_string();
    let port = start(dir.path()).await;
    let out = support::run_python(
        format!("{}{PRELUDE}{SESSIONS}", support::PY_IMAP_RAW),
        vec![port.to_string(), maildir.clone()],
    )
    .await;
    assert!(out.contains("sessions ok"), "{out}");
    let modseqs = support::printed(&out, "modseqs ").to_owned();
    let highest = support::printed(&out, "highest ").to_owned();

    // Another server on the same Maildirs: the same mod-sequences.
    let port = start(dir.path()).await;
    let out = support::run_python(
        format!("{}{PRELUDE}{RESTART}", support::PY_IMAP_RAW),
        vec![port.to_string(), maildir, highest],
    )
    .await;
    assert!(out.contains("restart ok"), "{out}");
    assert_eq!(support::printed(&out, "modseqs "), modseqs);
}
