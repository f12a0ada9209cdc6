//! parse(serialize(x)) == x for generated responses of the whole grammar.

mod strategies;

use bytes::BytesMut;
use imap_proto::serialize::{EncodeOptions, encode_response, join_fragments, response_fragments};
use imap_proto::{DecodeOptions, Limits, parse_response};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use strategies::response;

fn big_limits() -> Limits {
    Limits {
        line_length: 1 << 20,
        ..Limits::default()
    }
}

#[test]
fn response_round_trip() {
    // The strategies that build response trees nest deeply generic value
    // trees whose frames, in a debug build, overflow the default 2 MiB test
    // thread now and then while a case is generated (seen in proptest's
    // `new_tree`, not in the parser, whose depth `Limits::nesting_depth`
    // bounds). A larger stack for the generating thread keeps the test
    // deterministic.
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| {
            let mut runner = TestRunner::new(Config {
                cases: 2000,
                ..Config::default()
            });
            let result = runner.run(&(response(), any::<bool>()), |(r, utf8)| {
                let opts = EncodeOptions {
                    utf8,
                    literal_plus: false,
                };
                let mut out = BytesMut::new();
                encode_response(&r, opts, &mut out).unwrap();
                let back = parse_response(&out, DecodeOptions { utf8 }, &big_limits());
                prop_assert_eq!(back.as_ref(), Ok(&r), "{:?}", String::from_utf8_lossy(&out));
                let joined = join_fragments(&response_fragments(&r, opts)).unwrap();
                prop_assert_eq!(&joined[..], &out[..]);
                Ok(())
            });
            if let Err(e) = result {
                panic!("{e}");
            }
        })
        .unwrap()
        .join()
        .unwrap();
}
