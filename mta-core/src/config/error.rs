//! Errors and warnings of the configuration readers.

use std::fmt;
use std::path::PathBuf;

/// Where a configuration value came from: a line of a file, or a built-in
/// default / caller override (no line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file the value was read from, or a pseudo path such as
    /// `(default)` for built-in defaults.
    pub path: PathBuf,
    /// The 1-based line number where the logical line starts, when the
    /// value came from a file.
    pub line: Option<usize>,
}

impl Location {
    pub(crate) fn file(path: impl Into<PathBuf>, line: usize) -> Self {
        Location {
            path: path.into(),
            line: Some(line),
        }
    }

    pub(crate) fn default_value() -> Self {
        Location {
            path: PathBuf::from("(default)"),
            line: None,
        }
    }

    pub(crate) fn override_value() -> Self {
        Location {
            path: PathBuf::from("(override)"),
            line: None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.path.display(), line),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

/// A configuration file could not be read or holds a bad value.
///
/// Every variant that concerns a value names the file and line (see
/// [`Location`]) and, where there is one, the parameter.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}", path = path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A line does not follow the file's syntax.
    #[error("{location}: {problem}")]
    Syntax {
        /// Where.
        location: Location,
        /// What is wrong.
        problem: SyntaxProblem,
    },
    /// A parameter has a value that cannot be used.
    #[error("{location}: bad value for parameter {parameter}: {problem}")]
    Value {
        /// Where the value was set.
        location: Location,
        /// The parameter's name.
        parameter: String,
        /// What is wrong.
        problem: ValueProblem,
    },
}

/// A syntax error in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyntaxProblem {
    /// A `main.cf` line lacks the `=` between name and value.
    #[error("missing '=' after parameter name {0:?}")]
    MissingEquals(String),
    /// A parameter name holds characters other than letters, digits, `_`.
    #[error("bad parameter name {0:?}")]
    BadName(String),
    /// A `{` section was not closed before the end of the file.
    #[error("section {0:?} is not closed with '}}'")]
    UnclosedSection(String),
    /// A `}` without an open section.
    #[error("'}}' without an open section")]
    UnexpectedClose,
    /// A quoted value lacks its closing quote.
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    /// Sections nest deeper than the reader allows.
    #[error("sections nested deeper than {0}")]
    TooDeep(usize),
    /// The file is larger than the reader accepts.
    #[error("file larger than {0} bytes")]
    TooLarge(u64),
}

/// Why a parameter's value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueProblem {
    /// Not `yes` or `no`.
    #[error("{0:?} is not yes or no")]
    Bool(String),
    /// Not a non-negative decimal number (in range).
    #[error("{0:?} is not a valid number")]
    Number(String),
    /// Not a time: a number with an optional unit s, m, h, d or w.
    #[error("{0:?} is not a valid time (number with optional unit s, m, h, d, w)")]
    Time(String),
    /// A restriction name this implementation does not know.
    #[error("unknown restriction {0:?}")]
    UnknownRestriction(String),
    /// A `check_*_access` restriction is not followed by a table.
    #[error("restriction {0} needs a type:table argument")]
    MissingTable(String),
    /// A `type:name` lookup table reference that cannot be used.
    #[error("bad lookup table {0:?}: {1}")]
    Table(String, &'static str),
    /// A network address or `address/prefix` pattern that does not parse.
    #[error("{0:?} is not an IP address or network/prefix")]
    Network(String),
    /// A `$name` expansion that does not parse.
    #[error("bad parameter expansion in {0:?}")]
    Macro(String),
    /// `$name` expansions nest too deep (a loop such as `a = $b`, `b = $a`).
    #[error("parameter expansion nested deeper than {0} (a loop?)")]
    MacroNesting(usize),
    /// `$name` expansion takes too many steps or grows too long (see
    /// [`MAX_EXPANSION_STEPS`](super::MAX_EXPANSION_STEPS)).
    #[error("parameter expansion too large")]
    ExpansionTooLarge,
    /// A value that is not one of the words the parameter allows.
    #[error("{value:?} is not one of: {allowed}")]
    Word {
        /// The value found.
        value: String,
        /// The allowed words.
        allowed: &'static str,
    },
    /// A form Postfix accepts that this implementation does not support.
    #[error("{0:?} is not supported")]
    Unsupported(String),
    /// Neither restriction list can refuse relaying: an open relay.
    #[error(
        "neither smtpd_relay_restrictions nor smtpd_recipient_restrictions holds one of \
         reject_unauth_destination, defer_unauth_destination, reject or defer: \
         that would be an open relay"
    )]
    OpenRelay,
    /// A file the value refers to could not be read.
    #[error("cannot read {path}: {reason}", path = path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The operating system's message.
        reason: String,
    },
}

/// Something in a configuration file that is not an error but deserves the
/// operator's attention (returned to the caller, never printed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Where.
    pub location: Location,
    /// What.
    pub kind: WarningKind,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.kind)
    }
}

/// The kinds of [`Warning`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WarningKind {
    /// A parameter this implementation does not know (and that no known
    /// parameter refers to with `$name`): it is ignored.
    #[error("unknown parameter {0} is ignored")]
    UnknownParameter(String),
    /// A section (Dovecot syntax) this implementation does not use.
    #[error("section {0:?} is ignored")]
    UnknownSection(String),
    /// A parameter is set more than once: the last setting wins, as in Postfix.
    #[error("parameter {0} is set again; the last value wins")]
    Duplicate(String),
    /// A line starts with white space but there is no logical line to continue.
    #[error("continuation line without a preceding parameter is ignored")]
    StrayContinuation,
    /// `$name` refers to a parameter that is not set and has no default: it
    /// expands to nothing, as in Postfix.
    #[error("undefined parameter ${0} expands to nothing")]
    UndefinedParameter(String),
    /// A directive this implementation does not follow (for example `!include`).
    #[error("directive {0:?} is ignored")]
    IgnoredDirective(String),
}
