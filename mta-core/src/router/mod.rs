//! The router: where a forward-path goes, and whether a client may send
//! to it.
//!
//! [`Router::resolve`] follows Postfix's order. Virtual aliases first
//! (virtual_alias_maps, recursively, bounded by
//! virtual_alias_recursion_limit, [`MAX_EXPANSION_DEPTH`] and
//! virtual_alias_expansion_limit; an
//! address that maps to itself is kept as is). Then the address class of
//! the domain: mydestination (local), virtual_alias_domains,
//! virtual_mailbox_domains, relay_domains, or the default class.
//! transport_maps may override the class's transport and next hop. The
//! local transport expands aliases(5) (`user+tag` is looked up first, then
//! `user`; the extension is not carried into alias results, as in Postfix,
//! but is kept on a [`Route::Local`]) and then asks the pluggable
//! [`LocalUsers`] whether the user exists; an unknown user is refused with
//! 550 5.1.1. Non-local mail goes to relayhost when set, else to the MX of
//! the domain; transport `error:` refuses, `discard:` drops. A cycle of
//! aliases is refused with 5.4.6 ("mail forwarding loop").
//!
//! A bare name in an alias or virtual alias result gets `@$myorigin`
//! (Postfix's append_at_myorigin) and is routed again, so local aliases
//! stay local only when myorigin is one of the mydestination domains.
//!
//! [`Router::check_recipient`] applies smtpd_relay_restrictions and
//! smtpd_recipient_restrictions to a RCPT TO.
//!
//! ```
//! use mta_core::config::{Environment, MainCf, MainConfig};
//! use mta_core::maps::{Aliases, MapList, Table, TableKind};
//! use mta_core::router::{Mailbox, Route, Router, StaticUsers, Tables};
//!
//! let cf = MainCf::parse_str(
//!     "myhostname = mx.example.com\n\
//!      myorigin = example.com\n\
//!      mydestination = example.com\n\
//!      recipient_delimiter = +\n",
//!     "main.cf",
//! )
//! .unwrap();
//! let config = MainConfig::from_cf(&cf, &Environment::loopback("mx")).unwrap().config;
//! let aliases = Table::<Aliases>::from_text("postmaster: alice\n", "aliases", TableKind::Indexed).unwrap();
//! let tables = Tables { aliases: MapList::from_tables(vec![aliases]), ..Tables::default() };
//! let router = Router::with_tables(config, tables, StaticUsers::new(["alice"]));
//!
//! let r = router.resolve(&Mailbox::parse("PostMaster@example.com").unwrap());
//! assert!(matches!(&r.routes[..], [Route::Local { user, .. }] if user == "alice"));
//! let r = router.resolve(&Mailbox::parse("nobody@example.com").unwrap());
//! assert_eq!(r.rejection().map(|reply| reply.code), Some(550));
//! ```

mod address;
mod policy;
mod resolve;
mod route;
mod tables;
mod users;

pub use address::{AddressError, MAX_ADDRESS_LEN, Mailbox, ReversePath};
pub use policy::{Decision, RcptContext};
pub use resolve::{AliasPolicy, MAX_EXPANSION_DEPTH, MAX_INCLUDE_DEPTH};
pub use route::{EnhancedStatus, NextHop, Reply, Resolution, Route};
pub use tables::Tables;
pub use users::{LocalUsers, StaticUsers, UserLookupError};

use crate::config::MainConfig;
use crate::maps::MapError;

/// Resolves forward-paths and decides RCPT TO, for one configuration and
/// its tables. Synchronous: it reads table files only in
/// [`open`](Self::open) and [`refresh`](Self::refresh), and `:include:`
/// files when an alias names one.
#[derive(Debug)]
pub struct Router<U: LocalUsers> {
    config: MainConfig,
    tables: Tables,
    users: U,
    policy: AliasPolicy,
}

impl<U: LocalUsers> Router<U> {
    /// Opens every table the configuration names. The alias policy is
    /// [`AliasPolicy::from_config`].
    ///
    /// # Errors
    ///
    /// The first table that cannot be read.
    pub fn open(config: MainConfig, users: U) -> Result<Self, MapError> {
        let tables = Tables::open(&config)?;
        Ok(Self::with_tables(config, tables, users))
    }

    /// A router over tables the caller built (tests, embedded use).
    #[must_use]
    pub fn with_tables(config: MainConfig, tables: Tables, users: U) -> Self {
        let policy = AliasPolicy::from_config(&config);
        Router {
            config,
            tables,
            users,
            policy,
        }
    }

    /// Replaces the alias policy.
    pub fn set_alias_policy(&mut self, policy: AliasPolicy) {
        self.policy = policy;
    }

    /// The alias policy.
    #[must_use]
    pub fn alias_policy(&self) -> AliasPolicy {
        self.policy
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &MainConfig {
        &self.config
    }

    /// The local users.
    #[must_use]
    pub fn users(&self) -> &U {
        &self.users
    }

    /// The tables.
    #[must_use]
    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// Reloads the tables whose files changed; returns how many reloaded.
    ///
    /// # Errors
    ///
    /// The first table that failed to reload (it keeps its old contents).
    pub fn refresh(&mut self) -> Result<usize, MapError> {
        self.tables.refresh()
    }

    /// Resolves one forward-path to its routes.
    #[must_use]
    pub fn resolve(&self, forward_path: &Mailbox) -> Resolution {
        resolve::Walk::new(&self.config, &self.tables, &self.users, self.policy)
            .resolve(forward_path)
    }
}
