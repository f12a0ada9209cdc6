//! Streamed APPEND: the session's `AppendStart` / `AppendData` /
//! `AppendEnd` events turned into [`Mailboxes::append_stream`] and
//! [`AppendSink`] calls, so that a big message goes to the store as it
//! arrives and the connection holds at most one read buffer of it.

use std::io;
use std::num::NonZeroU32;

use bytes::{Bytes, BytesMut};

use super::exec::{Outcome, no, ok};
use super::{AppendSink, Backend, BackendError, Connection, Mailboxes, now, owner_error};
use crate::message::unix_of;
use crate::types::uid_set_of;
use crate::types::{Code, DateTime, Flag, Mailbox, StatusKind};

/// Where the current message's octets go.
enum Target {
    /// The backend stores them as they come.
    Sink(Box<dyn AppendSink>),
    /// The backend has no streaming: collected, then [`Mailboxes::append`].
    Buffer {
        flags: Vec<Flag>,
        date: Option<i64>,
        data: BytesMut,
    },
}

/// One streamed APPEND command (several messages with MULTIAPPEND).
pub(crate) struct Upload {
    name: String,
    target: Option<Target>,
    failed: Option<BackendError>,
    uid_validity: u32,
    uids: Vec<u32>,
}

impl Upload {
    /// Gives up the current message, leaving nothing of it behind.
    pub(crate) async fn abort(&mut self) {
        if let Some(Target::Sink(sink)) = self.target.take() {
            sink.abort().await;
        }
    }
}

impl<B: Backend> Connection<'_, B> {
    /// Completes the current message, if any, recording its UID or the
    /// failure.
    async fn finish_message(&mut self, mb: &mut B::Mailboxes) {
        let Some(up) = self.upload.as_mut() else {
            return;
        };
        let r = match up.target.take() {
            None => return,
            Some(Target::Sink(sink)) => sink.finish().await,
            Some(Target::Buffer { flags, date, data }) => {
                mb.append(&up.name, &flags, date, data.freeze()).await
            }
        };
        match r {
            Ok((v, uid)) => {
                up.uid_validity = v;
                up.uids.push(uid);
            }
            Err(e) => up.failed = Some(e),
        }
    }

    pub(crate) async fn append_start(
        &mut self,
        mailbox: &Mailbox,
        flags: Vec<Flag>,
        date: Option<DateTime>,
        length: u64,
    ) -> io::Result<()> {
        let Some(mut mb) = self.mailboxes.take() else {
            // Streaming is switched on only once authenticated.
            self.upload = None;
            return self
                .session
                .append_reject(now(), Some(Code::ServerBug), "No backend")
                .map_err(owner_error);
        };
        let r = self
            .start_message(&mut mb, mailbox, flags, date, length)
            .await;
        self.mailboxes = Some(mb);
        match r {
            Ok(()) => self.session.append_accept(now()),
            Err(e) => {
                self.upload = None;
                let (_, code, text) = no(&e, true);
                self.session.append_reject(now(), code, &text)
            }
        }
        .map_err(owner_error)
    }

    async fn start_message(
        &mut self,
        mb: &mut B::Mailboxes,
        mailbox: &Mailbox,
        flags: Vec<Flag>,
        date: Option<DateTime>,
        length: u64,
    ) -> Result<(), BackendError> {
        let name = super::exec::name(mailbox);
        // Another message of the same command: the previous one is whole.
        self.finish_message(mb).await;
        if let Some(e) = self.upload.as_mut().and_then(|u| u.failed.take()) {
            return Err(e);
        }
        let date = date.as_ref().map(unix_of);
        let target = match mb.append_stream(&name, &flags, date, length).await? {
            Some(sink) => Target::Sink(sink),
            None => Target::Buffer {
                flags,
                date,
                data: BytesMut::new(),
            },
        };
        let up = self.upload.get_or_insert_with(|| Upload {
            name: name.clone(),
            target: None,
            failed: None,
            uid_validity: 0,
            uids: Vec::new(),
        });
        up.name = name;
        up.target = Some(target);
        Ok(())
    }

    pub(crate) async fn append_data(&mut self, octets: Bytes) {
        let Some(up) = self.upload.as_mut() else {
            return;
        };
        match up.target.as_mut() {
            Some(Target::Sink(sink)) => {
                if let Err(e) = sink.write(octets).await {
                    // The rest is read and dropped; NO at the end.
                    up.abort().await;
                    up.failed = Some(e);
                }
            }
            Some(Target::Buffer { data, .. }) => data.extend_from_slice(&octets),
            None => {}
        }
    }

    pub(crate) async fn append_end(&mut self) -> io::Result<()> {
        let outcome = match self.mailboxes.take() {
            Some(mut mb) => {
                self.finish_message(&mut mb).await;
                let outcome = self.append_outcome();
                self.note_changes(&mut mb).await;
                self.mailboxes = Some(mb);
                outcome
            }
            None => (StatusKind::No, Some(Code::ServerBug), "No backend".into()),
        };
        self.upload = None;
        let (kind, code, text) = outcome;
        self.session
            .complete(now(), kind, code, &text)
            .map_err(owner_error)
    }

    fn append_outcome(&mut self) -> Outcome {
        let Some(up) = self.upload.as_mut() else {
            return ok("APPEND completed");
        };
        if let Some(e) = up.failed.take() {
            return no(&e, true);
        }
        match (NonZeroU32::new(up.uid_validity), uid_set_of(&up.uids)) {
            (Some(uid_validity), Some(uids)) => (
                StatusKind::Ok,
                Some(Code::AppendUid { uid_validity, uids }),
                "APPEND completed".into(),
            ),
            _ => ok("APPEND completed"),
        }
    }

    /// The client's input broke the APPEND off, or the connection ended.
    pub(crate) async fn append_abort(&mut self) {
        if let Some(mut up) = self.upload.take() {
            up.abort().await;
        }
    }
}
