//! The access-server settings (IMAP, POP3) in Dovecot's words, read from a
//! dovecot.conf-like file.
//!
//! Syntax (Dovecot 2.3 doveconf): `key = value` lines; `#` starts a comment
//! outside double quotes; a value may be double-quoted; `type [name] {`
//! opens a section and `}` closes it; `key = <path` means "the contents of
//! the file at path" (used by ssl_cert / ssl_key) and is kept as the path.
//! Defaults are Dovecot 2.3's built-in ones (master and login settings).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{ConfigError, Location, SyntaxProblem, ValueProblem, Warning, WarningKind};
use super::parse::read_limited;
use super::values::{parse_bool, split_list};

/// How deep sections may nest (`service x { inet_listener y { } }` is 2).
pub const MAX_SECTION_DEPTH: usize = 8;

/// A protocol named in `protocols`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// IMAP.
    Imap,
    /// POP3.
    Pop3,
    /// LMTP.
    Lmtp,
    /// Submission.
    Submission,
}

/// `ssl` (Dovecot 2.3 default `yes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// `no`: no TLS.
    No,
    /// `yes`: TLS offered; plaintext authentication only per
    /// disable_plaintext_auth.
    Yes,
    /// `required`: no plaintext authentication without TLS.
    Required,
}

/// The mailbox format of `mail_location`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MailboxFormat {
    /// `maildir:`.
    Maildir,
    /// `mbox:`.
    Mbox,
}

/// `mail_location = format:path[:KEY=value...]`, e.g. `maildir:~/Maildir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailLocation {
    /// The format.
    pub format: MailboxFormat,
    /// The path template (`~` and `%u`, `%n`, `%d` are left to the caller).
    pub path: String,
    /// Further `KEY=value` parameters (`INBOX=/var/mail/%u`, ...).
    pub params: Vec<(String, String)>,
}

/// A `passdb { driver = ...  args = ... }` or `userdb { ... }` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthDb {
    /// `driver` (`passwd-file`, `static`, ...).
    pub driver: String,
    /// `args` as written.
    pub args: String,
    /// Where the block starts.
    pub location: Location,
}

impl AuthDb {
    /// For a `passwd-file` driver: the file and its options.
    #[must_use]
    pub fn passwd_file(&self) -> Option<PasswdFileArgs> {
        if !self.driver.eq_ignore_ascii_case("passwd-file") {
            return None;
        }
        let mut args = PasswdFileArgs {
            path: PathBuf::new(),
            scheme: None,
            username_format: None,
        };
        for word in self.args.split_whitespace() {
            if let Some(v) = word.strip_prefix("scheme=") {
                args.scheme = Some(v.to_owned());
            } else if let Some(v) = word.strip_prefix("username_format=") {
                args.username_format = Some(v.to_owned());
            } else if !word.contains('=') {
                args.path = PathBuf::from(word);
            }
        }
        (!args.path.as_os_str().is_empty()).then_some(args)
    }
}

/// The arguments of a passwd-file passdb or userdb.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdFileArgs {
    /// The file.
    pub path: PathBuf,
    /// `scheme=` (default password scheme).
    pub scheme: Option<String>,
    /// `username_format=` (e.g. `%n`).
    pub username_format: Option<String>,
}

/// The access-server settings.
///
/// # Examples
///
/// ```
/// use mta_core::config::{AccessConfig, Protocol};
///
/// let text = "protocols = imap pop3\n\
///             mail_location = maildir:~/Maildir\n\
///             passdb {\n  driver = passwd-file\n  args = scheme=PLAIN /etc/missive/users\n}\n";
/// let loaded = AccessConfig::parse_str(text, "dovecot.conf").unwrap();
/// let c = loaded.config;
/// assert_eq!(c.protocols, [Protocol::Imap, Protocol::Pop3]);
/// let pw = c.passdbs[0].passwd_file().unwrap();
/// assert_eq!(pw.path.to_str(), Some("/etc/missive/users"));
/// assert!(c.disable_plaintext_auth);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessConfig {
    /// `protocols` (default `imap pop3 lmtp`).
    pub protocols: Vec<Protocol>,
    /// `listen` (default `*, ::`).
    pub listen: Vec<String>,
    /// `mail_location` (default empty: the server decides).
    pub mail_location: Option<MailLocation>,
    /// The `passdb` blocks in order.
    pub passdbs: Vec<AuthDb>,
    /// The `userdb` blocks in order.
    pub userdbs: Vec<AuthDb>,
    /// `ssl` (default `yes`).
    pub ssl: SslMode,
    /// `ssl_cert` (`<path`).
    pub ssl_cert: Option<PathBuf>,
    /// `ssl_key` (`<path`).
    pub ssl_key: Option<PathBuf>,
    /// `disable_plaintext_auth` (default `yes`): no plaintext
    /// authentication over an unencrypted connection, except from the
    /// local machine (Dovecot counts loopback as secure).
    pub disable_plaintext_auth: bool,
    /// `auth_failure_delay` (default `2 secs`): the wait before a failed
    /// authentication is answered (doubling with each further failure from
    /// the same address, see [`crate::auth::AuthLimits`]).
    pub auth_failure_delay: Duration,
}

impl Default for AccessConfig {
    fn default() -> Self {
        AccessConfig {
            protocols: vec![Protocol::Imap, Protocol::Pop3, Protocol::Lmtp],
            listen: vec!["*".to_owned(), "::".to_owned()],
            mail_location: None,
            passdbs: Vec::new(),
            userdbs: Vec::new(),
            ssl: SslMode::Yes,
            ssl_cert: None,
            ssl_key: None,
            disable_plaintext_auth: true,
            auth_failure_delay: Duration::from_secs(2),
        }
    }
}

/// An [`AccessConfig`] and the warnings met while reading it.
#[derive(Debug, Clone)]
pub struct LoadedAccess {
    /// The configuration.
    pub config: AccessConfig,
    /// Unknown settings and sections, ignored directives.
    pub warnings: Vec<Warning>,
}

enum Section {
    Db { kind: &'static str, db: AuthDb },
    Ignored,
}

impl AccessConfig {
    /// Reads and parses a file.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Io`], [`ConfigError::Syntax`] or
    /// [`ConfigError::Value`] with the file and line.
    pub fn load(path: impl AsRef<Path>) -> Result<LoadedAccess, ConfigError> {
        let path = path.as_ref();
        let text = read_limited(path)?;
        Self::parse_str(&text, path)
    }

    /// Parses dovecot.conf-like text; `path` is used in messages.
    ///
    /// # Errors
    ///
    /// As [`AccessConfig::load`].
    pub fn parse_str(text: &str, path: impl Into<PathBuf>) -> Result<LoadedAccess, ConfigError> {
        let path: PathBuf = path.into();
        let mut config = AccessConfig::default();
        let mut warnings = Vec::new();
        let mut stack: Vec<(Section, String, Location)> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let location = Location::file(&path, index + 1);
            let syntax = |problem| ConfigError::Syntax {
                location: location.clone(),
                problem,
            };
            let line = strip_comment(raw).map_err(syntax)?;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if line == "}" {
                let (section, _, _) = stack
                    .pop()
                    .ok_or_else(|| syntax(SyntaxProblem::UnexpectedClose))?;
                if let Section::Db { kind, db } = section {
                    if kind == "passdb" {
                        config.passdbs.push(db);
                    } else {
                        config.userdbs.push(db);
                    }
                }
                continue;
            }
            if let Some(head) = line.strip_suffix('{') {
                if stack.len() >= MAX_SECTION_DEPTH {
                    return Err(syntax(SyntaxProblem::TooDeep(MAX_SECTION_DEPTH)));
                }
                let head = head.trim().to_owned();
                let kind = head.split_whitespace().next().unwrap_or("");
                let section = match (stack.is_empty(), kind) {
                    (true, "passdb") | (true, "userdb") => Section::Db {
                        kind: if kind == "passdb" { "passdb" } else { "userdb" },
                        db: AuthDb {
                            driver: head
                                .split_whitespace()
                                .nth(1)
                                .unwrap_or_default()
                                .to_owned(),
                            args: String::new(),
                            location: location.clone(),
                        },
                    },
                    _ => {
                        if !matches!(stack.last(), Some((Section::Ignored, _, _))) {
                            warnings.push(Warning {
                                location: location.clone(),
                                kind: WarningKind::UnknownSection(head.clone()),
                            });
                        }
                        Section::Ignored
                    }
                };
                stack.push((section, head, location.clone()));
                continue;
            }
            if line.starts_with('!') {
                warnings.push(Warning {
                    location: location.clone(),
                    kind: WarningKind::IgnoredDirective(line.to_owned()),
                });
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(syntax(SyntaxProblem::MissingEquals(line.to_owned())));
            };
            let key = key.trim();
            let value = unquote(value.trim()).map_err(syntax)?;
            match stack.last_mut() {
                None => config.set(key, &value, &location, &mut warnings)?,
                Some((Section::Db { db, .. }, _, _)) => match key {
                    "driver" => db.driver = value,
                    "args" => db.args = value,
                    _ => warnings.push(Warning {
                        location: location.clone(),
                        kind: WarningKind::UnknownParameter(key.to_owned()),
                    }),
                },
                Some(_) => {}
            }
        }
        if let Some((_, head, location)) = stack.pop() {
            return Err(ConfigError::Syntax {
                location,
                problem: SyntaxProblem::UnclosedSection(head),
            });
        }
        Ok(LoadedAccess { config, warnings })
    }

    fn set(
        &mut self,
        key: &str,
        value: &str,
        location: &Location,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), ConfigError> {
        let fail = |problem| ConfigError::Value {
            location: location.clone(),
            parameter: key.to_owned(),
            problem,
        };
        match key {
            "protocols" => {
                let mut protocols = Vec::new();
                for word in split_list(value) {
                    protocols.push(match word.to_ascii_lowercase().as_str() {
                        "imap" => Protocol::Imap,
                        "pop3" => Protocol::Pop3,
                        "lmtp" => Protocol::Lmtp,
                        "submission" => Protocol::Submission,
                        "none" => continue,
                        _ => {
                            return Err(fail(ValueProblem::Word {
                                value: word,
                                allowed: "imap, pop3, lmtp, submission, none",
                            }));
                        }
                    });
                }
                self.protocols = protocols;
            }
            "listen" => self.listen = split_list(value),
            "mail_location" => {
                self.mail_location = if value.is_empty() {
                    None
                } else {
                    Some(parse_mail_location(value).map_err(fail)?)
                };
            }
            "ssl" => {
                self.ssl = match value.to_ascii_lowercase().as_str() {
                    "yes" => SslMode::Yes,
                    "no" => SslMode::No,
                    "required" => SslMode::Required,
                    _ => {
                        return Err(fail(ValueProblem::Word {
                            value: value.to_owned(),
                            allowed: "yes, no, required",
                        }));
                    }
                };
            }
            "ssl_cert" => self.ssl_cert = file_value(value),
            "ssl_key" => self.ssl_key = file_value(value),
            "disable_plaintext_auth" => {
                self.disable_plaintext_auth = parse_bool(value).map_err(fail)?;
            }
            "auth_failure_delay" => {
                self.auth_failure_delay = parse_dovecot_time(value).map_err(fail)?;
            }
            _ => warnings.push(Warning {
                location: location.clone(),
                kind: WarningKind::UnknownParameter(key.to_owned()),
            }),
        }
        Ok(())
    }
}

/// A Dovecot time value: a number and a unit (`2 secs`, `500 msecs`,
/// `1 min`; seconds without one).
fn parse_dovecot_time(value: &str) -> Result<Duration, ValueProblem> {
    let bad = || ValueProblem::Word {
        value: value.to_owned(),
        allowed: "a number with msecs, secs, mins, hours or days",
    };
    let v = value.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (number, unit) = v.split_at(split);
    let n: u64 = number.parse().map_err(|_| bad())?;
    let millis = match unit.trim().to_ascii_lowercase().as_str() {
        "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => 1,
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1_000,
        "m" | "min" | "mins" | "minute" | "minutes" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        _ => return Err(bad()),
    };
    n.checked_mul(millis)
        .map(Duration::from_millis)
        .ok_or_else(bad)
}

/// `<path` (file contents) or a plain path.
fn file_value(value: &str) -> Option<PathBuf> {
    let v = value.strip_prefix('<').unwrap_or(value).trim();
    (!v.is_empty()).then(|| PathBuf::from(v))
}

fn parse_mail_location(value: &str) -> Result<MailLocation, ValueProblem> {
    let (format, rest) = value
        .split_once(':')
        .ok_or_else(|| ValueProblem::Unsupported(value.to_owned()))?;
    let format = match format.to_ascii_lowercase().as_str() {
        "maildir" => MailboxFormat::Maildir,
        "mbox" => MailboxFormat::Mbox,
        _ => {
            return Err(ValueProblem::Word {
                value: format.to_owned(),
                allowed: "maildir, mbox",
            });
        }
    };
    let mut parts = rest.split(':');
    let path = parts.next().unwrap_or_default().to_owned();
    let params = parts
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (p.to_owned(), String::new()),
        })
        .collect();
    Ok(MailLocation {
        format,
        path,
        params,
    })
}

/// Removes a `#` comment that is outside double quotes.
fn strip_comment(line: &str) -> Result<&str, SyntaxProblem> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '#' if !quoted => return Ok(&line[..i]),
            _ => {}
        }
    }
    if quoted {
        return Err(SyntaxProblem::UnterminatedQuote);
    }
    Ok(line)
}

fn unquote(value: &str) -> Result<String, SyntaxProblem> {
    let Some(inner) = value.strip_prefix('"') else {
        return Ok(value.to_owned());
    };
    let inner = inner
        .strip_suffix('"')
        .ok_or(SyntaxProblem::UnterminatedQuote)?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}
