//! The relay uses STARTTLS when the next hop offers it (opportunistic:
//! a self-signed certificate is fine), and plaintext when it does not.

mod support;

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use mta_core::tls::{Acceptor, Identity};
use smtp_proto::tokio::{Handler, Options, serve};
use smtp_proto::{ForwardPath, MailParameters, RcptParameters, Reply, ReversePath};
use support::{builder, eventually, send};

/// Whether each accepted message came over TLS.
type Seen = Arc<Mutex<Vec<bool>>>;

struct TlsSink {
    seen: Seen,
    tls: bool,
}

#[async_trait::async_trait]
impl Handler for TlsSink {
    async fn mail(&mut self, _: &ReversePath, _: &MailParameters) -> Result<(), Reply> {
        Ok(())
    }
    async fn rcpt(&mut self, _: &ForwardPath, _: &RcptParameters) -> Result<(), Reply> {
        Ok(())
    }
    async fn data_end(&mut self, _: Option<Bytes>) -> Result<(), Reply> {
        self.seen.lock().unwrap().push(self.tls);
        Ok(())
    }
    async fn tls_established(&mut self) {
        self.tls = true;
    }
}

async fn sink(offer_tls: bool) -> (u16, Seen) {
    let (identity, _, _) = Identity::self_signed(&["sink.example.org".to_owned()]).unwrap();
    let acceptor = Arc::new(Acceptor::new(&identity).unwrap());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Seen::default();
    let s = seen.clone();
    tokio::spawn(async move {
        loop {
            let (sock, _) = l.accept().await.unwrap();
            let (seen, acceptor) = (s.clone(), acceptor.clone());
            tokio::spawn(async move {
                let mut config = smtp_proto::server::Config::new("sink.example.org");
                config.starttls = offer_tls;
                let options = Options {
                    tls: offer_tls
                        .then_some(acceptor.as_ref() as &dyn smtp_proto::tokio::TlsAcceptor),
                    ..Options::default()
                };
                let mut h = TlsSink { seen, tls: false };
                let _ = serve(sock, config, &mut h, options).await;
            });
        }
    });
    (port, seen)
}

#[tokio::test]
async fn relay_uses_starttls_when_offered() {
    for offer in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let (port, seen) = sink(offer).await;
        let engine = builder(dir.path(), &format!("relayhost = [127.0.0.1]:{port}\n"))
            .start()
            .await
            .unwrap();
        let out = send(
            engine.smtp_addrs()[0],
            "alice@example.com",
            &["far@example.org"],
            b"Subject: tls\r\n\r\nx\r\n",
        )
        .await
        .unwrap();
        assert!(out.recipients[0].is_delivered());
        eventually("relayed", || seen.lock().unwrap().len() == 1).await;
        assert_eq!(*seen.lock().unwrap(), [offer], "TLS used iff offered");
        eventually("queue empty", || engine.queue().is_empty()).await;
        engine.shutdown().await;
    }
}
