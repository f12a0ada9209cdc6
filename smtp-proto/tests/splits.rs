//! Any split of the client's bytes gives the same events and the same
//! output: each transcript fed whole, one byte at a time, and cut in two at
//! every position.

mod common;

use common::{Feed, run, transcript};

#[test]
fn every_transcript_under_every_split() {
    for (name, config, text) in common::transcripts::all() {
        let t = transcript(text);
        let whole = run(config.clone(), &t, Feed::Whole);
        assert!(!whole.output.is_empty(), "{name}");
        let bytewise = run(config.clone(), &t, Feed::ByteByByte);
        assert_eq!(bytewise, whole, "{name}: byte at a time differs");
        let longest = t.segments.iter().map(Vec::len).max().unwrap_or(0);
        for cut in 0..=longest {
            let split = run(config.clone(), &t, Feed::SplitAt(cut));
            assert_eq!(split, whole, "{name}: split at {cut} differs");
        }
    }
}
