//! Message semantics any backend can reuse: the session's view of the
//! selected mailbox (sequence numbers, UIDs, pending EXPUNGE/EXISTS/FLAGS),
//! FETCH items computed from a message's bytes (ENVELOPE, BODYSTRUCTURE,
//! `BODY[section]<partial>`, BINARY), and SEARCH evaluation.
//!
//! The MIME structure is found by one scan of the bytes (module `mime`),
//! so that octet and line counts are exact and ENVELOPE can carry the
//! header values as written, as RFC 3501 section 7.4.2 asks.
//!
//! # Examples
//!
//! ```
//! use imap_proto::message::Message;
//! let m = Message::new(&b"From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n"[..]);
//! assert_eq!(m.envelope().subject.as_deref(), Some(&b"hi"[..]));
//! assert!(m.body_text().contains("hello"));
//! ```

mod date;
mod fetch;
mod mime;
mod search;
mod section;
mod structure;
mod view;

use std::sync::OnceLock;

use bytes::Bytes;

use crate::types::{BodyStructure, Envelope, Section};

pub use date::{date_of, date_time_of, parse_header_date, unix_of};
pub use fetch::{
    FetchError, FetchInput, fetch_items, needs_message as fetch_needs_message, sets_seen,
};
pub use search::{
    Candidate, SearchContext, charset_supported, has_modseq_key, has_sequence_key, matches,
    matches_all, needs_message,
};
pub use section::{SectionError, decode_base64, decode_encoded_words, decode_qp};
pub use structure::parse_addresses;
pub use view::{
    FlagSet, MailboxView, MessageList, MessageListWriter, MessageState, SequenceError, UpdateStyle,
    flag_fetch,
};

/// A message's bytes with its MIME structure, parsed once.
#[derive(Debug)]
pub struct Message {
    bytes: Bytes,
    root: mime::Part,
    body_text: OnceLock<String>,
    header_text: OnceLock<String>,
}

impl Message {
    /// Parses a message (never fails: malformed MIME degrades to text).
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        let root = mime::parse(&bytes);
        Message {
            bytes,
            root,
            body_text: OnceLock::new(),
            header_text: OnceLock::new(),
        }
    }

    /// The whole message.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    fn header(&self) -> &[u8] {
        self.bytes.get(self.root.header.clone()).unwrap_or_default()
    }

    /// The ENVELOPE.
    pub fn envelope(&self) -> Envelope {
        structure::envelope(self.header())
    }

    /// BODYSTRUCTURE (`extended`) or BODY.
    pub fn body_structure(&self, extended: bool) -> BodyStructure {
        structure::body_structure(&self.bytes, &self.root, extended)
    }

    /// The octets of `BODY[section]` before any partial.
    pub fn section(&self, section: &Section) -> Bytes {
        section::section_bytes(&self.bytes, &self.root, section)
    }

    /// The decoded content of `BINARY[part]`.
    pub fn binary(&self, part: &[std::num::NonZeroU32]) -> Result<Bytes, SectionError> {
        section::binary_bytes(&self.bytes, &self.root, part)
    }

    /// The first value of a header field, unfolded (raw, not decoded).
    pub fn header_value(&self, name: &str) -> Option<Vec<u8>> {
        let fs = mime::fields(self.header());
        mime::field(&fs, name).map(structure::unfold)
    }

    /// Whether any field `name` contains `needle` (lower-case) after
    /// decoding; an empty needle matches when the field exists.
    pub fn header_contains(&self, name: &str, needle: &str) -> bool {
        mime::fields(self.header())
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case(name.as_bytes()))
            .any(|f| {
                needle.is_empty()
                    || section::decode_encoded_words(&structure::unfold(f.value))
                        .to_lowercase()
                        .contains(needle)
            })
    }

    /// The whole header, decoded and lower-cased (SEARCH TEXT).
    pub fn header_text(&self) -> &str {
        self.header_text
            .get_or_init(|| section::decode_encoded_words(self.header()).to_lowercase())
    }

    /// The text of every text part (and of encapsulated messages),
    /// transfer-decoded, charset-decoded and lower-cased (SEARCH BODY).
    pub fn body_text(&self) -> &str {
        self.body_text.get_or_init(|| {
            let mut out = String::new();
            collect_text(&self.bytes, &self.root, &mut out, 0);
            out.to_lowercase()
        })
    }
}

fn collect_text(msg: &[u8], part: &mime::Part, out: &mut String, depth: usize) {
    if depth > mime::MAX_DEPTH {
        return;
    }
    match &part.kind {
        mime::PartKind::Multipart(parts) => {
            for p in parts {
                collect_text(msg, p, out, depth + 1);
            }
        }
        mime::PartKind::Message(inner) => {
            let h = msg.get(inner.header.clone()).unwrap_or_default();
            out.push_str(&section::decode_encoded_words(h));
            collect_text(msg, inner, out, depth + 1);
        }
        mime::PartKind::Leaf => {
            let ct = &part.content_type;
            if ct.media_type != "TEXT" && !part.defaulted {
                return;
            }
            let body = msg.get(part.body.clone()).unwrap_or_default();
            let h = msg.get(part.header.clone()).unwrap_or_default();
            let fs = mime::fields(h);
            let cte = mime::field(&fs, "Content-Transfer-Encoding")
                .map(|v| mime::trim(v).to_ascii_lowercase())
                .unwrap_or_default();
            let decoded = match cte.as_slice() {
                b"base64" => section::decode_base64(body),
                b"quoted-printable" => section::decode_qp(body),
                _ => body.to_vec(),
            };
            let charset = ct.param_2231("charset").unwrap_or_default();
            out.push_str(&section::decode_charset(&decoded, &charset));
            out.push('\n');
        }
    }
}
