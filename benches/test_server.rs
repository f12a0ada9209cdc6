//! The embeddable test server (`missive::testing`): how long a test waits
//! for it.
//!
//! `cargo bench --bench test_server`:
//! - `start_and_drop`: `TestServer::start()` (three listeners, a temporary
//!   directory) and dropping it again (tasks aborted, directory removed);
//! - `send_and_wait`: one message over SMTP with smtp-proto's client,
//!   fsynced into a Maildir, until `wait_for_messages` sees it.

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use missive::smtp::client::{Config, Envelope};
use missive::smtp::{ForwardPath, Host, Mailbox, ReversePath};
use missive::testing::TestServer;

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    c.bench_function("test_server/start_and_drop", |b| {
        b.iter(|| rt.block_on(async { black_box(TestServer::start().await.unwrap()) }))
    });

    let server = rt
        .block_on(TestServer::builder().user("alice@localhost", "pw").start())
        .unwrap();
    let mut sent = 0;
    c.bench_function("test_server/send_and_wait", |b| {
        b.iter(|| {
            rt.block_on(async {
                let socket = tokio::net::TcpStream::connect(server.smtp_addr())
                    .await
                    .unwrap();
                let envelope = Envelope {
                    reverse_path: ReversePath::Mailbox(Mailbox::parse("a@example.org").unwrap()),
                    parameters: Default::default(),
                    recipients: vec![(
                        ForwardPath::Mailbox(Mailbox::parse("alice@localhost").unwrap()),
                        Default::default(),
                    )],
                };
                let config = Config::new(Host::parse("bench.example").unwrap());
                let message = Bytes::from_static(b"Subject: bench\r\n\r\nhello\r\n");
                missive::smtp::tokio::send_message(socket, config, envelope, message, None)
                    .await
                    .unwrap();
                sent += 1;
                server
                    .wait_for_messages(sent, Duration::from_secs(10))
                    .await
                    .unwrap();
            })
        })
    });
}

criterion_group! {
    name = test_server;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(5));
    targets = benches
}
criterion_main!(test_server);
