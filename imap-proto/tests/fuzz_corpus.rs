//! Replays the fuzz corpora (`fuzz/corpus/imap_*`) through the fuzz target
//! bodies, so that what the fuzzer found stays covered in CI.

use std::path::Path;

fn replay(target: &str, body: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        // A file may vanish while a fuzzer prunes the same directory.
        let Ok(entry) = entry else { continue };
        let Ok(data) = std::fs::read(entry.path()) else {
            continue;
        };
        body(&data);
        n += 1;
    }
    assert!(n > 0, "empty corpus {}", dir.display());
}

#[test]
fn imap_command_corpus() {
    replay("imap_command", imap_proto::fuzz::command);
}

#[test]
fn imap_response_corpus() {
    replay("imap_response", imap_proto::fuzz::response);
}

#[test]
fn imap_roundtrip_corpus() {
    replay("imap_roundtrip", imap_proto::fuzz::roundtrip);
}
