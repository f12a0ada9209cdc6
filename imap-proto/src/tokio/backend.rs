//! The store behind an IMAP server, as the driver calls it.

use async_trait::async_trait;
use bytes::Bytes;

use crate::message::MessageState;
use crate::server::SelectInfo;
use crate::types::{Code, Flag, MailboxAttribute, StoreKind};

/// Why a backend operation failed; the driver answers `NO` with the code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// No such mailbox: `NO [NONEXISTENT]` (`[TRYCREATE]` for APPEND, COPY
    /// and MOVE, RFC 3501 section 6.3.11).
    #[error("no such mailbox")]
    NoSuchMailbox,
    /// The mailbox exists: `NO [ALREADYEXISTS]` (RFC 5530).
    #[error("mailbox already exists")]
    AlreadyExists,
    /// Not allowed (INBOX cannot be deleted, a name is invalid...):
    /// `NO [CANNOT]`.
    #[error("{0}")]
    Cannot(String),
    /// Too many keywords, quota...: `NO [LIMIT]`.
    #[error("{0}")]
    Limit(String),
    /// The message is bigger than the mailbox takes: `NO [TOOBIG]`
    /// (RFC 7888 section 4).
    #[error("{0}")]
    TooBig(String),
    /// A failure worth retrying (disk, lock): `NO [UNAVAILABLE]`.
    #[error("{0}")]
    Unavailable(String),
}

impl BackendError {
    /// The response code and text for this error.
    pub fn response(&self, trycreate: bool) -> (Option<Code>, String) {
        let code = match self {
            BackendError::NoSuchMailbox if trycreate => Code::TryCreate,
            BackendError::NoSuchMailbox => Code::NonExistent,
            BackendError::AlreadyExists => Code::AlreadyExists,
            BackendError::Cannot(_) => Code::Cannot,
            BackendError::Limit(_) => Code::Limit,
            BackendError::TooBig(_) => Code::TooBig,
            BackendError::Unavailable(_) => Code::Unavailable,
        };
        (Some(code), self.to_string())
    }
}

/// A result of a backend call.
pub type BackendResult<T> = Result<T, BackendError>;

/// One mailbox, for LIST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxInfo {
    /// The name, hierarchy levels separated by the delimiter.
    pub name: String,
    /// Special-use (RFC 6154) and other attributes (`\Noselect`...);
    /// the driver adds `\HasChildren`/`\HasNoChildren` and `\Subscribed`.
    pub attributes: Vec<MailboxAttribute>,
}

/// STATUS values (RFC 3501 section 6.3.10, RFC 9051 SIZE and DELETED).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MailboxStatus {
    /// MESSAGES
    pub messages: u32,
    /// RECENT: messages no session has seen yet.
    pub recent: u32,
    /// UIDNEXT
    pub uid_next: u32,
    /// UIDVALIDITY
    pub uid_validity: u32,
    /// UNSEEN
    pub unseen: u32,
    /// DELETED
    pub deleted: u32,
    /// SIZE: total octets.
    pub size: u64,
    /// HIGHESTMODSEQ (RFC 7162 section 3.1.7): 0 when the mailbox keeps
    /// no mod-sequences.
    pub highest_modseq: u64,
}

/// What a message has besides flags: INTERNALDATE and RFC822.SIZE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageMeta {
    /// The UID.
    pub uid: u32,
    /// INTERNALDATE, Unix time.
    pub internal_date: i64,
    /// RFC822.SIZE in octets.
    pub size: u64,
    /// The mod-sequence (RFC 7162 section 3.1); 0 when the mailbox keeps
    /// none.
    pub modseq: u64,
}

/// A change in the selected mailbox made by someone else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A new message.
    Added(MessageState),
    /// A message is gone.
    Expunged(u32),
    /// A message's flags changed: UID, flags, and the mod-sequence of the
    /// change (RFC 7162; 0 when the mailbox keeps none).
    Flags(u32, Vec<Flag>, u64),
    /// UIDVALIDITY changed: the selection is over (the driver says BYE).
    UidValidity,
}

/// What a STORE did (RFC 3501 section 6.4.6, RFC 7162 section 3.1.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreOutcome {
    /// Each message stored to, ascending by UID, with its flags and
    /// mod-sequence now (0 when the mailbox keeps none). A message whose
    /// flags were already as asked is listed too, with its own
    /// mod-sequence.
    pub messages: Vec<(u32, Vec<Flag>, u64)>,
    /// The messages left alone because their mod-sequence is above the
    /// UNCHANGEDSINCE given (`[MODIFIED ...]`).
    pub modified: Vec<u32>,
}

/// The UIDs a COPY or MOVE produced (RFC 4315 COPYUID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyInfo {
    /// The destination's UIDVALIDITY.
    pub uid_validity: u32,
    /// Source UID and the new UID, ascending by source.
    pub uids: Vec<(u32, u32)>,
}

/// A message being stored as its octets arrive (a streamed APPEND, from
/// [`Mailboxes::append_stream`]).
///
/// The driver calls [`write`](Self::write) with the octets in order, then
/// [`finish`](Self::finish) once all have come, or [`abort`](Self::abort)
/// when the APPEND is given up (the client's input broke off, the
/// connection ended, a write failed). Dropping a sink without either
/// must also leave nothing behind.
#[async_trait]
pub trait AppendSink: Send {
    /// The next octets of the message.
    async fn write(&mut self, octets: Bytes) -> BackendResult<()>;
    /// Every octet came: makes the message durable (RFC 9051 section
    /// 6.3.12: nothing partial) and returns (UIDVALIDITY, UID).
    async fn finish(self: Box<Self>) -> BackendResult<(u32, u32)>;
    /// Gives the message up: nothing of it remains in the mailbox.
    async fn abort(self: Box<Self>);
}

/// Checks credentials and opens a user's mailboxes.
#[async_trait]
pub trait Backend: Send + Sync {
    /// The user's mailboxes for the length of a session.
    type Mailboxes: Mailboxes;

    /// Checks a user name and password (LOGIN, AUTHENTICATE PLAIN);
    /// `None` refuses (`NO [AUTHENTICATIONFAILED]`).
    async fn login(&self, username: &str, password: &[u8]) -> Option<Self::Mailboxes>;

    /// [`Backend::login`], telling a refusal that is not the credentials'
    /// fault apart: `Err(text)` is answered `NO [UNAVAILABLE] text` (RFC
    /// 5530 section 3), as when the client's address is blocked for a
    /// while or the user's mail cannot be opened. The driver calls this
    /// one; by default it is `login`.
    async fn login_checked(
        &self,
        username: &str,
        password: &[u8],
    ) -> Result<Option<Self::Mailboxes>, String> {
        Ok(self.login(username, password).await)
    }
}

/// One user's mailboxes, as one session uses them. Messages are named by
/// UID; the session maps sequence numbers.
#[async_trait]
pub trait Mailboxes: Send {
    /// Every mailbox.
    async fn list(&mut self) -> BackendResult<Vec<MailboxInfo>>;
    /// The subscribed names (they may not exist).
    async fn subscriptions(&mut self) -> BackendResult<Vec<String>>;
    /// CREATE, with RFC 6154 `USE` attributes.
    async fn create(&mut self, name: &str, special_use: &[MailboxAttribute]) -> BackendResult<()>;
    /// DELETE.
    async fn delete(&mut self, name: &str) -> BackendResult<()>;
    /// RENAME.
    async fn rename(&mut self, from: &str, to: &str) -> BackendResult<()>;
    /// SUBSCRIBE (`true`) or UNSUBSCRIBE.
    async fn subscribe(&mut self, name: &str, subscribe: bool) -> BackendResult<()>;
    /// STATUS of a mailbox.
    async fn status(&mut self, name: &str) -> BackendResult<MailboxStatus>;
    /// APPEND: stores the message durably before returning
    /// (UIDVALIDITY, UID).
    async fn append(
        &mut self,
        name: &str,
        flags: &[Flag],
        internal_date: Option<i64>,
        message: Bytes,
    ) -> BackendResult<(u32, u32)>;
    /// A streamed APPEND of a big message (see
    /// [`Config::append_streaming`](crate::server::Config::append_streaming))
    /// begins: `length` octets will follow. Called before the client is
    /// told to send them, so refuse here what cannot be stored (a missing
    /// mailbox: [`BackendError::NoSuchMailbox`], answered `NO [TRYCREATE]`;
    /// a message too big: [`BackendError::TooBig`]).
    ///
    /// `Ok(Some(sink))` stores the octets as they come. The default,
    /// `Ok(None)`, has the driver collect the message in memory and call
    /// [`append`](Self::append) at the end; it checks that the mailbox
    /// exists with [`status`](Self::status) first.
    async fn append_stream(
        &mut self,
        name: &str,
        flags: &[Flag],
        internal_date: Option<i64>,
        length: u64,
    ) -> BackendResult<Option<Box<dyn AppendSink>>> {
        let _ = (flags, internal_date, length);
        self.status(name).await.map(|_| None)
    }
    /// SELECT or EXAMINE.
    async fn select(&mut self, name: &str, read_only: bool) -> BackendResult<SelectInfo>;
    /// Ends the selection; with `expunge` (CLOSE on a read-write
    /// mailbox) messages marked `\Deleted` are removed first.
    async fn unselect(&mut self, expunge: bool) -> BackendResult<()>;
    /// Changes others made to the selected mailbox since the last call
    /// (cheap when nothing changed: the driver calls it after every
    /// command and while IDLE).
    async fn changes(&mut self) -> BackendResult<Vec<Change>>;
    /// INTERNALDATE and size of messages of the selected mailbox.
    async fn metadata(&mut self, uids: &[u32]) -> BackendResult<Vec<MessageMeta>>;
    /// A message's bytes (CRLF line ends); `None` if it is gone.
    async fn read(&mut self, uid: u32) -> BackendResult<Option<Bytes>>;
    /// Several messages' bytes, in the order of `uids` (FETCH and SEARCH
    /// read in batches; a backend can serve a batch in one trip).
    async fn read_many(&mut self, uids: &[u32]) -> BackendResult<Vec<Option<Bytes>>> {
        let mut out = Vec::with_capacity(uids.len());
        for &u in uids {
            out.push(self.read(u).await?);
        }
        Ok(out)
    }
    /// STORE, with UNCHANGEDSINCE when `unchanged_since` is given (RFC
    /// 7162 section 3.1.3: a message whose mod-sequence is above it is
    /// left alone and reported modified). Each message whose flags change
    /// gets a new mod-sequence, greater than any the mailbox had.
    async fn store(
        &mut self,
        uids: &[u32],
        kind: StoreKind,
        flags: &[Flag],
        unchanged_since: Option<u64>,
    ) -> BackendResult<StoreOutcome>;
    /// COPY, or MOVE with `remove` (the sources are expunged).
    async fn copy(&mut self, uids: &[u32], dest: &str, remove: bool) -> BackendResult<CopyInfo>;
    /// EXPUNGE (all `\Deleted`), or UID EXPUNGE (`\Deleted` among `uids`).
    /// Returns the removed UIDs. In a mailbox with mod-sequences each
    /// expunge gets one, remembered with its UID (RFC 7162 section 3.2.7).
    async fn expunge(&mut self, uids: Option<&[u32]>) -> BackendResult<Vec<u32>>;
    /// QRESYNC (RFC 7162 sections 3.2.5.1 and 3.2.6): the UIDs expunged
    /// from the selected mailbox at a mod-sequence above `since`,
    /// ascending (messages delivered and expunged unseen may be among
    /// them). `None` when the store does not remember that far back: the
    /// driver then counts as expunged every UID the client named (its
    /// known UIDs, above what its sequence-match data confirms) that the
    /// mailbox lacks. The default remembers nothing.
    async fn expunged_since(&mut self, since: u64) -> BackendResult<Option<Vec<u32>>> {
        let _ = since;
        Ok(None)
    }
    /// The selected mailbox's HIGHESTMODSEQ now, sent with the OK of an
    /// EXPUNGE, UID EXPUNGE or MOVE that removed messages once the client
    /// enabled QRESYNC (RFC 7162 section 3.2.7, RFC 6851 section 4.4).
    /// `None` (the default) leaves it out.
    async fn highest_modseq(&mut self) -> BackendResult<Option<u64>> {
        Ok(None)
    }
}
