//! Errors of the crate.
//!
//! A peer's bad input is never an `Err`: the session answers it with `-ERR`
//! and goes on. `Err` is for the owner calling a session out of order, for
//! building a value that the protocol cannot carry, and for driver I/O.

use thiserror::Error;

/// What can go wrong when the owner drives a session or builds a value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// A decision method was called, but no event is waiting for one.
    #[error("no decision is pending")]
    NoPendingDecision,
    /// The decision does not fit the pending event (for example
    /// `accept_maildrop` while a `Retrieve` waits).
    #[error("the pending event is {pending}, which this decision does not answer")]
    WrongDecision {
        /// The name of the pending event.
        pending: &'static str,
    },
    /// `reject` was given a positive response.
    #[error("a rejection must be a -ERR response")]
    RejectNotNegative,
    /// The session is closed and takes no further calls.
    #[error("the session is closed")]
    Closed,
    /// A command cannot be sent in the client's current state.
    #[error("command not allowed now: {reason}")]
    NotAllowed {
        /// Why it is refused.
        reason: &'static str,
    },
    /// A value does not satisfy the protocol's grammar.
    #[error("invalid {what}")]
    Invalid {
        /// The kind of value (for example "unique-id").
        what: &'static str,
    },
}
