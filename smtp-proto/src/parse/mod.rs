//! Parsers: command lines and replies. Framing (finding line ends, the end of
//! DATA, BDAT chunks) lives with the sessions, which check limits as bytes
//! arrive; these functions parse one complete frame.

pub mod command;
pub(crate) mod path;
pub mod reply;

pub use command::{CommandError, parse_command};
pub use reply::{ReplyError, parse_reply};
