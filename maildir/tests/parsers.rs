//! The parsers under arbitrary input: the fuzz target's body over its
//! corpus (fuzz/corpus/maildir_parsers) and over proptest's inputs.

use maildir::fuzzing::parsers;
use proptest::prelude::*;

#[test]
fn fuzz_corpus_replays() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/maildir_parsers");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        parsers(&data);
        n += 1;
    }
    assert!(n >= 10, "seed corpus missing in {}", dir.display());
}

fn mailish() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        Just(b"From x Thu Jan  1 00:00:00 1970".to_vec()),
        Just(b"From ".to_vec()),
        Just(b">From ".to_vec()),
        Just(b">>>From a".to_vec()),
        Just(b"".to_vec()),
        Just(b"3 V1 N5 Gx".to_vec()),
        Just(b"4 :1.M2P3.h,S=9:2,ST".to_vec()),
        Just(b"missive-mbox 1 V1 N9 S0".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..40),
    ];
    (
        proptest::collection::vec(line, 0..12),
        prop_oneof![Just(&b"\n"[..]), Just(&b"\r\n"[..])],
        any::<bool>(),
    )
        .prop_map(|(lines, eol, final_eol)| {
            let mut out = lines.join(eol);
            if final_eol && !out.is_empty() {
                out.extend_from_slice(eol);
            }
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        parsers(&data);
    }

    #[test]
    fn mail_like_text(data in mailish()) {
        parsers(&data);
    }
}
