//! The smtpd service: smtp-proto's tokio [`Handler`] that applies the
//! restrictions through the router, refuses unknown local recipients at
//! RCPT TO (550 5.1.1), enforces message_size_limit (through the session's
//! SIZE limit), refuses mail that has looped (more Received: headers than
//! hopcount_limit), adds its Received: header (RFC 5321 section 4.4) and
//! enqueues; the 250 goes out only after the queue's fsync.

use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;
use mail_builder::headers::date::Date;
use smtp_proto::server::{self, HeloKind};
use smtp_proto::tokio::Handler;
use smtp_proto::{ForwardPath, Host, MailParameters, RcptParameters, Reply, ReversePath};

use crate::clock::Clock;
use crate::delivery::SharedRouter;
use crate::log;
use crate::queue::{MessageKind, Queue};
use crate::router::{self, Decision, RcptContext};

/// What every connection of one listener shares.
pub struct SmtpdShared {
    /// The router (restrictions and recipient checks).
    pub router: SharedRouter,
    /// The queue.
    pub queue: Queue,
    /// The clock (for Received dates).
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SmtpdShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpdShared").finish_non_exhaustive()
    }
}

/// The session configuration for a router's main.cf: myhostname, the 220
/// greeting from smtpd_banner, and the SIZE limit from message_size_limit (0: none); DSN is not advertised.
#[must_use]
pub fn server_config(router: &SharedRouter) -> server::Config {
    let r = router
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let c = r.config();
    let mut config = server::Config::new(&c.myhostname);
    // Postfix sends `220 $smtpd_banner` (postconf(5) smtpd_banner).
    config.greeting = (!c.smtpd_banner.is_empty()).then(|| c.smtpd_banner.clone());
    config.limits.message_size = (c.message_size_limit > 0).then_some(c.message_size_limit);
    // DSN (RFC 3461) is not offered: the queue does not yet carry NOTIFY,
    // RET, ENVID and ORCPT into its notifications, and a server that
    // advertises DSN must honour them (RFC 3461 section 4).
    config.dsn = false;
    config
}

/// One SMTP connection's decisions.
#[derive(Debug)]
pub struct Smtpd {
    shared: Arc<SmtpdShared>,
    client_addr: IpAddr,
    client_name: Option<String>,
    helo: Option<(String, HeloKind)>,
    tls: bool,
    require_tls: bool,
    reverse_path: Option<router::ReversePath>,
    recipients: Vec<String>,
}

fn to_reply(r: &router::Reply) -> Reply {
    let s = r.status;
    Reply::new(r.code, Some((s.class, s.subject, s.detail)), &r.text)
        .or_else(|_| Reply::new(r.code, None, &r.text))
        .unwrap_or_else(|_| fixed(451, (4, 3, 0), "internal error"))
}

fn fixed(code: u16, status: (u8, u16, u16), text: &str) -> Reply {
    // Constant arguments: valid by construction; a mismatch still yields a
    // reply rather than a panic.
    Reply::new(code, Some(status), text)
        .or_else(|_| Reply::new(451, None, "internal error"))
        .unwrap_or_else(|_| {
            Reply::multiline(451, None, ["error"]).unwrap_or_else(|_| unreachable_reply())
        })
}

#[cold]
fn unreachable_reply() -> Reply {
    // Reply::new(451, None, "x") cannot fail; this only satisfies types.
    match Reply::new(421, None, "error") {
        Ok(r) => r,
        Err(_) => std::process::abort(),
    }
}

/// Received: headers in the header section.
fn hop_count(message: &[u8]) -> usize {
    crate::delivery::header_lines(message)
        .filter(|l| {
            l.split_once(':')
                .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case("received"))
        })
        .count()
}

impl Smtpd {
    /// A handler for a client at `client_addr` (its verified name, if
    /// known).
    #[must_use]
    pub fn new(shared: Arc<SmtpdShared>, client_addr: IpAddr, client_name: Option<String>) -> Self {
        Smtpd {
            shared,
            client_addr,
            client_name,
            helo: None,
            tls: false,
            require_tls: false,
            reverse_path: None,
            recipients: Vec::new(),
        }
    }

    /// Refuses MAIL until TLS is established (smtpd_tls_security_level
    /// `encrypt`) with 530 5.7.0 (RFC 3207 section 4).
    #[must_use]
    pub fn require_tls(mut self, on: bool) -> Self {
        self.require_tls = on;
        self
    }

    fn client_text(&self) -> String {
        let helo = self.helo.as_ref().map_or("unknown", |(h, _)| h.as_str());
        format!(
            "{helo} ({} [{}])",
            self.client_name.as_deref().unwrap_or("unknown"),
            self.client_addr
        )
    }

    fn received(&self, id: &str, myhostname: &str) -> String {
        let protocol = match self.helo.as_ref().map(|(_, k)| *k) {
            Some(HeloKind::Ehlo) if self.tls => "ESMTPS",
            Some(HeloKind::Ehlo) => "ESMTP",
            Some(HeloKind::Lhlo) => "LMTP",
            _ => "SMTP",
        };
        let now = self
            .shared
            .clock
            .now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let date = Date::new(i64::try_from(now).unwrap_or(0)).to_rfc822();
        let mut h = format!(
            "Received: from {}\r\n\tby {myhostname} (missive) with {protocol} id {id}",
            self.client_text()
        );
        if let [one] = self.recipients.as_slice() {
            h.push_str(&format!("\r\n\tfor <{one}>"));
        }
        h.push_str(&format!("; {date}\r\n"));
        h
    }
}

#[async_trait::async_trait]
impl Handler for Smtpd {
    async fn connect(&mut self) -> Result<(), Reply> {
        log::connect(self.client_name.as_deref(), self.client_addr);
        Ok(())
    }

    async fn helo(&mut self, host: &Host, kind: HeloKind) -> Result<(), Reply> {
        self.helo = Some((host.to_string(), kind));
        Ok(())
    }

    async fn mail(&mut self, reverse_path: &ReversePath, _: &MailParameters) -> Result<(), Reply> {
        if self.require_tls && !self.tls {
            // RFC 3207 section 4: the reply to commands other than NOOP,
            // EHLO, STARTTLS and QUIT when TLS is required.
            return Err(fixed(530, (5, 7, 0), "Must issue a STARTTLS command first"));
        }
        let rp = match reverse_path {
            ReversePath::Null => router::ReversePath::Null,
            ReversePath::Mailbox(m) => router::ReversePath::parse(&m.to_string())
                .map_err(|_| fixed(553, (5, 1, 7), "Bad sender address syntax"))?,
        };
        self.reverse_path = Some(rp);
        self.recipients.clear();
        Ok(())
    }

    async fn rcpt(&mut self, forward_path: &ForwardPath, _: &RcptParameters) -> Result<(), Reply> {
        let router = self.shared.router.clone();
        let r = router
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mailbox = match forward_path {
            // RFC 5321 section 4.1.1.3: <Postmaster> without a domain is
            // this server's postmaster.
            ForwardPath::Postmaster => router::Mailbox::new("postmaster", &r.config().myhostname),
            ForwardPath::Mailbox(m) => router::Mailbox::parse(&m.to_string()),
        }
        .map_err(|_| fixed(501, (5, 1, 3), "Bad recipient address syntax"))?;
        let null = router::ReversePath::Null;
        let reverse_path = self.reverse_path.as_ref().unwrap_or(&null);
        let ctx = RcptContext {
            client_addr: self.client_addr,
            client_name: self.client_name.as_deref(),
            sasl_authenticated: false,
            reverse_path,
            forward_path: &mailbox,
        };
        match r.check_recipient(&ctx) {
            Decision::Accept => {
                self.recipients.push(mailbox.to_string());
                Ok(())
            }
            Decision::Refuse(reply) => {
                let from = match reverse_path {
                    router::ReversePath::Null => String::new(),
                    router::ReversePath::Mailbox(m) => m.to_string(),
                };
                log::reject(
                    self.client_name.as_deref(),
                    self.client_addr,
                    &reply.to_string(),
                    &from,
                    &mailbox.to_string(),
                );
                Err(to_reply(&reply))
            }
        }
    }

    async fn data_end(&mut self, message: Option<Bytes>) -> Result<(), Reply> {
        let Some(message) = message else {
            return Err(fixed(451, (4, 3, 0), "no message data"));
        };
        let (myhostname, hopcount_limit) = {
            let r = self
                .shared
                .router
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            (r.config().myhostname.clone(), r.config().hopcount_limit)
        };
        if hop_count(&message) > hopcount_limit as usize {
            return Err(fixed(554, (5, 4, 6), "Too many hops"));
        }
        let queue = self.shared.queue.clone();
        let id = queue.next_id();
        let received = self.received(id.as_str(), &myhostname);
        let mut content = Vec::with_capacity(received.len() + message.len());
        content.extend_from_slice(received.as_bytes());
        content.extend_from_slice(&message);
        let from = match &self.reverse_path {
            Some(router::ReversePath::Mailbox(m)) => m.to_string(),
            _ => String::new(),
        };
        log::client(&id, self.client_name.as_deref(), self.client_addr);
        let client = self.client_text();
        match queue
            .enqueue(
                &id,
                &from,
                &self.recipients,
                &client,
                MessageKind::Normal,
                &content,
            )
            .await
        {
            Ok(()) => {
                log::queued(&id, &from, content.len(), self.recipients.len());
                self.recipients.clear();
                Ok(())
            }
            Err(e) => {
                log::warning(&id, &format!("cannot queue the message: {e}"));
                Err(fixed(451, (4, 3, 0), "Error: queue file write error"))
            }
        }
    }

    async fn reset(&mut self) {
        self.reverse_path = None;
        self.recipients.clear();
    }

    async fn tls_established(&mut self) {
        self.tls = true;
    }
}
