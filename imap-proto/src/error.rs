//! Errors. A peer's bad input is reported as a [`DecodeError`] inside a
//! decoder event (the session answers it with `BAD`), never as a panic.

use crate::types::Tag;

/// A value given to a constructor does not satisfy the grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}")]
#[non_exhaustive]
pub struct InvalidValue {
    /// Which grammar element was violated.
    pub what: &'static str,
}

impl InvalidValue {
    pub(crate) fn new(what: &'static str) -> Self {
        InvalidValue { what }
    }
}

/// Why a command or response could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The bytes do not match the grammar.
    #[error("syntax error")]
    Syntax,
    /// A line (excluding literals) is longer than [`Limits::line_length`](crate::Limits::line_length).
    #[error("line longer than {limit} octets")]
    LineTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// A literal is larger than [`Limits::literal_size`](crate::Limits::literal_size).
    #[error("literal of {size} octets is larger than {limit}")]
    LiteralTooLarge {
        /// The announced size.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The whole command (lines and literals) is larger than
    /// [`Limits::command_size`](crate::Limits::command_size).
    #[error("command larger than {limit} octets")]
    CommandTooLarge {
        /// The limit in force.
        limit: u64,
    },
    /// A command carries more literals than [`Limits::literals`](crate::Limits::literals).
    #[error("more than {limit} literals in one command")]
    TooManyLiterals {
        /// The limit in force.
        limit: usize,
    },
    /// Parentheses nest deeper than [`Limits::nesting_depth`](crate::Limits::nesting_depth).
    #[error("nesting deeper than {limit}")]
    TooDeep {
        /// The limit in force.
        limit: usize,
    },
    /// A list holds more than [`Limits::items`](crate::Limits::items) elements.
    #[error("more than {limit} items in one list")]
    TooManyItems {
        /// The limit in force.
        limit: usize,
    },
    /// A line ended with a bare LF where CRLF is required.
    #[error("bare LF without CR")]
    BareLf,
}

/// A decoding failure, with the tag when one could be read so that a
/// server can answer `tag BAD ...` (or `* BAD ...` without it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
#[non_exhaustive]
pub struct DecodeError {
    /// The tag of the failed command, if its start could be read.
    pub tag: Option<Tag>,
    /// What went wrong.
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    pub(crate) fn new(tag: Option<Tag>, kind: DecodeErrorKind) -> Self {
        DecodeError { tag, kind }
    }
}

/// Misuse of a decoder by its owner (not a peer error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// `accept_literal`/`reject_literal` called with no literal pending.
    #[error("no synchronizing literal is waiting for a decision")]
    NoPendingLiteral,
}
