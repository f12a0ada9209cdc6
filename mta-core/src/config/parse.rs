//! The `main.cf` file syntax: logical lines of `name = value`.
//!
//! postconf(5), "SYNTAX": empty lines and lines whose first non-white-space
//! character is `#` are ignored; a logical line starts with non-white-space
//! text and a line that starts with white space continues it; there are no
//! comments at the end of a line (`a = b # c` sets `a` to `b # c`); when a
//! parameter is set more than once the last setting wins.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::{ConfigError, Location, SyntaxProblem, Warning, WarningKind};

/// The largest configuration file accepted (a main.cf is a few kilobytes).
pub const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

/// One parameter setting as written, before `$name` expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawValue {
    /// The value text, continuation lines joined with one space, trimmed.
    pub value: String,
    /// Where it was set.
    pub location: Location,
}

/// The parameter settings of a `main.cf`, unexpanded, plus the caller's
/// defaults and overrides.
///
/// Lookup order for a parameter: [`override_param`](Self::override_param)
/// (like `postfix -o name=value`), then the file, then
/// [`default_param`](Self::default_param) (a caller's own default, such as
/// missive's `mydomain = localhost`), then Postfix's documented default.
///
/// # Examples
///
/// ```
/// use mta_core::config::MainCf;
///
/// let mut cf = MainCf::parse_str("myhostname = mail.example.com\n", "main.cf").unwrap();
/// cf.default_param("mydomain", "localhost");
/// assert_eq!(cf.raw("myhostname").unwrap().value, "mail.example.com");
/// assert_eq!(cf.raw("mydomain").unwrap().value, "localhost");
/// ```
#[derive(Debug, Clone, Default)]
pub struct MainCf {
    pub(crate) path: PathBuf,
    pub(crate) file: BTreeMap<String, RawValue>,
    pub(crate) overrides: BTreeMap<String, String>,
    pub(crate) defaults: BTreeMap<String, String>,
    pub(crate) warnings: Vec<Warning>,
}

impl MainCf {
    /// An empty configuration: every parameter has its default.
    #[must_use]
    pub fn empty() -> Self {
        MainCf {
            path: PathBuf::from("main.cf"),
            ..MainCf::default()
        }
    }

    /// Reads and parses a `main.cf` file.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Io`] when the file cannot be read (or is larger than
    /// [`MAX_CONFIG_BYTES`]), [`ConfigError::Syntax`] for a line without `=`
    /// or with a bad parameter name.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = read_limited(path)?;
        Self::parse_str(&text, path)
    }

    /// Parses `main.cf` text; `path` is used in error messages.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Syntax`] for a line without `=` or with a bad name.
    pub fn parse_str(text: &str, path: impl Into<PathBuf>) -> Result<Self, ConfigError> {
        let path = path.into();
        let mut cf = MainCf {
            path: path.clone(),
            ..MainCf::default()
        };
        let (lines, stray) = logical_lines(text);
        for line in stray {
            cf.warnings.push(Warning {
                location: Location::file(&path, line),
                kind: WarningKind::StrayContinuation,
            });
        }
        for (line, logical) in lines {
            let location = Location::file(&path, line);
            let Some((name, value)) = logical.split_once('=') else {
                return Err(ConfigError::Syntax {
                    location,
                    problem: SyntaxProblem::MissingEquals(logical.trim().to_owned()),
                });
            };
            let name = name.trim();
            if !is_param_name(name) {
                return Err(ConfigError::Syntax {
                    location,
                    problem: SyntaxProblem::BadName(name.to_owned()),
                });
            }
            let value = value.trim().to_owned();
            if cf.file.contains_key(name) {
                cf.warnings.push(Warning {
                    location: location.clone(),
                    kind: WarningKind::Duplicate(name.to_owned()),
                });
            }
            cf.file
                .insert(name.to_owned(), RawValue { value, location });
        }
        Ok(cf)
    }

    /// Sets a parameter that wins over the file (like `postfix -o`).
    pub fn override_param(&mut self, name: &str, value: &str) -> &mut Self {
        self.overrides.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Sets a default that applies when the file does not set the
    /// parameter; it replaces Postfix's documented default.
    pub fn default_param(&mut self, name: &str, value: &str) -> &mut Self {
        self.defaults.insert(name.to_owned(), value.to_owned());
        self
    }

    /// The setting of `name` from an override, the file or a caller
    /// default, unexpanded (`None` when only Postfix's default applies).
    #[must_use]
    pub fn raw(&self, name: &str) -> Option<RawValue> {
        if let Some(v) = self.overrides.get(name) {
            return Some(RawValue {
                value: v.clone(),
                location: Location::override_value(),
            });
        }
        if let Some(v) = self.file.get(name) {
            return Some(v.clone());
        }
        self.defaults.get(name).map(|v| RawValue {
            value: v.clone(),
            location: Location::default_value(),
        })
    }

    /// The names set in the file, in name order.
    pub fn file_names(&self) -> impl Iterator<Item = &str> {
        self.file.keys().map(String::as_str)
    }

    /// The path used in messages.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Reads a configuration file, refusing one larger than [`MAX_CONFIG_BYTES`].
pub(crate) fn read_limited(path: &Path) -> Result<String, ConfigError> {
    use std::io::Read;
    let io = |source| ConfigError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut text = String::new();
    let read = file
        .take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(io)?;
    if read as u64 > MAX_CONFIG_BYTES {
        return Err(ConfigError::Syntax {
            location: Location {
                path: path.to_owned(),
                line: None,
            },
            problem: SyntaxProblem::TooLarge(MAX_CONFIG_BYTES),
        });
    }
    Ok(text)
}

/// `[A-Za-z0-9_]+`, the characters of a Postfix parameter name.
pub(crate) fn is_param_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Splits text into logical lines (postconf(5) and postmap(1) input
/// rules): returns (first line number, joined text) and the numbers of
/// continuation lines that had nothing to continue. Comment lines are
/// skipped even inside a continued logical line, as Postfix does.
pub(crate) fn logical_lines(text: &str) -> (Vec<(usize, String)>, Vec<usize>) {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut stray = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let continues = line.starts_with(|c: char| c.is_whitespace());
        if continues {
            match current.as_mut() {
                Some((_, text)) => {
                    text.push(' ');
                    text.push_str(trimmed);
                }
                None => stray.push(number),
            }
        } else {
            if let Some(done) = current.take() {
                out.push(done);
            }
            current = Some((number, line.trim_end().to_owned()));
        }
    }
    if let Some(done) = current {
        out.push(done);
    }
    (out, stray)
}
