//! The Sans-IO server session: states, continuations, IDLE, STARTTLS,
//! the EXPUNGE rule, autologout, and any split of the input giving the
//! same output.

use std::time::{Duration, Instant};

use imap_proto::message::MessageState;
use imap_proto::server::{Config, Event, SelectInfo, Session, State};
use imap_proto::types::{CommandBody, Flag, StatusKind};

fn config() -> Config {
    Config {
        plaintext_auth: true,
        ..Config::default()
    }
}

fn out(s: &mut Session) -> String {
    let mut v = Vec::new();
    while let Some(b) = s.poll_transmit() {
        v.extend_from_slice(&b);
    }
    String::from_utf8_lossy(&v).into_owned()
}

fn info(uids: &[u32]) -> SelectInfo {
    SelectInfo {
        messages: uids
            .iter()
            .map(|&uid| MessageState {
                uid,
                flags: Default::default(),
                recent: false,
            })
            .collect(),
        uid_validity: 7,
        uid_next: uids.last().map_or(1, |u| u + 1),
        keywords: vec![],
        new_keywords: true,
        read_only: false,
        highest_modseq: None,
    }
}

/// A scripted owner: accepts every login, selects a mailbox of UIDs 1..=3,
/// completes every other command with OK. Returns everything written.
fn run_owner(s: &mut Session, now: Instant) -> String {
    let mut text = out(s);
    while let Some(ev) = s.poll_event() {
        match ev {
            Event::Login { password, .. } => s
                .login_complete(now, password.expose() == b"secret")
                .unwrap(),
            Event::Command(c) => match c.body {
                CommandBody::Select { .. } | CommandBody::Examine { .. } => {
                    s.select_complete(now, Ok(info(&[1, 2, 3]))).unwrap()
                }
                _ => s.complete(now, StatusKind::Ok, None, "done").unwrap(),
            },
            _ => {}
        }
        text.push_str(&out(s));
    }
    text
}

fn logged_in(now: Instant) -> Session {
    let mut s = Session::new(config(), now);
    s.receive(now, b"a LOGIN alice secret\r\n");
    run_owner(&mut s, now);
    assert_eq!(s.state(), State::Authenticated);
    s
}

#[test]
fn greeting_and_capabilities_change_with_state() {
    let now = Instant::now();
    let mut s = Session::new(config(), now);
    let g = out(&mut s);
    assert!(
        g.starts_with("* OK [CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN"),
        "{g}"
    );
    s.receive(now, b"c1 CAPABILITY\r\n");
    let t = out(&mut s);
    assert!(t.contains("AUTH=PLAIN") && t.contains("c1 OK"), "{t}");
    s.receive(now, b"a LOGIN alice secret\r\n");
    let t = run_owner(&mut s, now);
    assert!(
        t.starts_with("a OK [CAPABILITY IMAP4rev1 IMAP4rev2 SASL-IR"),
        "{t}"
    );
    s.receive(now, b"c2 CAPABILITY\r\n");
    let t = out(&mut s);
    assert!(!t.contains("AUTH=") && t.contains("IDLE"), "{t}");
}

#[test]
fn logindisabled_without_tls() {
    let now = Instant::now();
    let mut s = Session::new(Config::default(), now);
    let g = out(&mut s);
    assert!(
        g.contains("LOGINDISABLED") && !g.contains("AUTH=PLAIN"),
        "{g}"
    );
    s.receive(
        now,
        b"a LOGIN alice secret\r\nb AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n",
    );
    let t = out(&mut s);
    assert!(t.contains("a NO [PRIVACYREQUIRED]"), "{t}");
    assert!(t.contains("b NO [PRIVACYREQUIRED]"), "{t}");
    assert!(s.poll_event().is_none());
}

#[test]
fn commands_are_checked_against_the_state() {
    let now = Instant::now();
    let mut s = Session::new(config(), now);
    out(&mut s);
    s.receive(now, b"1 SELECT INBOX\r\n2 FETCH 1 FLAGS\r\n3 NOOP\r\n");
    let t = out(&mut s);
    assert!(
        t.contains("1 BAD") && t.contains("2 BAD") && t.contains("3 OK"),
        "{t}"
    );
    assert!(s.poll_event().is_none());
    let mut s = logged_in(now);
    s.receive(now, b"4 FETCH 1 FLAGS\r\n5 LOGIN a b\r\n6 EXPUNGE\r\n");
    let t = out(&mut s);
    assert!(
        t.contains("4 BAD") && t.contains("5 BAD") && t.contains("6 BAD"),
        "{t}"
    );
}

#[test]
fn authenticate_with_continuation_and_sasl_ir() {
    let now = Instant::now();
    let mut s = Session::new(config(), now);
    out(&mut s);
    s.receive(now, b"a AUTHENTICATE PLAIN\r\n");
    assert_eq!(out(&mut s), "+ \r\n");
    // "\0alice\0secret"
    s.receive(now, b"AGFsaWNlAHNlY3JldA==\r\n");
    let Some(Event::Login { username, .. }) = s.poll_event() else {
        panic!("no login event")
    };
    assert_eq!(username, "alice");
    s.login_complete(now, true).unwrap();
    assert!(out(&mut s).starts_with("a OK"));

    let mut s = Session::new(config(), now);
    out(&mut s);
    s.receive(now, b"b AUTHENTICATE PLAIN AGFsaWNlAHdyb25n\r\n");
    let t = run_owner(&mut s, now);
    assert!(t.starts_with("b NO [AUTHENTICATIONFAILED]"), "{t}");
    s.receive(now, b"c AUTHENTICATE PLAIN\r\n*\r\n");
    let t = out(&mut s);
    assert!(t.contains("c BAD"), "{t}");
}

#[test]
fn synchronizing_literal_gets_a_continuation() {
    let now = Instant::now();
    let mut s = Session::new(config(), now);
    out(&mut s);
    s.receive(now, b"a LOGIN {5}\r\n");
    assert_eq!(out(&mut s), "+ Ready for literal data\r\n");
    s.receive(now, b"alice {6+}\r\nsecret\r\n");
    let t = run_owner(&mut s, now);
    assert!(t.starts_with("a OK"), "{t}");
}

#[test]
fn pipelined_commands_answered_in_order() {
    let now = Instant::now();
    let mut s = logged_in(now);
    s.receive(now, b"1 SELECT INBOX\r\n2 NOOP\r\n3 FETCH 1:* FLAGS\r\n");
    let t = run_owner(&mut s, now);
    let p1 = t.find("1 OK").unwrap();
    let p2 = t.find("2 OK").unwrap();
    let p3 = t.find("3 OK").unwrap();
    assert!(p1 < p2 && p2 < p3, "{t}");
    assert!(
        t.contains("* 3 EXISTS") && t.contains("[UIDVALIDITY 7]"),
        "{t}"
    );
}

#[test]
fn expunge_is_held_during_fetch_store_search() {
    let now = Instant::now();
    let mut s = logged_in(now);
    s.receive(now, b"1 SELECT INBOX\r\n");
    run_owner(&mut s, now);
    for (cmd, held) in [
        (&b"2 FETCH 1 FLAGS\r\n"[..], true),
        (b"3 STORE 1 +FLAGS (\\Seen)\r\n", true),
        (b"4 SEARCH ALL\r\n", true),
        (b"5 UID FETCH 1 FLAGS\r\n", false),
    ] {
        s.receive(now, cmd);
        let Some(Event::Command(_)) = s.poll_event() else {
            panic!()
        };
        // Another session expunged UID 2 meanwhile.
        s.view_mut().unwrap().store_expunged(2);
        s.complete(now, StatusKind::Ok, None, "done").unwrap();
        let t = out(&mut s);
        assert_eq!(!t.contains("EXPUNGE"), held, "{t}");
        if !held {
            assert!(t.starts_with("* 2 EXPUNGE\r\n"), "{t}");
        }
    }
    assert_eq!(s.view().unwrap().len(), 2);
}

#[test]
fn sequence_numbers_out_of_range_are_bad() {
    let now = Instant::now();
    let mut s = logged_in(now);
    s.receive(now, b"1 SELECT INBOX\r\n");
    run_owner(&mut s, now);
    s.receive(now, b"2 FETCH 4 FLAGS\r\n3 UID FETCH 4:* FLAGS\r\n");
    let t = run_owner(&mut s, now);
    assert!(t.contains("2 BAD") && t.contains("3 OK"), "{t}");
    // `*` in an empty mailbox.
    s.receive(now, b"4 SELECT Empty\r\n");
    let Some(Event::Command(_)) = s.poll_event() else {
        panic!()
    };
    s.select_complete(now, Ok(info(&[]))).unwrap();
    out(&mut s);
    s.receive(now, b"5 FETCH * FLAGS\r\n6 UID FETCH 1:* FLAGS\r\n");
    let t = run_owner(&mut s, now);
    assert!(t.contains("5 BAD") && t.contains("6 OK"), "{t}");
}

#[test]
fn idle_reports_changes_and_ends_with_done() {
    let now = Instant::now();
    let mut s = logged_in(now);
    s.receive(now, b"1 SELECT INBOX\r\n");
    run_owner(&mut s, now);
    s.receive(now, b"2 IDLE\r\n");
    assert_eq!(out(&mut s), "+ idling\r\n");
    assert_eq!(s.poll_event(), Some(Event::Idle));
    s.view_mut().unwrap().store_added(MessageState {
        uid: 9,
        flags: vec![Flag::Seen].into(),
        recent: true,
    });
    s.flush_updates();
    assert_eq!(out(&mut s), "* 4 EXISTS\r\n* 1 RECENT\r\n");
    s.receive(now, b"DONE\r\n");
    assert_eq!(out(&mut s), "2 OK IDLE terminated\r\n");
    assert_eq!(s.poll_event(), Some(Event::IdleDone));
}

#[test]
fn starttls_discards_pipelined_bytes() {
    let now = Instant::now();
    let mut s = Session::new(
        Config {
            starttls: true,
            ..Config::default()
        },
        now,
    );
    assert!(out(&mut s).contains("STARTTLS"));
    s.receive(now, b"a STARTTLS\r\nb LOGIN alice secret\r\n");
    assert_eq!(out(&mut s), "a OK Begin TLS negotiation now\r\n");
    assert_eq!(s.poll_event(), Some(Event::StartTls));
    s.receive(now, b"c LOGIN alice secret\r\n");
    assert!(s.poll_event().is_none());
    s.tls_established(now).unwrap();
    s.receive(now, b"d CAPABILITY\r\n");
    let t = out(&mut s);
    assert!(
        !t.contains("STARTTLS") && t.contains("AUTH=PLAIN") && t.starts_with("* CAPABILITY"),
        "{t}"
    );
    assert!(!t.contains("b ") && !t.contains("c "), "{t}");
}

#[test]
fn enable_utf8_accept() {
    let now = Instant::now();
    let mut s = logged_in(now);
    s.receive(now, b"e ENABLE UTF8=ACCEPT CONDSTORE\r\n");
    assert_eq!(
        out(&mut s),
        "* ENABLED UTF8=ACCEPT\r\ne OK ENABLE completed\r\n"
    );
    assert!(s.utf8_enabled());
}

#[test]
fn autologout_and_shutdown_say_bye() {
    let now = Instant::now();
    let mut s = logged_in(now);
    let deadline = s.poll_timeout().unwrap();
    assert!(deadline >= now + Duration::from_secs(30 * 60));
    s.handle_timeout(deadline - Duration::from_secs(1));
    assert!(!s.is_closed());
    s.handle_timeout(deadline);
    assert!(out(&mut s).starts_with("* BYE"));
    assert!(s.is_closed());
    assert_eq!(s.poll_event(), Some(Event::Closed));

    let mut s = logged_in(now);
    s.shutdown();
    assert!(out(&mut s).starts_with("* BYE"));
    assert!(s.is_closed());
}

#[test]
fn logout() {
    let now = Instant::now();
    let mut s = logged_in(now);
    s.receive(now, b"z LOGOUT\r\n");
    assert_eq!(
        out(&mut s),
        "* BYE Logging out\r\nz OK LOGOUT completed\r\n"
    );
    assert!(s.is_closed());
}

/// A whole session fed at once, byte by byte, and split at every
/// position gives the same output.
#[test]
fn any_split_gives_the_same_session() {
    let script: &[u8] =
        b"a CAPABILITY\r\nb LOGIN {5}\r\nalice {6+}\r\nsecret\r\nc SELECT INBOX\r\n\
d FETCH 1:* (FLAGS UID)\r\ne IDLE\r\nDONE\r\nf APPEND INBOX {3+}\r\nabc\r\ng LOGOUT\r\n";
    let run = |chunks: Vec<&[u8]>| {
        let now = Instant::now();
        let mut s = Session::new(config(), now);
        let mut text = out(&mut s);
        for c in chunks {
            s.receive(now, c);
            text.push_str(&run_owner(&mut s, now));
        }
        text
    };
    let whole = run(vec![script]);
    assert!(whole.contains("g OK LOGOUT"), "{whole}");
    let bytes: Vec<&[u8]> = script.chunks(1).collect();
    assert_eq!(run(bytes), whole);
    for i in 1..script.len() {
        let (a, b) = script.split_at(i);
        assert_eq!(run(vec![a, b]), whole, "split at {i}");
    }
}

#[test]
fn garbage_never_panics() {
    let now = Instant::now();
    let mut s = logged_in(now);
    let mut seed = 0x1234_5678u32;
    for _ in 0..2000 {
        let mut buf = [0u8; 16];
        for b in &mut buf {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            *b = b"a1 FETCH{}()*\r\n\"\\ SELECT\x00"[(seed % 24) as usize];
        }
        s.receive(now, &buf);
        run_owner(&mut s, now);
        if s.is_closed() {
            s = logged_in(now);
        }
    }
}

/// A large body goes out as a chunk of its own, the owner's buffer without
/// a copy; a small one is copied into the output; what the client
/// receives is the same either way.
#[test]
fn large_bodies_go_out_without_a_copy() {
    use imap_proto::types::{MessageDataItem, Section, SectionData};
    let now = Instant::now();
    let mut s = logged_in(now);
    s.receive(now, b"s SELECT INBOX\r\n");
    run_owner(&mut s, now);
    let large = bytes::Bytes::from(vec![b'x'; 20_000]);
    let small = bytes::Bytes::from_static(b"small body");
    s.receive(now, b"f FETCH 1:2 BODY.PEEK[]\r\n");
    assert!(matches!(s.poll_event(), Some(Event::Command(_))));
    for (index, body) in [(0, &large), (1, &small)] {
        let item = MessageDataItem::BodySection {
            section: Section::default(),
            origin: None,
            data: SectionData::Data(body.clone()),
        };
        s.fetch_response(index, vec![item]);
    }
    s.complete(now, StatusKind::Ok, None, "FETCH completed")
        .unwrap();
    let mut chunks = Vec::new();
    while let Some(b) = s.poll_transmit() {
        chunks.push(b);
    }
    assert!(
        chunks
            .iter()
            .any(|c| c.as_ptr() == large.as_ptr() && c.len() == large.len()),
        "the large body is a chunk of its own"
    );
    assert!(!chunks.iter().any(|c| c.as_ptr() == small.as_ptr()));
    let wire: Vec<u8> = chunks.concat();
    let mut want = b"* 1 FETCH (BODY[] {20000}\r\n".to_vec();
    want.extend_from_slice(&large);
    want.extend_from_slice(
        b")\r\n* 2 FETCH (BODY[] {10}\r\nsmall body)\r\nf OK FETCH completed\r\n",
    );
    assert_eq!(
        String::from_utf8_lossy(&wire),
        String::from_utf8_lossy(&want)
    );
}

#[test]
fn a_refusal_not_due_to_the_password_is_unavailable() {
    let now = Instant::now();
    let mut s = Session::new(config(), now);
    out(&mut s);
    s.receive(now, b"a LOGIN alice secret\r\n");
    assert!(matches!(s.poll_event(), Some(Event::Login { .. })));
    s.login_unavailable(now, "Try again later").unwrap();
    let t = out(&mut s);
    assert_eq!(t, "a NO [UNAVAILABLE] Try again later\r\n");
    assert_eq!(s.state(), State::NotAuthenticated);
    // The session goes on: a later login may succeed.
    s.receive(now, b"b LOGIN alice secret\r\n");
    let t = run_owner(&mut s, now);
    assert!(t.starts_with("b OK"), "{t}");
}
