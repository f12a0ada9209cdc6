//! `queue::snapshot`: the read-only listing another process (mailq) takes
//! while the engine owns the queue.

use std::sync::Arc;

use mta_core::clock::SystemClock;
use mta_core::queue::{MessageKind, Queue, QueueOptions, snapshot};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_beside_an_open_queue_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let q = Queue::open(QueueOptions::new(dir.path()), Arc::new(SystemClock)).unwrap();
    let mut ids = Vec::new();
    for i in 0..3 {
        let id = q.next_id();
        let body = format!("Subject: {i}\r\n\r\nbody\r\n");
        q.enqueue(
            &id,
            if i == 0 { "" } else { "a@example.com" },
            &[format!("r{i}@example.org"), "x@example.org".into()],
            "test",
            MessageKind::Normal,
            body.as_bytes(),
        )
        .await
        .unwrap();
        ids.push((id, body.len() as u64));
    }
    // A deferred file being written by the owner must survive a reader.
    let tmp = dir.path().join("deferred").join("0123.tmp");
    std::fs::write(&tmp, b"partial").unwrap();
    let before: Vec<_> = std::fs::read_dir(dir.path().join("journal"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();

    let listed = snapshot(dir.path()).unwrap();
    // The owner's listing, but with times as stored (in microseconds).
    let owner: Vec<_> = q
        .list()
        .into_iter()
        .map(|e| (e.envelope.id, e.envelope.recipients, e.size))
        .collect();
    let read: Vec<_> = listed
        .iter()
        .map(|e| (e.envelope.id.clone(), e.envelope.recipients.clone(), e.size))
        .collect();
    assert_eq!(read, owner, "the same listing as the owner's");
    let got: Vec<_> = listed
        .iter()
        .map(|e| (e.envelope.id.clone(), e.size))
        .collect();
    assert_eq!(got, ids);
    assert_eq!(listed[0].envelope.reverse_path, "");
    assert_eq!(listed[1].envelope.recipients.len(), 2);
    assert!(listed.iter().all(|e| !e.deferred && !e.active));

    assert!(tmp.exists(), "a reader removes nothing");
    let after: Vec<_> = std::fs::read_dir(dir.path().join("journal"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after, "a reader creates no segment");
    q.close();
}

#[test]
fn snapshot_of_a_missing_or_empty_directory_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    assert!(snapshot(&dir.path().join("nowhere")).unwrap().is_empty());
    assert!(!dir.path().join("nowhere").exists(), "nothing created");
    std::fs::create_dir(dir.path().join("queue")).unwrap();
    assert!(snapshot(&dir.path().join("queue")).unwrap().is_empty());
}
