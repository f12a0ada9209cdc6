//! parse(serialize(x)) == x for generated responses of the whole grammar.

mod strategies;

use bytes::BytesMut;
use imap_proto::serialize::{EncodeOptions, encode_response, join_fragments, response_fragments};
use imap_proto::{DecodeOptions, Limits, parse_response};
use proptest::prelude::*;
use strategies::response;

fn big_limits() -> Limits {
    Limits {
        line_length: 1 << 20,
        ..Limits::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn response_round_trip(r in response(), utf8 in any::<bool>()) {
        let opts = EncodeOptions { utf8, literal_plus: false };
        let mut out = BytesMut::new();
        encode_response(&r, opts, &mut out).unwrap();
        let back = parse_response(&out, DecodeOptions { utf8 }, &big_limits());
        prop_assert_eq!(back.as_ref(), Ok(&r), "{:?}", String::from_utf8_lossy(&out));
        let joined = join_fragments(&response_fragments(&r, opts)).unwrap();
        prop_assert_eq!(&joined[..], &out[..]);
    }

}
