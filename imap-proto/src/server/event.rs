//! What the server session tells its owner, and how it is configured.

use std::time::Duration;

use bytes::Bytes;

use crate::Limits;
use crate::message::MessageList;
use crate::types::{Command, DateTime, Flag, Mailbox, Secret, Tag};

/// The session's configuration.
///
/// # Examples
///
/// ```
/// use imap_proto::server::Config;
/// let c = Config { plaintext_auth: true, ..Config::default() };
/// assert_eq!(c.autologout.as_secs(), 30 * 60);
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// Text of the `* OK` greeting.
    pub greeting: String,
    /// The connection is already TLS (implicit TLS, port 993).
    pub tls: bool,
    /// Offer STARTTLS (RFC 3501 section 6.2.1) while not on TLS.
    pub starttls: bool,
    /// Allow LOGIN and AUTHENTICATE PLAIN without TLS (a loopback
    /// connection, say). Otherwise they are refused and `LOGINDISABLED`
    /// is advertised (RFC 3501 section 6.2.3, RFC 8314).
    pub plaintext_auth: bool,
    /// Decoder limits.
    pub limits: Limits,
    /// Inactivity autologout once authenticated: at least 30 minutes
    /// (RFC 3501 section 5.4, RFC 9051 section 5.4).
    pub autologout: Duration,
    /// Inactivity autologout before authentication.
    pub login_timeout: Duration,
    /// Failed authentications before the session says BYE.
    pub max_auth_failures: u32,
    /// Consecutive `BAD` responses before the session says BYE.
    pub max_bad_commands: u32,
    /// Once authenticated, an APPEND message of at least this many octets
    /// is handed out as it arrives ([`Event::AppendStart`],
    /// [`Event::AppendData`]..., [`Event::AppendEnd`]) instead of being
    /// buffered whole into an [`Event::Command`]. `None` buffers every
    /// message (up to [`Limits::literal_size`]).
    pub append_streaming: Option<u64>,
    /// Offer CONDSTORE (RFC 7162 section 3.1): the owner's store keeps a
    /// mod-sequence for every message, reports it in
    /// [`SelectInfo::highest_modseq`], and answers MODSEQ, CHANGEDSINCE
    /// and UNCHANGEDSINCE.
    pub condstore: bool,
    /// Offer QRESYNC as well (RFC 7162 section 3.2; only with
    /// `condstore`): the owner reports expunges since a mod-sequence
    /// ([`Session::select_resync`](super::Session::select_resync) and
    /// `UID FETCH ... (CHANGEDSINCE n VANISHED)`), and the session reports
    /// expunges with `VANISHED` once the client enabled it.
    pub qresync: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            greeting: "IMAP server ready".into(),
            tls: false,
            starttls: false,
            plaintext_auth: false,
            limits: Limits::default(),
            autologout: Duration::from_secs(30 * 60),
            login_timeout: Duration::from_secs(3 * 60),
            max_auth_failures: 3,
            max_bad_commands: 20,
            append_streaming: Some(256 * 1024),
            condstore: false,
            qresync: false,
        }
    }
}

/// The RFC 3501 section 3 states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Before LOGIN/AUTHENTICATE.
    NotAuthenticated,
    /// Logged in, no mailbox selected.
    Authenticated,
    /// A mailbox is selected.
    Selected {
        /// Selected with EXAMINE (or refused write access).
        read_only: bool,
    },
    /// The connection is ending.
    Logout,
}

/// What the owner must act on. Events that carry a tag wait for a
/// decision: nothing else is read until it comes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Event {
    /// Credentials from LOGIN or AUTHENTICATE PLAIN: answer with
    /// [`Session::login_complete`](super::Session::login_complete).
    Login {
        /// The command's tag.
        tag: Tag,
        /// The user name (authentication identity).
        username: String,
        /// The password.
        password: Secret<Vec<u8>>,
    },
    /// STARTTLS was accepted and `OK` queued: flush it, run the TLS
    /// handshake, then call [`Session::tls_established`](super::Session::tls_established).
    StartTls,
    /// A command for the backend, already checked against the state:
    /// send its data ([`respond`](super::Session::respond),
    /// [`fetch_response`](super::Session::fetch_response)), then
    /// [`complete`](super::Session::complete) it (or
    /// [`select_complete`](super::Session::select_complete) for SELECT and EXAMINE).
    Command(Command),
    /// IDLE started (`+ idling` queued): report mailbox changes through
    /// [`view_mut`](super::Session::view_mut) and
    /// [`flush_updates`](super::Session::flush_updates) until
    /// [`Event::IdleDone`].
    Idle,
    /// The client ended IDLE (the tagged OK is queued).
    IdleDone,
    /// A streamed APPEND message begins (see [`Config::append_streaming`]).
    /// Decide before its octets come, so that a missing mailbox is
    /// refused before the client sends them (RFC 9051 section 6.3.12,
    /// `[TRYCREATE]`): [`append_accept`](super::Session::append_accept)
    /// or [`append_reject`](super::Session::append_reject). Another
    /// `AppendStart` with the same tag (MULTIAPPEND, RFC 3502) means the
    /// previous message's octets are complete.
    AppendStart {
        /// The APPEND's tag.
        tag: Tag,
        /// The destination mailbox.
        mailbox: Mailbox,
        /// The flags to set.
        flags: Vec<Flag>,
        /// The INTERNALDATE to set.
        date: Option<DateTime>,
        /// The message's size in octets.
        length: u64,
    },
    /// The next octets of the accepted message, in order.
    AppendData(Bytes),
    /// The streamed APPEND command is complete: store the last message
    /// durably, then answer with [`complete`](super::Session::complete)
    /// (`OK [APPENDUID ...]` or `NO`).
    AppendEnd,
    /// The streamed APPEND failed in the client's input (a syntax error
    /// after a message, the connection ending): discard whatever of the
    /// current message was stored. The session has answered already.
    AppendAbort,
    /// The session ended (LOGOUT, autologout, shutdown, too many
    /// errors): release the mailbox; close once transmit is drained.
    Closed,
}

/// What a SELECT or EXAMINE with the QRESYNC parameter (RFC 7162 section
/// 3.2.5) tells the client beyond the usual responses, for
/// [`Session::select_resync`](super::Session::select_resync).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resync {
    /// The known UIDs expunged since the client's mod-sequence, as
    /// ascending inclusive ranges: sent as `VANISHED (EARLIER)`.
    pub vanished: Vec<(u32, u32)>,
    /// The known messages whose flags changed since the client's
    /// mod-sequence, ascending by UID, with their mod-sequence: each sent
    /// as `FETCH (UID FLAGS MODSEQ)`.
    pub changed: Vec<(u32, u64)>,
}

/// What SELECT/EXAMINE found, for [`Session::select_complete`](super::Session::select_complete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectInfo {
    /// The messages, ascending by UID (a list of
    /// [`MessageState`](crate::message::MessageState)s collects into one).
    pub messages: MessageList,
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// UIDNEXT.
    pub uid_next: u32,
    /// Keywords defined in the mailbox (added to `FLAGS`).
    pub keywords: Vec<Flag>,
    /// New keywords can be created (`\*` in PERMANENTFLAGS).
    pub new_keywords: bool,
    /// Opened read-only.
    pub read_only: bool,
    /// HIGHESTMODSEQ (RFC 7162 section 3.1.2.1); `None` when the mailbox
    /// keeps no mod-sequences (`NOMODSEQ`, section 3.1.2.2).
    pub highest_modseq: Option<u64>,
}
