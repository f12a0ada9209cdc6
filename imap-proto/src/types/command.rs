//! Commands a client sends (RFC 3501 section 6, RFC 9051 section 6, and the
//! extensions named on each variant).

use std::num::NonZeroU32;

use super::{
    Atom, Charset, DateTime, FetchItems, FetchModifier, Flag, ListMailbox, LiteralData, Mailbox,
    MailboxAttribute, NString, SearchKey, SearchReturnOption, Secret, SequenceSet, SortCriterion,
    Tag, ThreadAlgorithm, Vec1,
};

/// A tagged command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The client's tag.
    pub tag: Tag,
    /// What the command is.
    pub body: CommandBody,
}

/// A command's name and arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandBody {
    /// `CAPABILITY`
    Capability,
    /// `NOOP`
    Noop,
    /// `LOGOUT`
    Logout,
    /// `STARTTLS` (RFC 2595)
    StartTls,
    /// `AUTHENTICATE mechanism [initial-response]` (RFC 4959 SASL-IR).
    Authenticate {
        /// The SASL mechanism.
        mechanism: Atom,
        /// The decoded initial response; `=` is `Some(empty)`.
        initial_response: Option<Secret<Vec<u8>>>,
    },
    /// `LOGIN userid password`
    Login {
        /// User name.
        username: Vec<u8>,
        /// Password.
        password: Secret<Vec<u8>>,
    },
    /// `ENABLE capability...` (RFC 5161)
    Enable {
        /// What to enable (`CONDSTORE`, `QRESYNC`, `UTF8=ACCEPT`, `IMAP4rev2`).
        capabilities: Vec1<Atom>,
    },
    /// `SELECT mailbox [(params)]`
    Select {
        /// The mailbox.
        mailbox: Mailbox,
        /// `CONDSTORE`, `QRESYNC (...)` (RFC 7162).
        parameters: Vec<SelectParameter>,
    },
    /// `EXAMINE mailbox [(params)]`
    Examine {
        /// The mailbox.
        mailbox: Mailbox,
        /// As for SELECT.
        parameters: Vec<SelectParameter>,
    },
    /// `CREATE mailbox [(USE (attrs))]` (RFC 6154 section 3)
    Create {
        /// The new mailbox.
        mailbox: Mailbox,
        /// The `USE` special-use attributes, if given.
        special_use: Option<Vec<MailboxAttribute>>,
    },
    /// `DELETE mailbox`
    Delete {
        /// The mailbox.
        mailbox: Mailbox,
    },
    /// `RENAME from to`
    Rename {
        /// Existing name.
        from: Mailbox,
        /// New name.
        to: Mailbox,
    },
    /// `SUBSCRIBE mailbox`
    Subscribe {
        /// The mailbox.
        mailbox: Mailbox,
    },
    /// `UNSUBSCRIBE mailbox`
    Unsubscribe {
        /// The mailbox.
        mailbox: Mailbox,
    },
    /// `LIST [(select-opts)] reference pattern(s) [RETURN (opts)]` (RFC 5258).
    List {
        /// Selection options; `Some(empty)` for `()`.
        selection: Option<Vec<ListSelectOption>>,
        /// Reference name.
        reference: Mailbox,
        /// One pattern, or several in parentheses.
        patterns: Vec1<ListMailbox>,
        /// Return options; `Some(empty)` for `RETURN ()`.
        return_options: Option<Vec<ListReturnOption>>,
    },
    /// `LSUB reference pattern`
    Lsub {
        /// Reference name.
        reference: Mailbox,
        /// The pattern.
        pattern: ListMailbox,
    },
    /// `NAMESPACE` (RFC 2342)
    Namespace,
    /// `STATUS mailbox (items)`
    Status {
        /// The mailbox.
        mailbox: Mailbox,
        /// The requested items.
        items: Vec<StatusItem>,
    },
    /// `APPEND mailbox [flags] [date-time] literal`, repeated for
    /// MULTIAPPEND (RFC 3502).
    Append {
        /// Destination mailbox.
        mailbox: Mailbox,
        /// The messages.
        messages: Vec1<AppendMessage>,
    },
    /// `IDLE` (RFC 2177); the decoder then waits for `DONE`.
    Idle,
    /// `CHECK` (IMAP4rev1)
    Check,
    /// `CLOSE`
    Close,
    /// `UNSELECT` (RFC 3691)
    Unselect,
    /// `EXPUNGE`
    Expunge,
    /// `UID EXPUNGE set` (RFC 4315)
    UidExpunge {
        /// The UIDs.
        uids: SequenceSet,
    },
    /// `[UID] SEARCH [RETURN (...)] [CHARSET x] keys`
    Search {
        /// `UID SEARCH`
        uid: bool,
        /// ESEARCH options; `Some(empty)` for `RETURN ()`.
        return_options: Option<Vec<SearchReturnOption>>,
        /// `CHARSET`
        charset: Option<Charset>,
        /// The keys, all of which must match.
        criteria: Vec1<SearchKey>,
    },
    /// `[UID] FETCH set items [(modifiers)]`
    Fetch {
        /// `UID FETCH`
        uid: bool,
        /// Messages.
        sequence_set: SequenceSet,
        /// Attributes.
        items: FetchItems,
        /// `CHANGEDSINCE`, `VANISHED` (RFC 7162).
        modifiers: Vec<FetchModifier>,
    },
    /// `[UID] STORE set [(UNCHANGEDSINCE n)] [+|-]FLAGS[.SILENT] flags`
    Store {
        /// `UID STORE`
        uid: bool,
        /// Messages.
        sequence_set: SequenceSet,
        /// `UNCHANGEDSINCE` (RFC 7162).
        unchanged_since: Option<u64>,
        /// Replace, add or remove.
        kind: StoreKind,
        /// `.SILENT`
        silent: bool,
        /// The flags.
        flags: Vec<Flag>,
    },
    /// `[UID] COPY set mailbox`
    Copy {
        /// `UID COPY`
        uid: bool,
        /// Messages.
        sequence_set: SequenceSet,
        /// Destination.
        mailbox: Mailbox,
    },
    /// `[UID] MOVE set mailbox` (RFC 6851)
    Move {
        /// `UID MOVE`
        uid: bool,
        /// Messages.
        sequence_set: SequenceSet,
        /// Destination.
        mailbox: Mailbox,
    },
    /// `ID (params)` or `ID NIL` (RFC 2971)
    Id {
        /// Field/value pairs; `None` is NIL.
        parameters: IdParameters,
    },
    /// `COMPRESS algorithm` (RFC 4978)
    Compress {
        /// `DEFLATE`
        algorithm: Atom,
    },
    /// `[UID] SORT (criteria) charset keys` (RFC 5256)
    Sort {
        /// `UID SORT`
        uid: bool,
        /// Sort order.
        criteria: Vec1<SortCriterion>,
        /// Charset of the search strings.
        charset: Charset,
        /// Search keys.
        search: Vec1<SearchKey>,
    },
    /// `[UID] THREAD algorithm charset keys` (RFC 5256)
    Thread {
        /// `UID THREAD`
        uid: bool,
        /// The algorithm.
        algorithm: ThreadAlgorithm,
        /// Charset of the search strings.
        charset: Charset,
        /// Search keys.
        search: Vec1<SearchKey>,
    },
}

impl CommandBody {
    /// The command's name as written on the wire (`UID FETCH`, `SELECT`...).
    pub fn name(&self) -> &'static str {
        use CommandBody::*;
        match self {
            Capability => "CAPABILITY",
            Noop => "NOOP",
            Logout => "LOGOUT",
            StartTls => "STARTTLS",
            Authenticate { .. } => "AUTHENTICATE",
            Login { .. } => "LOGIN",
            Enable { .. } => "ENABLE",
            Select { .. } => "SELECT",
            Examine { .. } => "EXAMINE",
            Create { .. } => "CREATE",
            Delete { .. } => "DELETE",
            Rename { .. } => "RENAME",
            Subscribe { .. } => "SUBSCRIBE",
            Unsubscribe { .. } => "UNSUBSCRIBE",
            List { .. } => "LIST",
            Lsub { .. } => "LSUB",
            Namespace => "NAMESPACE",
            Status { .. } => "STATUS",
            Append { .. } => "APPEND",
            Idle => "IDLE",
            Check => "CHECK",
            Close => "CLOSE",
            Unselect => "UNSELECT",
            Expunge => "EXPUNGE",
            UidExpunge { .. } => "UID EXPUNGE",
            Search { uid: false, .. } => "SEARCH",
            Search { uid: true, .. } => "UID SEARCH",
            Fetch { uid: false, .. } => "FETCH",
            Fetch { uid: true, .. } => "UID FETCH",
            Store { uid: false, .. } => "STORE",
            Store { uid: true, .. } => "UID STORE",
            Copy { uid: false, .. } => "COPY",
            Copy { uid: true, .. } => "UID COPY",
            Move { uid: false, .. } => "MOVE",
            Move { uid: true, .. } => "UID MOVE",
            Id { .. } => "ID",
            Compress { .. } => "COMPRESS",
            Sort { uid: false, .. } => "SORT",
            Sort { uid: true, .. } => "UID SORT",
            Thread { uid: false, .. } => "THREAD",
            Thread { uid: true, .. } => "UID THREAD",
        }
    }
}

/// The field/value pairs of ID (RFC 2971); `None` is `NIL`.
pub type IdParameters = Option<Vec<(Vec<u8>, NString)>>;

/// A SELECT/EXAMINE parameter (RFC 4466 `select-param`, RFC 7162).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectParameter {
    /// `CONDSTORE`
    CondStore,
    /// `QRESYNC (uidvalidity modseq [known-uids] [(seqs uids)])`
    QResync {
        /// Last known UIDVALIDITY.
        uid_validity: NonZeroU32,
        /// Last known HIGHESTMODSEQ.
        modseq: u64,
        /// Known UIDs.
        known_uids: Option<SequenceSet>,
        /// `seq-match-data`: message numbers and their UIDs.
        seq_match: Option<(SequenceSet, SequenceSet)>,
    },
}

/// LIST selection options (RFC 5258 section 3.1, RFC 6154).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListSelectOption {
    /// `SUBSCRIBED`
    Subscribed,
    /// `REMOTE`
    Remote,
    /// `RECURSIVEMATCH`
    RecursiveMatch,
    /// `SPECIAL-USE` (RFC 6154)
    SpecialUse,
}

/// LIST return options (RFC 5258 section 3.2, RFC 5819, RFC 6154).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListReturnOption {
    /// `SUBSCRIBED`
    Subscribed,
    /// `CHILDREN`
    Children,
    /// `SPECIAL-USE`
    SpecialUse,
    /// `STATUS (items)` (RFC 5819)
    Status(Vec1<StatusItem>),
}

/// A STATUS item (RFC 3501 section 6.3.10, RFC 9051, RFC 7162).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusItem {
    /// `MESSAGES`
    Messages,
    /// `UIDNEXT`
    UidNext,
    /// `UIDVALIDITY`
    UidValidity,
    /// `UNSEEN`
    Unseen,
    /// `DELETED` (RFC 9051)
    Deleted,
    /// `SIZE` (RFC 9051)
    Size,
    /// `RECENT` (IMAP4rev1)
    Recent,
    /// `HIGHESTMODSEQ` (RFC 7162)
    HighestModSeq,
}

/// How STORE changes flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreKind {
    /// `FLAGS`: replace.
    Replace,
    /// `+FLAGS`: add.
    Add,
    /// `-FLAGS`: remove.
    Remove,
}

/// One message of an APPEND.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendMessage {
    /// Flags to set; `None` when no flag list was sent.
    pub flags: Option<Vec<Flag>>,
    /// INTERNALDATE to set.
    pub date: Option<DateTime>,
    /// `UTF8 (~{N}...)` of RFC 6855 section 4.
    pub utf8: bool,
    /// The message.
    pub message: LiteralData,
}
