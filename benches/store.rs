//! Store benches: durable delivery beside the disk's bare cost, and the
//! scan and incremental refresh of a 10,000-message folder.
//!
//! `cargo bench --bench store`. The figures to compare:
//! - `delivery/bare_write_fsync_rename`: what the disk allows for one
//!   durable-ish file (write 4 KiB, fsync, rename; no directory fsync).
//! - `delivery/maildir_deliver`: Maildir delivery (tmp/, fsync, link into
//!   new/, fsync new/).
//! - `delivery/store_deliver`: the same plus a UID (folder lock, append
//!   to dovecot-uidlist, fsync).
//! - `delivery_batch/*`: group commit, 32 messages per call
//!   (`Maildir::deliver_batch`, `Store::deliver_batch`): two syncs and one
//!   folder lock for the 32; throughput in messages, as above.
//! - `folder_10k/*`: opening with no snapshot index (full listing plus
//!   one stat per message, reading the mod-sequence log, then writing the
//!   index), opening from the index a previous open left (what the first
//!   SELECT after a server restart costs), a refresh when nothing changed,
//!   a refresh after one flag rename in cur/ (which gives the message a
//!   new mod-sequence: folder lock, log append, fdatasync), the
//!   `has_changed` poll, and a STORE of one flag on every message
//!   (`store_flags_all`).
//! - `folder_100k/open_from_index`: the first open after a restart of a
//!   100,000-message folder (messages of a few octets: the index is
//!   read, not the messages), with its mod-sequence log unchanged since
//!   the index was written (`unchanged_log`) and with one line appended
//!   to it (`appended_log`, the log's tail is read); every message's
//!   record is read. `folder_100k/select_from_index`: the same open with
//!   only what a SELECT asks for, the UIDs and flags of the index's
//!   summary.

use std::fs;
use std::hint::black_box;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use maildir::{Maildir, Store};

const MESSAGE_SIZE: usize = 4096;

fn message() -> Vec<u8> {
    let mut m = b"From: bench@example.org\r\nSubject: bench\r\n\r\n".to_vec();
    m.resize(MESSAGE_SIZE - 2, b'x');
    m.extend_from_slice(b"\r\n");
    m
}

fn delivery(c: &mut Criterion) {
    // Under target/ rather than /tmp: the same disk the store would use.
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-store");
    fs::create_dir_all(&base).unwrap();
    let dir = tempfile::tempdir_in(&base).unwrap();
    let msg = message();
    let mut g = c.benchmark_group("delivery");
    g.throughput(Throughput::Elements(1));
    g.sample_size(30);
    g.measurement_time(Duration::from_secs(8));

    let bare_tmp = dir.path().join("bare-tmp");
    let bare_new = dir.path().join("bare-new");
    fs::create_dir_all(&bare_tmp).unwrap();
    fs::create_dir_all(&bare_new).unwrap();
    let mut n = 0u64;
    g.bench_function("bare_write_fsync_rename", |b| {
        b.iter(|| {
            n += 1;
            let from = bare_tmp.join(n.to_string());
            let mut f = fs::File::create_new(&from).unwrap();
            f.write_all(black_box(&msg)).unwrap();
            f.sync_all().unwrap();
            drop(f);
            fs::rename(&from, bare_new.join(n.to_string())).unwrap();
        });
    });

    let md = Maildir::create(dir.path().join("md")).unwrap();
    g.bench_function("maildir_deliver", |b| {
        b.iter(|| md.deliver(black_box(&msg)).unwrap());
    });

    let store = Store::maildir(dir.path().join("store")).unwrap();
    g.bench_function("store_deliver", |b| {
        b.iter(|| store.deliver("INBOX", black_box(&msg)).unwrap());
    });
    g.finish();

    // Group commit: BATCH messages per deliver_batch call, elements are
    // messages, so the throughput compares directly with store_deliver.
    const BATCH: usize = 32;
    let mut g = c.benchmark_group("delivery_batch");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(8));
    let batch: Vec<&[u8]> = (0..BATCH).map(|_| msg.as_slice()).collect();
    let md = Maildir::create(dir.path().join("md-batch")).unwrap();
    g.bench_function("maildir_deliver_batch_32", |b| {
        b.iter(|| {
            for r in md.deliver_batch(black_box(&batch)) {
                r.unwrap();
            }
        });
    });
    let store = Store::maildir(dir.path().join("store-batch")).unwrap();
    g.bench_function("store_deliver_batch_32", |b| {
        b.iter(|| {
            for r in store.deliver_batch("INBOX", black_box(&batch)) {
                r.unwrap();
            }
        });
    });
    g.finish();
}

fn folder_10k(c: &mut Criterion) {
    const COUNT: usize = 10_000;
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-store");
    fs::create_dir_all(&base).unwrap();
    let dir = tempfile::tempdir_in(&base).unwrap();
    let root = dir.path().join("Maildir");
    let store = Store::maildir(&root).unwrap();
    // Fill cur/ directly (no fsync): the bench is about reading.
    let msg = message();
    let mut names = Vec::with_capacity(COUNT);
    for i in 0..COUNT {
        let name = format!("{}.M{i}P1Q{i}.bench,S={}:2,S", 1_700_000_000 + i, msg.len());
        fs::write(root.join("cur").join(&name), &msg).unwrap();
        names.push(name);
    }
    // Let the directory mtimes age past the slack so refreshes trust them.
    std::thread::sleep(maildir::MTIME_SLACK + Duration::from_millis(200));

    let mut g = c.benchmark_group("folder_10k");
    g.throughput(Throughput::Elements(COUNT as u64));
    g.sample_size(20);
    let index = root.join("missive-index");
    g.bench_function("open_and_scan", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let _ = fs::remove_file(&index);
                let start = Instant::now();
                let inbox = store.open_folder("INBOX").unwrap();
                total += start.elapsed();
                black_box(inbox.messages().len());
            }
            total
        });
    });
    // (Also when a filter skipped the bench above.)
    drop(store.open_folder("INBOX").unwrap());
    assert!(index.exists());
    g.bench_function("open_from_index", |b| {
        b.iter(|| black_box(store.open_folder("INBOX").unwrap().messages().len()));
    });
    let mut inbox = store.open_folder("INBOX").unwrap();
    assert_eq!(inbox.messages().len(), COUNT);
    std::thread::sleep(maildir::MTIME_SLACK + Duration::from_millis(200));
    inbox.refresh().unwrap();
    g.bench_function("refresh_unchanged", |b| {
        b.iter(|| black_box(inbox.refresh().unwrap()));
    });
    g.bench_function("has_changed", |b| {
        b.iter(|| black_box(inbox.has_changed().unwrap()));
    });
    // Another process renames one message (a flag change): the refresh
    // lists cur/ again but stats nothing it already knows.
    let cur = root.join("cur");
    let mut flip = false;
    let mut i = 0;
    g.bench_function("refresh_after_one_rename", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                i = (i + 1) % COUNT;
                let base = names[i].split(':').next().unwrap().to_owned();
                let (from, to) = if flip { ("FS", "S") } else { ("S", "FS") };
                let cur_name = |f: &str| cur.join(format!("{base}:2,{f}"));
                // Whichever name the file has now.
                let _ = fs::rename(cur_name(from), cur_name(to))
                    .or_else(|_| fs::rename(cur_name(to), cur_name(from)));
                let start = Instant::now();
                let ch = inbox.refresh().unwrap();
                total += start.elapsed();
                black_box(ch);
            }
            flip = !flip;
            total
        });
    });
    // STORE 1:* +FLAGS / -FLAGS (\Flagged): 10,000 renames, one folder
    // lock and one append (and fdatasync) to the mod-sequence log.
    let uids: Vec<u32> = inbox.messages().iter().map(|m| m.uid()).collect();
    let mut add = true;
    g.sample_size(10);
    g.bench_function("store_flags_all", |b| {
        b.iter(|| {
            let op = if add {
                maildir::FlagOp::Add
            } else {
                maildir::FlagOp::Remove
            };
            add = !add;
            let flags = maildir::Flags::from(maildir::Flag::Flagged);
            black_box(inbox.store_flags(&uids, op, flags, None).unwrap())
        });
    });
    g.finish();
}

fn folder_100k(c: &mut Criterion) {
    const COUNT: usize = 100_000;
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-store");
    fs::create_dir_all(&base).unwrap();
    let dir = tempfile::tempdir_in(&base).unwrap();
    let root = dir.path().join("Maildir");
    let store = Store::maildir(&root).unwrap();
    let msg = b"Subject: x\r\n\r\nx\r\n";
    for i in 0..COUNT {
        let flags = if i % 3 == 0 { "S" } else { "" };
        let name = format!(
            "{}.M{i}P1Q{i}.bench,S={}:2,{flags}",
            1_700_000_000 + i,
            msg.len()
        );
        fs::write(root.join("cur").join(name), msg).unwrap();
    }
    std::thread::sleep(maildir::MTIME_SLACK + Duration::from_millis(200));
    // The first open lists the folder and writes the index and the log.
    let (uid, flags) = {
        let inbox = store.open_folder("INBOX").unwrap();
        let m = &inbox.messages()[7];
        (m.uid(), m.flags())
    };
    assert!(root.join("missive-index").exists());

    let mut g = c.benchmark_group("folder_100k");
    g.throughput(Throughput::Elements(COUNT as u64));
    g.sample_size(20);
    // What a SELECT asks of a folder just started from its index: the
    // UIDs and flags, from the index's summary.
    g.bench_function("select_from_index/unchanged_log", |b| {
        b.iter(|| {
            let inbox = store.open_folder("INBOX").unwrap();
            black_box(inbox.uid_flags().filter(|(_, f)| f.is_empty()).count())
        });
    });
    // And every message's record too (what a FETCH of all needs).
    g.bench_function("open_from_index/unchanged_log", |b| {
        b.iter(|| black_box(store.open_folder("INBOX").unwrap().messages().len()));
    });
    // Another process logged a mod-sequence for one message since (its
    // flags as its name has them: no listing, only the log's tail).
    let log = root.join("missive-modseq");
    let highest = store
        .open_folder("INBOX")
        .unwrap()
        .highest_modseq()
        .unwrap();
    let mut f = fs::OpenOptions::new().append(true).open(&log).unwrap();
    writeln!(f, "{uid} {} :{flags}", highest + 1).unwrap();
    drop(f);
    g.bench_function("open_from_index/appended_log", |b| {
        b.iter(|| black_box(store.open_folder("INBOX").unwrap().messages().len()));
    });
    g.finish();
}

criterion_group!(benches, delivery, folder_10k, folder_100k);
criterion_main!(benches);
