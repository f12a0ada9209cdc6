//! The vocabulary of IMAP: every element of the RFC 3501 / RFC 9051 grammar
//! as a Rust type. No parsing here (see [`crate::parse`]), no writing (see
//! [`crate::serialize`]).

mod body;
mod command;
mod core;
mod datetime;
mod fetch;
mod flag;
mod mailbox;
mod response;
mod search;
mod sequence;

pub use self::body::*;
pub use self::command::*;
pub use self::core::*;
pub use self::datetime::*;
pub use self::fetch::*;
pub use self::flag::*;
pub use self::mailbox::*;
pub use self::response::*;
pub use self::search::*;
pub use self::sequence::*;
