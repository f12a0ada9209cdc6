//! The message store: Maildir (with Maildir++ folders) and mbox (mboxrd).
//!
//! This crate will hold durable delivery (tmp/, fsync, link into new/, fsync
//! the directory), flags in the Maildir info part, stable UIDs kept in a
//! `dovecot-uidlist` compatible UID list, a fast incremental snapshot of a
//! folder, and mboxrd reading and appending under fcntl and dotlock locks.
//! Nothing is implemented yet.
#![deny(missing_docs)]
