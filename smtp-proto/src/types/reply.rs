//! Replies (RFC 5321 4.2) with enhanced status codes (RFC 2034, RFC 3463).

use std::fmt;

use crate::error::InvalidValue;

/// A three-digit reply code (RFC 5321 4.2: first digit 2-5, second 0-5).
///
/// # Examples
///
/// ```
/// use smtp_proto::ReplyCode;
/// assert!(ReplyCode::new(250).is_ok());
/// assert!(ReplyCode::new(199).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// Checks the digits.
    pub const fn new(code: u16) -> Result<Self, InvalidValue> {
        if code >= 200 && code <= 559 && (code / 10) % 10 <= 5 {
            Ok(ReplyCode(code))
        } else {
            Err(InvalidValue::ReplyCode(code))
        }
    }

    /// The number.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The class the first digit names (RFC 5321 4.2.1).
    pub const fn severity(self) -> Severity {
        match self.0 / 100 {
            2 => Severity::PositiveCompletion,
            3 => Severity::PositiveIntermediate,
            4 => Severity::TransientNegative,
            _ => Severity::PermanentNegative,
        }
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The first digit of a reply code (RFC 5321 4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// 2yz: the action completed.
    PositiveCompletion,
    /// 3yz: send more (354 after DATA, 334 in AUTH).
    PositiveIntermediate,
    /// 4yz: try again later.
    TransientNegative,
    /// 5yz: do not repeat.
    PermanentNegative,
}

/// An enhanced status code `class.subject.detail` (RFC 3463 2).
///
/// # Examples
///
/// ```
/// use smtp_proto::EnhancedStatus;
/// let s = EnhancedStatus::new(5, 1, 1).unwrap();
/// assert_eq!(s.to_string(), "5.1.1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedStatus {
    class: u8,
    subject: u16,
    detail: u16,
}

impl EnhancedStatus {
    /// Class 2, 4 or 5; subject and detail up to three digits.
    pub const fn new(class: u8, subject: u16, detail: u16) -> Result<Self, InvalidValue> {
        if (class == 2 || class == 4 || class == 5) && subject <= 999 && detail <= 999 {
            Ok(EnhancedStatus {
                class,
                subject,
                detail,
            })
        } else {
            Err(InvalidValue::EnhancedStatus)
        }
    }

    /// The class (2 success, 4 persistent transient failure, 5 permanent).
    pub const fn class(self) -> u8 {
        self.class
    }

    /// The subject.
    pub const fn subject(self) -> u16 {
        self.subject
    }

    /// The detail.
    pub const fn detail(self) -> u16 {
        self.detail
    }
}

impl fmt::Display for EnhancedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// A reply: a code, an optional enhanced status code and one or more lines
/// of text (RFC 5321 4.2). Serialized with the enhanced code at the start of
/// every line (RFC 2034 4).
///
/// # Examples
///
/// ```
/// use smtp_proto::Reply;
/// let r = Reply::new(250, Some((2, 1, 0)), "Sender OK").unwrap();
/// assert_eq!(r.to_bytes(), &b"250 2.1.0 Sender OK\r\n"[..]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    code: ReplyCode,
    enhanced: Option<EnhancedStatus>,
    lines: Vec<String>,
}

impl Reply {
    /// A one-line reply. The enhanced code's class must match the code's
    /// first digit, and 3yz replies carry none.
    pub fn new(
        code: u16,
        enhanced: Option<(u8, u16, u16)>,
        text: &str,
    ) -> Result<Self, InvalidValue> {
        Self::multiline(code, enhanced, [text])
    }

    /// A reply of several lines.
    pub fn multiline<I, S>(
        code: u16,
        enhanced: Option<(u8, u16, u16)>,
        lines: I,
    ) -> Result<Self, InvalidValue>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let code = ReplyCode::new(code)?;
        let enhanced = match enhanced {
            None => None,
            Some((c, s, d)) => {
                let e = EnhancedStatus::new(c, s, d)?;
                if u16::from(c) != code.get() / 100 {
                    return Err(InvalidValue::EnhancedStatus);
                }
                Some(e)
            }
        };
        let lines: Vec<String> = lines.into_iter().map(Into::into).collect();
        if lines.is_empty() {
            return Err(InvalidValue::ReplyText);
        }
        if lines.iter().any(|l| !valid_text(l)) {
            return Err(InvalidValue::ReplyText);
        }
        Ok(Reply {
            code,
            enhanced,
            lines,
        })
    }

    /// Builds a reply from parts the caller guarantees valid (constants in
    /// this crate).
    pub(crate) fn fixed(code: u16, enhanced: Option<(u8, u16, u16)>, text: &str) -> Self {
        Reply {
            code: ReplyCode(code),
            enhanced: enhanced.map(|(class, subject, detail)| EnhancedStatus {
                class,
                subject,
                detail,
            }),
            lines: vec![text.to_owned()],
        }
    }

    pub(crate) fn fixed_lines(code: u16, lines: Vec<String>) -> Self {
        Reply {
            code: ReplyCode(code),
            enhanced: None,
            lines,
        }
    }

    pub(crate) fn from_parts(
        code: ReplyCode,
        enhanced: Option<EnhancedStatus>,
        lines: Vec<String>,
    ) -> Self {
        Reply {
            code,
            enhanced,
            lines,
        }
    }

    /// The reply code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The enhanced status code, if any.
    pub fn enhanced(&self) -> Option<EnhancedStatus> {
        self.enhanced
    }

    /// The lines of text, without codes.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The class of the reply.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// Whether the reply is 2yz.
    pub fn is_positive(&self) -> bool {
        self.severity() == Severity::PositiveCompletion
    }

    /// Whether the reply is 4yz (a transient failure: try again later).
    pub fn is_transient(&self) -> bool {
        self.severity() == Severity::TransientNegative
    }

    /// Whether the reply is 5yz (a permanent failure).
    pub fn is_permanent(&self) -> bool {
        self.severity() == Severity::PermanentNegative
    }

    /// The reply on the wire.
    pub fn to_bytes(&self) -> bytes::Bytes {
        let mut out = bytes::BytesMut::new();
        crate::serialize::reply(self, &mut out);
        out.freeze()
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(e) = self.enhanced {
            write!(f, " {e}")?;
        }
        for (i, l) in self.lines.iter().enumerate() {
            if i > 0 {
                f.write_str(" / ")?;
            } else if !l.is_empty() {
                f.write_str(" ")?;
            }
            f.write_str(l)?;
        }
        Ok(())
    }
}

/// Reply text: printable characters, space and tab, UTF-8 allowed (RFC 6531
/// 3.7.4.2 lets servers send UTF-8 text), no CR, LF or other controls.
pub(crate) fn valid_text(text: &str) -> bool {
    text.chars().all(|c| c == '\t' || !c.is_control())
}
