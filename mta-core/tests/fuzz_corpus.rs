//! The mta_config fuzz target's body over its seed corpus and whatever the
//! fuzzer added (fuzz/corpus/mta_config), so CI covers it.

#[test]
fn fuzz_corpus_replays() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/mta_config");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus directory") {
        let path = entry.expect("entry").path();
        let data = match std::fs::read(&path) {
            Ok(data) => data,
            // A fuzzer running beside the test replaces corpus files.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        mta_core::fuzzing::config_and_tables(&data);
        n += 1;
    }
    assert!(n >= 10, "seed corpus missing in {}", dir.display());
}

/// The mta_queue target's body over fuzz/corpus/mta_queue.
#[test]
fn queue_fuzz_corpus_replays() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/mta_queue");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus directory") {
        let path = entry.expect("entry").path();
        let data = match std::fs::read(&path) {
            Ok(data) => data,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        mta_core::fuzzing::queue_records(&data);
        n += 1;
    }
    assert!(n >= 5, "seed corpus missing in {}", dir.display());
}
