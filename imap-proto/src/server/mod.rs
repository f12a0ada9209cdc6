//! The Sans-IO IMAP server session (RFC 3501, with the extensions listed
//! in [`Session::capabilities`]).

mod append;
mod condstore;
mod dispatch;
mod event;
mod fetch;
#[doc(hidden)]
pub mod fuzz;
mod list;

pub use event::{Config, Event, Resync, SelectInfo, State};
pub use list::{ListPattern, list_matches};

use std::collections::VecDeque;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use crate::message::{MailboxView, UpdateStyle};
use crate::parse::{CommandDecoder, CommandEvent, DecodeOptions};
use crate::serialize::{EncodeOptions, encode_response};
use crate::types::{
    Atom, Code, Command, Continuation, Data, Flag, FlagPerm, Response, StatusKind, StatusResponse,
    Tag, Vec1,
};
use crate::{DecodeErrorKind, StateError};

/// The server's name in `ID` responses (RFC 2971).
const SERVER_NAME: &str = "missive";

/// One server side of an IMAP connection, as a state machine without I/O.
///
/// Call order, for the life of the connection:
///
/// 1. after [`Session::new`] and after every call below, drain
///    [`poll_transmit`](Session::poll_transmit) to the peer and
///    [`poll_event`](Session::poll_event) until it gives `None`;
/// 2. answer each event: [`login_complete`](Session::login_complete) for
///    [`Event::Login`], [`tls_established`](Session::tls_established)
///    after [`Event::StartTls`], and for [`Event::Command`] the data
///    ([`respond`](Session::respond), [`fetch_response`](Session::fetch_response))
///    then [`complete`](Session::complete) or
///    [`select_complete`](Session::select_complete); for a streamed APPEND,
///    [`append_accept`](Session::append_accept) or
///    [`append_reject`](Session::append_reject) for [`Event::AppendStart`],
///    the octets of [`Event::AppendData`] stored, and
///    [`complete`](Session::complete) after [`Event::AppendEnd`]. Nothing
///    further is read until then, so responses keep command order under
///    pipelining;
/// 3. feed bytes from the peer to [`receive`](Session::receive);
/// 4. sleep no later than [`poll_timeout`](Session::poll_timeout) and call
///    [`handle_timeout`](Session::handle_timeout);
/// 5. close the connection once [`is_closed`](Session::is_closed) and
///    the transmit queue is empty.
///
/// The session holds the rules: which command is valid in which state
/// (RFC 3501 section 3), continuation requests for synchronizing literals
/// and AUTHENTICATE, IDLE (RFC 2177), STARTTLS discarding pipelined input
/// (RFC 2595 section 3.1, CVE-2011-0411), the selected mailbox's
/// [`MailboxView`] and when its EXPUNGE, EXISTS and FETCH FLAGS may be
/// sent (never EXPUNGE during FETCH, STORE or SEARCH, RFC 3501 section
/// 7.4.1), and the autologout timer.
///
/// # Examples
///
/// ```
/// use std::time::Instant;
/// use imap_proto::server::{Config, Event, Session};
/// let now = Instant::now();
/// let mut s = Session::new(Config { plaintext_auth: true, ..Config::default() }, now);
/// assert!(s.poll_transmit().unwrap().starts_with(b"* OK"));
/// s.receive(now, b"a1 LOGIN alice secret\r\n");
/// let Some(Event::Login { username, .. }) = s.poll_event() else { panic!() };
/// assert_eq!(username, "alice");
/// s.login_complete(now, true).unwrap();
/// assert!(s.poll_transmit().unwrap().starts_with(b"a1 OK"));
/// ```
#[derive(Debug)]
pub struct Session {
    config: Config,
    state: State,
    decoder: CommandDecoder,
    out: BytesMut,
    /// Output that goes before `out`: what `out` held when a large body
    /// was queued, then the body itself, handed over without a copy.
    queued: VecDeque<Bytes>,
    events: VecDeque<Event>,
    pending: Option<Pending>,
    upload: Option<append::Upload>,
    view: Option<MailboxView>,
    tls: bool,
    awaiting_tls: bool,
    utf8: bool,
    /// `ENABLE IMAP4rev2` was issued (RFC 9051 Appendix A).
    rev2: bool,
    /// A CONDSTORE enabling command was issued (RFC 7162 section 3.1).
    condstore: bool,
    /// `ENABLE QRESYNC` was issued (RFC 7162 section 3.2.3).
    qresync: bool,
    /// The selected mailbox's HIGHESTMODSEQ as last known; `None` when it
    /// keeps no mod-sequences.
    highest_modseq: Option<u64>,
    auth_failures: u32,
    bad_commands: u32,
    deadline: Instant,
    closed: bool,
}

#[derive(Debug)]
struct Pending {
    tag: Tag,
    kind: PendingKind,
    /// EXPUNGE responses may be sent before the tagged response.
    allow_expunge: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PendingKind {
    Login,
    Sasl,
    StartTls,
    Command,
    Select,
    Close,
    Idle,
    /// A streamed APPEND message was announced; the owner decides.
    AppendStart,
    /// A streamed APPEND is reading the client's octets.
    AppendData,
}

impl PendingKind {
    /// The session goes on reading the client while this is pending.
    fn reads(self) -> bool {
        matches!(
            self,
            PendingKind::Idle | PendingKind::Sasl | PendingKind::AppendData
        )
    }
}

/// Misuse of the session by its owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The call answers a decision that is not pending.
    #[error("no {0} is waiting for an answer")]
    NotPending(&'static str),
}

impl From<StateError> for SessionError {
    fn from(_: StateError) -> Self {
        SessionError::NotPending("literal")
    }
}

fn status(tag: Option<Tag>, kind: StatusKind, code: Option<Code>, text: &str) -> Response {
    Response::Status(StatusResponse {
        tag,
        kind,
        code,
        text: text.to_owned(),
    })
}

fn atom(s: &str) -> Option<Atom> {
    Atom::new(s).ok()
}

impl Session {
    /// Starts a session and queues the greeting (RFC 3501 section 7.1.1),
    /// with the capabilities in its code as RFC 9051 recommends.
    pub fn new(config: Config, now: Instant) -> Self {
        let mut decoder = CommandDecoder::new(config.limits);
        decoder.set_options(DecodeOptions { utf8: false });
        let tls = config.tls;
        let deadline = now + config.login_timeout;
        let mut s = Session {
            config,
            state: State::NotAuthenticated,
            decoder,
            out: BytesMut::new(),
            queued: VecDeque::new(),
            events: VecDeque::new(),
            pending: None,
            upload: None,
            view: None,
            tls,
            awaiting_tls: false,
            utf8: false,
            rev2: false,
            condstore: false,
            qresync: false,
            highest_modseq: None,
            auth_failures: 0,
            bad_commands: 0,
            deadline,
            closed: false,
        };
        let code = s.capability_code();
        let text = s.config.greeting.clone();
        s.send(&status(None, StatusKind::Ok, code, &text));
        s
    }

    /// The state (RFC 3501 section 3).
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether the connection is over TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether the session has ended; close once transmit is drained.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Whether UTF-8 was enabled (RFC 6855): mailbox names are UTF-8.
    pub fn utf8_enabled(&self) -> bool {
        self.utf8
    }

    /// Whether the client issued `ENABLE IMAP4rev2`: responses follow RFC
    /// 9051 rather than RFC 3501 (Appendix A): no `\Recent`, SEARCH
    /// answered with ESEARCH, LIST and `[CLOSED]` in SELECT.
    pub fn rev2_enabled(&self) -> bool {
        self.rev2
    }

    /// The capabilities for the current state (RFC 3501 section 7.2.1):
    /// STARTTLS, LOGINDISABLED and AUTH= only before authentication.
    pub fn capabilities(&self) -> Vec<Atom> {
        // Both revisions: IMAP4rev1 until the client enables IMAP4rev2
        // (RFC 9051 Appendix A).
        let mut caps = vec!["IMAP4rev1", "IMAP4rev2"];
        if self.state == State::NotAuthenticated {
            if self.config.starttls && !self.tls {
                caps.push("STARTTLS");
            }
            if self.plaintext_allowed() {
                caps.push("AUTH=PLAIN");
            } else {
                caps.push("LOGINDISABLED");
            }
        }
        caps.extend([
            "SASL-IR",
            "LITERAL+",
            "ID",
            "ENABLE",
            "IDLE",
            "NAMESPACE",
            "UIDPLUS",
            "MOVE",
            "UNSELECT",
            "CHILDREN",
            "LIST-EXTENDED",
            "LIST-STATUS",
            "SPECIAL-USE",
            "ESEARCH",
            "SEARCHRES",
            "STATUS=SIZE",
            "UTF8=ACCEPT",
        ]);
        if self.config.condstore {
            caps.push("CONDSTORE");
            if self.config.qresync {
                caps.push("QRESYNC");
            }
        }
        caps.into_iter().filter_map(atom).collect()
    }

    fn capability_code(&self) -> Option<Code> {
        Vec1::new(self.capabilities()).ok().map(Code::Capability)
    }

    fn plaintext_allowed(&self) -> bool {
        self.tls || self.config.plaintext_auth
    }

    fn options(&self) -> EncodeOptions {
        EncodeOptions {
            utf8: self.utf8,
            literal_plus: false,
        }
    }

    fn send(&mut self, r: &Response) {
        let opts = self.options();
        // Only `SectionData::External` fails, which the session never writes.
        let _ = encode_response(r, opts, &mut self.out);
    }

    fn tagged(&mut self, tag: &Tag, kind: StatusKind, code: Option<Code>, text: &str) {
        self.send(&status(Some(tag.clone()), kind, code, text));
    }

    /// Feeds bytes from the client. Any split gives the same result.
    pub fn receive(&mut self, now: Instant, bytes: &[u8]) {
        if self.closed || self.awaiting_tls {
            // After STARTTLS nothing sent before the handshake may be
            // executed (RFC 2595 section 3.1, CVE-2011-0411).
            return;
        }
        if !bytes.is_empty() {
            self.rearm(now);
        }
        self.decoder.receive(bytes);
        self.process(now);
    }

    /// The next event for the owner.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Bytes to send to the client.
    #[must_use]
    ///
    /// A large message body comes as a chunk of its own (the backend's
    /// buffer, not a copy): a driver that writes several chunks at once
    /// (vectored) loses nothing by it.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        if let Some(b) = self.queued.pop_front() {
            return Some(b);
        }
        if self.out.is_empty() {
            None
        } else {
            Some(self.out.split().freeze())
        }
    }

    /// The autologout deadline (RFC 3501 section 5.4); `None` while the
    /// owner works on a command or once closed. An IDLE client must
    /// re-issue IDLE before it passes (RFC 2177: every 29 minutes).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        match &self.pending {
            Some(p) if !p.kind.reads() => None,
            _ => Some(self.deadline),
        }
    }

    /// Fires the autologout timer if due: `* BYE` and the session ends.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|t| now >= t) {
            self.bye("Autologout; idle for too long");
        }
    }

    /// Ends the session with `* BYE` (server shutdown, RFC 3501 section 7.1.5).
    pub fn shutdown(&mut self) {
        if !self.closed {
            self.bye("Server shutting down");
        }
    }

    fn bye(&mut self, text: &str) {
        self.send(&status(None, StatusKind::Bye, None, text));
        self.close();
    }

    fn close(&mut self) {
        if !self.closed {
            self.closed = true;
            self.state = State::Logout;
            self.pending = None;
            self.view = None;
            self.append_broken();
            self.events.push_back(Event::Closed);
        }
    }

    fn rearm(&mut self, now: Instant) {
        let t = if self.state == State::NotAuthenticated {
            self.config.login_timeout
        } else {
            self.config.autologout
        };
        self.deadline = now + t;
    }

    /// The selected mailbox's view, to report changes found in the store
    /// ([`MailboxView::store_added`], [`MailboxView::store_expunged`],
    /// [`MailboxView::store_flags`]) and to resolve sequence sets.
    pub fn view(&self) -> Option<&MailboxView> {
        self.view.as_ref()
    }

    /// Mutable access to the selected mailbox's view.
    pub fn view_mut(&mut self) -> Option<&mut MailboxView> {
        self.view.as_mut()
    }

    /// Sends the view's pending updates now, while IDLE is running (the
    /// only time unsolicited responses go out without a command).
    pub fn flush_updates(&mut self) {
        if matches!(&self.pending, Some(p) if p.kind == PendingKind::Idle) {
            self.send_updates(true);
        }
    }

    fn send_updates(&mut self, allow_expunge: bool) {
        let Some(view) = self.view.as_mut() else {
            return;
        };
        if !view.has_updates() {
            return;
        }
        let style = UpdateStyle {
            allow_expunge,
            recent: !self.rev2,
            // With CONDSTORE enabled every unsolicited FETCH carries the
            // UID and the MODSEQ (RFC 7162 section 3.2.4).
            uid: self.rev2 || self.condstore,
            modseq: self.condstore,
            vanished: self.qresync && self.highest_modseq.is_some(),
        };
        for d in view.take_updates_as(style) {
            self.send(&Response::Data(d));
        }
    }

    /// Sends untagged data for the command being executed.
    pub fn respond(&mut self, data: Data) {
        self.send(&Response::Data(data));
    }

    /// Sends an untagged `* OK [code] text` for the command being executed
    /// (MOVE's COPYUID, RFC 6851 section 4.3).
    pub fn respond_status(&mut self, code: Option<Code>, text: &str) {
        self.send(&status(None, StatusKind::Ok, code, text));
    }

    /// Completes the pending [`Event::Command`]: the view's owed updates
    /// (EXPUNGE held back after FETCH, STORE, SEARCH and COPY by sequence
    /// number), then the tagged response. A successful CLOSE or UNSELECT
    /// returns to the authenticated state.
    pub fn complete(
        &mut self,
        now: Instant,
        kind: StatusKind,
        code: Option<Code>,
        text: &str,
    ) -> Result<(), SessionError> {
        let p = match self.pending.take() {
            Some(p) if matches!(p.kind, PendingKind::Command | PendingKind::Close) => p,
            other => {
                self.pending = other;
                return Err(SessionError::NotPending("command"));
            }
        };
        if p.kind == PendingKind::Close && kind == StatusKind::Ok {
            self.view = None;
            self.state = State::Authenticated;
        } else {
            self.send_updates(p.allow_expunge);
        }
        self.tagged(&p.tag, kind, code, text);
        self.rearm(now);
        self.process(now);
        Ok(())
    }

    /// Completes SELECT or EXAMINE. On success the mailbox is selected and
    /// the RFC 3501 section 6.3.1 responses are sent (FLAGS, EXISTS, RECENT,
    /// UNSEEN, UIDVALIDITY, UIDNEXT, PERMANENTFLAGS; after `ENABLE
    /// IMAP4rev2` without RECENT and UNSEEN, and the owner sends the LIST
    /// response RFC 9051 section 6.3.2 asks for); on failure
    /// (`Err((code, text))`) no mailbox is selected.
    pub fn select_complete(
        &mut self,
        now: Instant,
        result: Result<SelectInfo, (Option<Code>, String)>,
    ) -> Result<(), SessionError> {
        self.select_resync(now, result, Resync::default())
    }

    /// [`Session::select_complete`] for a SELECT or EXAMINE with the
    /// QRESYNC parameter (RFC 7162 section 3.2.5): after the usual
    /// responses, `VANISHED (EARLIER)` with `resync.vanished`, then a
    /// `FETCH (UID FLAGS MODSEQ)` for each message of `resync.changed`.
    /// The owner works both out from the parameter and its store: what
    /// was expunged and changed since the client's mod-sequence, among
    /// the UIDs it knows, when its UIDVALIDITY is the mailbox's.
    pub fn select_resync(
        &mut self,
        now: Instant,
        result: Result<SelectInfo, (Option<Code>, String)>,
        resync: Resync,
    ) -> Result<(), SessionError> {
        let p = match self.pending.take() {
            Some(p) if p.kind == PendingKind::Select => p,
            other => {
                self.pending = other;
                return Err(SessionError::NotPending("SELECT"));
            }
        };
        match result {
            Err((code, text)) => {
                self.state = State::Authenticated;
                self.tagged(&p.tag, StatusKind::No, code, &text);
            }
            Ok(info) => {
                let mut view = MailboxView::from_list(info.messages);
                if self.rev2 {
                    view = view.without_recent();
                }
                let mut flags = vec![
                    Flag::Answered,
                    Flag::Flagged,
                    Flag::Deleted,
                    Flag::Seen,
                    Flag::Draft,
                ];
                flags.extend(info.keywords.iter().cloned());
                self.respond(Data::Flags(flags.clone()));
                self.respond(Data::Exists(u32::try_from(view.len()).unwrap_or(u32::MAX)));
                // RECENT and UNSEEN are IMAP4rev1 only (RFC 9051
                // Appendix E, items 11 and 12).
                if !self.rev2 {
                    self.respond(Data::Recent(
                        u32::try_from(view.recent_count()).unwrap_or(u32::MAX),
                    ));
                }
                if !self.rev2
                    && let Some(n) = view.first_unseen()
                {
                    self.send(&status(
                        None,
                        StatusKind::Ok,
                        Some(Code::Unseen(n)),
                        "First unseen",
                    ));
                }
                if let Some(v) = std::num::NonZeroU32::new(info.uid_validity) {
                    self.send(&status(
                        None,
                        StatusKind::Ok,
                        Some(Code::UidValidity(v)),
                        "UIDs valid",
                    ));
                }
                if let Some(n) = std::num::NonZeroU32::new(info.uid_next) {
                    self.send(&status(
                        None,
                        StatusKind::Ok,
                        Some(Code::UidNext(n)),
                        "Predicted next UID",
                    ));
                }
                let mut perm: Vec<FlagPerm> = if info.read_only {
                    Vec::new()
                } else {
                    flags.into_iter().map(FlagPerm::Flag).collect()
                };
                if info.new_keywords && !info.read_only {
                    perm.push(FlagPerm::Any);
                }
                self.send(&status(
                    None,
                    StatusKind::Ok,
                    Some(Code::PermanentFlags(perm)),
                    "Limited",
                ));
                self.select_modseq(info.highest_modseq);
                let read_only = info.read_only;
                self.view = Some(view);
                self.state = State::Selected { read_only };
                self.send_resync(resync);
                let (code, text) = if read_only {
                    (Code::ReadOnly, "EXAMINE completed")
                } else {
                    (Code::ReadWrite, "SELECT completed")
                };
                self.tagged(&p.tag, StatusKind::Ok, Some(code), text);
            }
        }
        self.rearm(now);
        self.process(now);
        Ok(())
    }

    /// Answers [`Event::Login`]: on success the session is authenticated
    /// and the tagged OK carries the new capabilities; on failure `NO
    /// [AUTHENTICATIONFAILED]`, and BYE after too many failures.
    pub fn login_complete(&mut self, now: Instant, ok: bool) -> Result<(), SessionError> {
        let refusal = (!ok).then_some((Code::AuthenticationFailed, "Authentication failed"));
        self.login_answer(now, refusal)
    }

    /// Answers [`Event::Login`] with a refusal that is not the
    /// credentials' fault, `NO [UNAVAILABLE] text` (RFC 5530 section 3: a
    /// temporary failure, worth trying again later): the client's address
    /// is blocked after too many failures, or the user's mail storage
    /// cannot be opened. It counts as a failure towards BYE.
    pub fn login_unavailable(&mut self, now: Instant, text: &str) -> Result<(), SessionError> {
        self.login_answer(now, Some((Code::Unavailable, text)))
    }

    fn login_answer(
        &mut self,
        now: Instant,
        refusal: Option<(Code, &str)>,
    ) -> Result<(), SessionError> {
        let p = match self.pending.take() {
            Some(p) if p.kind == PendingKind::Login => p,
            other => {
                self.pending = other;
                return Err(SessionError::NotPending("login"));
            }
        };
        if let Some((code, text)) = refusal {
            self.auth_failures += 1;
            self.tagged(&p.tag, StatusKind::No, Some(code), text);
            if self.auth_failures >= self.config.max_auth_failures {
                self.bye("Too many authentication failures");
                return Ok(());
            }
        } else {
            self.state = State::Authenticated;
            self.auth_failures = 0;
            // Only now: before authentication nobody gets to send a big
            // message (RFC 3501 section 6.3.11 lists APPEND as valid in
            // the authenticated state).
            self.decoder
                .set_append_streaming(self.config.append_streaming);
            let code = self.capability_code();
            self.tagged(&p.tag, StatusKind::Ok, code, "Logged in");
        }
        self.rearm(now);
        self.process(now);
        Ok(())
    }

    /// The TLS handshake after [`Event::StartTls`] succeeded: reading
    /// resumes, with nothing kept from before.
    pub fn tls_established(&mut self, now: Instant) -> Result<(), SessionError> {
        if !self.awaiting_tls {
            return Err(SessionError::NotPending("STARTTLS"));
        }
        self.awaiting_tls = false;
        self.tls = true;
        self.pending = None;
        self.decoder.discard_buffered();
        self.rearm(now);
        Ok(())
    }

    fn process(&mut self, now: Instant) {
        while !self.closed && !self.awaiting_tls {
            if let Some(p) = &self.pending
                && !p.kind.reads()
            {
                return;
            }
            let Some(ev) = self.decoder.poll_event() else {
                return;
            };
            self.handle(now, ev);
        }
    }

    fn handle(&mut self, now: Instant, ev: CommandEvent) {
        match ev {
            CommandEvent::LiteralRequest { .. } => {
                // RFC 3501 section 7.5: the client sends the octets after `+`.
                if self.decoder.accept_literal().is_ok() {
                    self.send(&Response::Continuation(Continuation::Text {
                        code: None,
                        text: "Ready for literal data".into(),
                    }));
                }
            }
            CommandEvent::Error(e) => {
                if self.uploading() {
                    // A broken APPEND tail: the owner drops the message.
                    self.append_broken();
                }
                let tag = match &self.pending {
                    Some(p) if matches!(p.kind, PendingKind::Idle | PendingKind::Sasl) => {
                        self.pending.take().map(|p| p.tag)
                    }
                    _ => e.tag.clone(),
                };
                let too_big = matches!(e.kind, DecodeErrorKind::LiteralTooLarge { .. });
                let (kind, code) = if too_big {
                    (StatusKind::No, Some(Code::TooBig))
                } else {
                    (StatusKind::Bad, None)
                };
                let text = e.kind.to_string();
                self.send(&status(tag, kind, code, &text));
                self.count_bad();
            }
            CommandEvent::IdleDone => match self.pending.take() {
                Some(p) if p.kind == PendingKind::Idle => {
                    self.send_updates(true);
                    self.tagged(&p.tag, StatusKind::Ok, None, "IDLE terminated");
                    self.events.push_back(Event::IdleDone);
                }
                other => {
                    self.pending = other;
                    self.send(&status(None, StatusKind::Bad, None, "DONE without IDLE"));
                }
            },
            CommandEvent::AuthenticateData(data) => match self.pending.take() {
                Some(p) if p.kind == PendingKind::Sasl => self.sasl_plain(p.tag, data.expose()),
                other => self.pending = other,
            },
            CommandEvent::AuthenticateCancel => {
                if let Some(p) = self.pending.take() {
                    self.tagged(&p.tag, StatusKind::Bad, None, "AUTHENTICATE cancelled");
                }
            }
            CommandEvent::Command(c) => self.dispatch(now, c),
            CommandEvent::AppendStart {
                tag,
                mailbox,
                flags,
                date,
                length,
                sync,
                ..
            } => self.append_start(append::Start {
                tag,
                mailbox,
                flags,
                date,
                length,
                sync,
            }),
            CommandEvent::AppendData(data) => self.append_data(data),
            CommandEvent::AppendEnd { tag } => self.append_end(tag),
        }
    }

    fn count_bad(&mut self) {
        self.bad_commands += 1;
        if self.bad_commands >= self.config.max_bad_commands {
            self.bye("Too many invalid commands");
        }
    }

    fn bad(&mut self, tag: &Tag, text: &str) {
        self.tagged(tag, StatusKind::Bad, None, text);
        self.count_bad();
    }

    fn hand_over(&mut self, c: Command, kind: PendingKind, allow_expunge: bool) {
        self.pending = Some(Pending {
            tag: c.tag.clone(),
            kind,
            allow_expunge,
        });
        self.events.push_back(Event::Command(c));
    }
}
