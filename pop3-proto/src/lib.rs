//! POP3 as a Sans-IO protocol crate.
//!
//! - [`types`]: commands, responses, RFC 2449 response codes and
//!   capabilities, unique-ids;
//! - [`parse`] and [`serialize`]: both directions of the wire format,
//!   byte-stuffed multi-line bodies included (RFC 1939 section 3);
//! - [`server::Session`]: the AUTHORIZATION → TRANSACTION → UPDATE state
//!   machine (RFC 1939) with CAPA and response codes (RFC 2449), STLS
//!   (RFC 2595) and SASL PLAIN/LOGIN (RFC 5034);
//! - [`client::Client`]: the fetching side;
//! - `tokio` (feature `tokio`): a driver that serves one connection from a
//!   `Maildrop` backend.
//!
//! The sessions do no I/O and read no clock: bytes and time come in as
//! arguments, bytes and events go out of `poll_*` methods.
//!
//! # The event loop
//!
//! ```
//! use pop3_proto::server::{Config, Event, Session};
//! use pop3_proto::{MessageInfo, Response, RespCode, UniqueId};
//! use std::time::Instant;
//!
//! let config = Config { plaintext_auth: true, ..Config::default() };
//! let mut session = Session::new(config, Instant::now());
//! let mut wire = Vec::new(); // stands in for the socket
//! session.receive(Instant::now(), b"USER mrose\r\nPASS secret\r\nRETR 1\r\nQUIT\r\n");
//! loop {
//!     while let Some(bytes) = session.poll_transmit() {
//!         wire.extend_from_slice(&bytes);
//!     }
//!     let Some(event) = session.poll_event() else { break };
//!     match event {
//!         Event::Authenticate(creds) if creds.user() == "mrose" => {
//!             let uid = UniqueId::new("a1").unwrap();
//!             session.accept_maildrop(vec![MessageInfo { uid, size: 9 }]).unwrap();
//!         }
//!         Event::Retrieve { .. } => {
//!             session.accept().unwrap();
//!             session.message_data(b"Hi there\n").unwrap(); // chunk by chunk
//!             session.end_message().unwrap();
//!         }
//!         Event::Update { deleted } => {
//!             assert!(deleted.is_empty()); // remove these, then:
//!             session.accept().unwrap();
//!         }
//!         _ => session.reject(Response::err("no").unwrap().with_code(RespCode::AUTH)).unwrap(),
//!     }
//! }
//! assert!(session.is_closed());
//! assert!(wire.ends_with(b"+OK 9 octets\r\nHi there\r\n.\r\n+OK signing off (1 messages left)\r\n"));
//! ```
#![deny(missing_docs)]

pub mod client;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod limits;
pub mod parse;
pub mod serialize;
pub mod server;
#[cfg(feature = "tokio")]
pub mod tokio;
pub mod types;

pub use error::Error;
pub use limits::Limits;
pub use types::{
    Capability, Command, CommandKind, Credentials, MessageInfo, RespCode, Response, Secret, Status,
    UniqueId,
};
