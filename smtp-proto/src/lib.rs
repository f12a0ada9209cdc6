//! ESMTP (RFC 5321) and LMTP (RFC 2033) as a Sans-IO protocol crate.
//!
//! - [`parse`] and [`serialize`]: every RFC 5321 command plus STARTTLS,
//!   AUTH, BDAT and LHLO, their MAIL/RCPT parameters, and replies with
//!   enhanced status codes.
//! - [`server::Session`]: the server side, in SMTP or LMTP mode. It reads
//!   bytes, yields events for the application to decide on, and writes
//!   replies in command order.
//! - [`client::Session`]: the client side, what a relay needs to hand one
//!   message to another server and learn each recipient's fate.
//! - `tokio` (feature `tokio`): a driver that runs either session over any
//!   `AsyncRead + AsyncWrite`, with a `tokio::Handler`
//!   trait for the server's decisions.
//!
//! The sessions do no I/O and read no clock: time comes in as an argument.
//!
//! # The server's event loop
//!
//! ```
//! use std::time::Instant;
//! use smtp_proto::server::{Config, Event, Session};
//!
//! let now = Instant::now();
//! let mut session = Session::new(Config::new("mx.example.org"), now);
//! let mut message = Vec::new();
//! let mut wire = Vec::new();
//! let mut step = |session: &mut Session, wire: &mut Vec<u8>| {
//!     while let Some(event) = session.poll_event() {
//!         match event {
//!             Event::MessageData(chunk) => message.extend_from_slice(&chunk),
//!             // Connect, EHLO, MAIL, RCPT, DATA, end of data...: say yes.
//!             e if e.needs_decision() => session.accept().unwrap(),
//!             _ => {}
//!         }
//!     }
//!     while let Some(bytes) = session.poll_transmit() {
//!         wire.extend_from_slice(&bytes); // write to the socket
//!     }
//! };
//! step(&mut session, &mut wire);
//! session.receive(now, b"EHLO client.example\r\nMAIL FROM:<a@client.example>\r\n");
//! step(&mut session, &mut wire);
//! session.receive(now, b"RCPT TO:<b@mx.example.org>\r\nDATA\r\n");
//! step(&mut session, &mut wire);
//! session.receive(now, b"Hi!\r\n..\r\n.\r\nQUIT\r\n");
//! step(&mut session, &mut wire);
//! assert!(session.is_closed());
//! assert!(wire.ends_with(b"250 2.0.0 OK: queued\r\n221 2.0.0 Bye\r\n"));
//! assert_eq!(message, b"Hi!\r\n.\r\n");
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod client;
pub mod error;
pub mod limits;
pub mod parse;
pub mod serialize;
pub mod server;
pub mod types;

#[doc(hidden)]
pub mod fuzzing;

pub use error::{InvalidValue, SessionError};
pub use limits::{ClientTimeouts, Limits};
pub use parse::{CommandError, ReplyError, parse_command, parse_reply};
pub use server::{Event as ServerEvent, Session as ServerSession};
pub use types::*;
#[cfg(feature = "tokio")]
pub mod tokio;
