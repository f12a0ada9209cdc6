//! A corpus of command lines in the styles of Thunderbird, Apple Mail,
//! mutt, mbsync, K-9 and Outlook, plus lines that cover every command,
//! SEARCH key, FETCH attribute and STATUS item of the grammar
//! (`tests/data/client_commands.txt`). Each command must decode to exactly
//! one command, fed whole, byte by byte, and split in two at every
//! position (which cuts literal headers, CRLFs and literal octets at every
//! awkward place), and serializing it must give bytes that parse back to it.

mod common;

use std::collections::BTreeSet;

use bytes::BytesMut;
use common::{decode_commands_bytewise, decode_commands_once, drain};
use imap_proto::serialize::{EncodeOptions, encode_command};
use imap_proto::types::{Command, CommandBody, FetchAttribute, FetchItems, SearchKey};
use imap_proto::{CommandDecoder, CommandEvent, DecodeOptions, Limits, parse_command};

/// `\r`, `\n`, `\xHH` escapes; a lone LF becomes CRLF; CRLF ends each command.
fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut v = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1)) {
            (b'\\', Some(b'r')) => {
                v.push(b'\r');
                i += 2;
            }
            (b'\\', Some(b'n')) => {
                v.push(b'\n');
                i += 2;
            }
            (b'\\', Some(b'x')) => {
                let h = std::str::from_utf8(&b[i + 2..i + 4]).unwrap();
                v.push(u8::from_str_radix(h, 16).unwrap());
                i += 4;
            }
            (c, _) => {
                v.push(c);
                i += 1;
            }
        }
    }
    let mut out = Vec::new();
    for (j, &c) in v.iter().enumerate() {
        if c == b'\n' && (j == 0 || v[j - 1] != b'\r') {
            out.extend_from_slice(b"\r\n");
        } else {
            out.push(c);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

pub fn corpus() -> Vec<Vec<u8>> {
    include_str!("data/client_commands.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(unescape)
        .collect()
}

fn one(wire: &[u8]) -> Command {
    let events = decode_commands_once(wire);
    match events.as_slice() {
        [CommandEvent::Command(c)] => c.clone(),
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(wire)),
    }
}

#[test]
fn corpus_is_large_enough() {
    assert!(corpus().len() >= 150, "{}", corpus().len());
}

#[test]
fn every_line_decodes_to_one_command_in_any_split() {
    for wire in corpus() {
        let c = one(&wire);
        assert_eq!(
            decode_commands_bytewise(&wire),
            vec![CommandEvent::Command(c.clone())]
        );
        for cut in 1..wire.len() {
            let mut d = CommandDecoder::new(Limits::default());
            let mut got = Vec::new();
            d.receive(&wire[..cut]);
            drain(&mut d, &mut got);
            d.receive(&wire[cut..]);
            drain(&mut d, &mut got);
            assert_eq!(got, vec![CommandEvent::Command(c.clone())], "cut at {cut}");
        }
    }
}

#[test]
fn whole_corpus_as_one_pipelined_stream() {
    let all: Vec<u8> = corpus().concat();
    let expect: Vec<CommandEvent> = corpus()
        .iter()
        .map(|w| CommandEvent::Command(one(w)))
        .collect();
    for n in [1, 2, 3, 7, 64, 1000, all.len()] {
        assert_eq!(
            common::decode_commands_split(&all, n),
            expect,
            "chunks of {n}"
        );
    }
}

#[test]
fn every_line_round_trips_through_the_serializer() {
    for wire in corpus() {
        let c = one(&wire);
        for opts in [
            EncodeOptions::default(),
            EncodeOptions {
                utf8: false,
                literal_plus: true,
            },
        ] {
            let mut out = BytesMut::new();
            encode_command(&c, opts, &mut out);
            let back = parse_command(&out, DecodeOptions::default(), &Limits::default())
                .unwrap_or_else(|e| panic!("{e:?}: {:?}", String::from_utf8_lossy(&out)));
            assert_eq!(back, c, "{:?}", String::from_utf8_lossy(&out));
        }
    }
}

fn keys(k: &SearchKey, out: &mut BTreeSet<String>) {
    let name = format!("{k:?}");
    out.insert(name.split(['(', ' ', '{']).next().unwrap_or("").to_string());
    match k {
        SearchKey::Not(k) => keys(k, out),
        SearchKey::Or(a, b) => {
            keys(a, out);
            keys(b, out);
        }
        SearchKey::And(v) => v.iter().for_each(|k| keys(k, out)),
        _ => {}
    }
}

#[test]
fn corpus_covers_every_command_search_key_and_fetch_attribute() {
    let mut commands = BTreeSet::new();
    let mut search = BTreeSet::new();
    let mut fetch = BTreeSet::new();
    for wire in corpus() {
        let c = one(&wire);
        commands.insert(c.body.name());
        match &c.body {
            CommandBody::Search { criteria, .. } => {
                criteria.iter().for_each(|k| keys(k, &mut search))
            }
            CommandBody::Fetch {
                items: FetchItems::Attributes(a),
                ..
            } => {
                for a in a.iter() {
                    let n = format!("{a:?}");
                    let n = n.split([' ', '{']).next().unwrap_or("").to_string();
                    let peek = matches!(
                        a,
                        FetchAttribute::BodySection { peek: true, .. }
                            | FetchAttribute::Binary { peek: true, .. }
                    );
                    fetch.insert(if peek { format!("{n}.PEEK") } else { n });
                }
            }
            _ => {}
        }
    }
    let all_commands = [
        "CAPABILITY",
        "NOOP",
        "LOGOUT",
        "STARTTLS",
        "AUTHENTICATE",
        "LOGIN",
        "ENABLE",
        "SELECT",
        "EXAMINE",
        "CREATE",
        "DELETE",
        "RENAME",
        "SUBSCRIBE",
        "UNSUBSCRIBE",
        "LIST",
        "LSUB",
        "NAMESPACE",
        "STATUS",
        "APPEND",
        "IDLE",
        "CHECK",
        "CLOSE",
        "UNSELECT",
        "EXPUNGE",
        "UID EXPUNGE",
        "SEARCH",
        "UID SEARCH",
        "FETCH",
        "UID FETCH",
        "STORE",
        "UID STORE",
        "COPY",
        "UID COPY",
        "MOVE",
        "UID MOVE",
        "ID",
        "COMPRESS",
        "SORT",
        "UID SORT",
        "THREAD",
        "UID THREAD",
    ];
    for c in all_commands {
        assert!(commands.contains(c), "no {c} in the corpus");
    }
    let all_keys = [
        "All",
        "Answered",
        "Bcc",
        "Before",
        "Body",
        "Cc",
        "Deleted",
        "Draft",
        "Flagged",
        "From",
        "Header",
        "Keyword",
        "Larger",
        "New",
        "Not",
        "Old",
        "On",
        "Or",
        "Recent",
        "Seen",
        "SentBefore",
        "SentOn",
        "SentSince",
        "Since",
        "Smaller",
        "Subject",
        "Text",
        "To",
        "Uid",
        "Unanswered",
        "Undeleted",
        "Undraft",
        "Unflagged",
        "Unkeyword",
        "Unseen",
        "Older",
        "Younger",
        "ModSeq",
        "SequenceSet",
        "And",
    ];
    for k in all_keys {
        assert!(
            search.contains(k),
            "no SEARCH {k} in the corpus: {search:?}"
        );
    }
    let all_fetch = [
        "Envelope",
        "Flags",
        "InternalDate",
        "Rfc822",
        "Rfc822Header",
        "Rfc822Size",
        "Rfc822Text",
        "Body",
        "BodyStructure",
        "Uid",
        "ModSeq",
        "BodySection",
        "BodySection.PEEK",
        "Binary",
        "Binary.PEEK",
        "BinarySize",
    ];
    for f in all_fetch {
        assert!(fetch.contains(f), "no FETCH {f} in the corpus: {fetch:?}");
    }
}

#[test]
fn no_line_is_refused() {
    let mut bad = Vec::new();
    for wire in corpus() {
        let events = decode_commands_once(&wire);
        if !matches!(events.as_slice(), [CommandEvent::Command(_)]) {
            bad.push(format!(
                "{:?} -> {events:?}",
                String::from_utf8_lossy(&wire)
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
