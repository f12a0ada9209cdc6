//! Server session rules beyond the RFC examples: sequence errors, limits,
//! SMTP smuggling, bare line ends, timeouts.

mod common;

use std::time::{Duration, Instant};

use common::{check, config, messages};
use smtp_proto::Reply;
use smtp_proto::server::{AbortReason, BareLineEnding, Event, Session};

#[test]
fn bad_sequence_gets_503() {
    check(
        config(),
        "
        S: 220 x
        C: MAIL FROM:<a@b.example>
        S: 503 5.5.1 send EHLO first
        C: EHLO c.example
        S: 250 x
        C: RCPT TO:<a@b.example>
        S: 503 5.5.1 need MAIL
        C: DATA
        S: 503 5.5.1 need MAIL
        C: MAIL FROM:<a@b.example>
        S: 250 ok
        C: MAIL FROM:<a@b.example>
        S: 503 5.5.1 nested MAIL
        C: DATA
        S: 554 5.5.1 no valid recipients
        C: AUTH PLAIN
        S: 538 5.7.11 encryption required
        C: XYZZY
        S: 500 5.5.2 unrecognized
        C: MAIL FROM:<a@b.example> FOO=BAR
        S: 503 5.5.1 nested MAIL
        C: RSET
        S: 250 ok
        C: MAIL FROM:<a@b.example> FOO=BAR
        S: 555 5.5.4 unsupported parameter
        C: MAIL FROM:<a@b.example> SIZE=x
        S: 501 5.5.4 bad parameter
        C: MAIL FROM:<ü@b.example>
        S: 553 5.6.7 needs SMTPUTF8
        C: MAIL FROM:<ü@b.example> SMTPUTF8
        S: 250 ok
        C: QUIT
        S: 221 bye
    ",
    );
}

#[test]
fn smuggling_attempt_yields_one_message() {
    // Every bare-LF/CR variant of the end marker followed by a second
    // transaction: none may end the data, so the "second message" is content.
    for variant in [
        "<LF>.<LF>",
        "<LF>.<CRLF>",
        "<CRLF>.<LF>",
        "<CR>.<CR>",
        "<CR>.<CRLF>",
    ] {
        let text = format!(
            "
            S: 220 x
            C: EHLO c.example
            S: 250 x
            C: MAIL FROM:<a@b.example>
            S: 250 ok
            C: RCPT TO:<c@d.example>
            S: 250 ok
            C: DATA
            S: 354 go
            C+ Subject: one<CRLF><CRLF>body{variant}MAIL FROM:<evil@x.example><CRLF>RCPT TO:<c@d.example><CRLF>DATA<CRLF>Subject: smuggled<CRLF>
            C: .
            S: 250 queued
            C: QUIT
            S: 221 bye
            "
        );
        let out = check(config(), &text);
        let m = messages(&out);
        assert_eq!(m.len(), 1, "{variant}");
        assert_eq!(
            out.events
                .iter()
                .filter(|e| matches!(e, Event::Mail { .. }))
                .count(),
            1,
            "{variant}"
        );
        let body = String::from_utf8_lossy(&m[0]).into_owned();
        assert!(body.contains("Subject: smuggled"), "{variant}: {body:?}");
        // Normalized: no bare CR or LF reaches the application.
        assert!(
            !body.replace("\r\n", "").contains(['\r', '\n']),
            "{variant}: {body:?}"
        );
    }
}

#[test]
fn bare_line_endings_refused_under_reject() {
    let mut c = config();
    c.bare_line_ending = BareLineEnding::Reject;
    let out = check(
        c,
        "
        S: 220 x
        C: EHLO c.example
        S: 250 x
        C: MAIL FROM:<a@b.example>
        S: 250 ok
        C: RCPT TO:<c@d.example>
        S: 250 ok
        C: DATA
        S: 354 go
        C+ a<LF>.<LF>b<CRLF>
        C: .
        S: 554 5.6.0 bare LF
        C: MAIL FROM:<a@b.example>
        S: 250 ok
    ",
    );
    assert!(
        out.events
            .contains(&Event::MessageAborted(AbortReason::BareLineEnding))
    );
    assert!(messages(&out).is_empty());
}

#[test]
fn size_enforced_while_data_arrives_and_session_goes_on() {
    let mut c = config();
    c.limits.message_size = Some(20);
    let out = check(
        c,
        "
        S: 220 x
        C: EHLO c.example
        S: 250 x
        C: MAIL FROM:<a@b.example>
        S: 250 ok
        C: RCPT TO:<c@d.example>
        S: 250 ok
        C: DATA
        S: 354 go
        C: 0123456789
        C: 0123456789
        C: .
        S: 552 5.3.4 too large
        C: MAIL FROM:<a@b.example>
        S: 250 ok
        C: RCPT TO:<c@d.example>
        S: 250 ok
        C: BDAT 30 LAST
        C+ 012345678901234567890123456789
        S: 552 5.3.4 too large
        C: MAIL FROM:<a@b.example>
        S: 250 ok
        C: RCPT TO:<c@d.example>
        S: 250 ok
        C: DATA
        S: 354 go
        C: short
        C: .
        S: 250 ok
    ",
    );
    assert_eq!(messages(&out), vec![b"short\r\n".to_vec()]);
    let aborted = out
        .events
        .iter()
        .filter(|e| **e == Event::MessageAborted(AbortReason::TooLarge))
        .count();
    assert_eq!(aborted, 2);
}

#[test]
fn line_limits() {
    let long_cmd = format!("NOOP {}", "x".repeat(600));
    let long_text = "y".repeat(999);
    let text = format!(
        "
        S: 220 x
        C: {long_cmd}
        S: 500 5.5.2 line too long
        C: EHLO c.example
        S: 250 x
        C: MAIL FROM:<a@b.example>
        S: 250 ok
        C: RCPT TO:<c@d.example>
        S: 250 ok
        C: DATA
        S: 354 go
        C: {long_text}
        C: .
        S: 500 5.5.2 line too long
        C: NOOP
        S: 250 ok
    "
    );
    let t = common::transcript(&text);
    let out = common::run(config(), &t, common::Feed::Whole);
    assert!(
        out.events
            .contains(&Event::MessageAborted(AbortReason::LineTooLong))
    );
    assert_eq!(
        common::codes(&common::parse_all(&out.output)),
        common::codes(&t.replies)
    );
    // With the limit lifted the same line is fine.
    let mut c = config();
    c.limits.text_line = None;
    let out = common::run(c, &t, common::Feed::Whole);
    assert!(out.events.contains(&Event::MessageEnd));
    assert!(
        !out.events
            .iter()
            .any(|e| matches!(e, Event::MessageAborted(_)))
    );
}

#[test]
fn recipients_limit_gets_452() {
    let mut c = config();
    c.limits.max_recipients = 2;
    check(
        c,
        "
        S: 220 x
        C: EHLO c.example
        S: 250 x
        C: MAIL FROM:<a@b.example>
        S: 250 ok
        C: RCPT TO:<c1@d.example>
        S: 250 ok
        C: RCPT TO:<c2@d.example>
        S: 250 ok
        C: RCPT TO:<c3@d.example>
        S: 452 4.5.3 too many recipients
    ",
    );
}

#[test]
fn too_many_errors_close_with_421() {
    let mut c = config();
    c.limits.max_errors = 3;
    let t = common::transcript(
        "
        S: 220 x
        C: FOO
        C: BAR
        C: BAZ
        C: NOOP
        S: 500 a
        S: 500 b
        S: 500 c
        S: 421 4.7.0 too many errors
    ",
    );
    let now = Instant::now();
    let mut s = Session::new(c, now);
    let _ = s.poll_event();
    s.accept().unwrap();
    s.receive(now, &t.segments[0]);
    let mut out = Vec::new();
    while let Some(b) = s.poll_transmit() {
        out.extend_from_slice(&b);
    }
    assert_eq!(
        common::codes(&common::parse_all(&out)),
        common::codes(&t.replies)
    );
    assert!(s.is_closed());
}

#[test]
fn refused_greeting_then_503_until_quit() {
    let now = Instant::now();
    let mut s = Session::new(config(), now);
    assert_eq!(s.poll_event(), Some(Event::Connect));
    s.reject(Reply::new(554, None, "no service").unwrap())
        .unwrap();
    s.receive(now, b"EHLO a.example\r\nQUIT\r\n");
    let mut out = Vec::new();
    while let Some(b) = s.poll_transmit() {
        out.extend_from_slice(&b);
    }
    assert_eq!(common::codes(&common::parse_all(&out)), vec![554, 503, 221]);
    assert!(s.is_closed());
}

#[test]
fn timeouts_answer_421_and_close() {
    let now = Instant::now();
    let mut s = Session::new(config(), now);
    let _ = s.poll_event();
    s.accept().unwrap();
    let _ = s.poll_transmit();
    let deadline = s.poll_timeout().expect("a command timeout");
    assert_eq!(deadline, now + Duration::from_secs(300));
    s.handle_timeout(deadline - Duration::from_secs(1));
    assert!(!s.is_closed());
    s.handle_timeout(deadline);
    assert!(s.is_closed());
    let out = s.poll_transmit().unwrap();
    assert!(out.starts_with(b"421 4.4.2 "));
}

#[test]
fn owner_can_fail_a_message_mid_stream() {
    let now = Instant::now();
    let mut s = Session::new(config(), now);
    let mut events = Vec::new();
    let pump = |s: &mut Session, events: &mut Vec<Event>| {
        while let Some(e) = s.poll_event() {
            if let Event::MessageData(_) = e {
                s.reject_message(Reply::new(451, Some((4, 3, 0)), "queue write failed").unwrap())
                    .unwrap();
            } else if e.needs_decision() {
                s.accept().unwrap();
            }
            events.push(e);
        }
    };
    pump(&mut s, &mut events);
    s.receive(
        now,
        b"EHLO a.example\r\nMAIL FROM:<>\r\nRCPT TO:<b@c.example>\r\nDATA\r\nhello\r\n",
    );
    pump(&mut s, &mut events);
    s.receive(now, b"more\r\n.\r\nNOOP\r\n");
    pump(&mut s, &mut events);
    let mut out = Vec::new();
    while let Some(b) = s.poll_transmit() {
        out.extend_from_slice(&b);
    }
    let codes = common::codes(&common::parse_all(&out));
    assert_eq!(codes, vec![220, 250, 250, 250, 354, 451, 250]);
    assert!(!events.contains(&Event::MessageEnd));
}

#[test]
fn data_after_bdat_and_binarymime_with_data_refused() {
    check(
        config(),
        "
        S: 220 x
        C: EHLO c.example
        S: 250 x
        C: MAIL FROM:<a@b.example> BODY=BINARYMIME
        S: 250 ok
        C: RCPT TO:<c@d.example>
        S: 250 ok
        C: DATA
        S: 503 5.5.1 BINARYMIME needs BDAT
        C: BDAT 3
        C+ abc
        S: 250 3 octets
        C: DATA
        S: 503 5.5.1 DATA after BDAT
        C: BDAT 2 LAST
        C+ de
        S: 250 queued
        C: BDAT 4 LAST
        C+ QUIT
        S: 503 5.5.1 need MAIL
        C: RSET
        S: 250 ok
    ",
    );
}

/// RFC 3207 4.2: an AUTH given before STARTTLS does not survive the
/// handshake; the client authenticates again over TLS.
#[test]
fn starttls_forgets_an_earlier_auth() {
    let now = Instant::now();
    let mut c = config();
    c.starttls = true;
    c.auth_mechanisms = vec![smtp_proto::Mechanism::Plain];
    c.auth_without_tls = true;
    let mut s = Session::new(c, now);
    let drive = |s: &mut Session, input: &[u8]| {
        s.receive(now, input);
        let mut out = Vec::new();
        while let Some(e) = s.poll_event() {
            if e.needs_decision() {
                s.accept().unwrap();
            }
        }
        while let Some(b) = s.poll_transmit() {
            out.extend_from_slice(&b);
        }
        String::from_utf8(out).unwrap()
    };
    drive(&mut s, b"");
    drive(&mut s, b"EHLO c.example\r\n");
    // "\0alice\0secret"
    let out = drive(&mut s, b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
    assert!(out.starts_with("235 "), "{out}");
    assert!(s.is_authenticated());
    let out = drive(&mut s, b"STARTTLS\r\n");
    assert!(out.starts_with("220 "), "{out}");
    s.tls_established(now);
    assert!(!s.is_authenticated());
    let out = drive(&mut s, b"EHLO c.example\r\n");
    assert!(out.contains("AUTH PLAIN"), "{out}");
}

/// RFC 5321 3.8: a server going down answers 421. An idle session closes
/// at once; one receiving message data finishes it, replies, then closes.
#[test]
fn shut_down_lets_data_finish_then_says_421() {
    let now = Instant::now();
    let drive = |s: &mut Session, input: &[u8]| {
        s.receive(now, input);
        while let Some(e) = s.poll_event() {
            if e.needs_decision() {
                s.accept().unwrap();
            }
        }
        let mut out = Vec::new();
        while let Some(b) = s.poll_transmit() {
            out.extend_from_slice(&b);
        }
        String::from_utf8(out).unwrap()
    };
    let mut idle = Session::new(config(), now);
    drive(&mut idle, b"EHLO c.example\r\n");
    idle.shut_down();
    let out = drive(&mut idle, b"");
    assert!(out.starts_with("421 4.3.2 "), "{out}");
    assert!(idle.is_closed());

    let mut busy = Session::new(config(), now);
    let out = drive(
        &mut busy,
        b"EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nSubject: x\r\n",
    );
    assert!(
        out.ends_with("354 End data with <CR><LF>.<CR><LF>\r\n"),
        "{out}"
    );
    busy.shut_down();
    assert!(!busy.is_closed());
    let out = drive(&mut busy, b"\r\nbody\r\n.\r\nNOOP\r\n");
    assert!(out.starts_with("250 "), "{out}");
    assert!(out.contains("\r\n421 4.3.2 "), "{out}");
    assert_eq!(
        out.matches("250 ").count(),
        1,
        "NOOP after the close: {out}"
    );
    assert!(busy.is_closed());
}
