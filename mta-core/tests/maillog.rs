//! Log lines in the maillog convention, captured through a tracing
//! subscriber; delay warnings; the per-destination concurrency limit.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use mta_core::engine::EngineOptions;
use smtp_proto::tokio::{Handler, Options, serve};
use smtp_proto::{ForwardPath, MailParameters, RcptParameters, Reply, ReversePath};
use support::{ManualClock, Sink, builder, eventually, inbox, send};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

#[tokio::test]
async fn maillog_lines_and_delay_warnings() {
    let log = Buffer::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .with_level(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::default();
    let port = sink.start().await.port();
    let clock = ManualClock::new();
    let mut options = EngineOptions::default();
    options.delay_warning_time = Some(Duration::from_secs(4 * 3600));
    let engine = builder(dir.path(), &format!("relayhost = [127.0.0.1]:{port}\n"))
        .clock(clock.clone())
        .options(options)
        .start()
        .await
        .unwrap();
    let out = send(
        engine.smtp_addrs()[0],
        "alice@example.com",
        &["bob@example.com", "later@example.org", "bad@example.org"],
        b"Subject: log\r\n\r\nx\r\n",
    )
    .await
    .unwrap();
    assert!(out.recipients.iter().all(|r| r.is_delivered()));
    eventually("bounce", || inbox(dir.path(), "alice").len() == 1).await;
    eventually("deferred", || {
        engine
            .queue()
            .list()
            .iter()
            .any(|e| e.deferred && !e.active)
    })
    .await;
    let id = engine
        .queue()
        .list()
        .iter()
        .find(|e| e.deferred)
        .unwrap()
        .envelope
        .id
        .to_string();

    let lines = log.lines();
    let find = |prefix: &str| lines.iter().find(|l| l.starts_with(prefix)).cloned();
    assert!(
        find(&format!("{id}: client=unknown[127.0.0.1]")).is_some(),
        "{lines:#?}"
    );
    let from = find(&format!("{id}: from=<alice@example.com>")).unwrap();
    assert!(from.contains(", nrcpt=3 (queue active)"), "{from}");
    assert!(from.contains(", size="), "{from}");
    let sent = find(&format!("{id}: to=<bob@example.com>")).unwrap();
    assert!(
        sent.contains(", relay=local, delay=")
            && sent.contains(", dsn=2.0.0, status=sent (250 2.0.0"),
        "{sent}"
    );
    let deferred = find(&format!("{id}: to=<later@example.org>")).unwrap();
    assert!(
        deferred.contains(&format!(", relay=127.0.0.1[127.0.0.1]:{port}, delay="))
            && deferred.contains(", dsn=4.3.0, status=deferred (451 4.3.0 try again later)"),
        "{deferred}"
    );
    let bounced = find(&format!("{id}: to=<bad@example.org>")).unwrap();
    assert!(
        bounced.contains(", dsn=5.1.1, status=bounced (550 5.1.1 <bad@example.org>"),
        "{bounced}"
    );
    assert!(
        find(&format!("{id}: sender non-delivery notification: ")).is_some(),
        "{lines:#?}"
    );

    // Past delay_warning_time, the next failed attempt warns the sender once.
    clock.advance(Duration::from_secs(5 * 3600));
    engine.queue().flush();
    eventually("delay warning", || inbox(dir.path(), "alice").len() == 2).await;
    let warning = String::from_utf8(inbox(dir.path(), "alice").remove(1)).unwrap();
    assert!(
        warning.contains("Subject: Delayed Mail (still being retried)"),
        "{warning}"
    );
    assert!(warning.contains("Action: delayed"), "{warning}");
    assert!(
        warning.contains("Final-Recipient: rfc822; later@example.org"),
        "{warning}"
    );
    assert!(
        !warning.contains("bad@example.org"),
        "only the delayed recipient: {warning}"
    );
    eventually("warned", || {
        engine
            .queue()
            .list()
            .first()
            .is_some_and(|e| e.envelope.warned && !e.active)
    })
    .await;
    clock.advance(Duration::from_secs(3600));
    engine.queue().flush();
    eventually("third attempt", || {
        engine
            .queue()
            .list()
            .first()
            .is_some_and(|e| e.envelope.attempts == 3 && !e.active)
    })
    .await;
    assert_eq!(inbox(dir.path(), "alice").len(), 2, "one warning only");
    assert!(
        log.lines()
            .iter()
            .any(|l| l.starts_with(&format!("{id}: sender delay notification: ")))
    );
    engine.shutdown().await;
}

/// Counts sessions open at once.
#[derive(Clone, Default)]
struct Slow {
    now: Arc<Mutex<(usize, usize)>>,
}

struct SlowSession;

#[async_trait::async_trait]
impl Handler for SlowSession {
    async fn mail(&mut self, _: &ReversePath, _: &MailParameters) -> Result<(), Reply> {
        Ok(())
    }
    async fn rcpt(&mut self, _: &ForwardPath, _: &RcptParameters) -> Result<(), Reply> {
        Ok(())
    }
    async fn data_end(&mut self, _: Option<Bytes>) -> Result<(), Reply> {
        tokio::time::sleep(Duration::from_millis(30)).await;
        Ok(())
    }
}

#[tokio::test]
async fn per_destination_concurrency_is_limited() {
    let slow = Slow::default();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let s = slow.clone();
    tokio::spawn(async move {
        loop {
            let (sock, _) = l.accept().await.unwrap();
            let s = s.clone();
            tokio::spawn(async move {
                {
                    let mut g = s.now.lock().unwrap();
                    g.0 += 1;
                    g.1 = g.1.max(g.0);
                }
                let mut h = SlowSession;
                let _ = serve(
                    sock,
                    smtp_proto::server::Config::new("slow.example"),
                    &mut h,
                    Options::default(),
                )
                .await;
                s.now.lock().unwrap().0 -= 1;
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let mut options = EngineOptions::default();
    options.destination_concurrency = 2;
    let engine = builder(dir.path(), &format!("relayhost = [127.0.0.1]:{port}\n"))
        .options(options)
        .start()
        .await
        .unwrap();
    let addr = engine.smtp_addrs()[0];
    let mut tasks = Vec::new();
    for i in 0..12 {
        tasks.push(tokio::spawn(async move {
            let body = format!("Subject: {i}\r\n\r\nx\r\n");
            send(
                addr,
                "alice@example.com",
                &["far@example.org"],
                body.as_bytes(),
            )
            .await
            .unwrap()
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap().recipients[0].is_delivered());
    }
    eventually("all relayed", || engine.queue().is_empty()).await;
    let max = slow.now.lock().unwrap().1;
    assert!(
        (1..=2).contains(&max),
        "at most 2 sessions at once, saw {max}"
    );
    engine.shutdown().await;
}
