//! IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051) as a Sans-IO protocol crate.
//!
//! This crate will hold the types of the whole IMAP grammar, an incremental
//! parser and a serializer for commands and responses, the server session
//! with its four states, message semantics reusable by any backend
//! (ENVELOPE, BODYSTRUCTURE, sections, SEARCH), and a tokio driver with a
//! `Backend` trait. Nothing is implemented yet.
#![deny(missing_docs)]
