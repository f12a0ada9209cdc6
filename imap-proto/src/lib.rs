//! IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051) codec, Sans-IO.
//!
//! What this crate holds now:
//!
//! - [`types`]: the whole grammar as Rust types: commands (with the
//!   extensions real clients use: IDLE, NAMESPACE, ID, UNSELECT, UIDPLUS,
//!   ENABLE, CONDSTORE/QRESYNC, ESEARCH, SEARCHRES, SORT/THREAD,
//!   LIST-EXTENDED, LIST-STATUS, SPECIAL-USE, MOVE, UTF8=ACCEPT, LITERAL+,
//!   SASL-IR, COMPRESS, MULTIAPPEND), responses, response codes, FETCH
//!   attributes and data items, ENVELOPE, BODYSTRUCTURE, SEARCH keys.
//! - [`parse`]: an incremental decoder for commands (server side,
//!   [`CommandDecoder`]) and for responses (client side,
//!   [`ResponseDecoder`]). A framer finds the end of each command across
//!   lines and literals as bytes arrive, reports synchronizing literals so
//!   that the owner can send the continuation (or refuse), enforces
//!   [`Limits`], and hands complete frames to nom parsers. Nesting (SEARCH,
//!   BODYSTRUCTURE, THREAD) is depth-limited.
//! - [`serialize`]: writers for responses (server side) and commands
//!   (client side): quoted or literal chosen by content, modified UTF-7
//!   mailbox names unless UTF-8 is enabled, and a fragment form so that
//!   literals (a big `BODY[]`) can be written by the owner from its own
//!   reader rather than built in one buffer.
//!
//! - [`server`]: the Sans-IO server [`Session`](server::Session): the
//!   four states, continuations, AUTHENTICATE PLAIN, IDLE, STARTTLS,
//!   ENABLE (IMAP4rev2, UTF8=ACCEPT), the autologout timer, big APPEND
//!   messages handed out as they arrive, and when EXPUNGE, EXISTS and
//!   FETCH FLAGS may be sent.
//! - [`message`]: what any backend needs from a message's bytes
//!   (ENVELOPE, BODYSTRUCTURE, sections, BINARY, SEARCH) and the session's
//!   view of the selected mailbox (sequence numbers and UIDs, the saved
//!   `$` search result).
//! - `tokio` (feature `tokio`): a driver that serves one connection from
//!   an async `Backend`, with STARTTLS through a `StartTls` upgrader.
//!
//! # Example: the server's decoding loop
//!
//! ```
//! use imap_proto::{CommandDecoder, CommandEvent, Limits};
//! use imap_proto::serialize::{EncodeOptions, encode_response};
//! use imap_proto::types::{Response, StatusKind, StatusResponse};
//! use bytes::BytesMut;
//!
//! let mut decoder = CommandDecoder::new(Limits::default());
//! let mut out = BytesMut::new();
//! // Bytes as read from the connection, in any split.
//! for chunk in [&b"A1 NOOP\r\nA2 SEL"[..], b"ECT INBOX\r\nA3 ???\r\n"] {
//!     decoder.receive(chunk);
//!     while let Some(event) = decoder.poll_event() {
//!         let reply = match event {
//!             CommandEvent::Command(c) => StatusResponse {
//!                 tag: Some(c.tag), kind: StatusKind::Ok, code: None,
//!                 text: format!("{} completed", c.body.name()),
//!             },
//!             CommandEvent::Error(e) => StatusResponse {
//!                 tag: e.tag, kind: StatusKind::Bad, code: None, text: e.kind.to_string(),
//!             },
//!             CommandEvent::LiteralRequest { .. } => { decoder.accept_literal().unwrap(); continue }
//!             _ => continue,
//!         };
//!         encode_response(&Response::Status(reply), EncodeOptions::default(), &mut out).unwrap();
//!     }
//! }
//! assert_eq!(&out[..], b"A1 OK NOOP completed\r\nA2 OK SELECT completed\r\nA3 BAD syntax error\r\n");
//! ```
#![deny(missing_docs)]

mod base64;
pub mod error;
pub mod limits;
pub mod message;
pub mod parse;
pub mod serialize;
pub mod server;
#[cfg(feature = "tokio")]
pub mod tokio;
pub mod types;

#[doc(hidden)]
pub mod fuzz;

pub use error::{DecodeError, DecodeErrorKind, InvalidValue, StateError};
pub use limits::Limits;
pub use parse::{
    CommandDecoder, CommandEvent, DecodeOptions, Expect, ResponseDecoder, ResponseEvent,
    parse_command, parse_response,
};
