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
//! database) and [`pop3`] (the POP3 maildrop over the store).
#![deny(missing_docs)]

pub mod config;
pub mod fuzzing;
pub mod maps;
pub mod passwd;
pub mod pop3;
pub mod router;
