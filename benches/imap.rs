//! IMAP command decoding over a realistic mix, with `imap-codec` on the
//! same input for comparison, FETCH response serialization, and the
//! message list of a SELECT of 100,000 messages.
//!
//! `cargo bench --bench imap -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::num::NonZeroU32;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use imap_codec::CommandCodec;
use imap_codec::decode::Decoder;
use imap_proto::serialize::{EncodeOptions, Fragment, encode_response, response_fragments};
use imap_proto::types::*;
use imap_proto::{CommandDecoder, CommandEvent, Limits};

/// What a mail client sends in a busy session: header fetches with many
/// attributes, nested UID SEARCHes, flag changes, and small commands.
const MIX: &[&[u8]] = &[
    b"A001 UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])\r\n",
    b"A002 UID SEARCH OR (FROM \"alice@example.org\" SINCE 1-Feb-2024) (NOT (SEEN) OR SUBJECT report TO bob) UNDELETED\r\n",
    b"A003 UID STORE 4711:4720 +FLAGS.SILENT (\\Seen $Forwarded)\r\n",
    b"A004 UID FETCH 4711 (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY.PEEK[1.2]<0.2048>)\r\n",
    b"A005 NOOP\r\n",
    b"A006 SELECT \"INBOX\" (CONDSTORE)\r\n",
    b"A007 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 123456)\r\n",
    b"A008 UID SEARCH UID 1:100,200:300 NOT DELETED LARGER 1024 HEADER List-Id \"<rust.example.org>\"\r\n",
    b"A009 STATUS \"Sent Messages\" (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)\r\n",
    b"A010 UID MOVE 4711:4712 \"Archive/2024\"\r\n",
];

fn mix() -> Vec<u8> {
    MIX.concat()
}

/// An APPEND of a 100 KB message as a non-synchronizing literal.
fn append() -> Vec<u8> {
    let mut body = Vec::with_capacity(100 * 1024);
    body.extend_from_slice(b"From: a@example.org\r\nSubject: bench\r\n\r\n");
    while body.len() < 100 * 1024 - 80 {
        body.extend_from_slice(
            b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod te\r\n",
        );
    }
    let mut out = format!(
        "A011 APPEND INBOX (\\Seen) \" 5-Nov-2024 14:12:01 +0100\" {{{}+}}\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out.extend_from_slice(b"\r\n");
    out
}

fn missive_decode(input: &[u8]) -> usize {
    let mut d = CommandDecoder::new(Limits::default());
    d.receive(input);
    let mut n = 0;
    while let Some(e) = d.poll_event() {
        if let CommandEvent::Command(c) = e {
            black_box(c);
            n += 1;
        }
    }
    n
}

fn imap_codec_decode(input: &[u8]) -> usize {
    let codec = CommandCodec::default();
    let mut rest = input;
    let mut n = 0;
    while !rest.is_empty() {
        match codec.decode(rest) {
            Ok((r, c)) => {
                black_box(c);
                rest = r;
                n += 1;
            }
            Err(_) => break,
        }
    }
    n
}

fn decode(c: &mut Criterion) {
    // The comparison runs on the lines both decoders accept (imap-codec
    // leaves some extensions to cargo features); missive also runs the
    // whole mix on its own.
    let common: Vec<&[u8]> = MIX
        .iter()
        .copied()
        .filter(|l| imap_codec_decode(l) == 1)
        .collect();
    for l in MIX.iter().filter(|l| imap_codec_decode(l) != 1) {
        eprintln!(
            "imap-codec (default features) refuses: {}",
            String::from_utf8_lossy(l).trim_end()
        );
    }
    let full = mix();
    assert_eq!(missive_decode(&full), MIX.len());
    let mut g = c.benchmark_group("imap_decode_full_mix");
    g.throughput(Throughput::Elements(MIX.len() as u64));
    g.bench_function("missive", |b| b.iter(|| missive_decode(black_box(&full))));
    g.finish();

    let input = common.concat();
    let count = common.len();
    assert_eq!(missive_decode(&input), count);
    assert_eq!(imap_codec_decode(&input), count);
    let mut g = c.benchmark_group("imap_decode_commands");
    g.throughput(Throughput::Elements(count as u64));
    g.bench_function("missive", |b| b.iter(|| missive_decode(black_box(&input))));
    g.bench_function("imap-codec", |b| {
        b.iter(|| imap_codec_decode(black_box(&input)))
    });
    g.finish();

    let mut g = c.benchmark_group("imap_decode_bytes");
    g.throughput(Throughput::Bytes(input.len() as u64));
    g.bench_function("missive", |b| b.iter(|| missive_decode(black_box(&input))));
    g.bench_function("imap-codec", |b| {
        b.iter(|| imap_codec_decode(black_box(&input)))
    });
    g.finish();

    let mut with_append = input.clone();
    with_append.extend_from_slice(&append());
    assert_eq!(missive_decode(&with_append), count + 1);
    assert_eq!(imap_codec_decode(&with_append), count + 1);
    let mut g = c.benchmark_group("imap_decode_mix_with_100k_append");
    g.throughput(Throughput::Bytes(with_append.len() as u64));
    g.bench_function("missive", |b| {
        b.iter(|| missive_decode(black_box(&with_append)))
    });
    g.bench_function("imap-codec", |b| {
        b.iter(|| imap_codec_decode(black_box(&with_append)))
    });
    g.finish();
}

fn s(v: &str) -> Option<Vec<u8>> {
    Some(v.as_bytes().to_vec())
}

fn addr(name: &str, mailbox: &str, host: &str) -> Vec<Address> {
    vec![Address {
        name: s(name),
        adl: None,
        mailbox: s(mailbox),
        host: s(host),
    }]
}

/// A FETCH response as a client's message-list refresh gets it.
fn fetch_response(seq: u32, header: &Bytes) -> Response {
    let text = |sub: &str, size, lines| BodyStructure::Single {
        body: Body {
            fields: BodyFields {
                parameters: vec![(b"CHARSET".to_vec(), b"utf-8".to_vec())],
                id: None,
                description: None,
                encoding: b"QUOTED-PRINTABLE".to_vec(),
                octets: size,
            },
            specific: SpecificFields::Text {
                subtype: sub.as_bytes().to_vec(),
                lines,
            },
        },
        extension: None,
    };
    let structure = BodyStructure::Multi {
        bodies: Vec1::new(vec![text("PLAIN", 1234, 40), text("HTML", 5678, 120)]).unwrap(),
        subtype: b"ALTERNATIVE".to_vec(),
        extension: Some(MultiPartExtension {
            parameters: vec![(b"BOUNDARY".to_vec(), b"----=_Part_1".to_vec())],
            tail: None,
        }),
    };
    let envelope = Envelope {
        date: s("Tue, 5 Nov 2024 14:12:01 +0100"),
        subject: s("Quarterly report: numbers and next steps"),
        from: addr("Alice Example", "alice", "example.org"),
        sender: addr("Alice Example", "alice", "example.org"),
        reply_to: addr("Alice Example", "alice", "example.org"),
        to: addr("Bob", "bob", "example.net"),
        cc: vec![],
        bcc: vec![],
        in_reply_to: None,
        message_id: s("<20241105141201.1234@example.org>"),
    };
    let date = DateTime::new(Date::new(2024, 11, 5).unwrap(), 14, 12, 1, 60).unwrap();
    Response::Data(Data::Fetch {
        seq: NonZeroU32::new(seq).unwrap(),
        items: Vec1::new(vec![
            MessageDataItem::Uid(NonZeroU32::new(seq + 4000).unwrap()),
            MessageDataItem::Flags(vec![
                FlagFetch::Flag(Flag::Seen),
                FlagFetch::Flag(Flag::Keyword(Atom::new("$Forwarded").unwrap())),
            ]),
            MessageDataItem::InternalDate(date),
            MessageDataItem::Rfc822Size(7321),
            MessageDataItem::Envelope(Box::new(envelope)),
            MessageDataItem::BodyStructure(Box::new(structure)),
            MessageDataItem::BodySection {
                section: Section {
                    part: vec![],
                    text: Some(SectionText::Header),
                },
                origin: None,
                data: SectionData::Data(header.clone()),
            },
        ])
        .unwrap(),
    })
}

fn serialize(c: &mut Criterion) {
    let header = Bytes::from_static(
        b"From: Alice Example <alice@example.org>\r\nTo: Bob <bob@example.net>\r\nSubject: Quarterly report: numbers and next steps\r\nDate: Tue, 5 Nov 2024 14:12:01 +0100\r\nMessage-ID: <20241105141201.1234@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"----=_Part_1\"\r\n\r\n",
    );
    let responses: Vec<Response> = (1..=100).map(|i| fetch_response(i, &header)).collect();
    let mut out = BytesMut::with_capacity(1 << 20);
    encode_response(&responses[0], EncodeOptions::default(), &mut out).unwrap();
    let mut g = c.benchmark_group("imap_serialize_fetch");
    g.throughput(Throughput::Elements(responses.len() as u64));
    g.bench_function("missive", |b| {
        b.iter(|| {
            out.clear();
            for r in &responses {
                encode_response(black_box(r), EncodeOptions::default(), &mut out).unwrap();
            }
            black_box(out.len())
        })
    });
    g.finish();

    // A 10 MB BODY[]: the fragment form hands the octets back as a shared
    // `Bytes`, never copying them into an output buffer.
    let big = Bytes::from(vec![b'x'; 10 << 20]);
    let r = Response::Data(Data::Fetch {
        seq: NonZeroU32::new(1).unwrap(),
        items: Vec1::new(vec![
            MessageDataItem::Uid(NonZeroU32::new(7).unwrap()),
            MessageDataItem::BodySection {
                section: Section::default(),
                origin: None,
                data: SectionData::Data(big.clone()),
            },
        ])
        .unwrap(),
    });
    let mut g = c.benchmark_group("imap_serialize_fetch_body_10mb");
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.bench_function("fragments", |b| {
        b.iter(|| {
            let f = response_fragments(black_box(&r), EncodeOptions::default());
            assert!(matches!(f[1], Fragment::Literal { .. }));
            black_box(f)
        })
    });
    g.bench_function("one_buffer", |b| {
        let mut out = BytesMut::with_capacity(11 << 20);
        b.iter(|| {
            out.clear();
            encode_response(black_box(&r), EncodeOptions::default(), &mut out).unwrap();
            black_box(out.len())
        })
    });
    g.finish();
}

/// The message list a SELECT of 100,000 messages makes (UIDs 1 to
/// 100,000, every third one `\Seen`), one push a message, from runs, and
/// packed from runs, then the view's lookups of every message.
fn select_list(c: &mut Criterion) {
    use imap_proto::message::{FlagSet, MailboxView, MessageList};
    const N: u32 = 100_000;
    let of: Vec<u8> = (0..N).map(|i| u8::from(i % 3 == 0)).collect();
    let shared = Bytes::from(of.clone());
    let runs = [(1u32, N)];
    let start = || {
        let mut list = MessageList::with_capacity(N as usize);
        let none = list.add_flag_set(FlagSet::default());
        let seen = list.add_flag_set(FlagSet::from(vec![Flag::Seen]));
        (list, [none, seen])
    };
    let mut g = c.benchmark_group("imap_select_list_100k");
    g.throughput(Throughput::Elements(u64::from(N)));
    g.bench_function("push", |b| {
        b.iter(|| {
            let (mut list, sets) = start();
            let mut w = list.writer();
            for (i, &k) in of.iter().enumerate() {
                w.push(i as u32 + 1, sets[usize::from(k)], false);
            }
            black_box(list)
        })
    });
    g.bench_function("push_runs", |b| {
        b.iter(|| {
            let (mut list, sets) = start();
            list.writer().push_runs(&runs, &sets, &of);
            black_box(list)
        })
    });
    g.bench_function("extend_runs", |b| {
        b.iter(|| {
            let (mut list, sets) = start();
            list.extend_runs(&runs, &sets, shared.clone());
            black_box(list)
        })
    });
    for (name, packed) in [
        ("each_uid_and_flags", false),
        ("each_uid_and_flags_packed", true),
    ] {
        let (mut list, sets) = start();
        if packed {
            list.extend_runs(&runs, &sets, shared.clone());
        } else {
            list.writer().push_runs(&runs, &sets, &of);
        }
        let view = MailboxView::from_list(list);
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut seen = 0usize;
                for i in 0..view.len() {
                    seen += usize::from(
                        view.uid(i).is_some() && view.flags(i).is_some_and(|f| !f.is_empty()),
                    );
                }
                black_box(seen)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, decode, serialize, select_list);
criterion_main!(benches);
