//! The IMAP server over Maildir (what the imap_server example runs) on
//! 127.0.0.1, against clients we did not write: Python's imaplib, curl
//! and mbsync (isync).

use maildir::{Flag, Store};
use mta_core::imap::{MaildirBackend, run};
use mta_core::passwd::PasswdFile;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

const MESSAGES: [&[u8]; 3] = [
    b"From: Ann <a@example.org>\r\nTo: alice@example.org\r\nSubject: first\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <1@example.org>\r\n\r\nHello world.\r\n",
    b"From: b@example.org\r\nTo: alice@example.org\r\nSubject: =?UTF-8?Q?caf=C3=A9?=\r\nContent-Type: multipart/alternative; boundary=xx\r\n\r\n--xx\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nna=C3=AFve\r\n--xx\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--xx--\r\n",
    b"From: c@example.org\r\nSubject: third\r\n\r\nline 1\r\nline 2\r\n",
];

struct Server {
    addr: SocketAddr,
    _dir: tempfile::TempDir,
    maildir: PathBuf,
    location: String,
}

/// A tool the test needs: under CI its absence is a failure, locally a
/// skip with the reason printed.
fn tool(name: &str, arg: &str) -> bool {
    let found = Command::new(name).arg(arg).output().is_ok();
    if !found {
        assert!(
            std::env::var("CI").is_err(),
            "{name} is required under CI (.ci/run installs it)"
        );
        eprintln!("skipping: {name} not found");
    }
    found
}

fn location(dir: &Path) -> String {
    format!("maildir:{}/%u/Maildir", dir.display())
}

async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let loc = location(dir.path());
    let store = Store::open(&loc, "alice", None).unwrap();
    for m in MESSAGES {
        store.deliver("INBOX", m).unwrap();
    }
    let users = PasswdFile::parse("alice:{PLAIN}wonderland\nbob:{PLAIN}builder\n").unwrap();
    let backend = MaildirBackend::new(users, &loc);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(run(listener, backend));
    Server {
        addr,
        maildir: dir.path().join("alice/Maildir"),
        _dir: dir,
        location: loc,
    }
}

async fn python(script: &str, server: &Server) -> String {
    let out = tokio::process::Command::new("python3")
        .args([
            "-c",
            script,
            &server.addr.port().to_string(),
            &server.maildir.display().to_string(),
        ])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

const PRELUDE: &str = r#"
import imaplib, sys, re, socket, time, subprocess
port = int(sys.argv[1]); maildir = sys.argv[2]
def ok(r, *want):
    typ, data = r
    assert typ == 'OK', r
    text = b' '.join(d if isinstance(d, bytes) else b' '.join(d) for d in data if d is not None)
    for w in want:
        assert w in text, (w, text)
    return text
def bad(f, *a):
    try:
        f(*a)
    except imaplib.IMAP4.error as e:
        assert 'BAD' in str(e), e
        return
    raise AssertionError('expected BAD')
def connect():
    M = imaplib.IMAP4('127.0.0.1', port)
    ok(M.login('alice', 'wonderland'))
    return M
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imaplib_every_command() {
    if !tool("python3", "--version") {
        return;
    }
    let server = start().await;
    let script = format!(
        "{PRELUDE}{}",
        r#"
M = imaplib.IMAP4('127.0.0.1', port)
caps = M.capabilities
for c in ('IMAP4REV1', 'IDLE', 'UIDPLUS', 'MOVE', 'LITERAL+', 'SPECIAL-USE', 'AUTH=PLAIN'):
    assert c in caps, (c, caps)
ok(M.noop())
# Wrong state (imaplib itself refuses to send it, so a raw socket).
r = socket.create_connection(('127.0.0.1', port)); rf = r.makefile('rb'); rf.readline()
r.sendall(b'x SELECT INBOX\r\n'); assert rf.readline().startswith(b'x BAD'); r.close()
# Wrong password.
try:
    M.login('alice', 'nope'); raise SystemExit('login with a wrong password worked')
except imaplib.IMAP4.error as e:
    assert 'AUTHENTICATIONFAILED' in str(e), e
ok(M.login('alice', 'wonderland'), b'CAPABILITY')
ok(M.capability(), b'IMAP4rev1')
ok(M.xatom('ID', '("name" "imaplib")'))
ok(M.namespace(), b'(("" "/")) NIL NIL')

# LIST: special-use folders created at first login, children, LIST-EXTENDED.
text = ok(M.list())
for name, attr in (('Sent', b'\\Sent'), ('Trash', b'\\Trash'), ('Drafts', b'\\Drafts'), ('Junk', b'\\Junk'), ('Archive', b'\\Archive')):
    assert re.search(rb'\([^)]*' + re.escape(attr) + rb'[^)]*\) "/" ' + name.encode(), text), (name, text)
ok(M.list('""', '""'), b'(\\Noselect) "/" ""')
ok(M.create('Projects/2024'))
ok(M.create('Projects/2025/Q1'))
text = ok(M.list('""', '%'))
assert b'(\\HasChildren) "/" Projects' in text, text
assert b'2024' not in text, text
text = ok(M.list('Projects/', '*'))
assert b'"/" Projects/2024' in text and b'Projects/2025/Q1' in text and b'"/" Projects\r' not in text, text
text = ok(M.list('""', 'Projects/2025/%'))
assert b'\\HasNoChildren) "/" Projects/2025/Q1' in text, text
typ, data = M._simple_command('LIST', '(SUBSCRIBED)', '""', '*', 'RETURN', '(CHILDREN STATUS (MESSAGES UNSEEN))')
data = M._untagged_response(typ, data, 'LIST')
assert typ == 'OK', data
text = b' '.join(data[1])
assert b'\\Subscribed' in text and b'"/" Sent' in text and b'Projects' not in text, text
typ, data = M._simple_command('LIST', '(SPECIAL-USE)', '""', '*')
data = M._untagged_response(typ, data, 'LIST')
assert all(b'INBOX' not in l for l in data[1]), data
status = M.untagged_responses.pop('STATUS', None)

# Subscriptions.
ok(M.subscribe('Projects/2024'))
ok(M.lsub('""', '*'), b'Projects/2024')
ok(M.unsubscribe('Projects/2024'))
assert b'Projects/2024' not in ok(M.lsub('""', '*'))
# A special-use folder unsubscribed stays so at the next login (made and
# subscribed at the first one only).
ok(M.unsubscribe('Junk'))
N = connect()
assert b'Junk' not in ok(N.lsub('""', '*')) and b'Sent' in ok(N.lsub('""', '*'))
N.logout()
ok(M.subscribe('Junk'))
ok(M.rename('Projects/2024', 'Projects/Old'))
assert b'Projects/Old' in ok(M.list('""', '*'))
ok(M.delete('Projects/Old'))
typ, data = M.delete('Nope'); assert typ == 'NO' and b'NONEXISTENT' in data[0], data
typ, data = M.create('INBOX'); assert typ == 'NO', data
typ, data = M.create('../../etc'); assert typ == 'NO', data

# STATUS and APPEND.
ok(M.status('INBOX', '(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE)'), b'MESSAGES 3', b'UIDNEXT 4', b'UNSEEN 3')
msg = b'From: me@example.org\r\nSubject: appended\r\n\r\nAppended body\r\n'
text = ok(M.append('INBOX', '(\\Seen $Label1)', imaplib.Time2Internaldate(1700000000), msg), b'APPENDUID')
typ, data = M.append('Missing', None, None, msg); assert typ == 'NO' and b'TRYCREATE' in data[0], data

# EXAMINE is read-only.
ok(M.select('INBOX', readonly=True), b'4')
typ, data = M.store('1', '+FLAGS', '\\Flagged'); assert typ == 'NO', data
ok(M.fetch('1', '(BODY[TEXT])'))
assert b'\\Seen' not in ok(M.fetch('1', '(FLAGS)'))

# SELECT.
typ, data = M.select('INBOX'); assert typ == 'OK' and data == [b'4'], data
assert M.untagged_responses.get('UIDVALIDITY'), M.untagged_responses
ok(M.fetch('1:*', '(UID FLAGS RFC822.SIZE INTERNALDATE)'), b'UID 4', b'RFC822.SIZE')
text = ok(M.fetch('4', '(FLAGS INTERNALDATE)'), b'$Label1', b'\\Seen', b'"14-Nov-2023 22:13:20 +0000"')
ok(M.fetch('1', '(ENVELOPE)'), b'"Mon, 7 Feb 1994 21:52:25 -0800" "first" (("Ann" NIL "a" "example.org"))', b'"<1@example.org>"')
ok(M.fetch('2', '(BODYSTRUCTURE)'), b'(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 10 1 NIL NIL NIL NIL)("TEXT" "HTML" NIL NIL NIL "7BIT" 9 1 NIL NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "xx") NIL NIL NIL)')
ok(M.fetch('2', '(BODY)'), b'"ALTERNATIVE")')
ok(M.fetch('2', '(BODY.PEEK[1] BODY.PEEK[2.MIME] BINARY.PEEK[1] BINARY.SIZE[1])'), b'na=C3=AFve', b'Content-Type: text/html\r\n\r\n', 'naïve'.encode(), b'BINARY.SIZE[1] 6')
ok(M.fetch('1', '(BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])'), b'From: Ann <a@example.org>\r\nSubject: first\r\n\r\n')
ok(M.fetch('1', '(BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT FROM)])'), b'To: alice@example.org\r\nDate:')
ok(M.fetch('1', '(BODY.PEEK[]<0.5>)'), b'BODY[]<0> {5} From:')
assert b'\\Seen' not in ok(M.fetch('1', '(FLAGS)'))
ok(M.fetch('1', '(BODY[TEXT])'), b'Hello world.', b'\\Seen')
ok(M.fetch('3', '(RFC822.HEADER RFC822.TEXT)'), b'line 1')
ok(M.fetch('1:2', 'FAST'))
ok(M.fetch('1', 'ALL'))
ok(M.fetch('1', 'FULL'))
ok(M.uid('FETCH', '1:*', '(FLAGS)'), b'UID 1', b'UID 4')
bad(M.fetch, '9', '(FLAGS)')

# SEARCH with every kind of key.
def search(*keys, charset=None):
    typ, data = M.search(charset, *keys)
    assert typ == 'OK', (keys, data)
    return data[0].split()
assert search('ALL') == [b'1', b'2', b'3', b'4']
# RFC822.TEXT above set \\Seen on 3.
assert search('SEEN') == [b'1', b'3', b'4'], search('SEEN')
assert search('UNSEEN') == [b'2']
assert search('KEYWORD', '$Label1') == [b'4']
assert search('UNKEYWORD', '$Label1') == [b'1', b'2', b'3']
assert search('FROM', 'ANN') == [b'1']
# 8-bit strings go as literals (imaplib's `literal`).
M.literal = 'café'.encode(); assert search('SUBJECT', charset='UTF-8') == [b'2']
M.literal = 'NAÏVE'.encode(); assert search('BODY', charset='UTF-8') == [b'2']
assert search('TEXT', 'hello') == [b'1']
assert search('HEADER', 'Message-ID', '<1@') == [b'1']
assert search('SENTBEFORE', '1-Jan-2000') == [b'1']
assert search('SENTON', '7-Feb-1994') == [b'1']
assert search('BEFORE', '1-Jan-2000') == []
assert search('ON', '14-Nov-2023') == [b'4']
assert search('LARGER', '200') == [b'2']
assert search('SMALLER', '100') == [b'3', b'4']
assert search('OR', 'SUBJECT', 'first', 'SUBJECT', 'third') == [b'1', b'3']
assert search('NOT', 'SEEN', 'NOT', 'SUBJECT', 'third') == [b'2']
assert search('(SEEN SUBJECT append)') == [b'4']
assert search('2:*') == [b'2', b'3', b'4']
assert search('UID', '1,3') == [b'1', b'3']
assert search('NEW') == [b'2'], search('NEW')
assert search('RECENT') == [b'1', b'2', b'3'], search('RECENT')
assert search('OLD') == [b'4']
typ, data = M.search('KOI8-R', 'ALL'); assert typ == 'NO' and b'BADCHARSET' in data[0], data
typ, data = M.uid('SEARCH', 'SUBJECT', 'third'); assert data == [b'3'], data
typ, data = M._simple_command('SEARCH', 'RETURN', '(MIN MAX COUNT ALL)', 'ALL')
assert typ == 'OK'
es = M.untagged_responses.pop('ESEARCH')[0]
assert b'MIN 1 MAX 4 ALL 1:4 COUNT 4' in es, es

# STORE, COPY, MOVE, EXPUNGE, UID EXPUNGE.
ok(M.store('1', '+FLAGS', '(\\Flagged $Important)'), b'\\Flagged', b'$Important')
ok(M.store('1', '-FLAGS', '(\\Flagged)'))
ok(M.store('1', 'FLAGS.SILENT', '(\\Seen \\Answered)'))
ok(M.fetch('1', '(FLAGS)'), b'\\Answered \\Seen')
ok(M.store('1', '+FLAGS', '($Important)'))
ok(M.uid('STORE', '2', '+FLAGS', '(\\Draft)'), b'UID 2')
ok(M.copy('1:2', 'Archive'), b'COPYUID')
ok(M.status('Archive', '(MESSAGES)'), b'MESSAGES 2')
text = ok(M.uid('MOVE', '3', 'Trash'))
ok(M.status('Trash', '(MESSAGES)'), b'MESSAGES 1')
ok(M.store('1', '+FLAGS', '\\Deleted'))
ok(M.store('2', '+FLAGS', '\\Deleted'))
ok(M.uid('EXPUNGE', '2'))
typ, data = M.search(None, 'ALL'); assert data == [b'1 2'], data
ok(M.expunge(), b'1')
typ, data = M.search(None, 'ALL'); assert data == [b'1'], data
ok(M.check())
# Archive got the keyword under its own name.
ok(M.select('Archive'))
ok(M.fetch('1', '(FLAGS)'), b'$Important')
ok(M.xatom('UNSELECT'))
bad(M._simple_command, 'FETCH', '1', 'FLAGS')
ok(M.select('INBOX'))
ok(M.store('1', '+FLAGS', '\\Deleted'))
ok(M.close())
ok(M.status('INBOX', '(MESSAGES)'), b'MESSAGES 0')
assert M.logout()[0] == 'BYE'

# AUTHENTICATE PLAIN (continuation), and with SASL-IR.
M = imaplib.IMAP4('127.0.0.1', port)
ok(M.authenticate('PLAIN', lambda _: b'\0alice\0wonderland'))
ok(M.enable('UTF8=ACCEPT'))
assert M.untagged_responses.get('ENABLED') == [b'UTF8=ACCEPT'], M.untagged_responses
ok(M.create('"Entwürfe"'))
assert 'Entwürfe'.encode() in ok(M.list())
M.logout()
s = socket.create_connection(('127.0.0.1', port))
f = s.makefile('rb')
f.readline()
s.sendall(b'a AUTHENTICATE PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\nb LOGOUT\r\n')
assert f.readline().startswith(b'a OK')
print('done')
"#
    );
    let out = python(&script, &server).await;
    assert!(out.contains("done"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sees_delivery_by_another_process_and_sessions_see_each_other() {
    if !tool("python3", "--version") {
        return;
    }
    let server = start().await;
    let script = format!(
        "{PRELUDE}{}",
        r#"
A = connect(); B = connect()
ok(A.select('INBOX')); ok(B.select('INBOX'))
# A STORE in A shows up in B as FETCH FLAGS.
ok(A.store('1', '+FLAGS', '\\Flagged'))
ok(B.noop())
fetch = B.untagged_responses.pop('FETCH', [])
assert any(b'\\Flagged' in x for x in fetch), (fetch, B.untagged_responses)
# An EXPUNGE in A shows up in B as EXPUNGE.
ok(A.store('3', '+FLAGS', '\\Deleted'))
ok(A.expunge())
ok(B.noop())
assert B.untagged_responses.pop('EXPUNGE', []) == [b'3'], B.untagged_responses
A.logout(); B.logout()

# IDLE on a raw socket; another process delivers into new/.
s = socket.create_connection(('127.0.0.1', port)); s.settimeout(10)
f = s.makefile('rb')
f.readline()
s.sendall(b'a LOGIN alice wonderland\r\nb SELECT INBOX\r\n')
while not f.readline().startswith(b'b OK'): pass
s.sendall(b'c IDLE\r\n')
assert f.readline() == b'+ idling\r\n'
deliver = "import mailbox,sys; mailbox.Maildir(sys.argv[1], create=False).add(b'From: x@example.org\\r\\nSubject: new\\r\\n\\r\\nhi\\r\\n')"
start = time.time()
subprocess.run([sys.executable, '-c', deliver, maildir], check=True)
line = f.readline()
took = time.time() - start
assert line == b'* 3 EXISTS\r\n', line
print('IDLE saw the delivery after %.3f s' % took)  # measured, not asserted
assert f.readline() == b'* 1 RECENT\r\n'
s.sendall(b'DONE\r\n')
assert f.readline().startswith(b'c OK')
s.sendall(b'd FETCH 3 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\ne LOGOUT\r\n')
rest = b''
while not rest.endswith(b'e OK LOGOUT completed\r\n'):
    chunk = s.recv(4096)
    if not chunk: break
    rest += chunk
assert b'Subject: new' in rest, rest
print('done')
"#
    );
    let out = python(&script, &server).await;
    assert!(out.contains("done"), "{out}");
    eprintln!("{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_lists_and_fetches() {
    if !tool("curl", "--version") {
        return;
    }
    let server = start().await;
    let base = format!("imap://127.0.0.1:{}", server.addr.port());
    let run = |url: String| async move {
        let out = tokio::process::Command::new("curl")
            .args(["-sS", "--max-time", "10", "-u", "alice:wonderland", &url])
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let list = run(format!("{base}/")).await;
    assert!(
        list.contains("\"/\" INBOX") && list.contains("\\Sent"),
        "{list}"
    );
    let body = run(format!("{base}/INBOX;UID=1")).await;
    assert!(
        body.starts_with("From: Ann <a@example.org>") && body.contains("Hello world."),
        "{body}"
    );
    let part = run(format!("{base}/INBOX;UID=2;SECTION=1")).await;
    assert_eq!(part, "na=C3=AFve");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mbsync_syncs_and_pushes_a_flag_back() {
    if !tool("mbsync", "--version") {
        return;
    }
    let server = start().await;
    let local = tempfile::tempdir().unwrap();
    let config = local.path().join("mbsyncrc");
    std::fs::create_dir_all(local.path().join("mail")).unwrap();
    std::fs::write(
        &config,
        format!(
            "IMAPAccount test\nHost 127.0.0.1\nPort {}\nUser alice\nPass wonderland\nSSLType None\nAuthMechs LOGIN\n\n\
IMAPStore remote\nAccount test\n\n\
MaildirStore local\nPath {dir}/mail/\nInbox {dir}/mail/INBOX\nSubFolders Verbatim\n\n\
Channel sync\nFar :remote:\nNear :local:\nPatterns *\nCreate Near\nSync All\nExpunge None\nSyncState *\n",
            server.addr.port(),
            dir = local.path().display()
        ),
    )
    .unwrap();
    let cfg = config.display().to_string();
    let mbsync = move || {
        let out = Command::new("mbsync")
            .args(["-c", &cfg, "-a"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    tokio::task::spawn_blocking(mbsync.clone()).await.unwrap();
    let inbox = local.path().join("mail/INBOX");
    let cur: Vec<PathBuf> = ["cur", "new"]
        .iter()
        .flat_map(|d| std::fs::read_dir(inbox.join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(cur.len(), 3, "{cur:?}");
    assert!(local.path().join("mail/Sent").exists());
    // Flag one message locally, as a mail reader would, and sync back.
    let first = cur
        .iter()
        .find(|p| std::fs::read(p).unwrap().windows(5).any(|w| w == b"first"))
        .unwrap();
    let name = first.file_name().unwrap().to_str().unwrap().to_owned();
    let flagged = if name.contains(":2,") {
        let (base, flags) = name.split_once(":2,").unwrap();
        let mut f: Vec<char> = flags.chars().chain(['F']).collect();
        f.sort();
        f.dedup();
        format!("{base}:2,{}", f.iter().collect::<String>())
    } else {
        format!("{name}:2,F")
    };
    std::fs::rename(first, inbox.join("cur").join(flagged)).unwrap();
    tokio::task::spawn_blocking(mbsync.clone()).await.unwrap();
    let store = Store::open(&server.location, "alice", None).unwrap();
    let folder = store.open_folder("INBOX").unwrap();
    assert!(folder.message(1).unwrap().flags().contains(Flag::Flagged));
    assert!(!folder.message(2).unwrap().flags().contains(Flag::Flagged));
    let _ = &server.maildir;
}
