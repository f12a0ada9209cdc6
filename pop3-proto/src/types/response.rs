//! POP3 responses: status, RFC 2449 extended response codes, and CAPA
//! capabilities.

use crate::Error;

/// The status indicator of a response (RFC 1939 section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// `+OK`.
    Ok,
    /// `-ERR`.
    Err,
}

/// An extended response code (RFC 2449 section 8): levels separated by
/// `/`, each `1*rchar`, compared case-insensitively.
///
/// # Examples
///
/// ```
/// use pop3_proto::RespCode;
/// let code = RespCode::new("sys/temp").unwrap();
/// assert_eq!(code, RespCode::SYS_TEMP);
/// assert!(RespCode::new("bad]code").is_err());
/// ```
#[derive(Debug, Clone, Eq)]
pub struct RespCode(std::borrow::Cow<'static, str>);

impl RespCode {
    /// `IN-USE`: authenticated, but the maildrop is locked (RFC 2449 8.1.2).
    pub const IN_USE: RespCode = RespCode(std::borrow::Cow::Borrowed("IN-USE"));
    /// `LOGIN-DELAY`: logged in too recently (RFC 2449 8.1.1).
    pub const LOGIN_DELAY: RespCode = RespCode(std::borrow::Cow::Borrowed("LOGIN-DELAY"));
    /// `SYS/TEMP`: a temporary system problem (RFC 3206).
    pub const SYS_TEMP: RespCode = RespCode(std::borrow::Cow::Borrowed("SYS/TEMP"));
    /// `SYS/PERM`: a permanent system problem (RFC 3206).
    pub const SYS_PERM: RespCode = RespCode(std::borrow::Cow::Borrowed("SYS/PERM"));
    /// `AUTH`: the credentials are the problem (RFC 3206).
    pub const AUTH: RespCode = RespCode(std::borrow::Cow::Borrowed("AUTH"));

    /// Validates a response code such as `SYS/TEMP`.
    pub fn new(code: impl Into<String>) -> Result<Self, Error> {
        let code = code.into();
        let valid_level = |l: &str| {
            !l.is_empty()
                && l.bytes()
                    .all(|b| (0x21..=0x7e).contains(&b) && b != b'/' && b != b']')
        };
        if code.split('/').all(valid_level) {
            Ok(RespCode(std::borrow::Cow::Owned(code)))
        } else {
            Err(Error::Invalid {
                what: "response code",
            })
        }
    }

    /// The code as text, levels separated by `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The levels of the code, most general first.
    pub fn levels(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

impl PartialEq for RespCode {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

/// A single-line response, or the first line of a multi-line one.
///
/// # Examples
///
/// ```
/// use pop3_proto::{RespCode, Response};
/// let r = Response::err("maildrop already locked").unwrap().with_code(RespCode::IN_USE);
/// let mut out = bytes::BytesMut::new();
/// pop3_proto::serialize::response(&r, &mut out);
/// assert_eq!(&out[..], b"-ERR [IN-USE] maildrop already locked\r\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    status: Status,
    code: Option<RespCode>,
    text: String,
}

impl Response {
    /// The longest text this crate builds or accepts, so that the line
    /// stays within RFC 2449's 512 octets with any status and code.
    pub const MAX_TEXT: usize = 400;

    /// Builds a response. The text may be empty; it carries no CR, LF or
    /// other control characters, and without a code it does not start
    /// with `[` (that would read as a code).
    pub fn new(status: Status, text: impl Into<String>) -> Result<Self, Error> {
        let text = text.into();
        if text.len() > Self::MAX_TEXT
            || text.chars().any(|c| c.is_control())
            || text.starts_with('[')
        {
            return Err(Error::Invalid {
                what: "response text",
            });
        }
        Ok(Response {
            status,
            code: None,
            text,
        })
    }
    /// `+OK text`.
    pub fn ok(text: impl Into<String>) -> Result<Self, Error> {
        Self::new(Status::Ok, text)
    }
    /// `-ERR text`.
    pub fn err(text: impl Into<String>) -> Result<Self, Error> {
        Self::new(Status::Err, text)
    }
    /// Adds an extended response code (RFC 2449 section 8).
    pub fn with_code(mut self, code: RespCode) -> Self {
        self.code = Some(code);
        self
    }
    /// Built from parts the parser or the session already validated.
    pub(crate) fn from_parts(status: Status, code: Option<RespCode>, text: String) -> Self {
        Response { status, code, text }
    }
    /// The status indicator.
    pub fn status(&self) -> Status {
        self.status
    }
    /// Whether this is `+OK`.
    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }
    /// The extended response code, if any.
    pub fn code(&self) -> Option<&RespCode> {
        self.code.as_ref()
    }
    /// The human-readable text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// One line of a CAPA response (RFC 2449 section 5): a tag and its
/// parameters.
///
/// # Examples
///
/// ```
/// use pop3_proto::Capability;
/// let sasl = Capability::new("SASL", ["PLAIN", "LOGIN"]).unwrap();
/// assert_eq!(sasl.params(), ["PLAIN", "LOGIN"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capability {
    tag: String,
    params: Vec<String>,
}

impl Capability {
    /// Validates a capability: the tag is `1*cchar` (no `.`), each
    /// parameter `1*VCHAR`, the line within 512 octets.
    pub fn new<I, S>(tag: impl Into<String>, params: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let tag = tag.into();
        let params: Vec<String> = params.into_iter().map(Into::into).collect();
        let tag_ok =
            !tag.is_empty() && tag.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'.');
        let params_ok = params
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| (0x21..=0x7e).contains(&b)));
        let len = tag.len() + params.iter().map(|p| p.len() + 1).sum::<usize>() + 2;
        if !tag_ok || !params_ok || len > 512 {
            return Err(Error::Invalid { what: "capability" });
        }
        Ok(Capability { tag, params })
    }
    /// The tag, such as `SASL`.
    pub fn tag(&self) -> &str {
        &self.tag
    }
    /// The parameters, such as `PLAIN LOGIN`.
    pub fn params(&self) -> &[String] {
        &self.params
    }
}
