//! Framing under every split: literals, continuation decisions, limits,
//! errors with and without a tag, and recovery to the next command.

mod common;

use common::{decode_commands_once, decode_commands_split, drain};
use imap_proto::types::{CommandBody, Response, Tag};
use imap_proto::{
    CommandDecoder, CommandEvent, DecodeErrorKind, Expect, Limits, ResponseDecoder, ResponseEvent,
};

fn tag(s: &str) -> Option<Tag> {
    Some(Tag::new(s).unwrap())
}

fn kinds(events: &[CommandEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            CommandEvent::Command(c) => format!("{} {}", c.tag, c.body.name()),
            CommandEvent::Error(e) => {
                format!("{:?} {:?}", e.tag.as_ref().map(|t| t.to_string()), e.kind)
            }
            other => format!("{other:?}"),
        })
        .collect()
}

/// Every chunk size gives the same events as one-shot decoding.
fn same_in_every_split(wire: &[u8]) -> Vec<String> {
    let once = kinds(&decode_commands_once(wire));
    for n in 1..=wire.len().min(64) {
        assert_eq!(
            kinds(&decode_commands_split(wire, n)),
            once,
            "chunks of {n}"
        );
    }
    once
}

#[test]
fn synchronizing_literal_is_announced_with_its_tag() {
    let mut d = CommandDecoder::new(Limits::default());
    d.receive(b"A001 LOGIN {11}\r\n");
    assert_eq!(
        d.poll_event(),
        Some(CommandEvent::LiteralRequest {
            tag: Tag::new("A001").unwrap(),
            length: 11
        })
    );
    // Nothing more until the owner decides.
    d.receive(b"FRED FOOBAR {7}\r\n");
    assert_eq!(d.poll_event(), None);
    d.accept_literal().unwrap();
    assert_eq!(
        d.poll_event(),
        Some(CommandEvent::LiteralRequest {
            tag: Tag::new("A001").unwrap(),
            length: 7
        })
    );
    d.accept_literal().unwrap();
    assert_eq!(d.poll_event(), None);
    d.receive(b"fat man\r\n");
    let Some(CommandEvent::Command(c)) = d.poll_event() else {
        panic!()
    };
    assert!(matches!(c.body, CommandBody::Login { .. }));
    assert!(d.accept_literal().is_err());
}

#[test]
fn refused_literal_drops_the_command_and_the_next_one_parses() {
    let mut d = CommandDecoder::new(Limits::default());
    // RFC 3501 section 7.5: A044 BLURDYBLOOP {102856} answered with BAD; the
    // client does not send the octets.
    d.receive(b"A044 BLURDYBLOOP {102856}\r\nA045 NOOP\r\n");
    assert_eq!(
        d.poll_event(),
        Some(CommandEvent::LiteralRequest {
            tag: Tag::new("A044").unwrap(),
            length: 102856
        })
    );
    d.reject_literal().unwrap();
    let Some(CommandEvent::Command(c)) = d.poll_event() else {
        panic!()
    };
    assert_eq!(c.tag.as_str(), "A045");
}

#[test]
fn non_synchronizing_literals_need_no_decision() {
    let got = same_in_every_split(b"a LOGIN {4+}\r\nfred {6+}\r\nsecret\r\nb NOOP\r\n");
    assert_eq!(got, ["a LOGIN", "b NOOP"]);
}

#[test]
fn oversized_synchronizing_literal_is_refused_with_the_tag() {
    let limits = Limits {
        literal_size: 10,
        ..Limits::default()
    };
    let mut d = CommandDecoder::new(limits);
    d.receive(b"t1 APPEND INBOX {11}\r\nt2 NOOP\r\n");
    let Some(CommandEvent::Error(e)) = d.poll_event() else {
        panic!()
    };
    assert_eq!(e.tag, tag("t1"));
    assert_eq!(
        e.kind,
        DecodeErrorKind::LiteralTooLarge {
            size: 11,
            limit: 10
        }
    );
    let Some(CommandEvent::Command(c)) = d.poll_event() else {
        panic!()
    };
    assert_eq!(c.tag.as_str(), "t2");
}

#[test]
fn oversized_non_synchronizing_literal_is_skipped() {
    let limits = Limits {
        literal_size: 10,
        ..Limits::default()
    };
    // The 20 octets arrive anyway (RFC 7888 section 4); they hold a fake
    // command that must not be executed.
    let wire = b"t1 APPEND INBOX {20+}\r\nt9 DELETE INBOX\r\n  \r\nt2 NOOP\r\n";
    let once = {
        let mut d = CommandDecoder::new(limits);
        d.receive(wire);
        let mut v = Vec::new();
        drain(&mut d, &mut v);
        kinds(&v)
    };
    assert_eq!(
        once,
        [
            "Some(\"t1\") LiteralTooLarge { size: 20, limit: 10 }",
            "t2 NOOP"
        ]
    );
    for n in 1..wire.len() {
        let mut d = CommandDecoder::new(limits);
        let mut v = Vec::new();
        for c in wire.chunks(n) {
            d.receive(c);
            drain(&mut d, &mut v);
        }
        assert_eq!(kinds(&v), once, "chunks of {n}");
    }
}

#[test]
fn too_long_line_is_refused_and_skipped() {
    let limits = Limits {
        line_length: 100,
        ..Limits::default()
    };
    let mut wire = b"t1 SEARCH ".to_vec();
    wire.extend(std::iter::repeat_n(b'X', 500));
    wire.extend_from_slice(b"\r\nt2 NOOP\r\n");
    for n in [1, 2, 5, 64, wire.len()] {
        let mut d = CommandDecoder::new(limits);
        let mut v = Vec::new();
        for c in wire.chunks(n) {
            d.receive(c);
            drain(&mut d, &mut v);
            assert!(d.buffered() <= 100 + n, "buffer grew to {}", d.buffered());
        }
        assert_eq!(
            kinds(&v),
            ["Some(\"t1\") LineTooLong { limit: 100 }", "t2 NOOP"],
            "chunks of {n}"
        );
    }
}

#[test]
fn bare_lf_and_syntax_errors_carry_the_tag_when_readable() {
    let got =
        same_in_every_split(b"t1 NOOP\nt2 FOO BAR\r\n+++\r\nt3 FETCH 1 (FLAGS\r\n\r\nt4 NOOP\r\n");
    assert_eq!(
        got,
        [
            "Some(\"t1\") BareLf",
            "Some(\"t2\") Syntax",
            "None Syntax",
            "Some(\"t3\") Syntax",
            "t4 NOOP",
        ]
    );
}

#[test]
fn nesting_is_bounded_without_recursion_limits_of_the_stack() {
    let mut wire = b"t1 SEARCH ".to_vec();
    wire.extend(std::iter::repeat_n(b'(', 50_000));
    wire.extend_from_slice(b"SEEN");
    wire.extend(std::iter::repeat_n(b')', 50_000));
    wire.extend_from_slice(b"\r\nt2 SEARCH ");
    for _ in 0..50_000 {
        wire.extend_from_slice(b"NOT ");
    }
    wire.extend_from_slice(b"SEEN\r\nt3 NOOP\r\n");
    let limits = Limits {
        line_length: 1 << 20,
        ..Limits::default()
    };
    let mut d = CommandDecoder::new(limits);
    d.receive(&wire);
    let mut v = Vec::new();
    drain(&mut d, &mut v);
    assert_eq!(
        kinds(&v),
        [
            "Some(\"t1\") TooDeep { limit: 32 }",
            "Some(\"t2\") TooDeep { limit: 32 }",
            "t3 NOOP",
        ]
    );
}

#[test]
fn item_count_is_bounded() {
    let limits = Limits {
        items: 100,
        ..Limits::default()
    };
    let mut wire = b"t1 FETCH 1 (".to_vec();
    for _ in 0..200 {
        wire.extend_from_slice(b"UID ");
    }
    wire.extend_from_slice(b"UID)\r\nt2 STORE 1 +FLAGS (\\Seen)\r\n");
    let mut d = CommandDecoder::new(limits);
    d.receive(&wire);
    let mut v = Vec::new();
    drain(&mut d, &mut v);
    assert_eq!(
        kinds(&v),
        ["Some(\"t1\") TooManyItems { limit: 100 }", "t2 STORE"]
    );
}

#[test]
fn too_many_literals_in_one_command() {
    let limits = Limits {
        literals: 2,
        ..Limits::default()
    };
    let got = {
        let mut d = CommandDecoder::new(limits);
        d.receive(b"t1 APPEND INBOX {1+}\r\na {1+}\r\nb {1+}\r\nc\r\nt2 NOOP\r\n");
        let mut v = Vec::new();
        drain(&mut d, &mut v);
        kinds(&v)
    };
    assert_eq!(
        got,
        ["Some(\"t1\") TooManyLiterals { limit: 2 }", "t2 NOOP"]
    );
}

#[test]
fn idle_done_and_authenticate_lines() {
    let mut d = CommandDecoder::new(Limits::default());
    d.receive(b"t1 IDLE\r\n");
    let Some(CommandEvent::Command(c)) = d.poll_event() else {
        panic!()
    };
    assert_eq!(c.body, CommandBody::Idle);
    d.expect(Expect::IdleDone);
    d.receive(b"do");
    assert_eq!(d.poll_event(), None);
    d.receive(b"ne\r\nt2 AUTHENTICATE PLAIN\r\n");
    assert_eq!(d.poll_event(), Some(CommandEvent::IdleDone));
    let Some(CommandEvent::Command(_)) = d.poll_event() else {
        panic!()
    };
    d.expect(Expect::AuthenticateData);
    d.receive(b"AHVzZXIAcGFzcw==\r\n");
    let Some(CommandEvent::AuthenticateData(s)) = d.poll_event() else {
        panic!()
    };
    assert_eq!(s.expose(), b"\0user\0pass");
    d.expect(Expect::AuthenticateData);
    d.receive(b"*\r\n");
    assert_eq!(d.poll_event(), Some(CommandEvent::AuthenticateCancel));
    d.expect(Expect::AuthenticateData);
    d.receive(b"not base64!\r\nt3 NOOP\r\n");
    assert!(matches!(d.poll_event(), Some(CommandEvent::Error(_))));
    assert!(matches!(d.poll_event(), Some(CommandEvent::Command(_))));
}

#[test]
fn big_append_fed_in_small_pieces_is_one_command() {
    let body = vec![b'x'; 1 << 20];
    let mut wire = format!("t1 APPEND INBOX {{{}+}}\r\n", body.len()).into_bytes();
    wire.extend_from_slice(&body);
    wire.extend_from_slice(b"\r\n");
    let mut d = CommandDecoder::new(Limits::default());
    let mut v = Vec::new();
    for c in wire.chunks(3) {
        d.receive(c);
        drain(&mut d, &mut v);
    }
    let [CommandEvent::Command(c)] = v.as_slice() else {
        panic!("{v:?}")
    };
    let CommandBody::Append { messages, .. } = &c.body else {
        panic!()
    };
    assert_eq!(messages[0].message.data.len(), 1 << 20);
}

#[test]
fn discard_buffered_drops_pipelined_bytes() {
    let mut d = CommandDecoder::new(Limits::default());
    d.receive(b"t1 STARTTLS\r\nt2 LOGIN evil injected\r\n");
    let Some(CommandEvent::Command(_)) = d.poll_event() else {
        panic!()
    };
    d.discard_buffered();
    assert_eq!(d.poll_event(), None);
    assert_eq!(d.buffered(), 0);
}

#[test]
fn responses_in_every_split() {
    let wire: &[u8] = b"* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n* 1 FETCH (UID 7 BODY[] {12}\r\nSubject: x\r\n FLAGS (\\Seen))\r\n+ go ahead\r\n* BAD \x00\r\nA1 OK done\r\n";
    let once = {
        let mut d = ResponseDecoder::new(Limits::default());
        d.receive(wire);
        std::iter::from_fn(|| d.poll_event()).collect::<Vec<_>>()
    };
    assert_eq!(once.len(), 5);
    assert!(matches!(once[3], ResponseEvent::Error(_)));
    assert!(matches!(
        &once[2],
        ResponseEvent::Response(Response::Continuation(_))
    ));
    for n in 1..wire.len() {
        let mut d = ResponseDecoder::new(Limits::default());
        let mut v = Vec::new();
        for c in wire.chunks(n) {
            d.receive(c);
            while let Some(e) = d.poll_event() {
                v.push(e);
            }
        }
        assert_eq!(v, once, "chunks of {n}");
    }
}

/// Rebuilds APPEND messages from streamed events.
fn streamed(wire: &[u8], split: usize, min: u64) -> Vec<String> {
    let mut d = CommandDecoder::new(Limits::default());
    d.set_append_streaming(Some(min));
    let mut out = Vec::new();
    let mut cur: Option<(String, Vec<u8>)> = None;
    let mut feed = |d: &mut CommandDecoder, out: &mut Vec<String>| {
        while let Some(e) = d.poll_event() {
            match e {
                CommandEvent::AppendStart {
                    tag,
                    mailbox,
                    flags,
                    date,
                    utf8,
                    binary,
                    length,
                    sync,
                } => {
                    if let Some((h, data)) = cur.take() {
                        out.push(format!("{h} {:?}", String::from_utf8_lossy(&data)));
                    }
                    if sync {
                        d.accept_literal().unwrap();
                    }
                    cur = Some((
                        format!("{tag} {mailbox:?} {flags:?} {date:?} {utf8} {binary} {length}"),
                        Vec::new(),
                    ));
                }
                CommandEvent::AppendData(b) => cur.as_mut().unwrap().1.extend_from_slice(&b),
                CommandEvent::AppendEnd { tag } => {
                    if let Some((h, data)) = cur.take() {
                        out.push(format!("{h} {:?}", String::from_utf8_lossy(&data)));
                    }
                    out.push(format!("end {tag}"));
                }
                CommandEvent::LiteralRequest { .. } => d.accept_literal().unwrap(),
                CommandEvent::Command(c) => {
                    if let CommandBody::Append { mailbox, messages } = c.body {
                        for m in messages.iter() {
                            out.push(format!(
                                "{} {mailbox:?} {:?} {:?} {} {} {} {:?}",
                                c.tag,
                                m.flags,
                                m.date,
                                m.utf8,
                                m.message.binary,
                                m.message.data.len(),
                                String::from_utf8_lossy(&m.message.data)
                            ));
                        }
                        out.push(format!("end {}", c.tag));
                    } else {
                        out.push(format!("{} {}", c.tag, c.body.name()));
                    }
                }
                other => {
                    if let Some((h, data)) = cur.take() {
                        out.push(format!("{h} {:?}", String::from_utf8_lossy(&data)));
                    }
                    out.push(format!("{other:?}"))
                }
            }
        }
    };
    for chunk in wire.chunks(split.max(1)) {
        d.receive(chunk);
        feed(&mut d, &mut out);
    }
    out
}

#[test]
fn streamed_append_gives_the_same_messages_as_buffered() {
    let cases: &[&[u8]] = &[
        b"a1 APPEND INBOX {5}\r\nhello\r\nb NOOP\r\n",
        b"a2 APPEND \"Sent\" (\\Seen) \" 1-Jan-2024 00:00:00 +0000\" {5+}\r\nhello\r\n",
        b"a3 APPEND INBOX {3}\r\nabc (\\Seen) {3+}\r\ndef \"14-Jul-2023 12:34:56 -0230\" {3}\r\nghi\r\nz NOOP\r\n",
        b"a4 APPEND INBOX UTF8 (~{4}\r\n\xe2\x9c\x93\r) UTF8 (~{1}\r\nx)\r\n",
        b"a5 APPEND {5}\r\nINBOX {0}\r\n\r\n",
        b"a6 APPEND INBOX {10}\r\n{3}\r\nabc\r\n\r\n",
    ];
    for wire in cases {
        let mut buffered = CommandDecoder::new(Limits::default());
        buffered.receive(wire);
        let mut v = Vec::new();
        drain(&mut buffered, &mut v);
        let once = streamed(wire, wire.len(), u64::MAX);
        for split in 1..=wire.len() {
            assert_eq!(
                streamed(wire, split, 0),
                once,
                "{:?} in chunks of {split}",
                String::from_utf8_lossy(wire)
            );
        }
    }
}

#[test]
fn streamed_append_can_be_refused_and_bad_tails_are_errors() {
    let mut d = CommandDecoder::new(Limits::default());
    d.set_append_streaming(Some(0));
    d.receive(b"a APPEND INBOX {100}\r\nb NOOP\r\n");
    assert!(matches!(
        d.poll_event(),
        Some(CommandEvent::AppendStart {
            sync: true,
            length: 100,
            ..
        })
    ));
    assert_eq!(d.poll_event(), None);
    d.reject_literal().unwrap();
    assert!(matches!(d.poll_event(), Some(CommandEvent::Command(c)) if c.tag.as_str() == "b"));

    // A refused non-synchronizing message still arrives; it is skipped.
    let got = streamed(b"c APPEND INBOX {3+}\r\nabcXYZ\r\nd NOOP\r\n", 1, 0);
    assert_eq!(
        got,
        [
            "c Inbox None None false false 3 \"abc\"",
            "Error(DecodeError { tag: Some(Tag(\"c\")), kind: Syntax })",
            "d NOOP",
        ]
    );
    // Small APPENDs below the threshold stay whole commands.
    let got = streamed(b"e APPEND INBOX {2+}\r\nhi\r\n", 1, 10);
    assert_eq!(got, ["e Inbox None None false false 2 \"hi\"", "end e"]);
}

#[test]
fn streamed_append_never_buffers_the_message() {
    let mut d = CommandDecoder::new(Limits::default());
    d.set_append_streaming(Some(1024));
    d.receive(b"a APPEND INBOX {10000000+}\r\n");
    assert!(matches!(
        d.poll_event(),
        Some(CommandEvent::AppendStart { .. })
    ));
    let chunk = vec![b'x'; 65536];
    let mut total = 0;
    while total < 10_000_000 {
        let n = chunk.len().min(10_000_000 - total);
        d.receive(&chunk[..n]);
        while let Some(e) = d.poll_event() {
            let CommandEvent::AppendData(b) = e else {
                panic!("{e:?}")
            };
            total += b.len();
        }
        assert_eq!(d.buffered(), 0);
    }
    d.receive(b"\r\n");
    assert!(matches!(
        d.poll_event(),
        Some(CommandEvent::AppendEnd { .. })
    ));
}

#[test]
fn literal_minus_refuses_big_non_synchronizing_literals() {
    // RFC 7888 section 4: with LITERAL-, {N+} may not exceed 4096 octets.
    let limits = Limits {
        non_sync_literal_size: 4096,
        ..Limits::default()
    };
    let mut wire = b"t1 APPEND INBOX {5000+}\r\n".to_vec();
    wire.extend(std::iter::repeat_n(b'x', 5000));
    wire.extend_from_slice(b"\r\nt2 APPEND INBOX {4096+}\r\n");
    wire.extend(std::iter::repeat_n(b'y', 4096));
    wire.extend_from_slice(b"\r\nt3 APPEND INBOX {5000}\r\n");
    let mut d = CommandDecoder::new(limits);
    d.receive(&wire);
    let mut v = Vec::new();
    drain(&mut d, &mut v);
    assert_eq!(
        kinds(&v),
        [
            "Some(\"t1\") LiteralTooLarge { size: 5000, limit: 4096 }",
            "t2 APPEND",
        ]
    );
    // The synchronizing form of the same size is fine.
    d.receive(&[b'z'; 5000]);
    d.receive(b"\r\n");
    drain(&mut d, &mut v);
    assert_eq!(kinds(&v)[2], "t3 APPEND");
}
