//! The vocabulary of POP3: commands, responses, response codes,
//! capabilities, unique-ids. Constructors validate, so a value that exists
//! can always be serialized.

mod command;
mod response;

pub use command::{Command, CommandKind};
pub use response::{Capability, RespCode, Response, Status};

use crate::Error;

/// A value that must not show up in logs, such as a password. `Debug`
/// prints `Secret(..)`.
///
/// # Examples
///
/// ```
/// let pass = pop3_proto::Secret::new("hunter2".to_string());
/// assert_eq!(format!("{pass:?}"), "Secret(..)");
/// assert_eq!(pass.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Secret(value)
    }
    /// The wrapped value, for the code that must read it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> std::fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// A message's unique-id as UIDL reports it: 1 to 70 octets in the range
/// 0x21 to 0x7E (RFC 1939 section 7, UIDL). It must stay the same for a
/// message across sessions.
///
/// # Examples
///
/// ```
/// use pop3_proto::UniqueId;
/// assert!(UniqueId::new("QhdPYR:00WBw1Ph7x7").is_ok());
/// assert!(UniqueId::new("has space").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UniqueId(String);

impl UniqueId {
    /// Validates and wraps a unique-id.
    pub fn new(id: impl Into<String>) -> Result<Self, Error> {
        let id = id.into();
        if id.is_empty() || id.len() > 70 || !id.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(Error::Invalid { what: "unique-id" });
        }
        Ok(UniqueId(id))
    }
    /// The unique-id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UniqueId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One message of a maildrop as the owner lists it when the session enters
/// the TRANSACTION state. Its message-number is its position in the list,
/// counting from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// The stable unique-id (UIDL).
    pub uid: UniqueId,
    /// The size in octets as it goes over the wire (CRLF line ends),
    /// reported by STAT and LIST (RFC 1939 section 5).
    pub size: u64,
}

/// What a client proved its identity with. The session has already run the
/// SASL exchange; the owner checks the result.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// USER then PASS (RFC 1939 section 7).
    User {
        /// The maildrop name from USER.
        user: String,
        /// The password from PASS.
        pass: Secret<String>,
    },
    /// APOP (RFC 1939 section 7): the MD5 digest of the greeting's
    /// timestamp followed by the shared secret.
    Apop {
        /// The maildrop name.
        user: String,
        /// 32 lower-case hex digits.
        digest: String,
        /// The timestamp of this session's greeting, angle brackets included.
        timestamp: String,
    },
    /// SASL PLAIN (RFC 4616 via RFC 5034).
    Plain {
        /// The authorization identity; empty when the client sent none.
        authzid: String,
        /// The authentication identity.
        authcid: String,
        /// The password.
        pass: Secret<String>,
    },
    /// SASL LOGIN (the widely deployed user name / password exchange).
    Login {
        /// The user name.
        user: String,
        /// The password.
        pass: Secret<String>,
    },
}

impl Credentials {
    /// The maildrop the client asks for: the authorization identity when a
    /// PLAIN client gave one, the user name otherwise.
    pub fn user(&self) -> &str {
        match self {
            Credentials::User { user, .. }
            | Credentials::Apop { user, .. }
            | Credentials::Login { user, .. } => user,
            Credentials::Plain {
                authzid, authcid, ..
            } => {
                if authzid.is_empty() {
                    authcid
                } else {
                    authzid
                }
            }
        }
    }
}
