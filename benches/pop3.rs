//! POP3: command parsing, and RETR throughput from the server session in
//! memory and from the whole server (driver + Maildir backend, the
//! composition of the pop3_server example) over an in-memory pipe.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mta_core::passwd::PasswdFile;
use mta_core::pop3::MaildirMaildrop;
use pop3_proto::server::{Config, Event, Session};
use pop3_proto::tokio::{Options, serve};
use pop3_proto::{MessageInfo, UniqueId, parse};
use std::hint::black_box;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const COMMANDS: &[&[u8]] = &[
    b"USER mrose",
    b"PASS secret with spaces",
    b"APOP mrose c4c9334bac560ecc979e58001b3e22fb",
    b"STAT",
    b"LIST",
    b"LIST 12345",
    b"RETR 1",
    b"TOP 10 20",
    b"DELE 7",
    b"UIDL",
    b"AUTH PLAIN AG1yb3NlAHNlY3JldA==",
    b"QUIT",
];

fn parse_commands(c: &mut Criterion) {
    let bytes: usize = COMMANDS.iter().map(|l| l.len() + 2).sum();
    let mut g = c.benchmark_group("pop3_parse");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("commands", |b| {
        b.iter(|| {
            for line in COMMANDS {
                let _ = black_box(parse::command(black_box(line)));
            }
        })
    });
    g.finish();
}

/// A message of `size` octets with 76-octet LF-ended lines, some starting
/// with a dot, as Maildir files are written.
fn message(size: usize) -> Vec<u8> {
    let mut m = b"From: a@example.org\nSubject: bench\n\n".to_vec();
    let mut i = 0usize;
    while m.len() < size {
        if i.is_multiple_of(50) {
            m.extend_from_slice(b".");
        }
        m.extend_from_slice(
            &b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abc\n"[..],
        );
        i += 1;
    }
    m
}

fn retr_session(c: &mut Criterion) {
    let mut g = c.benchmark_group("pop3_retr_session");
    for size in [64 * 1024, 10 * 1024 * 1024] {
        let msg = message(size);
        g.throughput(Throughput::Bytes(msg.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(size), &msg, |b, msg| {
            b.iter(|| {
                let now = Instant::now();
                let config = Config {
                    plaintext_auth: true,
                    ..Config::default()
                };
                let mut s = Session::new(config, now);
                s.receive(now, b"USER a\r\nPASS b\r\nRETR 1\r\n");
                let mut sent = 0usize;
                while let Some(e) = s.poll_event() {
                    match e {
                        Event::Authenticate(_) => {
                            let uid = UniqueId::new("u1").unwrap();
                            s.accept_maildrop(vec![MessageInfo {
                                uid,
                                size: msg.len() as u64,
                            }])
                            .unwrap();
                        }
                        Event::Retrieve { .. } => {
                            s.accept().unwrap();
                            for chunk in msg.chunks(64 * 1024) {
                                s.message_data(chunk).unwrap();
                                while let Some(out) = s.poll_transmit() {
                                    sent += out.len();
                                }
                            }
                            s.end_message().unwrap();
                        }
                        _ => unreachable!(),
                    }
                }
                black_box(sent)
            })
        });
    }
    g.finish();
}

fn retr_server(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let location = format!("maildir:{}/%u/Maildir", dir.path().display());
    let msg = message(10 * 1024 * 1024);
    maildir::Store::open(&location, "alice", None)
        .unwrap()
        .deliver("INBOX", &msg)
        .unwrap();
    let users = PasswdFile::parse("alice:{PLAIN}secret\n").unwrap();
    let maildrop = MaildirMaildrop::new(users, &location);
    let mut g = c.benchmark_group("pop3_retr_server");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(msg.len() as u64));
    g.bench_function("maildir_10MiB", |b| {
        b.iter(|| {
            rt.block_on(async {
                let (mut client, server) = tokio::io::duplex(256 * 1024);
                let mut options = Options::default();
                options.config.plaintext_auth = true;
                let md = maildrop.clone();
                let task = tokio::spawn(async move { serve(&md, server, options).await });
                client
                    .write_all(b"USER alice\r\nPASS secret\r\nRETR 1\r\nQUIT\r\n")
                    .await
                    .unwrap();
                let mut buf = vec![0u8; 256 * 1024];
                let mut total = 0usize;
                loop {
                    let n = client.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    total += n;
                }
                task.await.unwrap().unwrap();
                black_box(total)
            })
        })
    });
    g.finish();
}

criterion_group!(benches, parse_commands, retr_session, retr_server);
criterion_main!(benches);
