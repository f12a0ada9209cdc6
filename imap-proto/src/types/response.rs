//! Responses a server sends (RFC 3501 section 7, RFC 9051 section 7, and
//! the extensions named on each variant).

use std::num::NonZeroU32;

use super::{
    Atom, Flag, FlagPerm, Mailbox, MailboxAttribute, MessageDataItem, SequenceSet, StatusItem, Tag,
    UidSet, Vec1,
};

/// A server response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `OK`/`NO`/`BAD` (tagged or not), `PREAUTH`, `BYE`.
    Status(StatusResponse),
    /// Untagged data (`* ...`).
    Data(Data),
    /// A continuation request (`+ ...`).
    Continuation(Continuation),
}

/// A status response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusResponse {
    /// The tag of the completed command, `None` for `*`.
    pub tag: Option<Tag>,
    /// The condition.
    pub kind: StatusKind,
    /// `[code]`
    pub code: Option<Code>,
    /// Human-readable text.
    pub text: String,
}

/// `OK`, `NO`, `BAD`, `PREAUTH`, `BYE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusKind {
    /// `OK`
    Ok,
    /// `NO`
    No,
    /// `BAD`
    Bad,
    /// `PREAUTH` (untagged only)
    PreAuth,
    /// `BYE` (untagged only)
    Bye,
}

/// A response code (`resp-text-code`): RFC 3501 section 7.1, RFC 9051,
/// RFC 4315 UIDPLUS, RFC 7162 CONDSTORE/QRESYNC, RFC 5530, RFC 4978,
/// RFC 6154, RFC 5182, RFC 4469.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)] // the variants are the RFCs' codes, one to one
pub enum Code {
    Alert,
    BadCharset(Vec<Vec<u8>>),
    Capability(Vec1<Atom>),
    Parse,
    PermanentFlags(Vec<FlagPerm>),
    ReadOnly,
    ReadWrite,
    TryCreate,
    UidNext(NonZeroU32),
    UidValidity(NonZeroU32),
    Unseen(NonZeroU32),
    /// `APPENDUID uidvalidity uids` (RFC 4315)
    AppendUid {
        uid_validity: NonZeroU32,
        uids: UidSet,
    },
    /// `COPYUID uidvalidity source dest` (RFC 4315)
    CopyUid {
        uid_validity: NonZeroU32,
        source: UidSet,
        destination: UidSet,
    },
    UidNotSticky,
    HighestModSeq(u64),
    NoModSeq,
    /// `MODIFIED set` (RFC 7162)
    Modified(SequenceSet),
    Closed,
    Unavailable,
    AuthenticationFailed,
    AuthorizationFailed,
    Expired,
    PrivacyRequired,
    ContactAdmin,
    NoPerm,
    InUse,
    ExpungeIssued,
    Corruption,
    ServerBug,
    ClientBug,
    Cannot,
    Limit,
    OverQuota,
    AlreadyExists,
    NonExistent,
    /// `UNKNOWN-CTE` (RFC 3516, RFC 9051)
    UnknownCte,
    /// `HASCHILDREN` (RFC 9051)
    HasChildren,
    /// `COMPRESSIONACTIVE` (RFC 4978)
    CompressionActive,
    /// `USEATTR` (RFC 6154)
    UseAttr,
    /// `NOTSAVED` (RFC 5182)
    NotSaved,
    /// `TOOBIG` (RFC 4469, used by RFC 7888 LITERAL-)
    TooBig,
    /// Any other code: its atom and optional text.
    Other(Atom, Option<String>),
}

/// The codes without arguments, with their names.
pub(crate) const SIMPLE_CODES: &[(&str, Code)] = &[
    ("ALERT", Code::Alert),
    ("PARSE", Code::Parse),
    ("READ-ONLY", Code::ReadOnly),
    ("READ-WRITE", Code::ReadWrite),
    ("TRYCREATE", Code::TryCreate),
    ("UIDNOTSTICKY", Code::UidNotSticky),
    ("NOMODSEQ", Code::NoModSeq),
    ("CLOSED", Code::Closed),
    ("UNAVAILABLE", Code::Unavailable),
    ("AUTHENTICATIONFAILED", Code::AuthenticationFailed),
    ("AUTHORIZATIONFAILED", Code::AuthorizationFailed),
    ("EXPIRED", Code::Expired),
    ("PRIVACYREQUIRED", Code::PrivacyRequired),
    ("CONTACTADMIN", Code::ContactAdmin),
    ("NOPERM", Code::NoPerm),
    ("INUSE", Code::InUse),
    ("EXPUNGEISSUED", Code::ExpungeIssued),
    ("CORRUPTION", Code::Corruption),
    ("SERVERBUG", Code::ServerBug),
    ("CLIENTBUG", Code::ClientBug),
    ("CANNOT", Code::Cannot),
    ("LIMIT", Code::Limit),
    ("OVERQUOTA", Code::OverQuota),
    ("ALREADYEXISTS", Code::AlreadyExists),
    ("NONEXISTENT", Code::NonExistent),
    ("UNKNOWN-CTE", Code::UnknownCte),
    ("HASCHILDREN", Code::HasChildren),
    ("COMPRESSIONACTIVE", Code::CompressionActive),
    ("USEATTR", Code::UseAttr),
    ("NOTSAVED", Code::NotSaved),
    ("TOOBIG", Code::TooBig),
];

/// Untagged data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// `CAPABILITY ...`
    Capability(Vec1<Atom>),
    /// `LIST (attrs) delim mailbox [(ext)]`
    List(ListData),
    /// `LSUB (attrs) delim mailbox`
    Lsub(ListData),
    /// `STATUS mailbox (items)`
    Status {
        /// The mailbox.
        mailbox: Mailbox,
        /// Values.
        items: Vec<StatusValue>,
    },
    /// `SEARCH n... [(MODSEQ m)]`
    Search {
        /// Matching numbers.
        numbers: Vec<NonZeroU32>,
        /// Highest mod-sequence of the matches (RFC 7162).
        modseq: Option<u64>,
    },
    /// `ESEARCH [(TAG "t")] [UID] data...` (RFC 4731)
    ESearch {
        /// The correlated command's tag.
        tag: Option<Vec<u8>>,
        /// Numbers are UIDs.
        uid: bool,
        /// The results.
        items: Vec<ESearchItem>,
    },
    /// `SORT n... [(MODSEQ m)]` (RFC 5256)
    Sort {
        /// Sorted numbers.
        numbers: Vec<NonZeroU32>,
        /// Highest mod-sequence (RFC 7162).
        modseq: Option<u64>,
    },
    /// `THREAD (..)(..)` (RFC 5256)
    Thread(Vec<Thread>),
    /// `FLAGS (...)`
    Flags(Vec<Flag>),
    /// `n EXISTS`
    Exists(u32),
    /// `n RECENT` (IMAP4rev1)
    Recent(u32),
    /// `n EXPUNGE`
    Expunge(NonZeroU32),
    /// `n FETCH (...)`
    Fetch {
        /// Message sequence number.
        seq: NonZeroU32,
        /// The items.
        items: Vec1<MessageDataItem>,
    },
    /// `ENABLED ...` (RFC 5161)
    Enabled(Vec<Atom>),
    /// `NAMESPACE personal other shared` (RFC 2342)
    Namespace {
        /// Personal namespaces (`None` is NIL).
        personal: Option<Vec1<NamespaceDescription>>,
        /// Other users' namespaces.
        other: Option<Vec1<NamespaceDescription>>,
        /// Shared namespaces.
        shared: Option<Vec1<NamespaceDescription>>,
    },
    /// `ID (...)` / `ID NIL` (RFC 2971)
    Id(super::IdParameters),
    /// `VANISHED [(EARLIER)] uids` (RFC 7162)
    Vanished {
        /// `(EARLIER)`
        earlier: bool,
        /// The expunged UIDs.
        uids: SequenceSet,
    },
}

/// The body of a LIST or LSUB response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListData {
    /// Name attributes.
    pub attributes: Vec<MailboxAttribute>,
    /// Hierarchy delimiter; `None` is NIL (flat).
    pub delimiter: Option<char>,
    /// The mailbox.
    pub mailbox: Mailbox,
    /// Extended data (RFC 5258 CHILDINFO, RFC 9051 OLDNAME).
    pub extended: Vec<ListExtendedItem>,
}

/// `mbox-list-extended-item`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListExtendedItem {
    /// `CHILDINFO ("SUBSCRIBED")` (RFC 5258 section 4)
    ChildInfo(Vec1<Vec<u8>>),
    /// `OLDNAME (mailbox)` (RFC 9051 section 6.3.9.7)
    OldName(Mailbox),
    /// An item of an extension this codec does not know: its tag and its
    /// `tagged-ext-val` exactly as sent (RFC 4466 section 2.1; the value is
    /// checked for balanced parentheses, strings and literals).
    Other {
        /// The item's tag.
        tag: Vec<u8>,
        /// The value's bytes on the wire.
        value: Vec<u8>,
    },
}

/// A STATUS value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusValue {
    /// Which item.
    pub item: StatusItem,
    /// Its value.
    pub value: u64,
}

/// One ESEARCH result (`search-return-data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ESearchItem {
    /// `MIN n`
    Min(NonZeroU32),
    /// `MAX n`
    Max(NonZeroU32),
    /// `ALL set`
    All(SequenceSet),
    /// `COUNT n`
    Count(u32),
    /// `MODSEQ n` (RFC 7162)
    ModSeq(u64),
}

/// A thread: messages one after another, then branches
/// (RFC 5256 `thread-list`). Either `members` is non-empty or there are at
/// least two `children`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread {
    /// The chain of messages, each the parent of the next.
    pub members: Vec<NonZeroU32>,
    /// Sub-threads below the last member.
    pub children: Vec<Thread>,
}

/// A namespace (`namespace-descr`, RFC 2342 section 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceDescription {
    /// Prefix, as sent on the wire.
    pub prefix: Vec<u8>,
    /// Hierarchy delimiter; `None` is NIL.
    pub delimiter: Option<char>,
    /// Extensions: name and values.
    pub extensions: Vec<(Vec<u8>, Vec1<Vec<u8>>)>,
}

/// A continuation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Continuation {
    /// `+ [code] text`
    Text {
        /// Optional code.
        code: Option<Code>,
        /// The text (may be empty).
        text: String,
    },
    /// `+ base64`: a SASL challenge, decoded. The parser returns this form
    /// when the line is non-empty valid base64 with padding; anything else is
    /// [`Continuation::Text`].
    Base64(Vec<u8>),
}
