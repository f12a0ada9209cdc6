//! FETCH attributes (what the client asks for) and message data items
//! (what the server answers), RFC 3501 sections 6.4.5 and 7.4.2, RFC 9051
//! section 6.4.5 (BINARY), RFC 7162 (MODSEQ, CHANGEDSINCE, VANISHED).

use std::num::NonZeroU32;

use bytes::Bytes;

use super::{BodyStructure, DateTime, Envelope, FlagFetch, Vec1};

/// What FETCH asks for: a macro or a list of attributes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FetchItems {
    /// `ALL` = `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)`
    All,
    /// `FAST` = `(FLAGS INTERNALDATE RFC822.SIZE)`
    Fast,
    /// `FULL` = `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY)`
    Full,
    /// One attribute or a parenthesized list. A list of one is written
    /// without parentheses.
    Attributes(Vec1<FetchAttribute>),
}

impl FetchItems {
    /// The attributes the macro stands for (RFC 3501 section 6.4.5).
    pub fn expand(&self) -> Vec<FetchAttribute> {
        use FetchAttribute::*;
        match self {
            FetchItems::All => vec![Flags, InternalDate, Rfc822Size, Envelope],
            FetchItems::Fast => vec![Flags, InternalDate, Rfc822Size],
            FetchItems::Full => vec![Flags, InternalDate, Rfc822Size, Envelope, Body],
            FetchItems::Attributes(v) => v.to_vec(),
        }
    }
}

/// `<origin.length>` of a partial fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Partial {
    /// First octet, from 0.
    pub origin: u32,
    /// Number of octets.
    pub length: NonZeroU32,
}

/// One FETCH attribute (`fetch-att`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FetchAttribute {
    /// `ENVELOPE`
    Envelope,
    /// `FLAGS`
    Flags,
    /// `INTERNALDATE`
    InternalDate,
    /// `RFC822`
    Rfc822,
    /// `RFC822.HEADER`
    Rfc822Header,
    /// `RFC822.SIZE`
    Rfc822Size,
    /// `RFC822.TEXT`
    Rfc822Text,
    /// `BODY` (structure without extension data)
    Body,
    /// `BODYSTRUCTURE`
    BodyStructure,
    /// `UID`
    Uid,
    /// `MODSEQ` (RFC 7162)
    ModSeq,
    /// `BODY[section]<partial>` or `BODY.PEEK[...]`.
    BodySection {
        /// The section (empty: the whole message).
        section: Section,
        /// `<origin.length>`.
        partial: Option<Partial>,
        /// `.PEEK`: do not set `\Seen`.
        peek: bool,
    },
    /// `BINARY[part]<partial>` or `BINARY.PEEK[...]` (RFC 3516, RFC 9051).
    Binary {
        /// The part numbers (empty: whole message).
        part: Vec<NonZeroU32>,
        /// `<origin.length>`.
        partial: Option<Partial>,
        /// `.PEEK`
        peek: bool,
    },
    /// `BINARY.SIZE[part]`
    BinarySize {
        /// The part numbers.
        part: Vec<NonZeroU32>,
    },
}

/// A body section (`section-spec`): part numbers and what of that part.
///
/// # Examples
///
/// ```
/// use imap_proto::types::{Section, SectionText};
/// let whole = Section::default();
/// assert!(whole.part.is_empty() && whole.text.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Section {
    /// `1.2.3`; empty for the top-level message.
    pub part: Vec<NonZeroU32>,
    /// `HEADER`, `TEXT`, `MIME`...; `None` for the part's whole content.
    pub text: Option<SectionText>,
}

/// `section-msgtext / "MIME"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SectionText {
    /// `HEADER`
    Header,
    /// `HEADER.FIELDS (...)` or `HEADER.FIELDS.NOT (...)`.
    HeaderFields {
        /// `.NOT`
        not: bool,
        /// The field names (`header-list`).
        fields: Vec1<Vec<u8>>,
    },
    /// `TEXT`
    Text,
    /// `MIME` (only after part numbers).
    Mime,
}

/// A FETCH modifier (RFC 4466 `fetch-modifier`, RFC 7162).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FetchModifier {
    /// `CHANGEDSINCE mod-sequence`
    ChangedSince(u64),
    /// `VANISHED` (QRESYNC, UID FETCH only)
    Vanished,
}

/// The content of a body section in a FETCH response.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SectionData {
    /// `NIL`
    Nil,
    /// The octets, written quoted or as a literal by content.
    Data(Bytes),
    /// Octets the owner writes itself, from its own reader: the
    /// serializer emits the literal header and a
    /// [`Fragment::External`](crate::serialize::Fragment::External) marker
    /// in their place. Never produced by the parser.
    External {
        /// How many octets the owner will write.
        length: u64,
    },
}

impl SectionData {
    /// `Data` from bytes.
    pub fn from_bytes(b: impl Into<Bytes>) -> Self {
        SectionData::Data(b.into())
    }
}

/// One item of a FETCH response (`msg-att`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageDataItem {
    /// `FLAGS (...)`
    Flags(Vec<FlagFetch>),
    /// `UID n`
    Uid(NonZeroU32),
    /// `INTERNALDATE "..."`
    InternalDate(DateTime),
    /// `RFC822.SIZE n` (number64 in RFC 9051)
    Rfc822Size(u64),
    /// `ENVELOPE (...)`
    Envelope(Box<Envelope>),
    /// `BODY (...)`: the structure without extension data.
    Body(Box<BodyStructure>),
    /// `BODYSTRUCTURE (...)`
    BodyStructure(Box<BodyStructure>),
    /// `BODY[section]<origin> data`
    BodySection {
        /// The section.
        section: Section,
        /// `<origin>` when the request was partial.
        origin: Option<u32>,
        /// The octets.
        data: SectionData,
    },
    /// `BINARY[part] data`; `~{N}` literal8 when the data holds NUL.
    Binary {
        /// The part numbers.
        part: Vec<NonZeroU32>,
        /// The decoded octets.
        data: SectionData,
    },
    /// `BINARY.SIZE[part] n`
    BinarySize {
        /// The part numbers.
        part: Vec<NonZeroU32>,
        /// Size after decoding.
        size: u64,
    },
    /// `RFC822 data`
    Rfc822(SectionData),
    /// `RFC822.HEADER data`
    Rfc822Header(SectionData),
    /// `RFC822.TEXT data`
    Rfc822Text(SectionData),
    /// `MODSEQ (n)` (RFC 7162)
    ModSeq(u64),
}
