//! Relay to a second server, bounces (RFC 3464) parsed back with
//! mail-parser, deferral with backoff, flush, expiry, double bounces, all
//! on a manual clock.

mod support;

use std::sync::Arc;
use std::time::Duration;

use mail_parser::{MessageParser, MimeHeaders};
use mta_core::clock::Clock;
use mta_core::config::{Environment, MainCf, MainConfig};
use mta_core::dns::{DnsError, MxRecord, Resolver};
use mta_core::engine::Engine;
use mta_core::router::StaticUsers;
use support::{ManualClock, Sink, builder, eventually, inbox, send};

/// An engine for example.org (the "remote" side) with user friend.
async fn remote(dir: &std::path::Path) -> Engine {
    let cf = MainCf::parse_str(
        "myhostname = mx.example.org\nmydestination = example.org\nalias_maps =\n",
        "main.cf",
    )
    .unwrap();
    let config = MainConfig::from_cf(&cf, &Environment::loopback("mx.example.org"))
        .unwrap()
        .config;
    Engine::builder(config)
        .queue_directory(dir.join("queue"))
        .mail_location(format!("maildir:{}/%u/Maildir", dir.display()))
        .users(StaticUsers::new(["friend"]))
        .listen("127.0.0.1:0".parse().unwrap())
        .start()
        .await
        .unwrap()
}

/// MX example.org -> mx.example.org -> 127.0.0.1; nothing else exists.
struct Table;

#[async_trait::async_trait]
impl Resolver for Table {
    async fn mx(&self, domain: &str) -> Result<Vec<MxRecord>, DnsError> {
        match domain {
            "example.org" => Ok(vec![
                MxRecord {
                    preference: 20,
                    exchange: "backup.example.org".into(),
                },
                MxRecord {
                    preference: 10,
                    exchange: "mx.example.org".into(),
                },
            ]),
            "nomx.example" => Err(DnsError::NoRecords {
                name: domain.into(),
                record: "MX",
            }),
            "backup.example" => Ok(vec![
                MxRecord {
                    preference: 5,
                    exchange: "dead.example".into(),
                },
                MxRecord {
                    preference: 50,
                    exchange: "mx.example.org".into(),
                },
            ]),
            "nullmx.example" => Ok(vec![MxRecord {
                preference: 0,
                exchange: String::new(),
            }]),
            _ => Err(DnsError::NotFound {
                name: domain.into(),
            }),
        }
    }
    async fn addresses(&self, host: &str) -> Result<Vec<std::net::IpAddr>, DnsError> {
        match host {
            "mx.example.org" | "nomx.example" => Ok(vec!["127.0.0.1".parse().unwrap()]),
            // Nothing listens there: the connection is refused.
            "dead.example" => Ok(vec!["127.0.0.3".parse().unwrap()]),
            _ => Err(DnsError::NotFound { name: host.into() }),
        }
    }
}

#[tokio::test]
async fn relays_to_a_second_server_found_by_mx() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let far = remote(b.path()).await;
    let port = far.smtp_addrs()[0].port();
    // relayhost without brackets: MX lookup (from the table), given port.
    let near = builder(a.path(), &format!("relayhost = example.org:{port}\n"))
        .resolver(Arc::new(Table))
        .start()
        .await
        .unwrap();
    let out = send(
        near.smtp_addrs()[0],
        "alice@example.com",
        &["friend@example.org"],
        b"Subject: over\r\n\r\nthere\r\n",
    )
    .await
    .unwrap();
    assert!(out.recipients[0].is_delivered());
    eventually("relayed delivery", || inbox(b.path(), "friend").len() == 1).await;
    let msg = String::from_utf8(inbox(b.path(), "friend").remove(0)).unwrap();
    assert!(
        msg.starts_with("Return-Path: <alice@example.com>\r\nDelivered-To: friend@example.org\r\n"),
        "{msg}"
    );
    // Two hops: the far side's Received above the near side's.
    let parsed = MessageParser::default().parse(msg.as_bytes()).unwrap();
    let received: Vec<&str> = parsed
        .headers_raw()
        .filter(|(n, _)| n.eq_ignore_ascii_case("received"))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(received.len(), 2, "{msg}");
    assert!(received[0].contains("by mx.example.org (missive)"));
    assert!(received[1].contains("by mx.example.com (missive)"));
    assert_eq!(parsed.subject(), Some("over"));
    eventually("near queue empty", || near.queue().is_empty()).await;
    near.shutdown().await;
    far.shutdown().await;
}

fn dsn_fields(text: &str) -> Vec<Vec<(String, String)>> {
    text.split("\r\n\r\n")
        .filter(|g| !g.trim().is_empty())
        .map(|g| {
            g.split("\r\n")
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .collect()
        })
        .collect()
}

fn field<'a>(group: &'a [(String, String)], name: &str) -> Option<&'a str> {
    group
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn a_refused_recipient_bounces_with_an_rfc3464_report() {
    let a = tempfile::tempdir().unwrap();
    let sink = Sink::default();
    let port = sink.start().await.port();
    let engine = builder(a.path(), &format!("relayhost = [127.0.0.1]:{port}\n"))
        .start()
        .await
        .unwrap();
    let out = send(
        engine.smtp_addrs()[0],
        "alice@example.com",
        &["bad@example.org", "good@example.org"],
        b"Subject: report me\r\nMessage-ID: <orig@example.com>\r\n\r\nbody\r\n",
    )
    .await
    .unwrap();
    assert!(out.recipients.iter().all(|r| r.is_delivered()));
    eventually("bounce to alice", || inbox(a.path(), "alice").len() == 1).await;
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].recipients, ["good@example.org"]);

    let raw = inbox(a.path(), "alice").remove(0);
    let text = String::from_utf8(raw.clone()).unwrap();
    assert!(
        text.starts_with("Return-Path: <>\r\n"),
        "bounces come from the null sender: {text}"
    );
    let m = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(m.subject(), Some("Undelivered Mail Returned to Sender"));
    assert_eq!(
        m.from().unwrap().first().unwrap().address(),
        Some("MAILER-DAEMON@mx.example.com")
    );
    assert_eq!(
        m.to().unwrap().first().unwrap().address(),
        Some("alice@example.com")
    );
    assert_eq!(
        m.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-replied")
    );
    let ct = m.content_type().unwrap();
    assert_eq!((ct.ctype(), ct.subtype()), ("multipart", Some("report")));
    assert_eq!(ct.attribute("report-type"), Some("delivery-status"));
    let parts: Vec<_> = m.parts.iter().skip(1).collect();
    assert_eq!(parts.len(), 3, "{text}");
    let types: Vec<String> = parts
        .iter()
        .map(|p| {
            let c = p.content_type().unwrap();
            format!("{}/{}", c.ctype(), c.subtype().unwrap_or(""))
        })
        .collect();
    assert_eq!(
        types,
        [
            "text/plain",
            "message/delivery-status",
            "text/rfc822-headers"
        ]
    );
    assert!(
        std::str::from_utf8(parts[0].contents())
            .unwrap()
            .contains("<bad@example.org>: 550 5.1.1")
    );

    let status = std::str::from_utf8(parts[1].contents()).unwrap();
    let groups = dsn_fields(status);
    assert_eq!(groups.len(), 2, "{status}");
    let per_message = &groups[0];
    assert_eq!(
        field(per_message, "Reporting-MTA"),
        Some("dns; mx.example.com")
    );
    assert!(field(per_message, "Arrival-Date").is_some());
    let rcpt = &groups[1];
    assert_eq!(
        field(rcpt, "Final-Recipient"),
        Some("rfc822; bad@example.org")
    );
    assert_eq!(field(rcpt, "Action"), Some("failed"));
    assert_eq!(field(rcpt, "Status"), Some("5.1.1"));
    assert_eq!(field(rcpt, "Remote-MTA"), Some("dns; 127.0.0.1"));
    let diag = field(rcpt, "Diagnostic-Code").unwrap();
    assert!(
        diag.starts_with("smtp; 550 5.1.1 <bad@example.org>: Recipient address rejected"),
        "{diag}"
    );

    let headers = std::str::from_utf8(parts[2].contents()).unwrap();
    assert!(headers.contains("Message-ID: <orig@example.com>"));
    assert!(headers.contains("Subject: report me"));
    assert!(!headers.contains("body"));
    eventually("queue empty", || engine.queue().is_empty()).await;
    engine.shutdown().await;
}

#[tokio::test]
async fn deferred_mail_backs_off_is_flushed_and_expires() {
    let a = tempfile::tempdir().unwrap();
    let sink = Sink::default();
    let port = sink.start().await.port();
    let clock = ManualClock::new();
    let engine = builder(
        a.path(),
        &format!(
            "relayhost = [127.0.0.1]:{port}\nminimal_backoff_time = 300s\nmaximal_backoff_time = 4000s\nmaximal_queue_lifetime = 1h\n"
        ),
    )
    .clock(clock.clone())
    .start()
    .await
    .unwrap();
    let q = engine.queue().clone();
    let out = send(
        engine.smtp_addrs()[0],
        "alice@example.com",
        &["later@example.org"],
        b"Subject: wait\r\n\r\nx\r\n",
    )
    .await
    .unwrap();
    assert!(out.recipients[0].is_delivered());
    let attempts = |q: &mta_core::queue::Queue| {
        q.list()
            .first()
            .map(|e| (e.envelope.attempts, e.deferred, e.active))
    };
    eventually("first attempt deferred", || {
        attempts(&q) == Some((1, true, false))
    })
    .await;
    let entry = q.list().remove(0);
    let wait = entry
        .envelope
        .next_attempt
        .duration_since(clock.now())
        .unwrap();
    assert_eq!(wait, Duration::from_secs(300));
    assert!(
        entry.envelope.recipients[0]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("451 4.3.0")
    );

    // Not due yet: waking changes nothing. Flush makes it due.
    q.wake();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(attempts(&q), Some((1, true, false)));
    assert_eq!(q.flush(), 1);
    eventually("second attempt", || attempts(&q) == Some((2, true, false))).await;
    let wait = q.list()[0]
        .envelope
        .next_attempt
        .duration_since(clock.now())
        .unwrap();
    assert_eq!(wait, Duration::from_secs(600), "the backoff doubles");

    // A restart re-picks the deferred message.
    engine.shutdown().await;
    let engine = builder(
        a.path(),
        &format!("relayhost = [127.0.0.1]:{port}\nmaximal_queue_lifetime = 1h\n"),
    )
    .clock(clock.clone())
    .start()
    .await
    .unwrap();
    let q = engine.queue().clone();
    assert_eq!(attempts(&q), Some((2, true, false)));

    // Past maximal_queue_lifetime: the next attempt bounces it.
    clock.advance(Duration::from_secs(2 * 3600));
    q.wake();
    eventually("expired bounce", || inbox(a.path(), "alice").len() == 1).await;
    eventually("queue empty", || q.is_empty()).await;
    let raw = inbox(a.path(), "alice").remove(0);
    let m = MessageParser::default().parse(&raw).unwrap();
    let status = std::str::from_utf8(m.parts[2].contents()).unwrap();
    let groups = dsn_fields(status);
    assert_eq!(field(&groups[1], "Action"), Some("failed"));
    assert_eq!(field(&groups[1], "Status"), Some("4.3.0"));
    assert!(
        field(&groups[1], "Diagnostic-Code")
            .unwrap()
            .ends_with("(delivery time expired)")
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn a_bounce_that_cannot_be_returned_goes_to_the_postmaster() {
    let a = tempfile::tempdir().unwrap();
    let sink = Sink::default();
    let port = sink.start().await.port();
    let engine = builder(a.path(), &format!("relayhost = [127.0.0.1]:{port}\n"))
        .start()
        .await
        .unwrap();
    // From the null sender: the failure can only be reported to the
    // postmaster, never to <>.
    let out = send(
        engine.smtp_addrs()[0],
        "",
        &["bad@example.org"],
        b"Subject: from nobody\r\n\r\nx\r\n",
    )
    .await
    .unwrap();
    assert!(out.recipients[0].is_delivered());
    eventually("double bounce", || inbox(a.path(), "postmaster").len() == 1).await;
    eventually("queue empty", || engine.queue().is_empty()).await;
    let raw = inbox(a.path(), "postmaster").remove(0);
    let m = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        m.to().unwrap().first().unwrap().address(),
        Some("postmaster@mx.example.com")
    );
    assert!(sink.received().is_empty());
    engine.shutdown().await;
}

#[tokio::test]
async fn null_mx_and_missing_domains_bounce_at_once() {
    let a = tempfile::tempdir().unwrap();
    let engine = builder(a.path(), "")
        .resolver(Arc::new(Table))
        .start()
        .await
        .unwrap();
    let out = send(
        engine.smtp_addrs()[0],
        "alice@example.com",
        &["x@nullmx.example", "y@nowhere.example"],
        b"Subject: nowhere\r\n\r\nx\r\n",
    )
    .await
    .unwrap();
    assert!(out.recipients.iter().all(|r| r.is_delivered()));
    eventually("bounce", || inbox(a.path(), "alice").len() == 1).await;
    let raw = inbox(a.path(), "alice").remove(0);
    let m = MessageParser::default().parse(&raw).unwrap();
    let groups = dsn_fields(std::str::from_utf8(m.parts[2].contents()).unwrap());
    let statuses: Vec<_> = groups[1..]
        .iter()
        .map(|g| field(g, "Status").unwrap().to_owned())
        .collect();
    assert_eq!(statuses, ["5.1.10", "5.4.4"]);
    engine.shutdown().await;
}

/// No MX records: the domain's own address is the implicit MX (RFC 5321
/// section 5.1); an MX that refuses connections is skipped for the next.
#[tokio::test]
async fn implicit_mx_and_backup_mx() {
    let a = tempfile::tempdir().unwrap();
    let sink = Sink::default();
    let port = sink.start().await.port();
    for (domain, rcpt) in [
        ("nomx.example", "x@nomx.example"),
        ("backup.example", "y@backup.example"),
    ] {
        let dir = a.path().join(domain);
        let engine = builder(&dir, &format!("relayhost = {domain}:{port}\n"))
            .resolver(Arc::new(Table))
            .start()
            .await
            .unwrap();
        let out = send(
            engine.smtp_addrs()[0],
            "alice@example.com",
            &[rcpt],
            b"Subject: mx\r\n\r\nx\r\n",
        )
        .await
        .unwrap();
        assert!(out.recipients[0].is_delivered());
        eventually("relayed", || {
            sink.received().iter().any(|r| r.recipients == [rcpt])
        })
        .await;
        eventually("queue empty", || engine.queue().is_empty()).await;
        engine.shutdown().await;
    }
}
