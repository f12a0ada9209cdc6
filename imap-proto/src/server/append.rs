//! Streamed APPEND: a big message is handed to the owner as it arrives
//! rather than buffered whole (see [`Config::append_streaming`]).
//!
//! The owner decides on each message before its octets are asked for, so
//! that a missing mailbox gets `NO [TRYCREATE]` before the client sends a
//! single octet of a synchronizing literal (RFC 9051 section 6.3.12, RFC
//! 3501 section 7.5: after a tagged response the client does not send the
//! literal). A non-synchronizing literal (`{N+}`, RFC 7888) comes anyway:
//! a refused one is read and dropped by the session, and the `NO` goes out
//! once the command is over.
//!
//! [`Config::append_streaming`]: super::Config::append_streaming

use std::time::Instant;

use bytes::Bytes;

use super::{Event, Pending, PendingKind, Session, SessionError, State};
use crate::types::{Code, Continuation, DateTime, Flag, Mailbox, Response, StatusKind, Tag};

/// The streamed APPEND in progress.
#[derive(Debug)]
pub(super) struct Upload {
    /// The current message's literal is synchronizing.
    sync: bool,
    /// The answer owed once the command is over, when the owner refused a
    /// message whose octets come anyway: they are dropped meanwhile.
    refused: Option<(StatusKind, Option<Code>, String)>,
}

/// What the decoder said about a streamed APPEND message.
pub(super) struct Start {
    pub(super) tag: Tag,
    pub(super) mailbox: Mailbox,
    pub(super) flags: Option<Vec<Flag>>,
    pub(super) date: Option<DateTime>,
    pub(super) length: u64,
    pub(super) sync: bool,
}

impl Session {
    /// Whether a streamed APPEND is going on.
    pub(super) fn uploading(&self) -> bool {
        self.upload.is_some()
    }

    pub(super) fn append_start(&mut self, start: Start) {
        let Start {
            tag,
            mailbox,
            flags,
            date,
            length,
            sync,
        } = start;
        let refused = self.upload.as_mut().and_then(|u| u.refused.take());
        let refusal = match (self.state, refused) {
            (_, Some(r)) => Some(r),
            (State::NotAuthenticated | State::Logout, _) => Some((
                StatusKind::Bad,
                None,
                "Command not valid before authentication".to_owned(),
            )),
            _ => None,
        };
        if let Some(r) = refusal {
            // Every message of a refused APPEND is refused.
            self.refuse_message(tag, sync, r);
            return;
        }
        self.upload = Some(Upload {
            sync,
            refused: None,
        });
        self.pending = Some(Pending {
            tag: tag.clone(),
            kind: PendingKind::AppendStart,
            allow_expunge: true,
        });
        self.events.push_back(Event::AppendStart {
            tag,
            mailbox,
            flags: flags.unwrap_or_default(),
            date,
            length,
        });
    }

    /// Refuses the message whose literal was just announced.
    fn refuse_message(&mut self, tag: Tag, sync: bool, r: (StatusKind, Option<Code>, String)) {
        if sync {
            // The client waits for `+`: the tagged answer ends the command.
            let _ = self.decoder.reject_literal();
            let (kind, code, text) = r;
            self.upload = None;
            self.pending = None;
            self.tagged(&tag, kind, code, &text);
            if kind == StatusKind::Bad {
                self.count_bad();
            }
        } else {
            // The octets come anyway (the decoder is already handing them
            // out); they are dropped as they arrive.
            self.upload = Some(Upload {
                sync,
                refused: Some(r),
            });
            self.pending = Some(Pending {
                tag,
                kind: PendingKind::AppendData,
                allow_expunge: true,
            });
        }
    }

    pub(super) fn append_data(&mut self, data: Bytes) {
        if self.upload.as_ref().is_some_and(|u| u.refused.is_none()) {
            self.events.push_back(Event::AppendData(data));
        }
    }

    pub(super) fn append_end(&mut self, tag: Tag) {
        let Some(upload) = self.upload.take() else {
            self.bad(&tag, "Unexpected end of APPEND");
            return;
        };
        match upload.refused {
            Some((kind, code, text)) => {
                self.pending = None;
                self.tagged(&tag, kind, code, &text);
            }
            None => {
                self.pending = Some(Pending {
                    tag,
                    kind: PendingKind::Command,
                    allow_expunge: true,
                });
                self.events.push_back(Event::AppendEnd);
            }
        }
    }

    /// Ends a streamed APPEND that the client's input broke off; the
    /// caller answers it.
    pub(super) fn append_broken(&mut self) {
        if let Some(u) = self.upload.take() {
            self.pending = None;
            if u.refused.is_none() {
                self.events.push_back(Event::AppendAbort);
            }
        }
    }

    /// Accepts the message announced by [`Event::AppendStart`]: its
    /// octets follow as [`Event::AppendData`] (the continuation request
    /// `+` is sent for a synchronizing literal).
    pub fn append_accept(&mut self, now: Instant) -> Result<(), SessionError> {
        let sync = match (&self.pending, &self.upload) {
            (Some(p), Some(u)) if p.kind == PendingKind::AppendStart => u.sync,
            _ => return Err(SessionError::NotPending("APPEND message")),
        };
        if let Some(p) = self.pending.as_mut() {
            p.kind = PendingKind::AppendData;
        }
        // A non-synchronizing literal's octets need no go-ahead.
        if sync {
            self.decoder.accept_literal()?;
            self.send(&Response::Continuation(Continuation::Text {
                code: None,
                text: "Ready for literal data".into(),
            }));
        }
        self.rearm(now);
        self.process(now);
        Ok(())
    }

    /// Refuses the message announced by [`Event::AppendStart`] with `NO`
    /// and this code (`[TRYCREATE]` for a missing mailbox, `[TOOBIG]`,
    /// `[OVERQUOTA]`). A synchronizing literal is refused at once, before
    /// the client sends it; the octets of a non-synchronizing one are
    /// read and dropped, and the `NO` follows the command's end.
    pub fn append_reject(
        &mut self,
        now: Instant,
        code: Option<Code>,
        text: &str,
    ) -> Result<(), SessionError> {
        let (tag, sync) = match (&self.pending, &self.upload) {
            (Some(p), Some(u)) if p.kind == PendingKind::AppendStart => (p.tag.clone(), u.sync),
            _ => return Err(SessionError::NotPending("APPEND message")),
        };
        self.refuse_message(tag, sync, (StatusKind::No, code, text.to_owned()));
        self.rearm(now);
        self.process(now);
        Ok(())
    }
}
