//! Fuzz target bodies, kept here so that a normal test replays the corpus
//! (`tests/fuzz_corpus.rs`) and CI covers what the fuzzer found.

use bytes::BytesMut;

use crate::serialize::{EncodeOptions, encode_command, encode_response};
use crate::{
    CommandDecoder, CommandEvent, DecodeOptions, Limits, ResponseDecoder, ResponseEvent,
    parse_command, parse_response,
};

fn small_limits() -> Limits {
    Limits {
        line_length: 4096,
        literal_size: 1 << 16,
        non_sync_literal_size: 1 << 12,
        command_size: 1 << 18,
        literals: 16,
        nesting_depth: 16,
        items: 512,
    }
}

/// Feeds `data` to a command decoder in pieces whose sizes come from the
/// first byte, accepting every literal; then checks that every decoded
/// command re-encodes to bytes that parse back to the same command, and
/// that the buffer stays bounded.
pub fn command(data: &[u8]) {
    let Some((&first, data)) = data.split_first() else {
        return;
    };
    let step = (first as usize % 17) + 1;
    let limits = small_limits();
    let mut d = CommandDecoder::new(limits);
    d.set_options(DecodeOptions {
        utf8: first & 0x80 != 0,
    });
    if first & 0x08 != 0 {
        d.set_append_streaming(Some(0));
    }
    let mut streamed: Option<u64> = None;
    let opts = EncodeOptions {
        utf8: first & 0x80 != 0,
        literal_plus: false,
    };
    for chunk in data.chunks(step) {
        d.receive(chunk);
        while let Some(ev) = d.poll_event() {
            match ev {
                CommandEvent::AppendStart { length, sync, .. } => {
                    assert!(streamed.is_none_or(|n| n == 0));
                    streamed = Some(length);
                    if sync {
                        let r = if first & 0x40 != 0 {
                            streamed = None;
                            d.reject_literal()
                        } else {
                            d.accept_literal()
                        };
                        assert!(r.is_ok());
                    }
                }
                CommandEvent::AppendData(b) => {
                    // Never more octets than announced.
                    let left = streamed.unwrap_or(0);
                    assert!(b.len() as u64 <= left && !b.is_empty());
                    streamed = Some(left - b.len() as u64);
                }
                CommandEvent::AppendEnd { .. } => {
                    assert_eq!(streamed.take(), Some(0));
                }
                CommandEvent::LiteralRequest { .. } => {
                    let r = if first & 0x40 != 0 {
                        d.reject_literal()
                    } else {
                        d.accept_literal()
                    };
                    assert!(r.is_ok());
                }
                CommandEvent::Command(c) => {
                    let mut out = BytesMut::new();
                    encode_command(&c, opts, &mut out);
                    let big = Limits {
                        literal_size: u64::MAX,
                        command_size: u64::MAX,
                        ..limits
                    };
                    let back = parse_command(&out, DecodeOptions { utf8: opts.utf8 }, &big);
                    assert_eq!(
                        back.as_ref(),
                        Ok(&c),
                        "re-encoded: {:?}",
                        String::from_utf8_lossy(&out)
                    );
                    if matches!(c.body, crate::types::CommandBody::Idle) && first & 0x20 != 0 {
                        d.expect(crate::Expect::IdleDone);
                    }
                    if matches!(c.body, crate::types::CommandBody::Authenticate { .. })
                        && first & 0x10 != 0
                    {
                        d.expect(crate::Expect::AuthenticateData);
                    }
                }
                _ => {}
            }
        }
        // Bounded: a pending frame never exceeds the command limit plus one chunk.
        assert!(
            d.buffered() as u64 <= limits.command_size + step as u64 + limits.line_length as u64
        );
    }
}

/// Feeds `data` to a response decoder; decoded responses must re-encode
/// to bytes that parse back to the same response.
pub fn response(data: &[u8]) {
    let Some((&first, data)) = data.split_first() else {
        return;
    };
    let step = (first as usize % 17) + 1;
    let limits = small_limits();
    let mut d = ResponseDecoder::new(limits);
    let utf8 = first & 0x80 != 0;
    d.set_options(DecodeOptions { utf8 });
    for chunk in data.chunks(step) {
        d.receive(chunk);
        while let Some(ev) = d.poll_event() {
            if let ResponseEvent::Response(r) = ev {
                let mut out = BytesMut::new();
                if encode_response(
                    &r,
                    EncodeOptions {
                        utf8,
                        literal_plus: false,
                    },
                    &mut out,
                )
                .is_ok()
                {
                    let big = Limits {
                        literal_size: u64::MAX,
                        command_size: u64::MAX,
                        ..limits
                    };
                    let back = parse_response(&out, DecodeOptions { utf8 }, &big);
                    assert_eq!(
                        back.as_ref(),
                        Ok(&r),
                        "re-encoded: {:?}",
                        String::from_utf8_lossy(&out)
                    );
                }
            }
        }
    }
}

/// One-shot parse of a command and a response from the same bytes, then
/// to-bytes-and-back for whatever parsed.
pub fn roundtrip(data: &[u8]) {
    let limits = small_limits();
    if let Ok(c) = parse_command(data, DecodeOptions::default(), &limits) {
        let mut out = BytesMut::new();
        encode_command(&c, EncodeOptions::default(), &mut out);
        let back = parse_command(&out, DecodeOptions::default(), &Limits::default());
        assert_eq!(back.as_ref(), Ok(&c));
    }
    if let Ok(r) = parse_response(data, DecodeOptions::default(), &limits) {
        let mut out = BytesMut::new();
        if encode_response(&r, EncodeOptions::default(), &mut out).is_ok() {
            let back = parse_response(&out, DecodeOptions::default(), &Limits::default());
            assert_eq!(back.as_ref(), Ok(&r));
        }
    }
}
