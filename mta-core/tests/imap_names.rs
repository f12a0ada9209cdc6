//! UTF-8 mailbox names in Unicode Normalization Form C (RFC 9051 section
//! 5.1, Net-Unicode), through the Maildir server with Python's imaplib: a
//! name sent decomposed is stored composed, CREATE and RENAME answer with
//! a LIST carrying the given name as OLDNAME (section 6.3.9.7), and every
//! command taking the decomposed name reaches the same mailbox.

mod support;

const SCRIPT: &str = r#"
import imaplib, sys
port = int(sys.argv[1])
M = imaplib.IMAP4('127.0.0.1', port)
M.login('alice', 'wonderland')
typ, data = M.enable('UTF8=ACCEPT')
assert typ == 'OK', data
composed, decomposed = 'Caf\u00e9', 'Cafe\u0301'
typ, data, u = raw(M, 'CREATE', '"%s"' % decomposed)
assert typ == 'OK', data
want = ('() "/" "%s" ("OLDNAME" ("%s"))' % (composed, decomposed)).encode()
assert u.get('LIST') == [want], u
# Stored composed: LIST shows one mailbox, by its composed name.
typ, data, u = raw(M, 'LIST', '""', '"Caf*"')
assert [l for l in u['LIST'] if b'Caf' in l] == [b'(\\HasNoChildren) "/" "%s"' % composed.encode()], u
# The decomposed name reaches it in every command.
typ, data = M.append('"%s"' % decomposed, None, None, b'Subject: x\r\n\r\nx\r\n')
assert typ == 'OK', data
typ, data, u = raw(M, 'STATUS', '"%s"' % composed, '(MESSAGES)')
assert u['STATUS'] == [b'"%s" (MESSAGES 1)' % composed.encode()], u
# IMAP4rev2: SELECT's LIST response gives the stored name, with the
# given one as OLDNAME (RFC 9051 section 6.3.2).
typ, data, u = raw(M, 'ENABLE', 'IMAP4rev2')
typ, data, u = raw(M, 'SELECT', '"%s"' % decomposed)
assert typ == 'OK' and u['EXISTS'] == [b'1'], (typ, data, u)
assert u.get('LIST') == [b'(\\HasNoChildren) "/" "%s" ("OLDNAME" ("%s"))' % (composed.encode(), decomposed.encode())], u
raw(M, 'UNSELECT')
# RENAME to a decomposed name: stored composed, announced with OLDNAME.
typ, data, u = raw(M, 'RENAME', '"%s"' % composed, '"Re\u0301sume\u0301"')
assert typ == 'OK', data
assert u.get('LIST') == [('() "/" "R\u00e9sum\u00e9" ("OLDNAME" ("%s"))' % composed).encode()], u
typ, data, u = raw(M, 'DELETE', '"Re\u0301sume\u0301"')
assert typ == 'OK', data
typ, data, u = raw(M, 'LIST', '""', '*')
assert not any(b'sum' in l or b'Caf' in l for l in u['LIST']), u
# An ASCII name is left alone: no LIST.
typ, data, u = raw(M, 'CREATE', 'Plain')
assert typ == 'OK' and 'LIST' not in u, u
print('names ok')
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decomposed_names_are_stored_composed() {
    if !support::python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = support::alice_imap(&format!("maildir:{}/%u/Maildir", dir.path().display())).await;
    let out = support::run_python(
        format!("{}{SCRIPT}", support::PY_IMAP_RAW),
        vec![port.to_string()],
    )
    .await;
    assert!(out.contains("names ok"), "{out}");
}
