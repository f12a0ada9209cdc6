//! The delivery agents and the dispatch of one delivery attempt.
//!
//! [`Agents::attempt`] resolves each pending recipient of a queued message
//! with the router and hands each route to its agent: local mailboxes
//! through the store ([`Mailboxes`]), virtual mailboxes and `/file` targets
//! as Maildir or mbox, SMTP and LMTP next hops through smtp-proto's client
//! (recipients of one next hop in one transaction), `|command` targets to
//! the pipe agent when enabled. Local agents prepend `Return-Path:` and
//! `Delivered-To:` as Postfix's local(8) and virtual(8) do.

mod local;
mod pipe;
mod smtp;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;
use tokio::sync::Semaphore;

pub use local::{LocationMailboxes, Mailboxes};

use crate::dns::Resolver;
use crate::queue::Envelope;
use crate::router::{LocalUsers, Mailbox, NextHop, Route, Router, UserLookupError};

/// The users a shared engine router asks about.
pub type SharedUsers = Arc<dyn LocalUsers + Send + Sync>;

/// The router as the engine shares it between smtpd and the agents.
pub type SharedRouter = Arc<RwLock<Router<SharedUsers>>>;

/// What became of one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Delivered.
    Sent,
    /// Failed for now; retry later.
    Deferred,
    /// Failed for good; the sender gets a bounce.
    Bounced,
}

impl Status {
    /// The maillog word: sent, deferred, bounced.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sent => "sent",
            Status::Deferred => "deferred",
            Status::Bounced => "bounced",
        }
    }
}

/// A status and its explanation (an SMTP reply on one line: `550 5.1.1
/// ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The status.
    pub status: Status,
    /// The reply text.
    pub text: String,
}

impl Outcome {
    pub(crate) fn sent(text: String) -> Self {
        Outcome {
            status: Status::Sent,
            text,
        }
    }

    pub(crate) fn deferred(text: String) -> Self {
        Outcome {
            status: Status::Deferred,
            text,
        }
    }

    pub(crate) fn bounced(text: String) -> Self {
        Outcome {
            status: Status::Bounced,
            text,
        }
    }
}

/// The result of delivering one route of one queued recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Index of the queued recipient in the envelope.
    pub index: usize,
    /// The final address after alias expansion.
    pub address: String,
    /// Where it went: `local`, `host[addr]:port`, a path, `command`.
    pub relay: String,
    /// The outcome.
    pub outcome: Outcome,
}

/// Settings of the agents.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// The name the SMTP and LMTP clients greet with (myhostname).
    pub helo: String,
    /// Run `|command` alias targets (off by default).
    pub allow_commands: bool,
    /// Write `/file` alias targets (off by default).
    pub allow_files: bool,
    /// Parallel deliveries to one next hop
    /// (default_destination_concurrency_limit: 20).
    pub destination_concurrency: usize,
    /// Opportunistic STARTTLS in the SMTP client (smtp_tls_security_level
    /// `may`).
    pub starttls: bool,
}

/// The delivery agents.
pub struct Agents {
    router: SharedRouter,
    mailboxes: Arc<dyn Mailboxes>,
    resolver: Arc<dyn Resolver>,
    options: AgentOptions,
    limits: Mutex<HashMap<String, Arc<Semaphore>>>,
    batcher: local::LocalBatcher,
}

impl std::fmt::Debug for Agents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agents")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The lines of the header section, unfolded enough for name matching
/// (continuation lines are skipped).
pub(crate) fn header_lines(content: &[u8]) -> impl Iterator<Item = &str> {
    let end = content
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| content.windows(2).position(|w| w == b"\n\n"))
        .unwrap_or(content.len());
    let head = content.get(..end).unwrap_or_default();
    head.split(|&b| b == b'\n')
        .filter_map(|l| std::str::from_utf8(l).ok())
        .filter(|l| !l.starts_with([' ', '\t']))
}

/// Return-Path and Delivered-To before the message (Postfix local(8)).
pub(crate) fn prepend_delivery_headers(
    reverse_path: &str,
    recipient: &str,
    content: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 128);
    out.extend_from_slice(
        format!("Return-Path: <{reverse_path}>\r\nDelivered-To: {recipient}\r\n").as_bytes(),
    );
    out.extend_from_slice(content);
    out
}

enum Job {
    Single(usize, Route),
    Relay {
        transport: String,
        next_hop: NextHop,
        members: Vec<(usize, String)>,
    },
}

impl Agents {
    /// Agents over a router, users' mailboxes and a resolver.
    pub fn new(
        router: SharedRouter,
        mailboxes: Arc<dyn Mailboxes>,
        resolver: Arc<dyn Resolver>,
        options: AgentOptions,
    ) -> Self {
        Agents {
            router,
            mailboxes,
            resolver,
            options,
            limits: Mutex::new(HashMap::new()),
            batcher: local::LocalBatcher::default(),
        }
    }

    fn limit(&self, key: &str) -> Arc<Semaphore> {
        let mut m = self
            .limits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        m.entry(key.to_owned())
            .or_insert_with(|| {
                Arc::new(Semaphore::new(self.options.destination_concurrency.max(1)))
            })
            .clone()
    }

    /// Resolves the pending recipients of `env` and delivers to each route
    /// not delivered before; one report per route.
    pub async fn attempt(&self, env: &Envelope, content: Bytes) -> Vec<Report> {
        let mut reports = Vec::new();
        let mut jobs: Vec<Job> = Vec::new();
        let mut relays: BTreeMap<(String, String), usize> = BTreeMap::new();
        for (i, r) in env.recipients.iter().enumerate() {
            if r.done {
                continue;
            }
            let Ok(mailbox) = Mailbox::parse(&r.address) else {
                reports.push(Report {
                    index: i,
                    address: r.address.clone(),
                    relay: "none".into(),
                    outcome: Outcome::bounced(format!(
                        "553 5.1.3 bad address syntax: {}",
                        r.address
                    )),
                });
                continue;
            };
            let resolution = {
                let router = self
                    .router
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                router.resolve(&mailbox)
            };
            for route in resolution.routes {
                let key = route.recipient().to_string();
                if r.delivered.contains(&key) {
                    continue;
                }
                match route {
                    Route::Relay {
                        recipient,
                        transport,
                        next_hop,
                    } => {
                        let k = (transport.clone(), next_hop.to_string());
                        match relays.get(&k) {
                            Some(&j) => {
                                if let Some(Job::Relay { members, .. }) = jobs.get_mut(j) {
                                    members.push((i, recipient.to_string()));
                                }
                            }
                            None => {
                                relays.insert(k, jobs.len());
                                jobs.push(Job::Relay {
                                    transport,
                                    next_hop,
                                    members: vec![(i, recipient.to_string())],
                                });
                            }
                        }
                    }
                    other => jobs.push(Job::Single(i, other)),
                }
            }
        }
        for job in jobs {
            match job {
                Job::Single(i, route) => reports.push(self.single(env, i, route, &content).await),
                Job::Relay {
                    transport,
                    next_hop,
                    members,
                } => reports.extend(
                    self.relay(env, &transport, &next_hop, members, &content)
                        .await,
                ),
            }
        }
        reports
    }

    async fn relay(
        &self,
        env: &Envelope,
        transport: &str,
        next_hop: &NextHop,
        members: Vec<(usize, String)>,
        content: &Bytes,
    ) -> Vec<Report> {
        let limit = self.limit(&format!("{transport}:{next_hop}"));
        let _permit = limit.acquire_owned().await.ok();
        let recipients: Vec<String> = members.iter().map(|(_, a)| a.clone()).collect();
        let done = smtp::transfer(
            self.resolver.as_ref(),
            smtp::Transfer {
                next_hop,
                lmtp: transport == "lmtp",
                helo: &self.options.helo,
                reverse_path: &env.reverse_path,
                recipients: &recipients,
                content: content.clone(),
                starttls: self.options.starttls,
            },
        )
        .await;
        members
            .into_iter()
            .zip(done.outcomes)
            .map(|((index, address), outcome)| Report {
                index,
                address,
                relay: done.relay.clone(),
                outcome,
            })
            .collect()
    }

    /// Where home_mailbox puts `user`'s mail: `$HOME/<home_mailbox>`, a
    /// Maildir when it ends in `/` (postconf(5) home_mailbox), or `None`
    /// when home_mailbox is empty or the user's home is unknown (the
    /// mailbox store then). The path is taken relative to the home even
    /// when written with a leading `/`.
    fn home_mailbox(&self, user: &str) -> Result<Option<(PathBuf, bool)>, UserLookupError> {
        let r = self
            .router
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let relative = r.config().home_mailbox.trim_start_matches('/');
        if relative.is_empty() {
            return Ok(None);
        }
        Ok(r.users()
            .home(user)?
            .map(|home| (home.join(relative), relative.ends_with('/'))))
    }

    /// A delivery into a mailbox, group-committed with the others waiting
    /// (see [`local`]).
    async fn local(
        &self,
        target: local::Target,
        reverse_path: String,
        recipient: String,
        content: &Bytes,
        what: String,
    ) -> Outcome {
        self.batcher
            .deliver(local::Job {
                target,
                reverse_path,
                recipient,
                content: content.clone(),
                what,
            })
            .await
    }

    async fn single(&self, env: &Envelope, index: usize, route: Route, content: &Bytes) -> Report {
        let address = route.recipient().to_string();
        let sender = env.reverse_path.clone();
        let (relay, outcome) = match route {
            Route::Local { user, .. } => {
                let target = match self.home_mailbox(&user) {
                    Ok(Some((path, maildir))) => local::Target::Path { path, maildir },
                    Ok(None) => local::Target::Mailbox {
                        mailboxes: self.mailboxes.clone(),
                        user,
                    },
                    Err(e) => {
                        let o = Outcome::deferred(format!("451 4.3.0 {e}"));
                        return Report {
                            index,
                            address,
                            relay: "local".to_owned(),
                            outcome: o,
                        };
                    }
                };
                let what = match &target {
                    local::Target::Path { path, .. } => path.display().to_string(),
                    local::Target::Mailbox { .. } => "mailbox".to_owned(),
                };
                let o = self
                    .local(target, sender, address.clone(), content, what)
                    .await;
                ("local".to_owned(), o)
            }
            Route::VirtualMailbox {
                maildrop, maildir, ..
            } => {
                let what = maildrop.display().to_string();
                let target = local::Target::Path {
                    path: maildrop,
                    maildir,
                };
                let o = self
                    .local(target, sender, address.clone(), content, what)
                    .await;
                ("virtual".to_owned(), o)
            }
            Route::File { path, .. } => {
                if self.options.allow_files {
                    let maildir = path.to_string_lossy().ends_with('/');
                    let relay = path.display().to_string();
                    let target = local::Target::Path { path, maildir };
                    let o = self
                        .local(target, sender, address.clone(), content, relay.clone())
                        .await;
                    (relay, o)
                } else {
                    (
                        "local".to_owned(),
                        Outcome::bounced("550 5.7.1 delivery to files is disabled".into()),
                    )
                }
            }
            Route::Command { command, .. } => {
                if self.options.allow_commands {
                    (
                        "command".to_owned(),
                        pipe::deliver(&command, &sender, &address, content).await,
                    )
                } else {
                    (
                        "local".to_owned(),
                        Outcome::bounced("550 5.7.1 delivery to commands is disabled".into()),
                    )
                }
            }
            Route::Discard { reason, .. } => (
                "none".to_owned(),
                Outcome::sent(format!("250 2.0.0 discarded: {reason}")),
            ),
            Route::Reject { reply, .. } => {
                let text = reply.to_string();
                let o = if reply.is_temporary() {
                    Outcome::deferred(text)
                } else {
                    Outcome::bounced(text)
                };
                ("none".to_owned(), o)
            }
            Route::Transport { transport, .. } => (
                "none".to_owned(),
                Outcome::deferred(format!("451 4.3.0 mail transport unavailable: {transport}")),
            ),
            // Relay routes are batched by the caller; Route is non-exhaustive.
            _ => (
                "none".to_owned(),
                Outcome::deferred("451 4.3.0 unsupported route".into()),
            ),
        };
        Report {
            index,
            address,
            relay,
            outcome,
        }
    }
}
