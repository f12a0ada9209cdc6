//! Streamed APPEND in the server session: big messages come out as
//! `AppendData` pieces no bigger than what was received, the owner decides
//! before `+` is sent, refusals, broken input, and any split of the input
//! giving the same events and output.

use std::time::{Duration, Instant};

use imap_proto::server::{Config, Event, Session, State};
use imap_proto::types::{Code, Flag, StatusKind};

fn config() -> Config {
    Config {
        plaintext_auth: true,
        append_streaming: Some(16),
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

fn logged_in(now: Instant) -> Session {
    let mut s = Session::new(config(), now);
    s.receive(now, b"a LOGIN alice secret\r\n");
    assert!(matches!(s.poll_event(), Some(Event::Login { .. })));
    s.login_complete(now, true).unwrap();
    assert_eq!(s.state(), State::Authenticated);
    out(&mut s);
    s
}

const MESSAGE: &[u8] = b"From: a@example.org\r\nSubject: big\r\n\r\nbody body body\r\n";

/// What an owner saw of a session: events in order (data pieces merged
/// into one message per start) and everything written.
#[derive(Debug, Default, Clone, PartialEq)]
struct Trace {
    starts: Vec<(String, Vec<Flag>, u64)>,
    messages: Vec<Vec<u8>>,
    ends: usize,
    aborts: usize,
    commands: Vec<String>,
    output: String,
    /// The biggest single `AppendData` piece.
    biggest_piece: usize,
}

/// An owner that accepts every message to mailbox INBOX and refuses
/// others with TRYCREATE, completes every command with OK.
fn drive(s: &mut Session, now: Instant, t: &mut Trace) {
    t.output.push_str(&out(s));
    while let Some(ev) = s.poll_event() {
        match ev {
            Event::AppendStart {
                mailbox,
                flags,
                length,
                ..
            } => {
                let name = mailbox.as_str().to_owned();
                t.starts.push((name.clone(), flags, length));
                if name == "INBOX" {
                    t.messages.push(Vec::new());
                    s.append_accept(now).unwrap();
                } else {
                    s.append_reject(now, Some(Code::TryCreate), "No such mailbox")
                        .unwrap();
                }
            }
            Event::AppendData(d) => {
                t.biggest_piece = t.biggest_piece.max(d.len());
                if let Some(m) = t.messages.last_mut() {
                    m.extend_from_slice(&d);
                }
            }
            Event::AppendEnd => {
                t.ends += 1;
                s.complete(
                    now,
                    StatusKind::Ok,
                    Some(Code::Other(
                        imap_proto::types::Atom::new("STORED").unwrap(),
                        None,
                    )),
                    "APPEND completed",
                )
                .unwrap();
            }
            Event::AppendAbort => t.aborts += 1,
            Event::Command(c) => {
                t.commands.push(c.body.name().to_owned());
                s.complete(now, StatusKind::Ok, None, "done").unwrap();
            }
            _ => {}
        }
        t.output.push_str(&out(s));
    }
}

/// Feeds `input` in pieces of `chunk` octets.
fn run(input: &[u8], chunk: usize) -> Trace {
    let now = Instant::now();
    let mut s = logged_in(now);
    let mut t = Trace::default();
    for piece in input.chunks(chunk) {
        s.receive(now, piece);
        drive(&mut s, now, &mut t);
    }
    t
}

fn append_cmd(tag: &str, mailbox: &str, message: &[u8], plus: bool) -> Vec<u8> {
    let mut v = format!(
        "{tag} APPEND {mailbox} (\\Seen) {{{}{}}}\r\n",
        message.len(),
        if plus { "+" } else { "" }
    )
    .into_bytes();
    v.extend_from_slice(message);
    v.extend_from_slice(b"\r\n");
    v
}

#[test]
fn synchronizing_append_streams_after_the_continuation() {
    let now = Instant::now();
    let mut s = logged_in(now);
    let mut t = Trace::default();
    let head = format!("b APPEND INBOX (\\Seen) {{{}}}\r\n", MESSAGE.len());
    s.receive(now, head.as_bytes());
    // The owner sees the start before `+` goes out.
    let Some(Event::AppendStart {
        mailbox,
        flags,
        length,
        ..
    }) = s.poll_event()
    else {
        panic!("no AppendStart");
    };
    assert_eq!(mailbox.as_str(), "INBOX");
    assert_eq!(flags, vec![Flag::Seen]);
    assert_eq!(length, MESSAGE.len() as u64);
    assert_eq!(out(&mut s), "");
    s.append_accept(now).unwrap();
    assert_eq!(out(&mut s), "+ Ready for literal data\r\n");
    t.messages.push(Vec::new());
    let (a, b) = MESSAGE.split_at(10);
    s.receive(now, a);
    drive(&mut s, now, &mut t);
    s.receive(now, b);
    s.receive(now, b"\r\nc NOOP\r\n");
    drive(&mut s, now, &mut t);
    assert_eq!(t.messages, vec![MESSAGE.to_vec()]);
    assert_eq!(t.ends, 1);
    assert_eq!(
        t.output,
        "b OK [STORED] APPEND completed\r\nc OK NOOP completed\r\n"
    );
}

#[test]
fn any_split_gives_the_same_events_and_output() {
    let mut input = append_cmd("b", "INBOX", MESSAGE, true);
    input.extend(append_cmd("c", "Missing", MESSAGE, true));
    input.extend_from_slice(b"d NOOP\r\n");
    let whole = run(&input, input.len());
    assert_eq!(whole.messages, vec![MESSAGE.to_vec()]);
    assert_eq!(whole.ends, 1);
    assert!(
        whole
            .output
            .contains("c NO [TRYCREATE] No such mailbox\r\nd OK"),
        "{}",
        whole.output
    );
    for chunk in 1..input.len() {
        let t = run(&input, chunk);
        assert_eq!(
            t,
            Trace {
                biggest_piece: t.biggest_piece,
                ..whole.clone()
            },
            "chunk {chunk}"
        );
        // The session never holds more of the message than one read.
        assert!(
            t.biggest_piece <= chunk,
            "chunk {chunk}: {}",
            t.biggest_piece
        );
    }
}

#[test]
fn refused_synchronizing_append_gets_no_continuation() {
    let now = Instant::now();
    let mut s = logged_in(now);
    let mut t = Trace::default();
    let head = format!("b APPEND Missing {{{}}}\r\n", MESSAGE.len());
    s.receive(now, head.as_bytes());
    drive(&mut s, now, &mut t);
    // RFC 9051 section 6.3.12: TRYCREATE, and the client sends nothing.
    assert_eq!(t.output, "b NO [TRYCREATE] No such mailbox\r\n");
    s.receive(now, b"c NOOP\r\n");
    drive(&mut s, now, &mut t);
    assert!(
        t.output.ends_with("c OK NOOP completed\r\n"),
        "{}",
        t.output
    );
    assert!(t.messages.is_empty());
}

#[test]
fn refused_non_synchronizing_append_is_read_and_dropped() {
    let mut input = append_cmd("b", "Missing", MESSAGE, true);
    input.extend_from_slice(b"c NOOP\r\n");
    let t = run(&input, 7);
    assert!(t.messages.is_empty());
    assert_eq!(
        t.output,
        "b NO [TRYCREATE] No such mailbox\r\nc OK NOOP completed\r\n"
    );
}

#[test]
fn small_messages_are_not_streamed() {
    let input = append_cmd("b", "INBOX", b"Subject: x\r\n\r\n", true);
    let t = run(&input, input.len());
    assert!(t.starts.is_empty());
    assert_eq!(t.commands, vec!["APPEND"]);
}

#[test]
fn no_streaming_before_login() {
    let now = Instant::now();
    let mut s = Session::new(config(), now);
    out(&mut s);
    s.receive(now, &append_cmd("b", "INBOX", MESSAGE, true));
    let mut t = Trace::default();
    drive(&mut s, now, &mut t);
    assert!(t.starts.is_empty(), "{t:?}");
    assert!(t.output.starts_with("b BAD"), "{}", t.output);
}

#[test]
fn broken_tail_aborts_the_message() {
    let mut input = format!("b APPEND INBOX {{{}+}}\r\n", MESSAGE.len()).into_bytes();
    input.extend_from_slice(MESSAGE);
    input.extend_from_slice(b" junk\r\nc NOOP\r\n");
    let t = run(&input, input.len());
    assert_eq!(t.aborts, 1);
    assert_eq!(t.ends, 0);
    assert!(t.output.starts_with("b BAD"), "{}", t.output);
    assert!(
        t.output.ends_with("c OK NOOP completed\r\n"),
        "{}",
        t.output
    );
}

#[test]
fn multiappend_streams_each_message() {
    let second = b"Subject: two\r\n\r\nsecond message body\r\n";
    let mut input = format!("b APPEND INBOX {{{}+}}\r\n", MESSAGE.len()).into_bytes();
    input.extend_from_slice(MESSAGE);
    input.extend_from_slice(format!(" (\\Flagged) {{{}+}}\r\n", second.len()).as_bytes());
    input.extend_from_slice(second);
    input.extend_from_slice(b"\r\n");
    let t = run(&input, 5);
    assert_eq!(t.messages, vec![MESSAGE.to_vec(), second.to_vec()]);
    assert_eq!(
        t.starts.get(1).map(|s| s.1.clone()),
        Some(vec![Flag::Flagged])
    );
    assert_eq!(t.ends, 1);
}

#[test]
fn a_stalled_upload_times_out_and_aborts() {
    let now = Instant::now();
    let mut s = logged_in(now);
    let mut t = Trace::default();
    let head = format!("b APPEND INBOX {{{}+}}\r\n", MESSAGE.len());
    s.receive(now, head.as_bytes());
    s.receive(now, &MESSAGE[..5]);
    drive(&mut s, now, &mut t);
    // Waiting for the client's octets, the autologout timer runs.
    let deadline = s.poll_timeout().expect("timer armed while uploading");
    assert!(deadline <= now + Duration::from_secs(31 * 60));
    s.handle_timeout(deadline);
    let mut saw_abort = false;
    while let Some(ev) = s.poll_event() {
        saw_abort |= ev == Event::AppendAbort;
    }
    assert!(saw_abort);
    assert!(s.is_closed());
}
