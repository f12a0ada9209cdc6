//! Transcript harness: runs `C:`/`S:` transcripts through a server session,
//! the application answering every decision the way the transcript's server
//! did.
#![allow(dead_code)]

pub mod transcripts;

use std::time::Instant;

use bytes::BytesMut;
use smtp_proto::server::{Config, Event, Mode, Session};
use smtp_proto::{Reply, parse_reply};

/// How the client's bytes are cut into `receive` calls.
#[derive(Debug, Clone, Copy)]
pub enum Feed {
    Whole,
    ByteByByte,
    /// Two calls, the first holding this many octets.
    SplitAt(usize),
}

/// What a run produced.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Events, with consecutive message data joined into one.
    pub events: Vec<Event>,
    /// Everything the server sent.
    pub output: Vec<u8>,
}

/// A transcript: client segments (split at `C: <TLS>`) and expected replies.
pub struct Transcript {
    pub segments: Vec<Vec<u8>>,
    pub replies: Vec<Reply>,
    /// Client command lines outside message data, for the decode/re-encode check.
    pub command_lines: Vec<String>,
}

/// Parses `C: ` and `S: ` lines (leading white space ignored). Client lines
/// are joined with CR LF; consecutive `S:` lines form replies. `C: <TLS>`
/// marks the TLS handshake. Inside DATA (after a 354 reply, up to `.`) and
/// after `BDAT`, client lines are message content.
pub fn transcript(text: &str) -> Transcript {
    let mut segments = vec![Vec::new()];
    let mut server = Vec::new();
    let mut command_lines = Vec::new();
    let mut in_data = false;
    for raw in text.lines() {
        let line = raw.trim_start();
        if let Some(c) = line.strip_prefix("C:") {
            let c = c.strip_prefix(' ').unwrap_or(c);
            if c == "<TLS>" {
                segments.push(Vec::new());
                continue;
            }
            if let Some(seg) = segments.last_mut() {
                seg.extend_from_slice(c.as_bytes());
                seg.extend_from_slice(b"\r\n");
            }
            if in_data {
                if c == "." {
                    in_data = false;
                }
            } else if c.to_ascii_uppercase().starts_with("DATA") {
                in_data = true;
                command_lines.push(c.to_string());
            } else if c.to_ascii_uppercase().starts_with("BDAT") {
                command_lines.push(c.to_string());
                // BDAT content lines are marked with `C+ ` below.
            } else {
                command_lines.push(c.to_string());
            }
        } else if let Some(c) = line.strip_prefix("C+") {
            // Raw content without a line end appended (for BDAT chunks).
            let c = c.strip_prefix(' ').unwrap_or(c);
            if let Some(seg) = segments.last_mut() {
                let c = c
                    .replace("<CRLF>", "\r\n")
                    .replace("<LF>", "\n")
                    .replace("<CR>", "\r")
                    .replace("<NUL>", "\0")
                    .replace("<SOH>", "\x01");
                seg.extend_from_slice(c.as_bytes());
            }
        } else if let Some(s) = line.strip_prefix("S:") {
            let s = s.strip_prefix(' ').unwrap_or(s);
            server.extend_from_slice(s.as_bytes());
            server.extend_from_slice(b"\r\n");
        }
    }
    let replies = parse_all(&server);
    Transcript {
        segments,
        replies,
        command_lines,
    }
}

/// Splits bytes into replies; panics on anything else.
pub fn parse_all(mut bytes: &[u8]) -> Vec<Reply> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        match parse_reply(bytes) {
            Ok(Some((r, n))) => {
                out.push(r);
                bytes = &bytes[n..];
            }
            other => panic!(
                "not a reply: {other:?} in {:?}",
                String::from_utf8_lossy(bytes)
            ),
        }
    }
    out
}

fn count_replies(mut bytes: &[u8]) -> usize {
    let mut n = 0;
    while let Ok(Some((_, used))) = parse_reply(bytes) {
        n += 1;
        bytes = &bytes[used..];
    }
    n
}

/// Runs a transcript through a session with `config`, feeding each segment
/// as `feed` says.
pub fn run(config: Config, t: &Transcript, feed: Feed) -> Outcome {
    let now = Instant::now();
    let mut s = Session::new(config, now);
    let mut events = Vec::new();
    let mut output = Vec::new();
    drive(&mut s, t, &mut events, &mut output);
    for (i, seg) in t.segments.iter().enumerate() {
        if i > 0 {
            s.tls_established(now);
        }
        let cuts: Vec<&[u8]> = match feed {
            Feed::Whole => vec![seg],
            Feed::ByteByByte => seg.chunks(1).collect(),
            Feed::SplitAt(n) => {
                let n = n.min(seg.len());
                vec![&seg[..n], &seg[n..]]
            }
        };
        for c in cuts {
            s.receive(now, c);
            drive(&mut s, t, &mut events, &mut output);
        }
    }
    // Join message data so that different splits compare equal.
    let mut joined: Vec<Event> = Vec::new();
    for e in events {
        match (joined.last_mut(), e) {
            (Some(Event::MessageData(prev)), Event::MessageData(d)) => {
                let mut b = BytesMut::from(&prev[..]);
                b.extend_from_slice(&d);
                *prev = b.freeze();
            }
            (_, e) => joined.push(e),
        }
    }
    Outcome {
        events: joined,
        output,
    }
}

fn drive(s: &mut Session, t: &Transcript, events: &mut Vec<Event>, output: &mut Vec<u8>) {
    loop {
        while let Some(b) = s.poll_transmit() {
            output.extend_from_slice(&b);
        }
        let Some(ev) = s.poll_event() else { break };
        events.push(ev.clone());
        if !ev.needs_decision() {
            continue;
        }
        let idx = count_replies(output);
        let expected = t.replies.get(idx).cloned();
        let r = match (&ev, expected) {
            (Event::MessageEnd, Some(_)) if s.config().mode == Mode::Lmtp => {
                let n = s.recipients().len();
                s.respond_recipients(t.replies[idx..idx + n].to_vec())
            }
            (Event::Vrfy(_) | Event::Expn(_), Some(r)) => s.respond(r),
            // The reply after a BDAT chunk belongs to the chunk, not to this
            // decision: the application takes the data.
            (Event::DataStart { chunking: true }, _) => s.accept(),
            (_, Some(r)) if r.code().get() < 400 => s.accept(),
            (_, Some(r)) => s.respond(r),
            (_, None) => s.accept(),
        };
        r.expect("decision taken");
        while let Some(b) = s.poll_transmit() {
            output.extend_from_slice(&b);
        }
    }
}

/// The reply codes in order.
pub fn codes(replies: &[Reply]) -> Vec<u16> {
    replies.iter().map(|r| r.code().get()).collect()
}

/// Runs the transcript whole and checks the server's reply codes against
/// it, that every client command line decodes and re-encodes to itself, and
/// every expected reply too. Returns the outcome.
pub fn check(config: Config, text: &str) -> Outcome {
    let t = transcript(text);
    for line in &t.command_lines {
        let cmd = smtp_proto::parse_command(line.as_bytes())
            .unwrap_or_else(|e| panic!("{line:?} does not parse: {e}"));
        let mut out = BytesMut::new();
        smtp_proto::serialize::command(&cmd, &mut out);
        assert_eq!(
            String::from_utf8_lossy(&out)
                .trim_end()
                .to_ascii_uppercase(),
            line.to_ascii_uppercase(),
            "re-encoding {line:?}"
        );
    }
    for r in &t.replies {
        let mut out = BytesMut::new();
        smtp_proto::serialize::reply(r, &mut out);
        assert_eq!(parse_all(&out), vec![r.clone()]);
    }
    let outcome = run(config, &t, Feed::Whole);
    let got = parse_all(&outcome.output);
    assert_eq!(
        codes(&got),
        codes(&t.replies),
        "server said:\n{}",
        String::from_utf8_lossy(&outcome.output)
    );
    outcome
}

/// Message data events joined, for assertions on content.
pub fn messages(outcome: &Outcome) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    for e in &outcome.events {
        match e {
            Event::DataStart { .. } => current = Some(Vec::new()),
            Event::MessageData(d) => current.get_or_insert_with(Vec::new).extend_from_slice(d),
            Event::MessageEnd => out.push(current.take().unwrap_or_default()),
            Event::MessageAborted(_) | Event::Reset => current = None,
            _ => {}
        }
    }
    out
}

/// A config like RFC examples expect: every extension on, AUTH allowed.
pub fn config() -> Config {
    let mut c = Config::new("foo.com");
    c.starttls = true;
    c.auth_mechanisms = vec![smtp_proto::Mechanism::Plain, smtp_proto::Mechanism::Login];
    c
}
