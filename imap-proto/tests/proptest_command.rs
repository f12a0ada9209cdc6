//! parse(serialize(x)) == x for generated commands of the whole grammar,
//! and arbitrary bytes never panic a decoder nor grow its buffer past the
//! limits.

mod strategies;

use bytes::BytesMut;
use imap_proto::serialize::{EncodeOptions, command_fragments, encode_command, join_fragments};
use imap_proto::{
    CommandDecoder, CommandEvent, DecodeOptions, Limits, ResponseDecoder, parse_command,
};
use proptest::collection::vec;
use proptest::prelude::*;
use strategies::command;

fn big_limits() -> Limits {
    Limits {
        line_length: 1 << 20,
        ..Limits::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn command_round_trip(c in command(), utf8 in any::<bool>(), literal_plus in any::<bool>()) {
        let opts = EncodeOptions { utf8, literal_plus };
        let mut out = BytesMut::new();
        encode_command(&c, opts, &mut out);
        let back = parse_command(&out, DecodeOptions { utf8 }, &big_limits());
        prop_assert_eq!(back.as_ref(), Ok(&c), "{:?}", String::from_utf8_lossy(&out));
        // The fragment form carries the same bytes.
        let joined = join_fragments(&command_fragments(&c, opts)).unwrap();
        prop_assert_eq!(&joined[..], &out[..]);
        // And the server-side decoder, fed byte by byte, agrees.
        let mut d = CommandDecoder::new(big_limits());
        d.set_options(DecodeOptions { utf8 });
        let mut got = Vec::new();
        for b in out.iter() {
            d.receive(std::slice::from_ref(b));
            while let Some(e) = d.poll_event() {
                match e {
                    CommandEvent::LiteralRequest { .. } => d.accept_literal().unwrap(),
                    e => got.push(e),
                }
            }
        }
        prop_assert_eq!(got, vec![CommandEvent::Command(c)]);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_stay_bounded(data in vec(any::<u8>(), 0..600), step in 1usize..20) {
        let limits = Limits {
            line_length: 64,
            literal_size: 128,
            non_sync_literal_size: 128, command_size: 512, literals: 4, nesting_depth: 8, items: 16 };
        let mut d = CommandDecoder::new(limits);
        let mut r = ResponseDecoder::new(limits);
        for chunk in data.chunks(step) {
            d.receive(chunk);
            r.receive(chunk);
            while let Some(e) = d.poll_event() {
                if let CommandEvent::LiteralRequest { .. } = e {
                    d.accept_literal().unwrap();
                }
            }
            while r.poll_event().is_some() {}
            prop_assert!(d.buffered() <= 512 + 64 + step);
            prop_assert!(r.buffered() <= 512 + 64 + step);
        }
    }
}
