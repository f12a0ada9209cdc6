//! SEARCH keys (RFC 3501 section 6.4.4, RFC 9051 section 6.4.4, RFC 7162
//! MODSEQ, RFC 5032 OLDER/YOUNGER), ESEARCH return options (RFC 4731,
//! RFC 5182 SAVE), SORT and THREAD (RFC 5256).

use super::{Atom, Date, SequenceSet, Vec1};

/// One search key. Nesting (`NOT`, `OR`, parentheses) is bounded by
/// [`Limits::nesting_depth`](crate::Limits::nesting_depth) in the parser.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // the variants are the RFC's keys, one to one
pub enum SearchKey {
    All,
    Answered,
    Bcc(Vec<u8>),
    Before(Date),
    Body(Vec<u8>),
    Cc(Vec<u8>),
    Deleted,
    Draft,
    Flagged,
    From(Vec<u8>),
    /// `HEADER field-name value`
    Header(Vec<u8>, Vec<u8>),
    Keyword(Atom),
    Larger(u64),
    New,
    Not(Box<SearchKey>),
    Old,
    On(Date),
    Or(Box<SearchKey>, Box<SearchKey>),
    Recent,
    Seen,
    SentBefore(Date),
    SentOn(Date),
    SentSince(Date),
    Since(Date),
    Smaller(u64),
    Subject(Vec<u8>),
    Text(Vec<u8>),
    To(Vec<u8>),
    Uid(SequenceSet),
    Unanswered,
    Undeleted,
    Undraft,
    Unflagged,
    Unkeyword(Atom),
    Unseen,
    /// `OLDER n` (RFC 5032): arrived more than n seconds ago.
    Older(u32),
    /// `YOUNGER n` (RFC 5032).
    Younger(u32),
    /// `MODSEQ ["/flags/name" priv|shared|all] n` (RFC 7162 section 3.1.5).
    ModSeq {
        /// The metadata entry and its type, if given.
        entry: Option<(Vec<u8>, EntryType)>,
        /// The mod-sequence value.
        modseq: u64,
    },
    /// A bare sequence set.
    SequenceSet(SequenceSet),
    /// `( key key ... )`: all must match.
    And(Vec1<SearchKey>),
}

/// `entry-type-req` of SEARCH MODSEQ (RFC 7162).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryType {
    /// `priv`
    Private,
    /// `shared`
    Shared,
    /// `all`
    All,
}

/// ESEARCH `RETURN` options (RFC 4731, RFC 5182, RFC 9051 section 6.4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchReturnOption {
    /// `MIN`
    Min,
    /// `MAX`
    Max,
    /// `ALL`
    All,
    /// `COUNT`
    Count,
    /// `SAVE` (SEARCHRES)
    Save,
}

/// A search `charset` (atom or quoted), e.g. `UTF-8`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Charset(pub String);

/// `sort-criterion = ["REVERSE" SP] sort-key` (RFC 5256, RFC 5957 DISPLAY*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SortCriterion {
    /// `REVERSE`
    pub reverse: bool,
    /// The key.
    pub key: SortKey,
}

/// `sort-key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum SortKey {
    Arrival,
    Cc,
    Date,
    From,
    Size,
    Subject,
    To,
    DisplayFrom,
    DisplayTo,
}

/// `thread-alg` (RFC 5256).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ThreadAlgorithm {
    /// `ORDEREDSUBJECT`
    OrderedSubject,
    /// `REFERENCES`
    References,
    /// Any other algorithm name.
    Other(Atom),
}
