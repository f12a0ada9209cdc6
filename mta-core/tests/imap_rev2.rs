//! IMAP4rev2 (RFC 9051) through the Maildir server with Python's imaplib:
//! `ENABLE IMAP4rev2`, then SELECT with a LIST response and without
//! RECENT, SEARCH answered with ESEARCH, `$` (SEARCH RETURN (SAVE)),
//! `\NonExistent` parents in LIST, UNSELECT, no `\Recent`; and, for an
//! IMAP4rev1 session, messages it APPENDs to its selected mailbox are
//! `\Recent` (RFC 3501 section 2.3.2).

mod support;

use maildir::Store;
use std::path::Path;

async fn start(dir: &Path) -> u16 {
    let loc = format!("maildir:{}/%u/Maildir", dir.display());
    let store = Store::open(&loc, "alice", None).unwrap();
    for m in [
        &b"Subject: one\r\n\r\nfirst\r\n"[..],
        b"Subject: two\r\n\r\nsecond\r\n",
        b"Subject: three\r\n\r\nthird\r\n",
    ] {
        store.deliver("INBOX", m).unwrap();
    }
    // A folder whose parent does not exist (made by another tool).
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(dir.join("alice/Maildir/.Parent.Child").join(sub)).unwrap();
    }
    support::alice_imap(&loc).await
}

const PRELUDE: &str = r#"
import imaplib, sys
port = int(sys.argv[1])
M = imaplib.IMAP4('127.0.0.1', port)
M.login('alice', 'wonderland')
def raw(*args):
    """A command imaplib has no method for: (typ, data, untagged)."""
    M.untagged_responses = {}
    typ, data = M._simple_command(*args)
    return typ, data, dict(M.untagged_responses)
"#;

const REV2: &str = r#"
assert 'IMAP4REV2' in M.capabilities and 'SEARCHRES' in M.capabilities, M.capabilities
typ, data, u = raw('ENABLE', 'IMAP4rev2')
assert typ == 'OK' and u.get('ENABLED') == [b'IMAP4rev2'], (typ, u)
# SELECT: a LIST response, no RECENT, no UNSEEN (RFC 9051 6.3.2).
typ, data = M.select('INBOX')
u = dict(M.untagged_responses)
assert typ == 'OK' and data == [b'3'], data
assert 'RECENT' not in u, u
assert u['LIST'] == [b'(\\HasNoChildren) "/" INBOX'], u
assert not any(b'UNSEEN' in x for x in u.get('OK', [])), u
# Nothing is \Recent, even the messages this session took from new/.
typ, data = M.fetch('1:*', '(FLAGS)')
assert all(b'\\Recent' not in d for d in data), data
# SEARCH without RETURN: ESEARCH, not SEARCH (RFC 9051 6.4.4).
typ, data, u = raw('SEARCH', 'ALL')
assert typ == 'OK' and 'SEARCH' not in u, u
assert u['ESEARCH'][0].startswith(b'(TAG "') and u['ESEARCH'][0].endswith(b') ALL 1:3'), u
typ, data, u = raw('UID', 'SEARCH', 'SUBJECT', 'nothing')
assert u['ESEARCH'][0].endswith(b') UID'), u
# SEARCHRES: $ is the saved result, in FETCH and in SEARCH.
M.store('2', '+FLAGS', '(\\Flagged)')
typ, data, u = raw('SEARCH', 'RETURN', '(SAVE)', 'FLAGGED')
assert typ == 'OK' and 'ESEARCH' not in u, u
typ, data = M.fetch('$', '(UID)')
assert typ == 'OK' and data == [b'2 (UID 2)'], data
typ, data, u = raw('UID', 'SEARCH', 'RETURN', '(SAVE MIN)', 'ALL')
assert b'MIN 1' in u['ESEARCH'][0], u
typ, data = M.uid('FETCH', '$', '(UID)')
assert data == [b'1 (UID 1)'], data
typ, data, u = raw('SEARCH', 'RETURN', '(COUNT)', 'NOT', '$')
assert b'COUNT 2' in u['ESEARCH'][0], u
# Re-SELECT: [CLOSED] first (RFC 9051 6.3.2).
typ, data = M.select('INBOX', readonly=True)
assert typ == 'OK' and 'CLOSED' in M.untagged_responses, M.untagged_responses
# LIST: a parent that does not exist is \NonExistent (RFC 9051 6.3.9.5).
typ, data = M.list('""', '%')
assert b'(\\NonExistent \\HasChildren) "/" Parent' in data, data
# LIST (SUBSCRIBED) and RETURN (SUBSCRIBED) show \Subscribed (RFC 9051
# 6.3.9); the special folders are subscribed at first login.
typ, data, u = raw('LIST', '(SUBSCRIBED)', '""', '*')
assert typ == 'OK' and any(b'\\Subscribed' in x and x.endswith(b'Sent') for x in u['LIST']), u
assert not any(x.endswith(b'Parent') for x in u['LIST']), u
typ, data, u = raw('LIST', '""', '%', 'RETURN', '(SUBSCRIBED)')
assert any(b'\\Subscribed' in x and x.endswith(b'Trash') for x in u['LIST']), u
assert any(b'\\NonExistent' in x and x.endswith(b'Parent') for x in u['LIST']), u
# UNSELECT (RFC 9051 6.4.2): no mailbox any more.
typ, data, u = raw('UNSELECT')
assert typ == 'OK', data
try:
    raw('FETCH', '1', '(FLAGS)')
    raise AssertionError('FETCH after UNSELECT')
except imaplib.IMAP4.error as e:
    assert 'BAD' in str(e), e
    print('no mailbox after UNSELECT')
M.logout()
print('rev2 ok')
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imap4rev2_after_enable() {
    if !support::python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = start(dir.path()).await;
    let out = support::run_python(format!("{PRELUDE}{REV2}"), vec![port.to_string()]).await;
    assert!(out.contains("rev2 ok"), "{out}");
}

const REV1: &str = r#"
typ, data = M.select('INBOX')
assert M.untagged_responses['RECENT'] == [b'3'], M.untagged_responses
typ, data = M.list('""', '%')
assert b'(\\Noselect \\HasChildren) "/" Parent' in data, data
typ, data = M.search(None, 'ALL'); assert data == [b'1 2 3'], data
# APPENDed to the selected mailbox by this session: \Recent here,
# told at once (RFC 3501 section 6.3.11: EXISTS in the APPEND's answer).
M.untagged_responses = {}
typ, data = M.append('INBOX', None, None, b'Subject: four\r\n\r\nfourth\r\n')
assert typ == 'OK', data
big = b'Subject: five\r\n\r\n' + b'y' * (400 * 1024) + b'\r\n'
typ, data = M.append('INBOX', '(\\Seen)', None, big)
assert typ == 'OK', data
u = M.untagged_responses
assert u['EXISTS'] == [b'4', b'5'] and u['RECENT'] == [b'4', b'5'], u
typ, data = M.fetch('4:5', '(FLAGS)')
assert all(b'\\Recent' in d for d in data), data
typ, data = M.search(None, 'RECENT'); assert data == [b'1 2 3 4 5'], data
M.logout()
print('rev1 ok')
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imap4rev1_recent_and_appends() {
    if !support::python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = start(dir.path()).await;
    let out = support::run_python(format!("{PRELUDE}{REV1}"), vec![port.to_string()]).await;
    assert!(out.contains("rev1 ok"), "{out}");
}
