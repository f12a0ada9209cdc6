//! The crate's error type.

use std::io;
use std::path::PathBuf;

/// What went wrong in a store operation.
///
/// Every variant that comes from the operating system keeps the
/// [`io::Error`] so that a caller can tell a temporary failure (a full disk,
/// a lock held too long) from a permanent one; [`Error::is_temporary`]
/// makes that call for a delivery agent choosing between a retry and a bounce.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file-system call failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// The operation, for example `"create"` or `"rename"`.
        op: &'static str,
        /// The path the operation was applied to.
        path: PathBuf,
        /// The error the operating system returned.
        #[source]
        source: io::Error,
    },
    /// A folder name was refused: it is empty, contains `..`, a path
    /// separator that is not the hierarchy separator, NUL or a control
    /// character, or a component starting with a dot.
    #[error("invalid folder name {name:?}: {reason}")]
    InvalidFolderName {
        /// The name as given.
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The folder does not exist.
    #[error("no such folder {0:?}")]
    NoSuchFolder(String),
    /// The folder already exists (create or rename target).
    #[error("folder {0:?} already exists")]
    FolderExists(String),
    /// The operation is not allowed on this folder (for example deleting
    /// or renaming INBOX).
    #[error("operation not allowed on folder {0:?}")]
    FolderNotAllowed(String),
    /// No message with this UID in the folder (it may have been expunged).
    #[error("no message with UID {0}")]
    NoSuchMessage(u32),
    /// A lock could not be taken before the timeout.
    #[error("timed out waiting for lock {0}")]
    LockTimeout(PathBuf),
    /// A `mail_location` specification could not be understood.
    #[error("invalid mail location {spec:?}: {reason}")]
    InvalidLocation {
        /// The specification as given.
        spec: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// All 26 keyword letters of the folder are taken.
    #[error("no keyword letter left for {0:?}")]
    TooManyKeywords(String),
    /// A keyword name was refused (empty, or containing a space or a
    /// control character).
    #[error("invalid keyword {0:?}")]
    InvalidKeyword(String),
    /// The operation is not supported by this kind of folder (for example
    /// Maildir++ subfolders inside an mbox spool).
    #[error("not supported: {0}")]
    Unsupported(&'static str),
}

impl Error {
    /// Wraps an [`io::Error`] with the operation and path it came from.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// True when retrying later may succeed: a full disk, a quota, a lock
    /// timeout, an interrupted or would-block call. A delivery agent maps
    /// this to a 4xx reply or `EX_TEMPFAIL`; anything else is permanent.
    pub fn is_temporary(&self) -> bool {
        match self {
            Error::LockTimeout(_) => true,
            Error::Io { source, .. } => {
                matches!(
                    source.raw_os_error(),
                    Some(libc::ENOSPC | libc::EDQUOT | libc::EAGAIN | libc::EINTR | libc::EIO)
                ) || matches!(
                    source.kind(),
                    io::ErrorKind::Interrupted
                        | io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::StorageFull
                        | io::ErrorKind::QuotaExceeded
                        | io::ErrorKind::ResourceBusy
                )
            }
            _ => false,
        }
    }

    /// The underlying OS error, if this error came from a file-system call.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
