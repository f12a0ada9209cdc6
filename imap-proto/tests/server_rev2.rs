//! IMAP4rev2 in the server session (RFC 9051 Appendix A and E): both
//! revisions advertised, IMAP4rev1 behaviour until `ENABLE IMAP4rev2`,
//! then no `\Recent`/RECENT/UNSEEN, `[CLOSED]` when SELECT closes a
//! mailbox, UID in unsolicited FETCH, UTF-8 mailbox names; and `$`
//! (SEARCHRES) resolving to the saved result.

use std::time::Instant;

use imap_proto::message::MessageState;
use imap_proto::server::{Config, Event, SelectInfo, Session};
use imap_proto::types::{CommandBody, Flag, SequenceSet, StatusKind};

fn out(s: &mut Session) -> String {
    let mut v = Vec::new();
    while let Some(b) = s.poll_transmit() {
        v.extend_from_slice(&b);
    }
    String::from_utf8_lossy(&v).into_owned()
}

fn info() -> SelectInfo {
    SelectInfo {
        messages: (1..=3)
            .map(|uid| MessageState {
                uid,
                flags: if uid == 1 {
                    vec![Flag::Seen].into()
                } else {
                    Default::default()
                },
                recent: uid == 3,
            })
            .collect(),
        uid_validity: 7,
        uid_next: 4,
        keywords: vec![],
        new_keywords: true,
        read_only: false,
        highest_modseq: None,
    }
}

/// Runs the owner: logins accepted, SELECT answered with [`info`],
/// everything else OK. Returns the output and the commands seen.
fn run(s: &mut Session, now: Instant, input: &[u8]) -> (String, Vec<CommandBody>) {
    s.receive(now, input);
    let mut text = out(s);
    let mut seen = Vec::new();
    while let Some(ev) = s.poll_event() {
        match ev {
            Event::Login { .. } => s.login_complete(now, true).unwrap(),
            Event::Command(c) => {
                match c.body {
                    CommandBody::Select { .. } => s.select_complete(now, Ok(info())).unwrap(),
                    _ => s.complete(now, StatusKind::Ok, None, "done").unwrap(),
                }
                seen.push(c.body);
            }
            _ => {}
        }
        text.push_str(&out(s));
    }
    (text, seen)
}

fn session(now: Instant) -> Session {
    let mut s = Session::new(
        Config {
            plaintext_auth: true,
            ..Config::default()
        },
        now,
    );
    let g = out(&mut s);
    assert!(g.contains("IMAP4rev1 IMAP4rev2"), "{g}");
    run(&mut s, now, b"a LOGIN alice secret\r\n");
    s
}

#[test]
fn imap4rev1_until_enabled() {
    let now = Instant::now();
    let mut s = session(now);
    let (t, _) = run(&mut s, now, b"b SELECT INBOX\r\n");
    assert!(t.contains("* 1 RECENT\r\n"), "{t}");
    assert!(t.contains("[UNSEEN 2]"), "{t}");
    assert!(!s.rev2_enabled());
}

#[test]
fn enabled_imap4rev2_drops_recent_and_unseen() {
    let now = Instant::now();
    let mut s = session(now);
    let (t, _) = run(&mut s, now, b"b ENABLE IMAP4rev2\r\n");
    assert_eq!(t, "* ENABLED IMAP4rev2\r\nb OK ENABLE completed\r\n");
    assert!(s.rev2_enabled() && s.utf8_enabled());
    let (t, _) = run(&mut s, now, b"c SELECT INBOX\r\n");
    assert!(t.contains("* 3 EXISTS\r\n"), "{t}");
    assert!(!t.contains("RECENT") && !t.contains("UNSEEN"), "{t}");
    assert!(!t.contains("CLOSED"), "nothing was selected: {t}");
    // Reselecting closes the mailbox with [CLOSED] first.
    let (t, _) = run(&mut s, now, b"d SELECT INBOX\r\n");
    assert!(t.starts_with("* OK [CLOSED]"), "{t}");
    // Another session's changes: no \Recent, no RECENT, UID in FETCH.
    let v = s.view_mut().unwrap();
    assert!(!v.is_recent(2));
    v.store_added(MessageState {
        uid: 9,
        flags: Default::default(),
        recent: true,
    });
    v.store_flags(2, vec![Flag::Flagged]);
    let (t, _) = run(&mut s, now, b"e NOOP\r\n");
    assert_eq!(
        t,
        "* 2 FETCH (FLAGS (\\Flagged) UID 2)\r\n* 4 EXISTS\r\ne OK done\r\n"
    );
    assert!(!s.view().unwrap().is_recent(3));
}

#[test]
fn utf8_mailbox_names_after_enable() {
    let now = Instant::now();
    let mut s = session(now);
    run(&mut s, now, b"b ENABLE IMAP4rev2\r\n");
    let (_, seen) = run(&mut s, now, "c CREATE \"Caf\u{e9}\"\r\n".as_bytes());
    let Some(CommandBody::Create { mailbox, .. }) = seen.first() else {
        panic!("{seen:?}");
    };
    assert_eq!(mailbox.as_str(), "Caf\u{e9}");
}

#[test]
fn dollar_is_the_saved_result() {
    let now = Instant::now();
    let mut s = session(now);
    run(&mut s, now, b"b SELECT INBOX\r\n");
    // Before any SEARCH (SAVE), `$` is a valid, empty set.
    let v = s.view().unwrap();
    assert_eq!(v.resolve(&SequenceSet::SearchResult, false), Ok(vec![]));
    s.view_mut().unwrap().save_result(vec![3, 1]);
    let v = s.view().unwrap();
    assert_eq!(v.resolve(&SequenceSet::SearchResult, false), Ok(vec![0, 2]));
    assert_eq!(v.resolve(&SequenceSet::SearchResult, true), Ok(vec![0, 2]));
    assert!(v.contains(&SequenceSet::SearchResult, 3, false));
    assert!(v.contains(&SequenceSet::SearchResult, 3, true));
    assert!(!v.contains(&SequenceSet::SearchResult, 2, false));
    // FETCH $ is handed to the owner rather than refused.
    let (t, seen) = run(&mut s, now, b"c FETCH $ (FLAGS)\r\n");
    assert_eq!(seen.len(), 1, "{t}");
    // An expunged message leaves the saved result (RFC 5182 section 2.1).
    s.view_mut().unwrap().store_expunged(1);
    let v = s.view().unwrap();
    assert_eq!(v.saved_result(), vec![3]);
}
