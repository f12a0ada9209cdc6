//! The queue's commit path: how many messages per second become durable
//! (acknowledgeable with 250) for N sessions committing at once.
//!
//! `cargo bench --bench queue`. Three layouts, each committing a batch of
//! N 4 KiB messages that arrive together (N concurrent SMTP sessions):
//! - `journal`: missive's queue ([`mta_core::queue::Queue::enqueue`]):
//!   the committer appends the waiting messages to one segment and calls
//!   fdatasync once for the whole batch (group commit).
//! - `files_batched`: one file per message in a batch (write, fsync each
//!   file, rename, one directory fsync for the batch).
//! - `files_each`: Postfix's way: one file per message, write, fsync,
//!   rename, directory fsync, message by message.
//!
//! Elements are messages: compare the throughput columns.

use std::fs;
use std::hint::black_box;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mta_core::clock::SystemClock;
use mta_core::queue::{MessageKind, Queue, QueueOptions};

const MESSAGE_SIZE: usize = 4096;

fn message() -> Vec<u8> {
    let mut m = b"From: bench@example.org\r\nSubject: bench\r\n\r\n".to_vec();
    m.resize(MESSAGE_SIZE - 2, b'x');
    m.extend_from_slice(b"\r\n");
    m
}

fn fsync_dir(dir: &Path) {
    fs::File::open(dir).unwrap().sync_all().unwrap();
}

fn write_file(dir: &Path, name: &str, msg: &[u8]) {
    let tmp = dir.join(format!("{name}.tmp"));
    let mut f = fs::File::create(&tmp).unwrap();
    f.write_all(msg).unwrap();
    f.sync_all().unwrap();
    fs::rename(&tmp, dir.join(name)).unwrap();
}

fn commit(c: &mut Criterion) {
    // Under target/ rather than /tmp: the same disk a queue would use.
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-queue");
    fs::create_dir_all(&base).unwrap();
    let msg = message();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("queue_commit");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    for n in [1usize, 8, 32, 128] {
        g.throughput(Throughput::Elements(n as u64));

        let dir = tempfile::tempdir_in(&base).unwrap();
        let queue = Queue::open(QueueOptions::new(dir.path()), Arc::new(SystemClock)).unwrap();
        g.bench_with_input(BenchmarkId::new("journal", n), &n, |b, &n| {
            b.iter(|| {
                rt.block_on(async {
                    let mut tasks = Vec::with_capacity(n);
                    for _ in 0..n {
                        let q = queue.clone();
                        let m = msg.clone();
                        tasks.push(tokio::spawn(async move {
                            let id = q.next_id();
                            q.enqueue(
                                &id,
                                "a@example.org",
                                &["b@example.org".into()],
                                "bench",
                                MessageKind::Normal,
                                &m,
                            )
                            .await
                            .unwrap();
                        }));
                    }
                    for t in tasks {
                        t.await.unwrap();
                    }
                });
            });
        });
        queue.close();

        let dir = tempfile::tempdir_in(&base).unwrap();
        let mut k = 0u64;
        g.bench_with_input(BenchmarkId::new("files_batched", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    std::thread::scope(|s| {
                        for _ in 0..n {
                            k += 1;
                            let name = format!("m{k}");
                            let (d, m) = (dir.path(), &msg);
                            s.spawn(move || write_file(d, &name, m));
                        }
                    });
                    fsync_dir(dir.path());
                }
                start.elapsed()
            });
        });

        let dir = tempfile::tempdir_in(&base).unwrap();
        let mut k = 0u64;
        g.bench_with_input(BenchmarkId::new("files_each", n), &n, |b, &n| {
            b.iter(|| {
                for _ in 0..n {
                    k += 1;
                    write_file(dir.path(), &format!("m{k}"), black_box(&msg));
                    fsync_dir(dir.path());
                }
            });
        });
    }
    g.finish();
}

criterion_group!(benches, commit);
criterion_main!(benches);
