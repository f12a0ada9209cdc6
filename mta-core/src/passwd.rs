//! Dovecot-style passwd-file: the user database of the POP3, IMAP and
//! SMTP AUTH servers.
//!
//! One user per line, fields separated by `:` as in `/etc/passwd`:
//!
//! ```text
//! user:password:uid:gid:gecos:home:shell:extra_fields
//! alice:{PLAIN}secret::::/home/alice::
//! bob:{PLAIN}hunter2
//! ```
//!
//! Only the first two fields are required. The password carries its
//! scheme in braces; a password without one uses the file's default
//! scheme (Dovecot's `scheme=` argument, `PLAIN` here unless set). Empty
//! lines and lines starting with `#` are ignored.
//!
//! Schemes understood: `PLAIN` (also `CLEARTEXT`), `SHA512-CRYPT`
//! (`$6$`, as `doveadm pw -s SHA512-CRYPT` and glibc's crypt(3) write it;
//! `{CRYPT}` with a `$6$` hash is the same) and `ARGON2ID` (the PHC string
//! `$argon2id$v=19$m=..,t=..,p=..$salt$hash` of `doveadm pw -s ARGON2ID`;
//! `ARGON2I` likewise). An entry with another scheme is kept but never
//! verifies, and [`PasswdFile::unsupported`] lists it, so an operator sees
//! why a user cannot log in.
//!
//! Checking a hashed password costs CPU on purpose (SHA512-CRYPT: 5000
//! rounds by default; ARGON2ID: Dovecot's default is 64 MiB and 3 passes).
//! From async code, call [`PasswdFile::verify`] inside
//! `tokio::task::spawn_blocking` so other sessions are not held up.
//!
//! ```
//! use mta_core::passwd::{PasswdFile, hash_argon2id};
//! let hash = hash_argon2id("s3cret").unwrap();
//! assert!(hash.starts_with("{ARGON2ID}$argon2id$"));
//! let db = PasswdFile::parse(&format!("carol:{hash}:1000:1000::/home/carol::\n")).unwrap();
//! assert!(db.verify("carol", "s3cret").is_some());
//! assert!(db.verify("carol", "S3cret").is_none());
//! ```

use md5::{Digest, Md5};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Errors reading a passwd-file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswdError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line is malformed.
    #[error("line {line}: {reason}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

/// A password as stored, with its scheme.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Password {
    /// `{PLAIN}` / `{CLEARTEXT}`: the password itself.
    Plain(String),
    /// `{SHA512-CRYPT}`: a `$6$[rounds=N$]salt$hash` string.
    Sha512Crypt(String),
    /// `{ARGON2ID}` / `{ARGON2I}`: a PHC string (`$argon2id$v=19$...`).
    Argon2(String),
    /// A scheme this module cannot verify (kept for diagnostics).
    Unsupported {
        /// The scheme name, upper case.
        scheme: String,
    },
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Password::Plain(_) => f.write_str("Plain(..)"),
            Password::Sha512Crypt(_) => f.write_str("Sha512Crypt(..)"),
            Password::Argon2(_) => f.write_str("Argon2(..)"),
            Password::Unsupported { scheme } => write!(f, "Unsupported({scheme})"),
        }
    }
}

/// One user of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The user name (the `%u` of a mail_location).
    pub user: String,
    /// The stored password.
    pub password: Password,
    /// Numeric user id, if given.
    pub uid: Option<u32>,
    /// Numeric group id, if given.
    pub gid: Option<u32>,
    /// Home directory, if given (the `~` of a mail_location).
    pub home: Option<PathBuf>,
    /// Dovecot's extra fields (`key=value` words), as written.
    pub extra: Vec<String>,
}

/// A parsed passwd-file.
///
/// # Examples
///
/// ```
/// use mta_core::passwd::PasswdFile;
/// let db = PasswdFile::parse("alice:{PLAIN}secret\n# comment\nbob:{PLAIN}pw::::/home/bob::\n")?;
/// assert!(db.verify("alice", "secret").is_some());
/// assert!(db.verify("alice", "wrong").is_none());
/// assert_eq!(db.get("bob").unwrap().home.as_deref(), Some(std::path::Path::new("/home/bob")));
/// # Ok::<(), mta_core::passwd::PasswdError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct PasswdFile {
    users: HashMap<String, Entry>,
}

impl PasswdFile {
    /// Reads and parses a file (default scheme `PLAIN`).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, PasswdError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| PasswdError::Io {
            path: path.into(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Parses the text of a file (default scheme `PLAIN`).
    pub fn parse(text: &str) -> Result<Self, PasswdError> {
        Self::parse_with_scheme(text, "PLAIN")
    }

    /// Parses with `default_scheme` for passwords that name none.
    pub fn parse_with_scheme(text: &str, default_scheme: &str) -> Result<Self, PasswdError> {
        let mut users = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let syntax = |reason| PasswdError::Syntax {
                line: i + 1,
                reason,
            };
            let mut fields = line.splitn(8, ':');
            let user = fields.next().unwrap_or_default();
            if user.is_empty() {
                return Err(syntax("empty user name"));
            }
            let Some(password) = fields.next() else {
                return Err(syntax("no password field"));
            };
            let number = |f: Option<&str>| -> Result<Option<u32>, PasswdError> {
                match f.filter(|s| !s.is_empty()) {
                    None => Ok(None),
                    Some(s) => s
                        .parse()
                        .map(Some)
                        .map_err(|_| syntax("uid/gid is not a number")),
                }
            };
            let uid = number(fields.next())?;
            let gid = number(fields.next())?;
            let _gecos = fields.next();
            let home = fields.next().filter(|s| !s.is_empty()).map(PathBuf::from);
            let _shell = fields.next();
            let extra = fields
                .next()
                .map(|e| e.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default();
            let password = parse_password(password, default_scheme);
            users.insert(
                user.to_string(),
                Entry {
                    user: user.to_string(),
                    password,
                    uid,
                    gid,
                    home,
                    extra,
                },
            );
        }
        Ok(PasswdFile { users })
    }

    /// The entry of `user`, if any.
    pub fn get(&self, user: &str) -> Option<&Entry> {
        self.users.get(user)
    }

    /// Every entry, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.users.values()
    }

    /// Number of users.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether the file has no users.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Users whose password scheme cannot be verified here.
    pub fn unsupported(&self) -> impl Iterator<Item = &Entry> {
        self.users
            .values()
            .filter(|e| matches!(e.password, Password::Unsupported { .. }))
    }

    /// Checks a plaintext password (USER/PASS, SASL PLAIN and LOGIN)
    /// against the stored one in its scheme. Comparisons take the same
    /// time wherever the values differ. Hashed schemes are slow by design
    /// (see the module documentation).
    pub fn verify(&self, user: &str, password: &str) -> Option<&Entry> {
        let entry = self.users.get(user)?;
        entry.password.verify(password).then_some(entry)
    }

    /// Checks an APOP digest (RFC 1939 section 7): the MD5 of the
    /// greeting's timestamp followed by the password, in lower-case hex.
    /// Only possible for plaintext-stored passwords.
    pub fn verify_apop(&self, user: &str, timestamp: &str, digest: &str) -> Option<&Entry> {
        let entry = self.users.get(user)?;
        let Password::Plain(stored) = &entry.password else {
            return None;
        };
        let mut md5 = Md5::new();
        md5.update(timestamp.as_bytes());
        md5.update(stored.as_bytes());
        let expected: String = md5.finalize().iter().map(|b| format!("{b:02x}")).collect();
        constant_time_eq(expected.as_bytes(), digest.to_ascii_lowercase().as_bytes())
            .then_some(entry)
    }

    /// Whether APOP can be verified for any user (some password is stored
    /// in plaintext).
    pub fn supports_apop(&self) -> bool {
        self.users
            .values()
            .any(|e| matches!(e.password, Password::Plain(_)))
    }
}

/// A passwd-file as the local users: a user exists when it has an entry,
/// and its home is the entry's home field.
impl crate::router::LocalUsers for PasswdFile {
    fn exists(&self, user: &str) -> Result<bool, crate::router::UserLookupError> {
        Ok(self.get(user).is_some())
    }

    fn home(&self, user: &str) -> Result<Option<PathBuf>, crate::router::UserLookupError> {
        Ok(self.get(user).and_then(|e| e.home.clone()))
    }
}

impl Password {
    /// Whether `password` matches. A malformed stored hash never matches.
    pub fn verify(&self, password: &str) -> bool {
        match self {
            Password::Plain(stored) => constant_time_eq(stored.as_bytes(), password.as_bytes()),
            Password::Sha512Crypt(hash) => {
                use sha_crypt::PasswordVerifier;
                sha_crypt::ShaCrypt::default()
                    .verify_password(password.as_bytes(), hash.as_str())
                    .is_ok()
            }
            Password::Argon2(hash) => {
                use argon2::PasswordVerifier;
                argon2::Argon2::default()
                    .verify_password(password.as_bytes(), hash.as_str())
                    .is_ok()
            }
            Password::Unsupported { .. } => false,
        }
    }

    /// The scheme name as written in braces (`PLAIN`, `SHA512-CRYPT`,
    /// `ARGON2ID`, or the unsupported one).
    pub fn scheme(&self) -> &str {
        match self {
            Password::Plain(_) => "PLAIN",
            Password::Sha512Crypt(_) => "SHA512-CRYPT",
            Password::Argon2(hash) if hash.starts_with("$argon2i$") => "ARGON2I",
            Password::Argon2(_) => "ARGON2ID",
            Password::Unsupported { scheme } => scheme,
        }
    }
}

/// Hashes `password` for a passwd-file line: `{ARGON2ID}` followed by the
/// PHC string, with a random salt and the argon2 crate's default cost
/// (19 MiB, 2 passes, OWASP's minimum), which Dovecot verifies as well.
pub fn hash_argon2id(password: &str) -> Result<String, HashError> {
    use argon2::PasswordHasher;
    let hash = argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|_| HashError)?;
    Ok(format!("{{ARGON2ID}}{hash}"))
}

/// The system random source or the hash function failed in
/// [`hash_argon2id`].
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed")]
#[non_exhaustive]
pub struct HashError;

fn parse_password(field: &str, default_scheme: &str) -> Password {
    let (scheme, value) = match field.strip_prefix('{').and_then(|r| r.split_once('}')) {
        Some((scheme, value)) => (scheme.to_ascii_uppercase(), value),
        None => (default_scheme.to_ascii_uppercase(), field),
    };
    match scheme.as_str() {
        "PLAIN" | "CLEARTEXT" => Password::Plain(value.to_string()),
        "SHA512-CRYPT" => Password::Sha512Crypt(value.to_string()),
        "CRYPT" if value.starts_with("$6$") => Password::Sha512Crypt(value.to_string()),
        "ARGON2ID" if value.starts_with("$argon2id$") => Password::Argon2(value.to_string()),
        "ARGON2I" if value.starts_with("$argon2i$") => Password::Argon2(value.to_string()),
        _ => Password::Unsupported { scheme },
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(!x));
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_schemes() {
        let db = PasswdFile::parse_with_scheme(
            "a:{PLAIN}x:1000:100::/home/a::userdb_mail=maildir:~/M\nb:nobrace\nc:{MD5-CRYPT}$1$abc\n",
            "CLEARTEXT",
        )
        .unwrap();
        let a = db.get("a").unwrap();
        assert_eq!((a.uid, a.gid), (Some(1000), Some(100)));
        assert_eq!(a.extra, ["userdb_mail=maildir:~/M"]);
        assert!(db.verify("b", "nobrace").is_some());
        assert!(db.verify("c", "$1$abc").is_none());
        assert_eq!(db.unsupported().count(), 1);
        assert!(db.verify("nobody", "x").is_none());
        assert!(db.verify("a", "").is_none());
        assert!(db.verify("a", "xx").is_none());
    }

    #[test]
    fn rejects_bad_lines() {
        assert!(matches!(
            PasswdFile::parse("nopassword\n"),
            Err(PasswdError::Syntax { line: 1, .. })
        ));
        assert!(matches!(
            PasswdFile::parse("\n:x\n"),
            Err(PasswdError::Syntax { line: 2, .. })
        ));
        assert!(PasswdFile::parse("a:x:notanumber\n").is_err());
    }

    /// RFC 1939 section 7, APOP example: secret "tanstaaf".
    #[test]
    fn apop_rfc1939_example() {
        let db = PasswdFile::parse("mrose:{PLAIN}tanstaaf\n").unwrap();
        let ts = "<1896.697170952@dbc.mtview.ca.us>";
        assert!(
            db.verify_apop("mrose", ts, "c4c9334bac560ecc979e58001b3e22fb")
                .is_some()
        );
        assert!(
            db.verify_apop("mrose", ts, "c4c9334bac560ecc979e58001b3e22fc")
                .is_none()
        );
        assert!(
            db.verify_apop("mrose", "<other@x>", "c4c9334bac560ecc979e58001b3e22fb")
                .is_none()
        );
    }
}
