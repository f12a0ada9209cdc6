//! ENVELOPE, BODYSTRUCTURE and BODY of a corpus of real-world-shaped
//! messages (tests/data/messages/*.eml) against expected strings.
//!
//! The expected strings (`*.expected`) are written by
//! `tests/data/messages/generate.py` from a hand-written description of
//! each message (its parts, parameters and header fields as intended),
//! not by parsing the message, following the RFC 3501 section 7.4.2
//! grammar: sizes and line counts are counted there on each part's bytes.
//! Conventions (shared with the server, see `imap_proto::message`):
//! type, subtype, encoding and parameter names upper-cased, parameter
//! values as written (RFC 2231 forms included), ENVELOPE strings as
//! written with folding removed.

use std::num::NonZeroU32;
use std::path::Path;

use bytes::BytesMut;
use imap_proto::message::Message;
use imap_proto::serialize::{EncodeOptions, encode_response};
use imap_proto::types::{Data, MessageDataItem, Response, Vec1};

fn item(i: MessageDataItem) -> String {
    let r = Response::Data(Data::Fetch {
        seq: NonZeroU32::new(1).unwrap(),
        items: Vec1::one(i),
    });
    let mut out = BytesMut::new();
    encode_response(&r, EncodeOptions::default(), &mut out).unwrap();
    let s = String::from_utf8_lossy(&out).into_owned();
    s.strip_prefix("* 1 FETCH (")
        .and_then(|s| s.strip_suffix(")\r\n"))
        .unwrap()
        .to_owned()
}

fn describe(bytes: &[u8]) -> String {
    let m = Message::new(bytes.to_vec());
    format!(
        "{}\n{}\n{}\n",
        item(MessageDataItem::Envelope(Box::new(m.envelope()))),
        item(MessageDataItem::BodyStructure(Box::new(
            m.body_structure(true)
        ))),
        item(MessageDataItem::Body(Box::new(m.body_structure(false)))),
    )
}

#[test]
fn corpus_envelope_and_bodystructure() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/messages");
    let mut n = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    entries.sort();
    let mut failures = Vec::new();
    for eml in entries {
        let expected = std::fs::read_to_string(eml.with_extension("expected")).unwrap();
        let got = describe(&std::fs::read(&eml).unwrap());
        if got != expected {
            failures.push(format!("{}:\n got {got}\nwant {expected}", eml.display()));
        }
        n += 1;
    }
    assert!(n >= 20, "corpus has {n} messages");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn sections_of_a_nested_message() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/messages");
    let bytes = std::fs::read(dir.join("08-rfc822-multipart.eml")).unwrap();
    let m = Message::new(bytes);
    let sec = |s: &str| {
        let c = imap_proto::parse_command(
            format!("a FETCH 1 BODY[{s}]\r\n").as_bytes(),
            Default::default(),
            &Default::default(),
        )
        .unwrap();
        let imap_proto::types::CommandBody::Fetch { items, .. } = c.body else {
            panic!()
        };
        let imap_proto::types::FetchAttribute::BodySection { section, .. } =
            items.expand().remove(0)
        else {
            panic!()
        };
        String::from_utf8(m.section(&section).to_vec()).unwrap()
    };
    assert_eq!(sec("1"), "see below\r\n");
    assert!(sec("2").starts_with("Date: ") && sec("2").contains("--inner-08--"));
    assert!(sec("2.HEADER").starts_with("Date: ") && sec("2.HEADER").ends_with("\r\n\r\n"));
    assert!(sec("2.TEXT").starts_with("--inner-08\r\n"));
    assert_eq!(sec("2.1"), "a\r\n");
    assert_eq!(sec("2.2"), "<b>a</b>\r\n");
    assert_eq!(
        sec("2.2.MIME"),
        "Content-Type: text/html; charset=utf-8\r\n\r\n"
    );
    assert_eq!(
        sec("2.HEADER.FIELDS (SUBJECT)"),
        "Subject: inner multi\r\n\r\n"
    );
    assert_eq!(sec("2.MIME"), "Content-Type: message/rfc822\r\n\r\n");
    assert_eq!(sec("3"), "");
    assert!(
        sec("HEADER.FIELDS.NOT (DATE FROM TO MESSAGE-ID)").starts_with("Subject: fwd-multi\r\n")
    );
}

#[test]
fn binary_decodes_transfer_encodings() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/messages");
    let m = Message::new(std::fs::read(dir.join("05-mixed-pdf.eml")).unwrap());
    let pdf = m.binary(&[NonZeroU32::new(2).unwrap()]).unwrap();
    assert!(pdf.starts_with(b"%PDF-1.4\n"), "{pdf:?}");
    let m = Message::new(std::fs::read(dir.join("03-text-qp-flowed.eml")).unwrap());
    let t = m.binary(&[NonZeroU32::new(1).unwrap()]).unwrap();
    assert_eq!(&t[..], "café long line\r\n".as_bytes());
}
