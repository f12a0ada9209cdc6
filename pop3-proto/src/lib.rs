//! POP3 (RFC 1939) as a Sans-IO protocol crate.
//!
//! This crate will hold the POP3 command and response codec (RFC 1939, the
//! CAPA and extended response codes of RFC 2449, STLS of RFC 2595 and SASL
//! AUTH of RFC 5034), the server session that walks the AUTHORIZATION,
//! TRANSACTION and UPDATE states, a client session for fetching mail, and a
//! tokio driver with a `Maildrop` backend trait. Nothing is implemented yet.
#![deny(missing_docs)]
