//! The DATA scanner against a byte-by-byte reference of the rules: only
//! CR LF "." CR LF ends the data, a dot at the start of a real line is
//! removed, a bare CR or LF becomes CR LF. Whole input and random splits
//! through the server session must agree with it.

use std::time::Instant;

use proptest::prelude::*;
use smtp_proto::fuzzing::unstuff;
use smtp_proto::server::{BareLineEnding, Config, Event, Session};

fn reference(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut line_start = true;
    while i < input.len() {
        if line_start && input[i] == b'.' {
            if input.get(i + 1) == Some(&b'\r') && input.get(i + 2) == Some(&b'\n') {
                return Some(out);
            }
            i += 1;
            line_start = false;
            continue;
        }
        line_start = false;
        match input[i] {
            b'\r' if input.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 2;
                line_start = true;
            }
            b'\r' | b'\n' => {
                out.extend_from_slice(b"\r\n");
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    None
}

/// Whether any line (up to the end line) is longer than `limit` octets with
/// its line end, counting a stuffing dot and ending lines at bare CR or LF
/// too.
fn reference_long(input: &[u8], limit: usize) -> bool {
    let (mut i, mut line_start, mut content, mut long) = (0, true, 0usize, false);
    while i < input.len() {
        if line_start && input[i] == b'.' {
            if input.get(i + 1) == Some(&b'\r') && input.get(i + 2) == Some(&b'\n') {
                return long;
            }
            content += 1;
            i += 1;
            line_start = false;
            continue;
        }
        line_start = false;
        match input[i] {
            b'\r' if input.get(i + 1) == Some(&b'\n') => {
                long |= content + 2 > limit;
                content = 0;
                i += 2;
                line_start = true;
            }
            b'\r' | b'\n' => {
                long |= content + 2 > limit;
                content = 0;
                i += 1;
            }
            _ => {
                content += 1;
                i += 1;
            }
        }
    }
    long
}

fn through_session(input: &[u8], cuts: &[usize]) -> Option<Vec<u8>> {
    through_session_limited(input, cuts, None).0
}

/// Feeds DATA content cut at `cuts`; returns the message (if it ended and
/// was not aborted) and whether it was aborted for a long line.
fn through_session_limited(
    input: &[u8],
    cuts: &[usize],
    text_line: Option<usize>,
) -> (Option<Vec<u8>>, bool) {
    let now = Instant::now();
    let mut config = Config::new("mx.example");
    config.limits.text_line = text_line;
    config.limits.message_size = None;
    let mut s = Session::new(config, now);
    let mut data = Vec::new();
    let mut ended = false;
    let mut long = false;
    let mut pump = |s: &mut Session, data: &mut Vec<u8>, ended: &mut bool| {
        while let Some(e) = s.poll_event() {
            match e {
                Event::MessageData(d) => data.extend_from_slice(&d),
                Event::MessageAborted(smtp_proto::server::AbortReason::LineTooLong) => long = true,
                Event::MessageEnd => {
                    *ended = true;
                    s.accept().unwrap();
                }
                e if e.needs_decision() => s.accept().unwrap(),
                _ => {}
            }
        }
    };
    pump(&mut s, &mut data, &mut ended);
    s.receive(
        now,
        b"EHLO c.example\r\nMAIL FROM:<>\r\nRCPT TO:<a@b.example>\r\nDATA\r\n",
    );
    pump(&mut s, &mut data, &mut ended);
    let mut last = 0;
    for &c in cuts.iter().chain(std::iter::once(&input.len())) {
        let c = c.clamp(last, input.len());
        s.receive(now, &input[last..c]);
        pump(&mut s, &mut data, &mut ended);
        last = c;
    }
    (ended.then_some(data), long)
}

fn content() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => Just(&b"\r\n"[..]),
        2 => Just(&b"."[..]),
        2 => Just(&b"abc"[..]),
        1 => Just(&b"\n"[..]),
        1 => Just(&b"\r"[..]),
        1 => Just(&b".\r\n"[..]),
        3 => Just(&b"a long line of ordinary text "[..]),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn scanner_matches_reference(mut body in content(), end in any::<bool>(), cuts in prop::collection::vec(0usize..400, 0..6)) {
        if end {
            body.extend_from_slice(b"\r\n.\r\n");
        }
        let expected = reference(&body);
        prop_assert_eq!(unstuff(&body, BareLineEnding::Normalize), expected.clone());
        let mut cuts = cuts;
        cuts.sort_unstable();
        prop_assert_eq!(through_session(&body, &cuts), expected.clone());
        let bytewise: Vec<usize> = (1..body.len()).collect();
        prop_assert_eq!(through_session(&body, &bytewise), expected.clone());
        if expected.is_some() {
            for limit in [4usize, 12, 40] {
                let long = reference_long(&body, limit);
                prop_assert_eq!(through_session_limited(&body, &[], Some(limit)).1, long, "whole, limit {}", limit);
                prop_assert_eq!(through_session_limited(&body, &cuts, Some(limit)).1, long, "cut, limit {}", limit);
            }
        }
    }
}
