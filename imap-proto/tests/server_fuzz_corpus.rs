//! Replays fuzz/corpus/imap_server/ (the server session fuzz target) so
//! that CI covers what the fuzzer found.

#[test]
fn replay_imap_server_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/imap_server");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        panic!("no corpus at {}", dir.display());
    };
    let mut n = 0;
    for e in entries {
        let data = std::fs::read(e.unwrap().path()).unwrap();
        imap_proto::server::fuzz::server_session(&data);
        n += 1;
    }
    assert!(n > 0);
}
