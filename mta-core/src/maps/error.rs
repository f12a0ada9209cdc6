//! Errors and warnings of the lookup tables.

use std::fmt;
use std::path::PathBuf;

/// A table could not be read, or holds a bad entry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MapError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}", path = path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_TABLE_BYTES`](super::MAX_TABLE_BYTES).
    #[error("{path}: larger than {limit} bytes", path = path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// An entry cannot be read.
    #[error("{path}:{line}: {problem}", path = path.display())]
    Entry {
        /// The file (or the name given to a table built from text).
        path: PathBuf,
        /// The line where the logical line starts.
        line: usize,
        /// What is wrong.
        problem: EntryProblem,
    },
}

/// What is wrong with a table entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryProblem {
    /// A key without a value.
    #[error("key {0:?} has no value")]
    MissingValue(String),
    /// A `cidr:` key that is not a network.
    #[error("{0:?} is not an IP address or network/prefix")]
    BadNetwork(String),
    /// An aliases(5) line without the `:` after the name.
    #[error("missing ':' after alias name {0:?}")]
    MissingColon(String),
    /// An unterminated double quote.
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    /// An access(5) action with a bad reply code (`4NN`/`5NN` expected).
    #[error("bad access action {0:?}")]
    BadAction(String),
}

/// Something in a table that is not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapWarning {
    /// A key appears again; the first entry is kept, as postmap(1) does.
    Duplicate {
        /// The file.
        path: PathBuf,
        /// The line of the repeated key.
        line: usize,
        /// The key.
        key: String,
    },
    /// A continuation line with nothing to continue (ignored).
    StrayContinuation {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
    },
}

impl fmt::Display for MapWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapWarning::Duplicate { path, line, key } => write!(
                f,
                "{}:{}: duplicate entry {:?}; the first one is kept",
                path.display(),
                line,
                key
            ),
            MapWarning::StrayContinuation { path, line } => write!(
                f,
                "{}:{}: continuation line without a preceding entry is ignored",
                path.display(),
                line
            ),
        }
    }
}
