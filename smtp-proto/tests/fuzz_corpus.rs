//! Replays the smtp_server fuzz target's corpus through its body, so CI
//! covers what the fuzzer found.

use std::path::Path;

#[test]
fn replay_smtp_server_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/smtp_server");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut n = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        smtp_proto::fuzzing::server_session(&data);
        n += 1;
    }
    assert!(n > 0, "the corpus is empty");
}
