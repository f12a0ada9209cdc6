//! The LMTP agent (through a transport map) and the pipe agent (aliases(5)
//! `|command`, off by default).

mod support;

use bytes::Bytes;
use mta_core::engine::EngineOptions;
use mta_core::maps::{MapList, Table, TableKind};
use mta_core::router::Tables;
use smtp_proto::server::{Config, Mode};
use smtp_proto::tokio::{Handler, Options, serve};
use smtp_proto::{ForwardPath, MailParameters, RcptParameters, Reply, ReversePath};
use std::sync::{Arc, Mutex};
use support::{builder, eventually, inbox, send};

/// Recipients and content of each LMTP transaction.
type Transactions = Arc<Mutex<Vec<(Vec<String>, Vec<u8>)>>>;

#[derive(Clone, Default)]
struct Lmtp {
    got: Transactions,
    rcpts: Vec<String>,
}

#[async_trait::async_trait]
impl Handler for Lmtp {
    async fn mail(&mut self, _: &ReversePath, _: &MailParameters) -> Result<(), Reply> {
        self.rcpts.clear();
        Ok(())
    }
    async fn rcpt(&mut self, fp: &ForwardPath, _: &RcptParameters) -> Result<(), Reply> {
        let s = fp.to_string();
        if s.starts_with("<bad") {
            return Err(Reply::new(550, Some((5, 1, 1)), "no such mailbox").unwrap());
        }
        self.rcpts.push(s);
        Ok(())
    }
    async fn lmtp_data_end(
        &mut self,
        message: Option<Bytes>,
        recipients: &[ForwardPath],
    ) -> Vec<Reply> {
        self.got
            .lock()
            .unwrap()
            .push((self.rcpts.clone(), message.unwrap_or_default().to_vec()));
        recipients
            .iter()
            .map(|r| {
                if r.to_string().starts_with("<full") {
                    Reply::new(452, Some((4, 2, 2)), "mailbox full").unwrap()
                } else {
                    Reply::new(250, Some((2, 0, 0)), "saved").unwrap()
                }
            })
            .collect()
    }
    async fn data_end(&mut self, _: Option<Bytes>) -> Result<(), Reply> {
        Ok(())
    }
}

#[tokio::test]
async fn lmtp_transport_gets_one_reply_per_recipient() {
    let dir = tempfile::tempdir().unwrap();
    let lmtp = Lmtp::default();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let server = lmtp.clone();
    tokio::spawn(async move {
        loop {
            let (s, _) = l.accept().await.unwrap();
            let mut h = server.clone();
            tokio::spawn(async move {
                let config = Config {
                    mode: Mode::Lmtp,
                    ..Config::new("lmtp.example")
                };
                let _ = serve(s, config, &mut h, Options::default()).await;
            });
        }
    });
    let transport = dir.path().join("transport");
    std::fs::write(
        &transport,
        format!("lmtp.example lmtp:[127.0.0.1]:{port}\n"),
    )
    .unwrap();
    let engine = builder(
        dir.path(),
        &format!(
            "transport_maps = hash:{}\nrelay_domains = lmtp.example\n",
            transport.display()
        ),
    )
    .start()
    .await
    .unwrap();
    let out = send(
        engine.smtp_addrs()[0],
        "alice@example.com",
        &["one@lmtp.example", "full@lmtp.example", "bad@lmtp.example"],
        b"Subject: lmtp\r\n\r\nx\r\n",
    )
    .await
    .unwrap();
    assert!(out.recipients.iter().all(|r| r.is_delivered()));
    // bad@ bounces at once, full@ stays deferred, one@ is delivered.
    eventually("bounce for bad@", || inbox(dir.path(), "alice").len() == 1).await;
    eventually("full@ deferred", || {
        engine
            .queue()
            .list()
            .first()
            .is_some_and(|e| e.deferred && !e.active)
    })
    .await;
    let entry = engine.queue().list().remove(0);
    let pending: Vec<_> = entry
        .envelope
        .pending()
        .map(|r| r.address.clone())
        .collect();
    assert_eq!(pending, ["full@lmtp.example"]);
    assert!(
        entry.envelope.recipients[1]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("452 4.2.2")
    );
    let got = lmtp.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, ["<one@lmtp.example>", "<full@lmtp.example>"]);
    engine.shutdown().await;
}

fn alias_tables(text: &str) -> Tables {
    let mut t = Table::from_text(text, "aliases", TableKind::Indexed).unwrap();
    // As if root owned the file: Postfix runs alias commands only then.
    t.set_owner_is_root(true);
    Tables {
        aliases: MapList::from_tables(vec![t]),
        ..Tables::default()
    }
}

#[tokio::test]
async fn pipe_delivery_runs_the_command_when_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("piped");
    let aliases = format!(
        "pipe: \"|cat > {} && echo $RECIPIENT >> {}\"\ntempfail: \"|exit 75\"\nfails: \"|echo nope >&2; exit 1\"\n",
        out_file.display(),
        out_file.display()
    );
    let mut options = EngineOptions::default();
    options.allow_commands = true;
    let engine = builder(dir.path(), "")
        .tables(alias_tables(&aliases))
        .options(options)
        .start()
        .await
        .unwrap();
    let out = send(
        engine.smtp_addrs()[0],
        "carol@example.net",
        &[
            "pipe@example.com",
            "tempfail@example.com",
            "fails@example.com",
        ],
        b"Subject: piped\r\n\r\nto a command\r\n",
    )
    .await
    .unwrap();
    assert!(out.recipients.iter().all(|r| r.is_delivered()), "{out:?}");
    eventually("command output", || {
        std::fs::read_to_string(&out_file).is_ok_and(|s| s.ends_with("pipe@example.com\n"))
    })
    .await;
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert!(
        text.starts_with("Return-Path: <carol@example.net>\r\nDelivered-To: pipe@example.com\r\n"),
        "{text}"
    );
    assert!(text.contains("Subject: piped\r\n\r\nto a command\r\n"));
    eventually("tempfail deferred", || {
        engine
            .queue()
            .list()
            .first()
            .is_some_and(|e| e.deferred && !e.active)
    })
    .await;
    let e = engine.queue().list().remove(0);
    let pending: Vec<_> = e.envelope.pending().map(|r| r.address.clone()).collect();
    assert_eq!(pending, ["tempfail@example.com"]);
    engine.shutdown().await;
}

#[tokio::test]
async fn pipe_delivery_is_off_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let aliases = format!("pipe: \"|touch {}\"\n", marker.display());
    let engine = builder(dir.path(), "")
        .tables(alias_tables(&aliases))
        .start()
        .await
        .unwrap();
    let out = send(
        engine.smtp_addrs()[0],
        "alice@example.com",
        &["pipe@example.com"],
        b"Subject: no\r\n\r\nx\r\n",
    )
    .await
    .unwrap();
    assert!(out.recipients[0].is_delivered());
    eventually("bounce", || inbox(dir.path(), "alice").len() == 1).await;
    let dsn = String::from_utf8(inbox(dir.path(), "alice").remove(0)).unwrap();
    assert!(dsn.contains("Status: 5.7.1"), "{dsn}");
    assert!(!marker.exists());
    engine.shutdown().await;
}

/// virtual_mailbox_maps: a result ending in `/` is a Maildir under
/// virtual_mailbox_base, anything else an mbox file.
#[tokio::test]
async fn virtual_mailboxes_maildir_and_mbox() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("vmail");
    let map = dir.path().join("vmailbox");
    std::fs::write(
        &map,
        "md@virt.example virt/md/\nmb@virt.example virt/mb.mbox\n",
    )
    .unwrap();
    let engine = builder(
        dir.path(),
        &format!(
            "virtual_mailbox_domains = virt.example\nvirtual_mailbox_base = {}\nvirtual_mailbox_maps = hash:{}\n",
            base.display(),
            map.display()
        ),
    )
    .start()
    .await
    .unwrap();
    let out = send(
        engine.smtp_addrs()[0],
        "carol@example.net",
        &["md@virt.example", "mb@virt.example", "nobody@virt.example"],
        b"Subject: virtual\r\n\r\nx\r\n",
    )
    .await
    .unwrap();
    assert!(out.recipients[0].is_delivered() && out.recipients[1].is_delivered());
    assert_eq!(
        out.recipients[2].reply.code().get(),
        550,
        "unknown virtual user refused at RCPT"
    );
    eventually("queue empty", || engine.queue().is_empty()).await;
    let new: Vec<_> = std::fs::read_dir(base.join("virt/md/new"))
        .unwrap()
        .collect();
    assert_eq!(new.len(), 1);
    let mbox = std::fs::read_to_string(base.join("virt/mb.mbox")).unwrap();
    assert!(mbox.starts_with("From carol@example.net "), "{mbox}");
    assert!(mbox.contains("Delivered-To: mb@virt.example"), "{mbox}");
    engine.shutdown().await;
}

/// Without a mail_location, local mail goes to the mbox spool in
/// mail_spool_directory, as Postfix's local(8) does by default.
#[tokio::test]
async fn local_delivery_to_the_mbox_spool() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    let engine = mta_core::engine::Engine::builder(support::config(&format!(
        "mail_spool_directory = {}\n",
        spool.display()
    )))
    .queue_directory(dir.path().join("queue"))
    .users(mta_core::router::StaticUsers::new(["alice"]))
    .listen("127.0.0.1:0".parse().unwrap())
    .start()
    .await
    .unwrap();
    let out = send(
        engine.smtp_addrs()[0],
        "carol@example.net",
        &["alice@example.com"],
        b"Subject: spool\r\n\r\nFrom here\r\n",
    )
    .await
    .unwrap();
    assert!(out.recipients[0].is_delivered());
    eventually("queue empty", || engine.queue().is_empty()).await;
    let mbox = std::fs::read_to_string(spool.join("alice")).unwrap();
    assert!(mbox.starts_with("From carol@example.net "), "{mbox}");
    assert!(mbox.contains("Return-Path: <carol@example.net>"), "{mbox}");
    assert!(mbox.contains(">From here"), "mboxrd quoting: {mbox}");
    engine.shutdown().await;
}
