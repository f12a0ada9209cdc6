//! The embeddable engine: main.cf in, SMTP listeners, the queue and its
//! scheduler running, handles out.
//!
//! ```
//! use mta_core::config::{Environment, MainCf, MainConfig};
//! use mta_core::engine::Engine;
//! use mta_core::router::StaticUsers;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let data = tempfile::tempdir()?;
//! let cf = MainCf::parse_str("mydestination = example.com\nalias_maps =\n", "main.cf")?;
//! let config = MainConfig::from_cf(&cf, &Environment::loopback("mx.example.com"))?.config;
//! let engine = Engine::builder(config)
//!     .queue_directory(data.path().join("queue"))
//!     .mail_location(format!("maildir:{}/%u/Maildir", data.path().display()))
//!     .users(StaticUsers::new(["alice"]))
//!     .listen("127.0.0.1:0".parse()?)
//!     .start()
//!     .await?;
//! println!("SMTP on {}", engine.smtp_addrs()[0]);
//! assert!(engine.queue().is_empty());
//! engine.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! A submission listener (RFC 6409) whose users, mailboxes and AUTH all
//! come from one passwd-file; STARTTLS is offered when the builder has a
//! TLS identity, and AUTH before it only to loopback clients
//! ([`EngineOptions::plaintext_auth`]):
//!
//! ```
//! use std::sync::Arc;
//! use mta_core::auth::{AuthLimits, PasswdMailboxes, PasswordAuth};
//! use mta_core::config::{Environment, MainCf, MainConfig};
//! use mta_core::engine::Engine;
//! use mta_core::passwd::PasswdFile;
//! use mta_core::smtpd::SmtpService;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let data = tempfile::tempdir()?;
//! let home = data.path().join("alice");
//! let users = PasswdFile::parse(&format!("alice:{{PLAIN}}secret::::{}::\n", home.display()))?;
//! let auth = PasswordAuth::new(users, AuthLimits::default());
//! let cf = MainCf::parse_str("mydestination = example.com\nalias_maps =\n", "main.cf")?;
//! let config = MainConfig::from_cf(&cf, &Environment::loopback("mx.example.com"))?.config;
//! let engine = Engine::builder(config)
//!     .queue_directory(data.path().join("queue"))
//!     .mailboxes(Arc::new(PasswdMailboxes::new("maildir:~/Maildir", auth.clone())))
//!     .users(auth.clone())
//!     .auth(auth)
//!     .listen_submission("127.0.0.1:0".parse()?)
//!     .start()
//!     .await?;
//! assert!(engine.smtp_addrs().is_empty());
//! println!("submission on {}", engine.addr_of(SmtpService::Submission).unwrap());
//! engine.shutdown().await;
//! # Ok(()) }
//! ```

mod scheduler;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::{PasswordAuth, PlaintextAuth};
use crate::clock::{Clock, SystemClock};
use crate::config::{MainConfig, TlsSecurityLevel};
use crate::delivery::{
    AgentOptions, Agents, LocationMailboxes, Mailboxes, SharedRouter, SharedUsers,
};
use crate::dns::{DnsError, HickoryResolver, MxRecord, Resolver};
use crate::maps::MapError;
use crate::queue::{Queue, QueueError, QueueOptions};
use crate::router::{LocalUsers, Router, StaticUsers, Tables};
use crate::smtpd::{SmtpService, Smtpd, SmtpdShared, server_config};
use crate::tls::{Acceptor, Identity, TlsError};

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// A lookup table named in main.cf could not be read.
    #[error(transparent)]
    Map(#[from] MapError),
    /// The queue could not be opened.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// smtpd_tls_cert_file or smtpd_tls_key_file could not be loaded.
    #[error("smtpd TLS: {0}")]
    Tls(#[from] TlsError),
    /// An SMTPS listener was asked for without a TLS identity (neither
    /// [`EngineBuilder::tls_acceptor`] nor smtpd_tls_cert_file).
    #[error("SMTPS on {addr} needs a TLS identity")]
    NoTlsIdentity {
        /// The listener's address.
        addr: SocketAddr,
    },
    /// A submission or SMTPS listener was asked for without a password
    /// database ([`EngineBuilder::auth`]): nobody could send through it.
    #[error("{service} on {addr} requires AUTH, but no password database was given")]
    NoAuth {
        /// The service name (master.cf's).
        service: &'static str,
        /// The listener's address.
        addr: SocketAddr,
    },
}

/// Choices that are not main.cf parameters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EngineOptions {
    /// Run `|command` alias targets (off by default).
    pub allow_commands: bool,
    /// Write `/file` alias targets (off by default).
    pub allow_files: bool,
    /// Parallel deliveries per next hop (default_destination_concurrency_limit, 20).
    pub destination_concurrency: usize,
    /// Parallel delivery attempts in all (100).
    pub delivery_concurrency: usize,
    /// delay_warning_time: warn the sender once a message waited this
    /// long (Postfix's default 0h: never).
    pub delay_warning_time: Option<Duration>,
    /// Opportunistic STARTTLS when relaying (on; smtp_tls_security_level
    /// `may`).
    pub smtp_starttls: bool,
    /// Where AUTH is offered without TLS: by default to loopback clients
    /// only, which count as secure as Dovecot treats them. Everyone else
    /// gets 538 5.7.11 before STARTTLS (RFC 4954 section 4).
    pub plaintext_auth: PlaintextAuth,
    /// At shutdown, how long SMTP sessions may take to finish the command
    /// or message in progress before they are cut off (10 s).
    pub shutdown_grace: Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            allow_commands: false,
            allow_files: false,
            destination_concurrency: 20,
            delivery_concurrency: 100,
            delay_warning_time: None,
            smtp_starttls: true,
            plaintext_auth: PlaintextAuth::default(),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Builds an [`Engine`].
pub struct EngineBuilder {
    config: MainConfig,
    tables: Option<Tables>,
    users: Option<SharedUsers>,
    mailboxes: Option<Arc<dyn Mailboxes>>,
    resolver: Option<Arc<dyn Resolver>>,
    clock: Arc<dyn Clock>,
    queue: Option<QueueOptions>,
    listen: Vec<(SmtpService, SocketAddr)>,
    options: EngineOptions,
    tls: Option<Acceptor>,
    auth: Option<PasswordAuth>,
}

impl std::fmt::Debug for EngineBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineBuilder")
            .field("listen", &self.listen)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// A resolver for when the system's cannot be set up: every lookup fails
/// temporarily, so relayed mail waits in the queue.
struct NoResolver(String);

#[async_trait::async_trait]
impl Resolver for NoResolver {
    async fn mx(&self, _: &str) -> Result<Vec<MxRecord>, DnsError> {
        Err(DnsError::Setup {
            reason: self.0.clone(),
        })
    }
    async fn addresses(&self, _: &str) -> Result<Vec<std::net::IpAddr>, DnsError> {
        Err(DnsError::Setup {
            reason: self.0.clone(),
        })
    }
}

impl EngineBuilder {
    /// Tables opened from the configuration's files unless given; users
    /// none; mailboxes the mbox spool in mail_spool_directory; the system
    /// resolver and clock; the queue in queue_directory.
    #[must_use]
    pub fn new(config: MainConfig) -> Self {
        EngineBuilder {
            config,
            tables: None,
            users: None,
            mailboxes: None,
            resolver: None,
            clock: Arc::new(SystemClock),
            queue: None,
            listen: Vec::new(),
            options: EngineOptions::default(),
            tls: None,
            auth: None,
        }
    }

    /// Use these tables instead of opening the configuration's files.
    #[must_use]
    pub fn tables(mut self, tables: Tables) -> Self {
        self.tables = Some(tables);
        self
    }

    /// Who the local users are.
    #[must_use]
    pub fn users(mut self, users: impl LocalUsers + Send + Sync + 'static) -> Self {
        self.users = Some(Arc::new(users));
        self
    }

    /// Where local users' mail goes.
    #[must_use]
    pub fn mailboxes(mut self, mailboxes: Arc<dyn Mailboxes>) -> Self {
        self.mailboxes = Some(mailboxes);
        self
    }

    /// Local users' mail at a `mail_location` spec (`maildir:/srv/%u/Maildir`).
    #[must_use]
    pub fn mail_location(self, spec: impl Into<String>) -> Self {
        self.mailboxes(Arc::new(LocationMailboxes::new(spec)))
    }

    /// The DNS resolver of the SMTP relay.
    #[must_use]
    pub fn resolver(mut self, resolver: Arc<dyn Resolver>) -> Self {
        self.resolver = Some(resolver);
        self
    }

    /// The TLS identity of the SMTP listeners: with smtpd_tls_security_level
    /// `may` or `encrypt` they offer STARTTLS (RFC 3207); submission
    /// listeners offer it whatever the level, and SMTPS listeners need it.
    /// Without it, the engine loads smtpd_tls_cert_file and
    /// smtpd_tls_key_file when both are set.
    #[must_use]
    pub fn tls_acceptor(mut self, acceptor: Acceptor) -> Self {
        self.tls = Some(acceptor);
        self
    }

    /// The password database of AUTH (RFC 4954, PLAIN and LOGIN), with its
    /// failure limits. Submission and SMTPS listeners require it; port 25
    /// offers AUTH with it when smtpd_sasl_auth_enable = yes.
    #[must_use]
    pub fn auth(mut self, auth: PasswordAuth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The scheduler's clock.
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The queue directory (instead of queue_directory).
    #[must_use]
    pub fn queue_directory(mut self, dir: impl Into<PathBuf>) -> Self {
        self.queue = Some(QueueOptions::new(dir));
        self
    }

    /// Queue tuning.
    #[must_use]
    pub fn queue_options(mut self, options: QueueOptions) -> Self {
        self.queue = Some(options);
        self
    }

    /// An SMTP listener (port 0 picks a free port), as master.cf's `smtp`
    /// service.
    #[must_use]
    pub fn listen(self, addr: SocketAddr) -> Self {
        self.listen_service(addr, SmtpService::Smtp)
    }

    /// A submission listener (RFC 6409; port 587 by custom): STARTTLS,
    /// then AUTH before MAIL.
    #[must_use]
    pub fn listen_submission(self, addr: SocketAddr) -> Self {
        self.listen_service(addr, SmtpService::Submission)
    }

    /// An SMTPS listener (RFC 8314 section 3.3; port 465 by custom):
    /// implicit TLS, then AUTH before MAIL.
    #[must_use]
    pub fn listen_smtps(self, addr: SocketAddr) -> Self {
        self.listen_service(addr, SmtpService::Smtps)
    }

    /// A listener for `service`.
    #[must_use]
    pub fn listen_service(mut self, addr: SocketAddr, service: SmtpService) -> Self {
        self.listen.push((service, addr));
        self
    }

    /// Options that are not main.cf parameters.
    #[must_use]
    pub fn options(mut self, options: EngineOptions) -> Self {
        self.options = options;
        self
    }

    /// Opens the queue (picking up what an earlier run left), binds the
    /// listeners and starts the scheduler.
    ///
    /// # Errors
    ///
    /// [`EngineError`].
    pub async fn start(self) -> Result<Engine, EngineError> {
        let users: SharedUsers = self
            .users
            .unwrap_or_else(|| Arc::new(StaticUsers::default()));
        let mailboxes = self.mailboxes.unwrap_or_else(|| {
            Arc::new(LocationMailboxes::spool(&self.config.mail_spool_directory))
        });
        let resolver: Arc<dyn Resolver> = match self.resolver {
            Some(r) => r,
            None => match HickoryResolver::from_system_conf() {
                Ok(r) => Arc::new(r),
                Err(e) => Arc::new(NoResolver(e.to_string())),
            },
        };
        let queue_options = self
            .queue
            .unwrap_or_else(|| QueueOptions::new(self.config.queue_directory.clone()));
        let helo = self.config.myhostname.clone();
        let tls_level = self.config.smtpd_tls_security_level;
        let sasl_on_smtp = self.config.smtpd_sasl_auth_enable;
        let acceptor = match self.tls {
            Some(a) => Some(a),
            None => match (
                &self.config.smtpd_tls_cert_file,
                &self.config.smtpd_tls_key_file,
            ) {
                (Some(cert), Some(key)) => {
                    Some(Acceptor::new(&Identity::from_pem_files(cert, key)?)?)
                }
                _ => None,
            },
        }
        .map(Arc::new);
        let mut setups = Vec::new();
        for &(service, addr) in &self.listen {
            if service.requires_auth() && self.auth.is_none() {
                return Err(EngineError::NoAuth {
                    service: service.name(),
                    addr,
                });
            }
            if service == SmtpService::Smtps && acceptor.is_none() {
                return Err(EngineError::NoTlsIdentity { addr });
            }
            setups.push(match service {
                SmtpService::Smtp => ListenerSetup {
                    addr,
                    service,
                    acceptor: acceptor
                        .clone()
                        .filter(|_| tls_level != TlsSecurityLevel::None),
                    // Postfix's smtpd_tls_security_level = encrypt: MAIL
                    // only after STARTTLS, even when no identity could be
                    // offered (then no mail is accepted at all rather than
                    // in the clear).
                    require_tls: tls_level == TlsSecurityLevel::Encrypt,
                    sasl: sasl_on_smtp && self.auth.is_some(),
                    plaintext: self.options.plaintext_auth,
                    shutdown_grace: self.options.shutdown_grace,
                },
                _ => ListenerSetup {
                    addr,
                    service,
                    acceptor: acceptor.clone(),
                    require_tls: false,
                    sasl: true,
                    plaintext: self.options.plaintext_auth,
                    shutdown_grace: self.options.shutdown_grace,
                },
            });
        }
        let router = match self.tables {
            Some(t) => Router::with_tables(self.config, t, users),
            None => Router::open(self.config, users)?,
        };
        let router: SharedRouter = Arc::new(RwLock::new(router));
        let queue = Queue::open(queue_options, self.clock.clone())?;
        let agents = Arc::new(Agents::new(
            router.clone(),
            mailboxes,
            resolver,
            AgentOptions {
                helo,
                allow_commands: self.options.allow_commands,
                allow_files: self.options.allow_files,
                destination_concurrency: self.options.destination_concurrency,
                starttls: self.options.smtp_starttls,
            },
        ));
        let (stop, stopped) = watch::channel(false);
        let scheduler = Arc::new(scheduler::Scheduler {
            queue: queue.clone(),
            agents,
            router: router.clone(),
            clock: self.clock.clone(),
            concurrency: self.options.delivery_concurrency,
            delay_warning_time: self.options.delay_warning_time,
        });
        let scheduler = tokio::spawn(scheduler.run(stopped.clone()));
        let shared = Arc::new(SmtpdShared {
            router: router.clone(),
            queue: queue.clone(),
            clock: self.clock,
            auth: self.auth,
        });
        let mut listeners = Vec::new();
        let mut addrs = Vec::new();
        for setup in setups {
            let addr = setup.addr;
            let l = TcpListener::bind(addr)
                .await
                .map_err(|source| EngineError::Listen { addr, source })?;
            addrs.push((
                setup.service,
                l.local_addr()
                    .map_err(|source| EngineError::Listen { addr, source })?,
            ));
            listeners.push(tokio::spawn(accept_loop(
                l,
                shared.clone(),
                setup,
                stopped.clone(),
            )));
        }
        let smtp_addrs = addrs
            .iter()
            .filter(|(s, _)| *s == SmtpService::Smtp)
            .map(|(_, a)| *a)
            .collect();
        Ok(Engine {
            queue,
            router,
            smtp_addrs,
            listener_addrs: addrs,
            stop,
            scheduler: Some(scheduler),
            listeners,
        })
    }
}

/// One listener's TLS and AUTH.
#[derive(Clone)]
struct ListenerSetup {
    addr: SocketAddr,
    service: SmtpService,
    /// STARTTLS (or, on SMTPS, the implicit handshake).
    acceptor: Option<Arc<Acceptor>>,
    /// MAIL only after STARTTLS (smtpd_tls_security_level = encrypt).
    require_tls: bool,
    /// AUTH offered.
    sasl: bool,
    plaintext: PlaintextAuth,
    shutdown_grace: Duration,
}

/// One connection, from the accepted socket to its end.
async fn session(
    socket: tokio::net::TcpStream,
    peer: SocketAddr,
    shared: Arc<SmtpdShared>,
    setup: ListenerSetup,
    stopped: watch::Receiver<bool>,
) {
    let mut config = server_config(&shared.router);
    if setup.sasl {
        config.auth_mechanisms = vec![smtp_proto::Mechanism::Plain, smtp_proto::Mechanism::Login];
        // RFC 4954 section 4: no password in the clear, except where the
        // configuration counts the connection as secure (loopback).
        config.auth_without_tls = setup.plaintext.allowed(peer.ip());
    }
    let implicit = setup.service == SmtpService::Smtps;
    config.starttls = setup.acceptor.is_some() && !implicit;
    let handshake_timeout = config.limits.command_timeout;
    let mut handler = Smtpd::new(shared, peer.ip(), None)
        .require_tls(setup.require_tls)
        .service(setup.service);
    let acceptor = setup.acceptor.as_deref();
    let options = smtp_proto::tokio::Options {
        tls: acceptor.map(|a| a as &dyn smtp_proto::tokio::TlsAcceptor),
        implicit_tls: implicit,
        shutdown: Some(&stopped),
    };
    if implicit {
        let Some(acceptor) = acceptor else { return };
        // RFC 8314 section 3.3: the TLS handshake comes first.
        let Ok(Ok(stream)) = tokio::time::timeout(handshake_timeout, acceptor.accept(socket)).await
        else {
            return;
        };
        smtp_proto::tokio::Handler::tls_established(&mut handler).await;
        let _ = smtp_proto::tokio::serve(stream, config, &mut handler, options).await;
    } else {
        let _ = smtp_proto::tokio::serve(socket, config, &mut handler, options).await;
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<SmtpdShared>,
    setup: ListenerSetup,
    mut stopped: watch::Receiver<bool>,
) {
    let mut sessions = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (socket, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: back off
                        // instead of spinning on the error.
                        tracing::warn!(target: crate::log::TARGET, "warning: accept: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                };
                sessions.spawn(session(socket, peer, shared.clone(), setup.clone(), stopped.clone()));
            }
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            _ = stopped.changed() => break,
        }
    }
    // Shutting down: each session finishes the command or message in
    // progress and says 421 4.3.2 (RFC 5321 section 3.8); those still
    // running after the grace period are cut off. Nothing acknowledged is
    // lost either way: 250 follows the queue's fsync.
    let grace = tokio::time::sleep(setup.shutdown_grace);
    tokio::pin!(grace);
    loop {
        tokio::select! {
            done = sessions.join_next() => if done.is_none() { break },
            () = &mut grace => break,
        }
    }
    sessions.shutdown().await;
}

/// A running engine.
pub struct Engine {
    queue: Queue,
    router: SharedRouter,
    smtp_addrs: Vec<SocketAddr>,
    listener_addrs: Vec<(SmtpService, SocketAddr)>,
    stop: watch::Sender<bool>,
    scheduler: Option<JoinHandle<()>>,
    listeners: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("smtp_addrs", &self.smtp_addrs)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// A builder over a configuration.
    #[must_use]
    pub fn builder(config: MainConfig) -> EngineBuilder {
        EngineBuilder::new(config)
    }

    /// The bound addresses of the `smtp` listeners ([`EngineBuilder::listen`]),
    /// in the order given.
    #[must_use]
    pub fn smtp_addrs(&self) -> &[SocketAddr] {
        &self.smtp_addrs
    }

    /// Every bound listener with its service, in the order given.
    #[must_use]
    pub fn listener_addrs(&self) -> &[(SmtpService, SocketAddr)] {
        &self.listener_addrs
    }

    /// The bound address of the first listener of `service`.
    #[must_use]
    pub fn addr_of(&self, service: SmtpService) -> Option<SocketAddr> {
        self.listener_addrs
            .iter()
            .find(|(s, _)| *s == service)
            .map(|(_, a)| *a)
    }

    /// The queue (list it like mailq, flush it like postqueue -f).
    #[must_use]
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// The router (to reload tables).
    #[must_use]
    pub fn router(&self) -> &SharedRouter {
        &self.router
    }

    /// Stops accepting; open SMTP sessions finish the command or message in
    /// progress and are closed with 421 4.3.2 (within
    /// [`EngineOptions::shutdown_grace`]); running deliveries finish; the
    /// queue is closed.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for l in self.listeners.drain(..) {
            let _ = l.await;
        }
        if let Some(s) = self.scheduler.take() {
            let _ = s.await;
        }
        let q = self.queue.clone();
        let _ = tokio::task::spawn_blocking(move || q.close()).await;
    }
}
