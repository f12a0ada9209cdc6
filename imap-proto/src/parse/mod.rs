//! Parsing: a framer that finds where a command or response ends (lines
//! and literals, with limits), then nom parsers over the complete frame.
//!
//! Three outcomes stay apart: an event is ready, more bytes are needed
//! (`poll_event` returns `None`), or the input is refused (an `Error`
//! event carrying the tag when it could be read).

mod body;
mod command;
mod command_decoder;
pub(crate) mod core;
mod decoder;
mod fetch;
pub(crate) mod framer;
mod response;
mod search;

pub use self::command_decoder::{CommandDecoder, CommandEvent, Expect};
pub use self::decoder::{
    DecodeOptions, ResponseDecoder, ResponseEvent, parse_command, parse_response,
};
