//! Helpers shared by the integration tests.
#![allow(dead_code)]

use bytes::BytesMut;
use imap_proto::serialize::{EncodeOptions, encode_command, encode_response};
use imap_proto::{
    CommandDecoder, CommandEvent, DecodeOptions, Limits, ResponseDecoder, ResponseEvent,
    parse_command, parse_response,
};

/// Who sends the line.
#[derive(Clone, Copy, Debug)]
pub enum Dir {
    /// Client to server: a command.
    C,
    /// Server to client: a response.
    S,
}

/// Parses `wire`, serializes the value, and compares with `canonical`
/// (or `wire` itself); also checks that the canonical form parses to the
/// same value and that feeding the bytes one at a time gives the same.
pub fn check(dir: Dir, wire: &[u8], canonical: Option<&[u8]>) {
    let expect = canonical.unwrap_or(wire);
    let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    match dir {
        Dir::C => {
            let c = parse_command(wire, DecodeOptions::default(), &Limits::default())
                .unwrap_or_else(|e| panic!("{e:?} parsing {}", show(wire)));
            let mut out = BytesMut::new();
            encode_command(&c, EncodeOptions::default(), &mut out);
            assert_eq!(show(&out), show(expect), "serializing {c:?}");
            let again =
                parse_command(expect, DecodeOptions::default(), &Limits::default()).unwrap();
            assert_eq!(again, c);
            assert_eq!(
                decode_commands_bytewise(wire),
                vec![CommandEvent::Command(c)]
            );
        }
        Dir::S => {
            let r = parse_response(wire, DecodeOptions::default(), &Limits::default())
                .unwrap_or_else(|e| panic!("{e:?} parsing {}", show(wire)));
            let mut out = BytesMut::new();
            encode_response(&r, EncodeOptions::default(), &mut out).unwrap();
            assert_eq!(show(&out), show(expect), "serializing {r:?}");
            let again =
                parse_response(expect, DecodeOptions::default(), &Limits::default()).unwrap();
            assert_eq!(again, r);
            let mut d = ResponseDecoder::new(Limits::default());
            let mut got = Vec::new();
            for b in wire {
                d.receive(std::slice::from_ref(b));
                while let Some(e) = d.poll_event() {
                    got.push(e);
                }
            }
            assert_eq!(got, vec![ResponseEvent::Response(r)]);
        }
    }
}

/// Feeds bytes one at a time, accepting every literal; returns the events
/// without the literal requests.
pub fn decode_commands_bytewise(wire: &[u8]) -> Vec<CommandEvent> {
    decode_commands_split(wire, 1)
}

/// Feeds bytes in chunks of `n`.
pub fn decode_commands_split(wire: &[u8], n: usize) -> Vec<CommandEvent> {
    let mut d = CommandDecoder::new(Limits::default());
    let mut got = Vec::new();
    for chunk in wire.chunks(n.max(1)) {
        d.receive(chunk);
        drain(&mut d, &mut got);
    }
    got
}

/// Polls until `None`, accepting literals.
pub fn drain(d: &mut CommandDecoder, got: &mut Vec<CommandEvent>) {
    while let Some(e) = d.poll_event() {
        match e {
            CommandEvent::LiteralRequest { .. } => d.accept_literal().unwrap(),
            e => got.push(e),
        }
    }
}

/// Feeds all at once.
pub fn decode_commands_once(wire: &[u8]) -> Vec<CommandEvent> {
    decode_commands_split(wire, wire.len())
}

/// For authoring known-answer files: the canonical form, or the error.
pub fn reencode(dir: Dir, wire: &[u8]) -> Result<Vec<u8>, String> {
    match dir {
        Dir::C => {
            let c = parse_command(wire, DecodeOptions::default(), &Limits::default())
                .map_err(|e| format!("{e:?}"))?;
            let mut out = BytesMut::new();
            encode_command(&c, EncodeOptions::default(), &mut out);
            Ok(out.to_vec())
        }
        Dir::S => {
            let r = parse_response(wire, DecodeOptions::default(), &Limits::default())
                .map_err(|e| format!("{e:?}"))?;
            let mut out = BytesMut::new();
            encode_response(&r, EncodeOptions::default(), &mut out)
                .map_err(|e| format!("{e:?}"))?;
            Ok(out.to_vec())
        }
    }
}
