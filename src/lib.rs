//! missive: a mail system as a family of libraries.
//!
//! This facade re-exports the member crates so that an application can take
//! one dependency:
//!
//! - [`smtp`] (`smtp-proto`): ESMTP and LMTP as Sans-IO server and client
//!   sessions, with a tokio driver.
//! - [`pop3`] (`pop3-proto`): POP3 as Sans-IO sessions.
//! - [`imap`] (`imap-proto`): IMAP4rev1 and IMAP4rev2 as Sans-IO sessions.
//! - [`store`] (`maildir`): the Maildir and mbox message store.
//! - [`mta`] (`mta-core`): the engine that composes them into a mail system.
//! - `testing` (feature `testing`, on by default): an embeddable SMTP, IMAP
//!   and POP3 server for application tests, with session transcripts and
//!   fault injection.
#![deny(missing_docs)]

pub use imap_proto as imap;
pub use maildir as store;
pub use mta_core as mta;
pub use pop3_proto as pop3;
pub use smtp_proto as smtp;

#[cfg(feature = "testing")]
pub mod testing;

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
