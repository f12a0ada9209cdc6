//! The client side's [`ResponseDecoder`] and one-shot parse functions.

use bytes::{Bytes, BytesMut};

use crate::error::{DecodeError, DecodeErrorKind};
use crate::limits::Limits;
use crate::types::{Command, Response, Tag};

use super::core::{Cx, PErrKind};
use super::framer::{Framer, Step, read_tag};

pub(crate) fn map_err(
    tag: Option<Tag>,
    e: nom::Err<super::core::PErr>,
    limits: &Limits,
) -> DecodeError {
    let kind = match e {
        nom::Err::Error(p) | nom::Err::Failure(p) => match p.kind {
            PErrKind::Syntax => DecodeErrorKind::Syntax,
            PErrKind::TooDeep => DecodeErrorKind::TooDeep {
                limit: limits.nesting_depth,
            },
            PErrKind::TooManyItems => DecodeErrorKind::TooManyItems {
                limit: limits.items,
            },
        },
        nom::Err::Incomplete(_) => DecodeErrorKind::Syntax,
    };
    DecodeError::new(tag, kind)
}

/// Parses a complete command frame; `bytes` is the same frame as `Bytes`
/// when literal octets should be sliced from it rather than copied.
pub(crate) fn parse_command_frame(
    frame: &[u8],
    bytes: Option<&Bytes>,
    options: DecodeOptions,
    limits: &Limits,
) -> Result<Command, DecodeError> {
    let cx = Cx {
        utf8: options.utf8,
        max_depth: limits.nesting_depth,
        max_items: limits.items,
        frame: bytes,
    };
    match super::command::command(&cx, frame) {
        Ok((&[], c)) => Ok(c),
        Ok(_) => Err(DecodeError::new(read_tag(frame), DecodeErrorKind::Syntax)),
        Err(e) => Err(map_err(read_tag(frame), e, limits)),
    }
}

/// Options that change how bytes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecodeOptions {
    /// Mailbox names are UTF-8 (after `ENABLE UTF8=ACCEPT` or `IMAP4rev2`,
    /// RFC 6855, RFC 9051) instead of modified UTF-7.
    pub utf8: bool,
}

/// Parses one complete command (lines, literals and the final CRLF).
///
/// # Examples
///
/// ```
/// use imap_proto::{parse_command, DecodeOptions, Limits};
/// let c = parse_command(b"A1 NOOP\r\n", DecodeOptions::default(), &Limits::default()).unwrap();
/// assert_eq!(c.tag.as_str(), "A1");
/// ```
pub fn parse_command(
    bytes: &[u8],
    options: DecodeOptions,
    limits: &Limits,
) -> Result<Command, DecodeError> {
    let frame = Bytes::copy_from_slice(bytes);
    parse_command_frame(&frame, Some(&frame), options, limits)
}

fn parse_response_frame(
    frame: &Bytes,
    options: DecodeOptions,
    limits: &Limits,
) -> Result<Response, DecodeError> {
    let cx = Cx {
        utf8: options.utf8,
        max_depth: limits.nesting_depth,
        max_items: limits.items,
        frame: Some(frame),
    };
    let tag = || {
        if frame.first() == Some(&b'*') || frame.first() == Some(&b'+') {
            None
        } else {
            read_tag(frame)
        }
    };
    match super::response::response(&cx, frame) {
        Ok((&[], r)) => Ok(r),
        Ok(_) => Err(DecodeError::new(tag(), DecodeErrorKind::Syntax)),
        Err(e) => Err(map_err(tag(), e, limits)),
    }
}

/// Parses one complete response (lines, literals and the final CRLF).
///
/// # Examples
///
/// ```
/// use imap_proto::{parse_response, DecodeOptions, Limits};
/// use imap_proto::types::{Response, Data};
/// let r = parse_response(b"* 23 EXISTS\r\n", DecodeOptions::default(), &Limits::default()).unwrap();
/// assert_eq!(r, Response::Data(Data::Exists(23)));
/// ```
pub fn parse_response(
    bytes: &[u8],
    options: DecodeOptions,
    limits: &Limits,
) -> Result<Response, DecodeError> {
    let frame = Bytes::copy_from_slice(bytes);
    parse_response_frame(&frame, options, limits)
}

/// What the server sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum ResponseEvent {
    /// A complete response.
    Response(Response),
    /// A response that could not be decoded (skipped).
    Error(DecodeError),
}

/// The client side's incremental response decoder. Literals from a server
/// never wait for a continuation, so this decoder needs no decisions.
///
/// # Examples
///
/// ```
/// use imap_proto::{ResponseDecoder, ResponseEvent, Limits};
/// let mut d = ResponseDecoder::new(Limits::default());
/// d.receive(b"* 1 FETCH (BODY[] {5}\r\nhel");
/// assert_eq!(d.poll_event(), None);
/// d.receive(b"lo)\r\n");
/// assert!(matches!(d.poll_event(), Some(ResponseEvent::Response(_))));
/// ```
#[derive(Debug)]
pub struct ResponseDecoder {
    buf: BytesMut,
    framer: Framer,
    limits: Limits,
    options: DecodeOptions,
}

impl ResponseDecoder {
    /// A decoder with these limits.
    pub fn new(limits: Limits) -> Self {
        ResponseDecoder {
            buf: BytesMut::new(),
            framer: Framer::new(limits, false),
            limits,
            options: DecodeOptions::default(),
        }
    }

    /// Appends bytes read from the connection.
    pub fn receive(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Switches how mailbox names are read.
    pub fn set_options(&mut self, options: DecodeOptions) {
        self.options = options;
    }

    /// Octets received but not yet handed out.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next event, if the buffered bytes hold one.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ResponseEvent> {
        match self.framer.step(&mut self.buf) {
            Step::NeedMore | Step::LiteralRequest { .. } => None,
            Step::Error { kind, tag } => Some(ResponseEvent::Error(DecodeError::new(tag, kind))),
            Step::Frame(n, _) => {
                let frame = self.buf.split_to(n).freeze();
                Some(
                    match parse_response_frame(&frame, self.options, &self.limits) {
                        Ok(r) => ResponseEvent::Response(r),
                        Err(e) => ResponseEvent::Error(e),
                    },
                )
            }
        }
    }
}
