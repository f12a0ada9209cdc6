//! Commands (RFC 5321 4.1.1, RFC 3207, RFC 4954, RFC 3030, RFC 2033) and their
//! MAIL/RCPT parameters.

use crate::error::InvalidValue;
use crate::types::address::{ForwardPath, Host, ReversePath};
use crate::types::sasl::{InitialResponse, Mechanism};

/// One command line a client sends.
///
/// # Examples
///
/// ```
/// use smtp_proto::{Command, parse_command};
/// let cmd = parse_command(b"RCPT TO:<Postmaster>\r\n").unwrap();
/// assert!(matches!(cmd, Command::Rcpt { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `EHLO host` (RFC 5321 4.1.1.1).
    Ehlo(Host),
    /// `HELO domain` (RFC 5321 4.1.1.1).
    Helo(Host),
    /// `LHLO host`, LMTP's greeting (RFC 2033 4.1).
    Lhlo(Host),
    /// `MAIL FROM:<reverse-path> [parameters]` (RFC 5321 4.1.1.2).
    Mail {
        /// The reverse-path.
        reverse_path: ReversePath,
        /// ESMTP parameters.
        parameters: MailParameters,
    },
    /// `RCPT TO:<forward-path> [parameters]` (RFC 5321 4.1.1.3).
    Rcpt {
        /// The forward-path.
        forward_path: ForwardPath,
        /// ESMTP parameters.
        parameters: RcptParameters,
    },
    /// `DATA` (RFC 5321 4.1.1.4).
    Data,
    /// `BDAT size [LAST]` (RFC 3030 2).
    Bdat {
        /// Octets of the chunk that follows the command line.
        size: u64,
        /// Whether this is the last chunk of the message.
        last: bool,
    },
    /// `RSET` (RFC 5321 4.1.1.5).
    Rset,
    /// `VRFY string` (RFC 5321 4.1.1.6).
    Vrfy(String),
    /// `EXPN string` (RFC 5321 4.1.1.7).
    Expn(String),
    /// `HELP [string]` (RFC 5321 4.1.1.8).
    Help(Option<String>),
    /// `NOOP [string]` (RFC 5321 4.1.1.9).
    Noop(Option<String>),
    /// `QUIT` (RFC 5321 4.1.1.10).
    Quit,
    /// `STARTTLS` (RFC 3207 4).
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954 4).
    Auth {
        /// The SASL mechanism.
        mechanism: Mechanism,
        /// The initial response, if the client sent one.
        initial_response: Option<InitialResponse>,
    },
}

impl Command {
    /// The command's verb as it appears on the wire.
    pub fn verb(&self) -> &'static str {
        match self {
            Command::Ehlo(_) => "EHLO",
            Command::Helo(_) => "HELO",
            Command::Lhlo(_) => "LHLO",
            Command::Mail { .. } => "MAIL",
            Command::Rcpt { .. } => "RCPT",
            Command::Data => "DATA",
            Command::Bdat { .. } => "BDAT",
            Command::Rset => "RSET",
            Command::Vrfy(_) => "VRFY",
            Command::Expn(_) => "EXPN",
            Command::Help(_) => "HELP",
            Command::Noop(_) => "NOOP",
            Command::Quit => "QUIT",
            Command::StartTls => "STARTTLS",
            Command::Auth { .. } => "AUTH",
        }
    }
}

/// `BODY=` of MAIL (RFC 6152 2, RFC 3030 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Body {
    /// `BODY=7BIT`
    SevenBit,
    /// `BODY=8BITMIME` (RFC 6152)
    EightBitMime,
    /// `BODY=BINARYMIME` (RFC 3030); the message must be sent with BDAT.
    BinaryMime,
}

/// `RET=` of MAIL (RFC 3461 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ret {
    /// `RET=FULL`: return the whole message in a DSN.
    Full,
    /// `RET=HDRS`: return only the headers.
    Headers,
}

/// `NOTIFY=` of RCPT (RFC 3461 4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notify {
    /// `NOTIFY=NEVER`
    Never,
    /// A combination of `SUCCESS`, `FAILURE`, `DELAY` (at least one set).
    On {
        /// `SUCCESS`
        success: bool,
        /// `FAILURE`
        failure: bool,
        /// `DELAY`
        delay: bool,
    },
}

/// `ORCPT=addr-type;xtext` of RCPT (RFC 3461 4.2). The address is kept in its
/// xtext encoding, as received.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Orcpt {
    /// The address type, for example `rfc822` or `utf-8`.
    pub addr_type: String,
    /// The xtext-encoded original recipient.
    pub address: String,
}

/// An ESMTP parameter the codec has no field for (RFC 5321 4.1.2
/// `esmtp-param`). The server session refuses these with `555 5.5.4`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Parameter {
    keyword: String,
    value: Option<String>,
}

impl Parameter {
    /// Builds a parameter; the keyword is `ALPHA / DIGIT` then
    /// `ALPHA / DIGIT / "-"`, the value printable without `=` or space.
    pub fn new(keyword: &str, value: Option<&str>) -> Result<Self, InvalidValue> {
        let kw_ok = !keyword.is_empty()
            && keyword
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric())
            && keyword
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let val_ok = value.is_none_or(|v| {
            !v.is_empty()
                && v.chars()
                    .all(|c| (c > ' ' && c != '=' && c != '\u{7f}') && !c.is_control())
        });
        if kw_ok && val_ok {
            Ok(Parameter {
                keyword: keyword.to_owned(),
                value: value.map(str::to_owned),
            })
        } else {
            Err(InvalidValue::Parameter)
        }
    }

    pub(crate) fn new_unchecked(keyword: String, value: Option<String>) -> Self {
        Parameter { keyword, value }
    }

    /// The keyword as received.
    pub fn keyword(&self) -> &str {
        &self.keyword
    }

    /// The value, if any.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

/// Parameters of MAIL FROM.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailParameters {
    /// `SIZE=n`, the declared message size (RFC 1870).
    pub size: Option<u64>,
    /// `BODY=` (RFC 6152, RFC 3030).
    pub body: Option<Body>,
    /// `SMTPUTF8` (RFC 6531 3.4).
    pub smtputf8: bool,
    /// `RET=` (RFC 3461).
    pub ret: Option<Ret>,
    /// `ENVID=`, xtext-encoded (RFC 3461 4.4).
    pub envid: Option<String>,
    /// `AUTH=`, the xtext-encoded authenticated sender or `<>` (RFC 4954 5).
    pub auth: Option<String>,
    /// Parameters of other extensions.
    pub other: Vec<Parameter>,
}

/// Parameters of RCPT TO.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RcptParameters {
    /// `NOTIFY=` (RFC 3461).
    pub notify: Option<Notify>,
    /// `ORCPT=` (RFC 3461).
    pub orcpt: Option<Orcpt>,
    /// Parameters of other extensions.
    pub other: Vec<Parameter>,
}
