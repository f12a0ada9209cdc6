//! Known answers: the example exchanges of RFC 9051 (IMAP4rev2), which
//! also carry the examples of the extensions folded into it (ENABLE,
//! ESEARCH, SEARCHRES, LIST-EXTENDED, LIST-STATUS, SPECIAL-USE, NAMESPACE,
//! UIDPLUS, MOVE, IDLE, UNSELECT, SASL-IR, RFC 5530 codes). Each line is
//! parsed and serialized again (`tests/data/rfc9051_examples.txt`, one
//! example line per entry, in the file's escapes: `\r`, `\n`, `\xHH`).
//!
//! When the serializer writes an equivalent but different form, the entry
//! is followed by `=> canonical`. The equivalences are those listed in
//! `kat_rfc3501.rs`, plus: the LIST extended item tags are written as quoted
//! strings (RFC 9051's own spelling, `("CHILDINFO" (...))`).
//!
//! Lines that are not examples of the protocol (placeholders such as
//! `...`, multi-line transcripts the RFC wraps for print) are left out;
//! the wrapped FETCH/LIST examples appear in `tests/data/rfc9051_wrapped.txt`
//! joined into one line each.

mod common;
use common::{Dir, check};

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
    v.extend_from_slice(b"\r\n");
    v
}

fn run(file: &str) {
    let mut lines = file
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .peekable();
    let mut n = 0;
    while let Some(l) = lines.next() {
        let (dir, rest) = match l.split_at(3) {
            ("C: ", r) => (Dir::C, r),
            ("S: ", r) => (Dir::S, r),
            _ => panic!("bad entry {l}"),
        };
        let canonical = match lines.peek() {
            Some(c) if c.starts_with("=> ") => {
                let c = lines.next().unwrap_or_default();
                Some(unescape(&c[3..]))
            }
            _ => None,
        };
        check(dir, &unescape(rest), canonical.as_deref());
        n += 1;
    }
    assert!(n > 0);
}

#[test]
fn rfc9051_one_line_examples() {
    run(include_str!("data/rfc9051_examples.txt"));
}

/// Responses of real servers beyond the RFC examples.
#[test]
fn server_responses() {
    run(include_str!("data/server_responses.txt"));
}

#[test]
fn rfc9051_wrapped_examples() {
    run(include_str!("data/rfc9051_wrapped.txt"));
}

/// `IMAP_KAT_DUMP=1 cargo test ... dump -- --nocapture` prints what each
/// entry becomes, to write the `=>` lines.
#[test]
fn dump() {
    if std::env::var_os("IMAP_KAT_DUMP").is_none() {
        return;
    }
    let all = [
        include_str!("data/rfc9051_examples.txt"),
        include_str!("data/rfc9051_wrapped.txt"),
        include_str!("data/server_responses.txt"),
    ];
    for l in all.iter().flat_map(|f| f.lines()) {
        let (dir, rest) = match l.get(..3) {
            Some("C: ") => (Dir::C, &l[3..]),
            Some("S: ") => (Dir::S, &l[3..]),
            _ => continue,
        };
        let wire = unescape(rest);
        match common::reencode(dir, &wire) {
            Ok(o) if o == wire => {}
            Ok(o) => println!("DIFF {l}\n=> {}", String::from_utf8_lossy(&o).trim_end()),
            Err(e) => println!("FAIL {l} {e}"),
        }
    }
}
