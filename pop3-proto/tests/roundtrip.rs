//! proptest: parse(serialize(x)) == x for every message type, stuffing
//! undone by unstuffing, and arbitrary bytes never panic a session.

use bytes::BytesMut;
use pop3_proto::parse::{self, ServerLine, Unstuffed, Unstuffer};
use pop3_proto::serialize::{self, DotStuffer};
use pop3_proto::{Capability, Command, RespCode, Response, Secret, Status, server};
use proptest::prelude::*;
use std::time::{Duration, Instant};

fn word() -> impl Strategy<Value = String> {
    "[!-~]{1,40}"
}

fn command() -> impl Strategy<Value = Command> {
    let n = any::<u32>();
    prop_oneof![
        word().prop_map(|name| Command::User { name }),
        "[!-~][ -~]{0,40}".prop_map(|p| Command::Pass {
            password: Secret::new(p)
        }),
        (word(), "[0-9a-f]{32}").prop_map(|(name, digest)| Command::Apop { name, digest }),
        Just(Command::Quit),
        Just(Command::Stat),
        proptest::option::of(n).prop_map(|msg| Command::List { msg }),
        n.prop_map(|msg| Command::Retr { msg }),
        n.prop_map(|msg| Command::Dele { msg }),
        Just(Command::Noop),
        Just(Command::Rset),
        (n, n).prop_map(|(msg, lines)| Command::Top { msg, lines }),
        proptest::option::of(n).prop_map(|msg| Command::Uidl { msg }),
        Just(Command::Capa),
        Just(Command::Stls),
        (
            "[A-Z][A-Z0-9_-]{0,19}",
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..60))
        )
            .prop_map(|(mechanism, ir)| Command::Auth {
                mechanism,
                initial_response: ir.map(Secret::new)
            }),
    ]
}

fn response() -> impl Strategy<Value = Response> {
    (
        prop_oneof![Just(Status::Ok), Just(Status::Err)],
        proptest::option::of("[!-.0-\\\\^-~]{1,10}(/[!-.0-\\\\^-~]{1,10}){0,2}"),
        "([^\\[\\p{Cc}][^\\p{Cc}]{0,90})?",
    )
        .prop_map(|(status, code, text)| {
            let r = Response::new(status, text).unwrap();
            match code {
                Some(c) => r.with_code(RespCode::new(c).unwrap()),
                None => r,
            }
        })
}

proptest! {
    #[test]
    fn command_roundtrip(cmd in command()) {
        prop_assert!(cmd.check(1000).is_ok());
        let mut out = BytesMut::new();
        serialize::command(&cmd, &mut out);
        prop_assert!(out.ends_with(b"\r\n"));
        let line = &out[..out.len() - 2];
        prop_assert_eq!(parse::command(line), Ok(cmd));
    }

    #[test]
    fn response_roundtrip(r in response()) {
        let mut out = BytesMut::new();
        serialize::response(&r, &mut out);
        let line = &out[..out.len() - 2];
        prop_assert_eq!(parse::server_line(line), Some(ServerLine::Response(r)));
    }

    #[test]
    fn challenge_roundtrip(data in proptest::collection::vec(any::<u8>(), 0..100)) {
        let mut out = BytesMut::new();
        serialize::challenge(&data, &mut out);
        prop_assert_eq!(parse::server_line(&out[..out.len() - 2]), Some(ServerLine::Challenge(data)));
    }

    #[test]
    fn capability_roundtrip(tag in "[!-\\-/-~]{1,20}", params in proptest::collection::vec(word(), 0..4)) {
        let cap = Capability::new(tag, params).unwrap();
        let mut out = BytesMut::new();
        serialize::capabilities(&Response::ok("").unwrap(), std::slice::from_ref(&cap), &mut out);
        let text = out[..].split(|&b| b == b'\n').nth(1).unwrap();
        prop_assert_eq!(parse::capability(&text[..text.len() - 1]), Some(cap));
    }

    /// A body with CRLF line ends comes back exactly, whatever the chunking
    /// on either side.
    #[test]
    fn stuffing_roundtrip(
        lines in proptest::collection::vec("[.]{0,3}[ -~]{0,20}", 0..20),
        split_in in 1usize..50,
        split_out in 1usize..50,
    ) {
        let body: Vec<u8> = lines.iter().flat_map(|l| format!("{l}\r\n").into_bytes()).collect();
        let mut wire = BytesMut::new();
        let mut s = DotStuffer::new();
        for c in body.chunks(split_in) {
            s.push(c, &mut wire);
        }
        s.finish(&mut wire);
        wire.extend_from_slice(b"+OK next");
        let mut u = Unstuffer::new();
        let mut back = BytesMut::new();
        let mut consumed_total = None;
        let mut offset = 0;
        for c in wire.chunks(split_out) {
            if let Unstuffed::Done { consumed } = u.push(c, &mut back) {
                consumed_total = Some(offset + consumed);
                break;
            }
            offset += c.len();
        }
        prop_assert_eq!(&back[..], &body[..]);
        prop_assert_eq!(consumed_total, Some(wire.len() - 8));
    }

    /// Arbitrary input never panics the server session and never grows its
    /// input buffer past the limits.
    #[test]
    fn arbitrary_bytes_never_panic(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..10)) {
        let config = server::Config { plaintext_auth: true, stls: true, ..Default::default() };
        let now = Instant::now();
        let mut s = server::Session::new(config, now);
        for c in &chunks {
            s.receive(now, c);
            while s.poll_transmit().is_some() {}
            while let Some(e) = s.poll_event() {
                match e {
                    server::Event::Authenticate(_) => s.accept_maildrop(vec![]).unwrap(),
                    _ => s.accept().unwrap(),
                }
            }
        }
        s.handle_timeout(now + Duration::from_secs(601));
    }
}

#[test]
fn lf_only_bodies_become_crlf() {
    let mut out = BytesMut::new();
    serialize::multi_line(&Response::ok("x").unwrap(), b"a\n.\n\nb", &mut out);
    assert_eq!(&out[..], b"+OK x\r\na\r\n..\r\n\r\nb\r\n.\r\n");
}

#[test]
fn response_codes_compare_case_insensitively() {
    let r = parse::response(b"-ERR [in-use/more] busy").unwrap();
    assert_eq!(r.code().unwrap().levels().next(), Some("in-use"));
    assert_ne!(r.code(), Some(&RespCode::IN_USE));
    assert_eq!(
        parse::response(b"-ERR [sys/temp] x").unwrap().code(),
        Some(&RespCode::SYS_TEMP)
    );
    assert!(parse::response(b"+OKAY").is_none());
}

/// The fuzz target's body over its seed corpus and whatever the fuzzer
/// added (fuzz/corpus/pop3_server), so CI covers it.
#[test]
fn fuzz_corpus_replays() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/pop3_server");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        pop3_proto::fuzzing::server_session(&data);
        pop3_proto::fuzzing::parsers(&data);
        n += 1;
    }
    assert!(n >= 10, "seed corpus missing in {}", dir.display());
}

/// The client fuzz body over fuzz/corpus/pop3_client.
#[test]
fn fuzz_client_corpus_replays() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/pop3_client");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        pop3_proto::fuzzing::client_session(&std::fs::read(entry.unwrap().path()).unwrap());
        n += 1;
    }
    assert!(n >= 3, "seed corpus missing in {}", dir.display());
}
