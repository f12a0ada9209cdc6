//! The MTA engine of missive.
//!
//! This crate will hold the Postfix-style `main.cf` configuration, lookup
//! maps (aliases, access, transport, virtual), the router, the durable
//! queue and its scheduler, the delivery agents (local Maildir and mbox,
//! SMTP relay, LMTP, pipe), the smtpd policy, the POP3 and IMAP backends
//! over the store, authentication, and the listeners.
//!
//! Implemented so far: [`config`] (main.cf with Postfix's defaults, and the
//! access-server settings in Dovecot's words), [`maps`] (aliases, access,
//! transport, virtual and cidr tables), [`router`] (where a forward-path
//! goes, and the relay restrictions), [`passwd`] (the passwd-file user
//! database), [`pop3`] (the POP3 maildrop over the store), and the
//! injectable [`clock`] and [`dns`] resolver the queue and relay use; the
//! durable [`queue`] (group-committed journal, deferred files), the
//! [`delivery`] agents (local, virtual, SMTP and LMTP relay, pipe), the
//! [`dsn`] builder, the [`smtpd`] handler, maillog lines ([`log`]) and the
//! embeddable [`engine`] that runs them all; [`tls`] (rustls acceptor and
//! opportunistic connector, certificate from files or generated once);
//! [`auth`] (failed-attempt delay and per-address failure limit).
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
pub mod passwd;
pub mod pop3;
pub mod queue;
pub mod router;
pub mod smtpd;
pub mod tls;
