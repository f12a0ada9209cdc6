//! POP3 commands (RFC 1939 sections 4-7, RFC 2449 CAPA, RFC 2595 STLS,
//! RFC 5034 AUTH).

use super::Secret;
use crate::Error;

/// A POP3 command as a client sends it.
///
/// Arguments are printable ASCII without spaces (RFC 1939 section 3),
/// except the password of PASS, which may contain spaces (RFC 1939
/// section 7). [`Command::check`] tells whether a value can go on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `USER name`.
    User {
        /// The maildrop name.
        name: String,
    },
    /// `PASS string`.
    Pass {
        /// The password.
        password: Secret<String>,
    },
    /// `APOP name digest`.
    Apop {
        /// The maildrop name.
        name: String,
        /// The MD5 digest in lower-case hex.
        digest: String,
    },
    /// `QUIT`.
    Quit,
    /// `STAT`.
    Stat,
    /// `LIST [msg]`.
    List {
        /// A message-number, or every message.
        msg: Option<u32>,
    },
    /// `RETR msg`.
    Retr {
        /// The message-number.
        msg: u32,
    },
    /// `DELE msg`.
    Dele {
        /// The message-number.
        msg: u32,
    },
    /// `NOOP`.
    Noop,
    /// `RSET`.
    Rset,
    /// `TOP msg n`.
    Top {
        /// The message-number.
        msg: u32,
        /// Lines of the body to send after the header.
        lines: u32,
    },
    /// `UIDL [msg]`.
    Uidl {
        /// A message-number, or every message.
        msg: Option<u32>,
    },
    /// `CAPA` (RFC 2449 section 5).
    Capa,
    /// `STLS` (RFC 2595 section 4).
    Stls,
    /// `AUTH mechanism [initial-response]` (RFC 5034 section 4).
    Auth {
        /// The SASL mechanism name, upper case.
        mechanism: String,
        /// The decoded initial response; `Some` of an empty vector is sent
        /// as `=`.
        initial_response: Option<Secret<Vec<u8>>>,
    },
}

/// The keyword of a command without its arguments, for bookkeeping such
/// as "which response is this".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)] // each variant is the command of the same name
pub enum CommandKind {
    User,
    Pass,
    Apop,
    Quit,
    Stat,
    List,
    Retr,
    Dele,
    Noop,
    Rset,
    Top,
    Uidl,
    Capa,
    Stls,
    Auth,
}

impl Command {
    /// The keyword of this command.
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::User { .. } => CommandKind::User,
            Command::Pass { .. } => CommandKind::Pass,
            Command::Apop { .. } => CommandKind::Apop,
            Command::Quit => CommandKind::Quit,
            Command::Stat => CommandKind::Stat,
            Command::List { .. } => CommandKind::List,
            Command::Retr { .. } => CommandKind::Retr,
            Command::Dele { .. } => CommandKind::Dele,
            Command::Noop => CommandKind::Noop,
            Command::Rset => CommandKind::Rset,
            Command::Top { .. } => CommandKind::Top,
            Command::Uidl { .. } => CommandKind::Uidl,
            Command::Capa => CommandKind::Capa,
            Command::Stls => CommandKind::Stls,
            Command::Auth { .. } => CommandKind::Auth,
        }
    }

    /// Whether a positive response to this command is multi-line
    /// (RFC 1939 sections 5 and 7, RFC 2449 section 5).
    pub fn is_multi_line(&self) -> bool {
        matches!(
            self,
            Command::List { msg: None }
                | Command::Uidl { msg: None }
                | Command::Retr { .. }
                | Command::Top { .. }
                | Command::Capa
        )
    }

    /// Checks that the command can be serialized and parsed back: arguments
    /// in the allowed alphabet, the whole line within `limit` octets (CRLF
    /// included; RFC 2449 section 4 says 255).
    ///
    /// # Examples
    ///
    /// ```
    /// use pop3_proto::Command;
    /// assert!(Command::User { name: "mrose".into() }.check(255).is_ok());
    /// assert!(Command::User { name: "two words".into() }.check(255).is_err());
    /// ```
    pub fn check(&self, limit: usize) -> Result<(), Error> {
        let word = |s: &str, what| {
            if !s.is_empty() && s.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
                Ok(())
            } else {
                Err(Error::Invalid { what })
            }
        };
        match self {
            Command::User { name } => word(name, "user name")?,
            Command::Pass { password } => {
                let p = password.expose();
                if p.is_empty() || p.starts_with(' ') || p.bytes().any(|b| b < 0x20 || b == 0x7f) {
                    return Err(Error::Invalid { what: "password" });
                }
            }
            Command::Apop { name, digest } => {
                word(name, "user name")?;
                word(digest, "digest")?;
            }
            Command::Auth { mechanism, .. } => {
                let ok = !mechanism.is_empty()
                    && mechanism.len() <= 20
                    && mechanism.bytes().all(|b| {
                        b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                    });
                if !ok {
                    return Err(Error::Invalid {
                        what: "SASL mechanism",
                    });
                }
            }
            _ => {}
        }
        let mut line = bytes::BytesMut::new();
        crate::serialize::command(self, &mut line);
        if line.len() > limit {
            return Err(Error::Invalid {
                what: "command length",
            });
        }
        Ok(())
    }
}
