//! The smtpd service: smtp-proto's tokio [`Handler`] that applies the
//! restrictions through the router, refuses unknown local recipients at
//! RCPT TO (550 5.1.1), enforces message_size_limit (through the session's
//! SIZE limit), refuses mail that has looped (more Received: headers than
//! hopcount_limit), adds its Received: header (RFC 5321 section 4.4) and
//! enqueues; the 250 goes out only after the queue's fsync.
//!
//! AUTH (RFC 4954) checks PLAIN and LOGIN credentials against a
//! passwd-file through [`PasswordAuth`] (hashes verified on the blocking
//! pool, failures delayed and limited per client address). An
//! authenticated client passes `permit_sasl_authenticated`, and its
//! Received: header says `ESMTPA` or `ESMTPSA` (RFC 3848). Each listener
//! is one of the [`SmtpService`]s of Postfix's master.cf.

use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;
use mail_builder::headers::date::Date;
use smtp_proto::server::{self, HeloKind};
use smtp_proto::tokio::Handler;
use smtp_proto::{ForwardPath, Host, MailParameters, RcptParameters, Reply, ReversePath};

use crate::auth::{Attempt, PasswordAuth};
use crate::clock::Clock;
use crate::config::Restriction;
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
    /// The password check of AUTH; without it AUTH is not offered.
    pub auth: Option<PasswordAuth>,
}

/// The kinds of SMTP listener, as the services of Postfix's master.cf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SmtpService {
    /// `smtp` (port 25): main.cf as written; AUTH offered only with
    /// smtpd_sasl_auth_enable = yes.
    Smtp,
    /// `submission` (port 587, RFC 6409): STARTTLS offered, AUTH required
    /// before MAIL (530 5.7.0, RFC 4954 section 6), and, as master.cf's
    /// `-o smtpd_relay_restrictions=permit_sasl_authenticated,reject
    /// -o smtpd_recipient_restrictions=`, relaying for authenticated
    /// clients only. AUTH itself needs TLS unless the client may send
    /// passwords in the clear ([`crate::auth::PlaintextAuth`]).
    Submission,
    /// `submissions` (port 465, RFC 8314 section 3.3; `smtps` in older
    /// master.cf files): as submission, over implicit TLS.
    Smtps,
}

impl SmtpService {
    /// Whether AUTH must precede MAIL.
    #[must_use]
    pub fn requires_auth(self) -> bool {
        !matches!(self, SmtpService::Smtp)
    }

    /// The service name as master.cf spells it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            SmtpService::Smtp => "smtp",
            SmtpService::Submission => "submission",
            SmtpService::Smtps => "submissions",
        }
    }
}

/// master.cf's submission override of smtpd_relay_restrictions.
const SUBMISSION_RELAY: [Restriction; 2] =
    [Restriction::PermitSaslAuthenticated, Restriction::Reject];

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
    service: SmtpService,
    /// The SASL mechanism and user name after a successful AUTH.
    authenticated: Option<(&'static str, String)>,
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
            service: SmtpService::Smtp,
            authenticated: None,
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

    /// Which service this connection came in on (AUTH required before
    /// MAIL on submission and SMTPS; their relay restrictions).
    #[must_use]
    pub fn service(mut self, service: SmtpService) -> Self {
        self.service = service;
        self
    }

    /// The authenticated user name, once AUTH succeeded.
    #[must_use]
    pub fn authenticated(&self) -> Option<&str> {
        self.authenticated.as_ref().map(|(_, u)| u.as_str())
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
        // RFC 3848 section 2: ESMTPA with AUTH, ESMTPS with TLS, ESMTPSA
        // with both (and the LMTP twins).
        let auth = self.authenticated.is_some();
        let protocol = match (self.helo.as_ref().map(|(_, k)| *k), self.tls, auth) {
            (Some(HeloKind::Ehlo), true, true) => "ESMTPSA",
            (Some(HeloKind::Ehlo), true, false) => "ESMTPS",
            (Some(HeloKind::Ehlo), false, true) => "ESMTPA",
            (Some(HeloKind::Ehlo), false, false) => "ESMTP",
            (Some(HeloKind::Lhlo), true, true) => "LMTPSA",
            (Some(HeloKind::Lhlo), true, false) => "LMTPS",
            (Some(HeloKind::Lhlo), false, true) => "LMTPA",
            (Some(HeloKind::Lhlo), false, false) => "LMTP",
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
        if self.service.requires_auth() && self.authenticated.is_none() {
            // RFC 4954 section 6: "530 5.7.0 Authentication required".
            return Err(fixed(530, (5, 7, 0), "Authentication required"));
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
            sasl_authenticated: self.authenticated.is_some(),
            reverse_path,
            forward_path: &mailbox,
        };
        let decision = if self.service.requires_auth() {
            r.check_recipient_with(&ctx, &SUBMISSION_RELAY, &[])
        } else {
            r.check_recipient(&ctx)
        };
        match decision {
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
        log::client(
            &id,
            self.client_name.as_deref(),
            self.client_addr,
            self.authenticated.as_ref().map(|(m, u)| (*m, u.as_str())),
        );
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
        // RFC 3207 section 4.2: what the client said before TLS is
        // forgotten, an earlier AUTH included.
        self.tls = true;
        self.helo = None;
        self.authenticated = None;
    }

    async fn auth(&mut self, credentials: &smtp_proto::Credentials) -> Result<(), Reply> {
        let method = match credentials.mechanism {
            smtp_proto::Mechanism::Plain => "PLAIN",
            smtp_proto::Mechanism::Login => "LOGIN",
            smtp_proto::Mechanism::Other(_) => "OTHER",
        };
        let failed = |why: &str| {
            log::sasl_failed(self.client_name.as_deref(), self.client_addr, method, why);
            fixed(535, (5, 7, 8), "Error: authentication failed")
        };
        let Some(auth) = self.shared.auth.clone() else {
            return Err(failed("no password database"));
        };
        // No proxy authorization: an authzid, when sent, must name the
        // authenticating user (RFC 4616 section 2).
        if credentials
            .authzid
            .as_deref()
            .is_some_and(|z| z != credentials.authcid)
        {
            return Err(failed("authorization identity differs"));
        }
        let attempt = auth
            .verify_password(
                Some(self.client_addr),
                &credentials.authcid,
                credentials.password.expose(),
            )
            .await;
        match attempt {
            Attempt::Success(entry) => {
                self.authenticated = Some((method, entry.user));
                Ok(())
            }
            Attempt::Failure => Err(failed("authentication failure")),
            Attempt::Blocked { .. } => {
                log::sasl_failed(
                    self.client_name.as_deref(),
                    self.client_addr,
                    method,
                    "too many failures from this address",
                );
                // RFC 4954 section 6: 454 4.7.0, a temporary failure.
                Err(fixed(
                    454,
                    (4, 7, 0),
                    "Temporary authentication failure: too many failures, try again later",
                ))
            }
        }
    }
}
