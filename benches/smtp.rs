//! SMTP parsing and DATA receiving, with Stalwart's `smtp-proto` on the same
//! input for comparison.
//!
//! `cargo bench --bench smtp -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smtp_proto::fuzzing::{scan_len, unstuff};
use smtp_proto::server::{BareLineEnding, Config, Event, Session};
use stalwart_smtp_proto as stalwart;

/// A typical transaction's command lines.
const COMMANDS: &[&[u8]] = &[
    b"EHLO mail.example.org\r\n",
    b"MAIL FROM:<alice@example.org> SIZE=12345 BODY=8BITMIME\r\n",
    b"RCPT TO:<bob@example.net>\r\n",
    b"RCPT TO:<carol.smith@sub.example.net> NOTIFY=SUCCESS,FAILURE\r\n",
    b"DATA\r\n",
    b"RSET\r\n",
    b"NOOP\r\n",
    b"QUIT\r\n",
];

/// About 1 MiB of message text: 76-octet lines, one in sixteen starting
/// with a (stuffed) dot, ending with the end-of-data line.
fn message() -> Vec<u8> {
    let mut m = Vec::with_capacity(1 << 20);
    m.extend_from_slice(b"Subject: bench\r\nFrom: a@example.org\r\n\r\n");
    let mut i = 0u32;
    while m.len() < (1 << 20) {
        if i.is_multiple_of(16) {
            m.extend_from_slice(b"..");
        }
        m.extend_from_slice(
            b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod te\r\n",
        );
        i += 1;
    }
    m.extend_from_slice(b".\r\n");
    m
}

fn parse_commands(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse_command");
    g.throughput(Throughput::Elements(COMMANDS.len() as u64));
    g.bench_function("missive", |b| {
        b.iter(|| {
            for line in COMMANDS {
                let _ = black_box(smtp_proto::parse_command(black_box(line)));
            }
        })
    });
    g.bench_function("stalwart", |b| {
        b.iter(|| {
            for line in COMMANDS {
                let _ = black_box(stalwart::Request::parse(&mut black_box(*line).iter()));
            }
        })
    });
    g.finish();
}

fn session_commands(c: &mut Criterion) {
    // A whole transaction through the server session, every decision accepted.
    let script = b"EHLO c.example\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<b@d.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nhi\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n";
    let mut g = c.benchmark_group("session");
    g.throughput(Throughput::Elements(9));
    g.bench_function("transaction", |b| {
        let now = Instant::now();
        b.iter(|| {
            let mut s = Session::new(Config::new("mx.example"), now);
            let pump = |s: &mut Session| {
                while let Some(e) = s.poll_event() {
                    if e.needs_decision() {
                        let _ = s.accept();
                    }
                }
                while let Some(out) = s.poll_transmit() {
                    black_box(out);
                }
            };
            pump(&mut s);
            s.receive(now, black_box(script));
            pump(&mut s);
            s.is_closed()
        })
    });
    g.finish();
}

fn data(c: &mut Criterion) {
    let msg = message();
    let mut g = c.benchmark_group("data");
    g.throughput(Throughput::Bytes(msg.len() as u64));
    g.bench_function("missive_scan", |b| b.iter(|| scan_len(black_box(&msg))));
    g.bench_function("missive_unstuff_copy", |b| {
        b.iter(|| unstuff(black_box(&msg), BareLineEnding::Normalize))
    });
    g.bench_function("missive_session_64k_reads", |b| {
        let now = Instant::now();
        let head =
            b"EHLO c.example\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<b@d.example>\r\nDATA\r\n";
        b.iter(|| {
            let mut s = Session::new(Config::new("mx.example"), now);
            let _ = s.poll_event();
            let _ = s.accept();
            s.receive(now, head);
            let mut octets = 0usize;
            let pump = |s: &mut Session, octets: &mut usize| {
                while let Some(e) = s.poll_event() {
                    match e {
                        Event::MessageData(d) => *octets += d.len(),
                        e if e.needs_decision() => {
                            let _ = s.accept();
                        }
                        _ => {}
                    }
                }
                let _ = s.poll_transmit();
            };
            pump(&mut s, &mut octets);
            for chunk in msg.chunks(64 * 1024) {
                s.receive(now, chunk);
                pump(&mut s, &mut octets);
            }
            octets
        })
    });
    g.bench_function("stalwart_data_receiver", |b| {
        let mut out = Vec::with_capacity(msg.len());
        b.iter(|| {
            out.clear();
            let mut r = stalwart::request::receiver::DataReceiver::new();
            r.ingest(&mut black_box(&msg[..]).iter(), &mut out)
        })
    });
    g.finish();
}

criterion_group!(benches, parse_commands, session_commands, data);
criterion_main!(benches);
