//! ENVELOPE and BODYSTRUCTURE (RFC 3501 section 7.4.2, RFC 9051 section 7.5.2).

use super::{NString, Vec1};

/// One address of an ENVELOPE (`address`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Address {
    /// Display name.
    pub name: NString,
    /// Source route (obsolete, normally NIL).
    pub adl: NString,
    /// Local part; NIL with a non-NIL host ends a group, a non-NIL host
    /// NIL starts one (RFC 3501 section 7.4.2).
    pub mailbox: NString,
    /// Domain.
    pub host: NString,
}

/// The ENVELOPE structure. An empty address list is written `NIL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Envelope {
    /// Date:
    pub date: NString,
    /// Subject:
    pub subject: NString,
    /// From:
    pub from: Vec<Address>,
    /// Sender:
    pub sender: Vec<Address>,
    /// Reply-To:
    pub reply_to: Vec<Address>,
    /// To:
    pub to: Vec<Address>,
    /// Cc:
    pub cc: Vec<Address>,
    /// Bcc:
    pub bcc: Vec<Address>,
    /// In-Reply-To:
    pub in_reply_to: NString,
    /// Message-ID:
    pub message_id: NString,
}

/// Attribute/value pairs (`body-fld-param`); empty is `NIL`.
pub type BodyParameters = Vec<(Vec<u8>, Vec<u8>)>;

/// A BODY or BODYSTRUCTURE value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BodyStructure {
    /// A non-multipart body.
    Single {
        /// Fields every single part has.
        body: Body,
        /// Extension data (BODYSTRUCTURE only).
        extension: Option<SinglePartExtension>,
    },
    /// A multipart body.
    Multi {
        /// The parts.
        bodies: Vec1<BodyStructure>,
        /// `MIXED`, `ALTERNATIVE`...
        subtype: Vec<u8>,
        /// Extension data (BODYSTRUCTURE only).
        extension: Option<MultiPartExtension>,
    },
}

/// A single part: basic fields plus what its media type adds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Body {
    /// `body-fields`
    pub fields: BodyFields,
    /// Type-specific data.
    pub specific: SpecificFields,
}

/// `body-fields = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP body-fld-octets`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BodyFields {
    /// Content-Type parameters.
    pub parameters: BodyParameters,
    /// Content-ID.
    pub id: NString,
    /// Content-Description.
    pub description: NString,
    /// Content-Transfer-Encoding.
    pub encoding: Vec<u8>,
    /// Size in octets.
    pub octets: u32,
}

/// What a single part's media type adds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SpecificFields {
    /// Any type but TEXT and MESSAGE/RFC822 (and MESSAGE/GLOBAL).
    Basic {
        /// The media type.
        media_type: Vec<u8>,
        /// The media subtype.
        subtype: Vec<u8>,
    },
    /// `MESSAGE/RFC822` or `MESSAGE/GLOBAL`.
    Message {
        /// `RFC822` or `GLOBAL`, as spelled.
        subtype: Vec<u8>,
        /// The encapsulated message's envelope.
        envelope: Box<Envelope>,
        /// Its structure.
        body_structure: Box<BodyStructure>,
        /// Its size in lines.
        lines: u32,
    },
    /// `TEXT/*`.
    Text {
        /// The subtype (`PLAIN`...).
        subtype: Vec<u8>,
        /// Size in lines.
        lines: u32,
    },
}

/// `body-ext-1part`: MD5, then optionally the common tail.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SinglePartExtension {
    /// Content-MD5.
    pub md5: NString,
    /// Disposition and what follows, if sent.
    pub tail: Option<DispositionTail>,
}

/// `body-ext-mpart`: parameters, then optionally the common tail.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MultiPartExtension {
    /// Content-Type parameters.
    pub parameters: BodyParameters,
    /// Disposition and what follows, if sent.
    pub tail: Option<DispositionTail>,
}

/// `body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DispositionTail {
    /// Content-Disposition: type and parameters, or NIL.
    pub disposition: Option<(Vec<u8>, BodyParameters)>,
    /// Language and what follows, if sent.
    pub tail: Option<LanguageTail>,
}

/// `body-fld-lang [SP body-fld-loc *(SP body-extension)]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LanguageTail {
    /// Content-Language tags; empty is `NIL`, one is written as a string,
    /// more as a list.
    pub languages: Vec<Vec<u8>>,
    /// Location and extensions, if sent.
    pub tail: Option<LocationTail>,
}

/// `body-fld-loc *(SP body-extension)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocationTail {
    /// Content-Location.
    pub location: NString,
    /// Future extension data.
    pub extensions: Vec<BodyExtension>,
}

/// `body-extension = nstring / number / "(" body-extension *(SP body-extension) ")"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BodyExtension {
    /// A string or NIL.
    NString(NString),
    /// A number.
    Number(u64),
    /// A list.
    List(Vec1<BodyExtension>),
}
