//! Known-answer tests: RFC example sessions as C:/S: transcripts, each
//! checked whole, byte at a time and split at every position.

mod common;

use common::*;
use pop3_proto::server::Config;
use std::time::{Duration, Instant};

const MSG1: &[u8] = b"Subject: one\n\n.leading dot\nbody\n";
const MSG2: &[u8] = b"Subject: two\r\nX: y\r\n\r\nline 1\r\nline 2\r\nline 3\r\n";

fn two_messages() -> Owner {
    Owner::with_sizes(&[
        ("whqtswO00WBw418f9t5JxYwZ", MSG1, 120),
        ("QhdPYR:00WBw1Ph7x7", MSG2, 200),
    ])
}

/// Decodes and re-encodes each command and status line of a transcript.
fn reencode(client: &[u8], server: &[u8]) {
    use pop3_proto::{parse, serialize};
    for line in client
        .split(|&b| b == b'\n')
        .filter_map(|l| l.strip_suffix(b"\r"))
    {
        if let Ok(cmd) = parse::command(line) {
            let mut out = bytes::BytesMut::new();
            serialize::command(&cmd, &mut out);
            assert_eq!(&out[..out.len() - 2], line, "{cmd:?}");
        }
    }
    for line in server
        .split(|&b| b == b'\n')
        .filter_map(|l| l.strip_suffix(b"\r"))
    {
        let mut out = bytes::BytesMut::new();
        match parse::server_line(line) {
            Some(parse::ServerLine::Response(r))
                if line.starts_with(b"+OK") || line.starts_with(b"-ERR") =>
            {
                serialize::response(&r, &mut out);
            }
            Some(parse::ServerLine::Challenge(c)) => serialize::challenge(&c, &mut out),
            _ => continue,
        }
        let back = &out[..out.len() - 2];
        // "+ " and "+" are the same empty challenge.
        assert!(
            back == line || (back == b"+ " && line == b"+"),
            "{}",
            String::from_utf8_lossy(line)
        );
    }
}

fn check(config: Config, make_owner: impl Fn() -> Owner, t: &str) -> Owner {
    let (client, server) = transcript(t);
    reencode(&client, &server);
    let out = all_splits(&config, &make_owner, &client);
    assert_eq!(
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&server)
    );
    let mut owner = make_owner();
    run(config, &mut owner, [&client[..]]);
    owner
}

/// RFC 1939 section 10, the example POP3 session (APOP, STAT, LIST, RETR,
/// DELE, QUIT). Texts after +OK are ours; the numbers are the RFC's.
#[test]
fn rfc1939_section10_example_session() {
    let owner = check(
        apop_config(),
        two_messages,
        "S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>
         C: APOP mrose c4c9334bac560ecc979e58001b3e22fb
         S: +OK maildrop has 2 messages (320 octets)
         C: STAT
         S: +OK 2 320
         C: LIST
         S: +OK 2 messages (320 octets)
         S: 1 120
         S: 2 200
         S: .
         C: RETR 1
         S: +OK 120 octets
         S: Subject: one
         S:
         S: ..leading dot
         S: body
         S: .
         C: DELE 1
         S: +OK message 1 deleted
         C: RETR 2
         S: +OK 200 octets
         S: Subject: two
         S: X: y
         S:
         S: line 1
         S: line 2
         S: line 3
         S: .
         C: DELE 2
         S: +OK message 2 deleted
         C: QUIT
         S: +OK signing off (maildrop empty)",
    );
    assert_eq!(owner.updates.len(), 1);
    let uids: Vec<&str> = owner.updates[0].iter().map(|m| m.uid.as_str()).collect();
    assert_eq!(uids, ["whqtswO00WBw418f9t5JxYwZ", "QhdPYR:00WBw1Ph7x7"]);
}

/// RFC 1939 section 7: UIDL with and without argument, TOP, and the
/// "no such message" answers.
#[test]
fn rfc1939_section7_uidl_and_top() {
    check(
        apop_config(),
        two_messages,
        "S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>
         C: APOP mrose c4c9334bac560ecc979e58001b3e22fb
         S: +OK maildrop has 2 messages (320 octets)
         C: UIDL
         S: +OK
         S: 1 whqtswO00WBw418f9t5JxYwZ
         S: 2 QhdPYR:00WBw1Ph7x7
         S: .
         C: UIDL 2
         S: +OK 2 QhdPYR:00WBw1Ph7x7
         C: UIDL 3
         S: -ERR no such message
         C: TOP 2 1
         S: +OK 200 octets
         S: Subject: two
         S: X: y
         S:
         S: line 1
         S: .
         C: TOP 1 0
         S: +OK 120 octets
         S: Subject: one
         S:
         S: .
         C: TOP 100 3
         S: -ERR no such message
         C: QUIT
         S: +OK signing off (2 messages left)",
    );
}

/// RFC 1939 sections 5 and 7: USER/PASS, a locked maildrop (RFC 2449
/// section 8.1.2 IN-USE), deleted messages hidden, RSET unmarks, and a
/// dropped connection deletes nothing.
#[test]
fn rfc1939_user_pass_dele_rset() {
    let locked = || {
        let mut o = two_messages();
        o.locked = true;
        o
    };
    check(
        apop_config(),
        locked,
        "S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>
         C: PASS secret
         S: -ERR USER first
         C: USER mrose
         S: +OK send PASS
         C: PASS secret
         S: -ERR [IN-USE] maildrop already locked
         C: STAT
         S: -ERR not allowed before authentication",
    );
    let owner = check(
        apop_config(),
        two_messages,
        "S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>
         C: USER mrose
         S: +OK send PASS
         C: PASS wrong
         S: -ERR [AUTH] authentication failed
         C: USER mrose
         S: +OK send PASS
         C: PASS secret
         S: +OK maildrop has 2 messages (320 octets)
         C: DELE 1
         S: +OK message 1 deleted
         C: DELE 1
         S: -ERR message 1 already deleted
         C: LIST 1
         S: -ERR no such message
         C: RETR 1
         S: -ERR no such message
         C: STAT
         S: +OK 1 200
         C: LIST
         S: +OK 1 messages (200 octets)
         S: 2 200
         S: .
         C: RSET
         S: +OK maildrop has 2 messages (320 octets)
         C: STAT
         S: +OK 2 320
         C: DELE 2
         S: +OK message 2 deleted
         C: NOOP
         S: +OK",
    );
    // No QUIT: the session never entered UPDATE, so nothing is deleted.
    assert!(owner.updates.is_empty());
}

/// RFC 2449 section 5 CAPA, before and after authentication; USER and SASL
/// only where plaintext is allowed; unknown and wrong-state commands.
#[test]
fn rfc2449_capa() {
    check(
        Config {
            stls: true,
            ..Config::default()
        },
        two_messages,
        "S: +OK POP3 server ready
         C: CAPA
         S: +OK Capability list follows
         S: TOP
         S: UIDL
         S: RESP-CODES
         S: PIPELINING
         S: STLS
         S: .
         C: USER mrose
         S: -ERR [AUTH] plaintext authentication disallowed without TLS
         C: AUTH PLAIN
         S: -ERR [AUTH] plaintext authentication disallowed without TLS
         C: XYZZY
         S: -ERR unknown command
         C: RETR x
         S: -ERR syntax error",
    );
    check(
        Config {
            plaintext_auth: true,
            implementation: Some("missive".into()),
            ..Config::default()
        },
        two_messages,
        "S: +OK POP3 server ready
         C: USER mrose
         S: +OK send PASS
         C: PASS secret
         S: +OK maildrop has 2 messages (320 octets)
         C: CAPA
         S: +OK Capability list follows
         S: TOP
         S: UIDL
         S: RESP-CODES
         S: PIPELINING
         S: USER
         S: SASL PLAIN LOGIN
         S: IMPLEMENTATION missive
         S: .
         C: USER again
         S: -ERR already authenticated",
    );
}

/// RFC 5034 section 4 / RFC 4616: AUTH PLAIN with and without initial
/// response, LOGIN, cancel, bad base64.
#[test]
fn rfc5034_auth_plain_and_login() {
    let config = Config {
        plaintext_auth: true,
        ..Config::default()
    };
    // "\0mrose\0secret" and "\0mrose\0bad"
    check(
        config.clone(),
        two_messages,
        "S: +OK POP3 server ready
         C: AUTH PLAIN AG1yb3NlAGJhZA==
         S: -ERR [AUTH] authentication failed
         C: AUTH PLAIN
         S: + 
         C: *
         S: -ERR authentication cancelled
         C: AUTH PLAIN
         S: + 
         C: !!notbase64
         S: -ERR invalid base64 in SASL response
         C: AUTH CRAM-MD5
         S: -ERR unsupported SASL mechanism
         C: AUTH PLAIN
         S: + 
         C: AG1yb3NlAHNlY3JldA==
         S: +OK maildrop has 2 messages (320 octets)
         C: AUTH PLAIN
         S: -ERR already authenticated",
    );
    check(
        config,
        two_messages,
        "S: +OK POP3 server ready
         C: AUTH LOGIN
         S: + VXNlcm5hbWU6
         C: bXJvc2U=
         S: + UGFzc3dvcmQ6
         C: c2VjcmV0
         S: +OK maildrop has 2 messages (320 octets)",
    );
}

/// RFC 2595 section 4: after STLS is accepted, pipelined plaintext is
/// discarded, and the session starts over once TLS is up.
#[test]
fn rfc2595_stls_discards_pipelined_bytes() {
    let config = Config {
        stls: true,
        ..Config::default()
    };
    let mut owner = two_messages();
    let now = Instant::now();
    let (out, mut s) = run(
        config,
        &mut owner,
        [&b"STLS\r\nUSER mrose\r\nPASS secret\r\n"[..]],
    );
    assert_eq!(owner.starttls, 1);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "+OK POP3 server ready\r\n+OK Begin TLS negotiation\r\n"
    );
    s.receive(now, b"USER injected\r\n");
    s.tls_established(now).unwrap();
    assert!(s.is_tls());
    let mut out = Vec::new();
    s.receive(now, b"CAPA\r\nUSER mrose\r\nPASS secret\r\nSTAT\r\n");
    pump(&mut s, &mut owner, &mut out);
    let text = String::from_utf8_lossy(&out);
    assert!(!text.contains("STLS"), "{text}");
    assert!(text.contains("SASL PLAIN LOGIN"), "{text}");
    assert!(
        text.ends_with(
            "+OK send PASS\r\n+OK maildrop has 2 messages (320 octets)\r\n+OK 2 320\r\n"
        ),
        "{text}"
    );
}

/// RFC 2449 section 4: 255 octets per command line; a longer one is
/// answered -ERR, and the connection goes on.
#[test]
fn rfc2449_line_limit() {
    let config = Config {
        plaintext_auth: true,
        ..Config::default()
    };
    let ok = format!("USER {}\r\n", "a".repeat(255 - 7));
    let long = format!("USER {}\r\n", "a".repeat(255 - 6));
    let input = format!("{ok}{long}NOOP\r\n");
    let out = all_splits(&config, two_messages, input.as_bytes());
    assert_eq!(
        String::from_utf8_lossy(&out),
        "+OK POP3 server ready\r\n+OK send PASS\r\n-ERR line too long\r\n-ERR not allowed before authentication\r\n"
    );
}

/// Bad commands before disconnect (Limits::max_bad_commands).
#[test]
fn too_many_bad_commands_close() {
    let config = Config::default();
    let input = "BAD\r\n".repeat(12);
    let out = all_splits(&config, two_messages, input.as_bytes());
    let text = String::from_utf8_lossy(&out);
    assert_eq!(text.matches("-ERR unknown command").count(), 9);
    assert!(text.ends_with("-ERR too many bad commands, closing connection\r\n"));
}

/// Failed authentications close after Limits::max_auth_failures.
#[test]
fn auth_failures_close() {
    let config = Config {
        plaintext_auth: true,
        ..Config::default()
    };
    let input = "USER mrose\r\nPASS x\r\n".repeat(5);
    let (out, s) = run(config, &mut two_messages(), [input.as_bytes()]);
    assert!(s.is_closed());
    assert_eq!(String::from_utf8_lossy(&out).matches("[AUTH]").count(), 3);
}

/// RFC 1939 section 3: the autologout timer is at least 10 minutes,
/// restarts on each command, and on expiry the session closes without a
/// response and without UPDATE.
#[test]
fn autologout_closes_without_update() {
    let config = Config {
        plaintext_auth: true,
        ..Config::default()
    };
    let t0 = Instant::now();
    let mut owner = two_messages();
    let mut s = pop3_proto::server::Session::new(config, t0);
    let mut out = Vec::new();
    pump(&mut s, &mut owner, &mut out);
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(600)));
    let t1 = t0 + Duration::from_secs(300);
    s.receive(t1, b"USER mrose\r\nPASS secret\r\nDELE 1\r\n");
    pump(&mut s, &mut owner, &mut out);
    // The decision restarted the timer; the owner's next call brings time.
    let due = s.poll_timeout().unwrap();
    assert!(due <= t1 + Duration::from_secs(600));
    s.handle_timeout(t1);
    assert_eq!(s.poll_timeout(), Some(t1 + Duration::from_secs(600)));
    s.handle_timeout(t1 + Duration::from_secs(599));
    assert!(!s.is_closed());
    let before = out.len();
    s.handle_timeout(t1 + Duration::from_secs(600));
    assert!(s.is_closed());
    pump(&mut s, &mut owner, &mut out);
    assert_eq!(out.len(), before, "no response on autologout");
    assert!(owner.updates.is_empty(), "no UPDATE on autologout");
    assert_eq!(s.poll_timeout(), None);
}

/// Pipelined commands (RFC 2449 section 6.6) get replies in order, with
/// decisions in between.
#[test]
fn pipelined_commands_answer_in_order() {
    let config = Config {
        plaintext_auth: true,
        ..Config::default()
    };
    let input = b"USER mrose\r\nPASS secret\r\nRETR 1\r\nSTAT\r\nTOP 2 0\r\nQUIT\r\n";
    let out = all_splits(&config, two_messages, input);
    let text = String::from_utf8_lossy(&out);
    let order: Vec<usize> = [
        "+OK send PASS",
        "+OK maildrop",
        "+OK 120 octets",
        "+OK 2 320",
        "+OK 200 octets",
        "+OK signing",
    ]
    .iter()
    .map(|p| text.find(p).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
}
