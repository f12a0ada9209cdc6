//! The MTA engine of missive.
//!
//! The engine composes the protocol crates and the store into a mail
//! system, configured with Postfix's and Dovecot's parameter names:
//!
//! - [`config`]: main.cf with Postfix's defaults, and the access-server
//!   settings in Dovecot's words;
//! - [`maps`]: aliases, access, transport, virtual and cidr tables;
//! - [`router`]: where a forward-path goes, and the relay restrictions;
//! - [`queue`]: the durable queue (group-committed journal, deferred
//!   files), with the scheduler in [`engine`];
//! - [`delivery`]: local, virtual, SMTP and LMTP relay, and pipe agents;
//! - [`dsn`]: RFC 3464 bounces and delay warnings;
//! - [`smtpd`]: the smtp-proto handler that applies the policy, checks
//!   AUTH (smtp, submission and SMTPS listeners) and enqueues;
//! - [`pop3`] and [`imap`]: the POP3 maildrop and the IMAP backend over the
//!   store;
//! - [`passwd`] and [`auth`]: the passwd-file user database, password
//!   schemes, and the failed-attempt policy shared by SMTP AUTH, POP3 and
//!   IMAP;
//! - [`tls`]: the rustls acceptor and opportunistic connector;
//! - [`log`]: maillog lines through tracing;
//! - [`clock`] and [`dns`]: the injectable clock and resolver;
//! - [`engine`]: the embeddable engine that runs them all.
//!
//! From main.cf to a RCPT TO decision and a route:
//!
//! ```
//! use mta_core::config::{Environment, MainCf, MainConfig};
//! use mta_core::router::{Decision, Mailbox, RcptContext, ReversePath, Route, Router, StaticUsers, Tables};
//!
//! let cf = MainCf::parse_str("mydestination = example.com\nalias_maps =\n", "main.cf").unwrap();
//! let loaded = MainConfig::from_cf(&cf, &Environment::loopback("mx.example.com")).unwrap();
//! let router = Router::with_tables(loaded.config, Tables::default(), StaticUsers::new(["alice"]));
//!
//! let reverse_path = ReversePath::parse("<bob@example.net>").unwrap();
//! let forward_path = Mailbox::parse("<alice@example.com>").unwrap();
//! let rcpt = RcptContext {
//!     client_addr: "192.0.2.1".parse().unwrap(),
//!     client_name: None,
//!     sasl_authenticated: false,
//!     reverse_path: &reverse_path,
//!     forward_path: &forward_path,
//! };
//! assert_eq!(router.check_recipient(&rcpt), Decision::Accept);
//! let routes = router.resolve(&forward_path).routes;
//! assert!(matches!(&routes[..], [Route::Local { user, .. }] if user == "alice"));
//! ```
#![deny(missing_docs)]

pub mod auth;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod dns;
pub mod dsn;
pub mod engine;
pub mod fuzzing;
pub mod imap;
pub mod log;
pub mod maps;
mod offload;
pub mod passwd;
pub mod pop3;
pub mod queue;
pub mod router;
pub mod smtpd;
pub mod tls;
