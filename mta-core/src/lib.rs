//! The MTA engine of missive.
//!
//! This crate will hold the Postfix-style `main.cf` configuration, lookup
//! maps (aliases, access, transport, virtual), the router, the durable
//! queue and its scheduler, the delivery agents (local Maildir and mbox,
//! SMTP relay, LMTP, pipe), the smtpd policy, the POP3 and IMAP backends
//! over the store, authentication, and the listeners. Nothing is
//! implemented yet.
#![deny(missing_docs)]

pub mod passwd;
pub mod pop3;
