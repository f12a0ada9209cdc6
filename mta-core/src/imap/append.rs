//! Streamed APPEND into a folder: the octets go into the Maildir's `tmp/`
//! file as they arrive, and the message is linked into the folder only
//! once all have come and the file is fsynced.
//!
//! The store's writer ([`maildir::Folder::append`]) reads its message
//! from a [`Read`]; here that reader takes the pieces the IMAP connection
//! sends over a bounded channel, on a thread of tokio's blocking pool. The
//! channel's bound holds the connection back while the disk is slower
//! than the client. If the pieces stop without the end being marked (the
//! APPEND was given up, the sink dropped), the reader fails, and the store
//! removes the temporary file: nothing partial is left (RFC 9051 section
//! 6.3.12).

use std::io::{self, Read};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use bytes::Bytes;
use imap_proto::tokio::{AppendSink, BackendError, BackendResult};
use maildir::Flags;
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::mailboxes::Inner;

/// Pieces in flight between the connection and the writer.
const PIECES: usize = 8;

/// What the connection sends the writer.
enum Piece {
    Data(Bytes),
    End,
}

/// A [`Read`] over the pieces of one message, for the store's writer.
struct PieceReader {
    rx: mpsc::Receiver<Piece>,
    current: Bytes,
    /// Octets still expected.
    remaining: u64,
}

impl Read for PieceReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            // On a blocking-pool thread: waiting here holds no runtime
            // worker.
            match self.rx.blocking_recv() {
                Some(Piece::Data(b)) => {
                    let n = b.len() as u64;
                    if n > self.remaining {
                        return Err(io::Error::other("message longer than announced"));
                    }
                    self.remaining -= n;
                    self.current = b;
                }
                Some(Piece::End) if self.remaining == 0 => return Ok(0),
                Some(Piece::End) => {
                    return Err(io::Error::other("message shorter than announced"));
                }
                None => return Err(io::Error::other("APPEND given up")),
            }
        }
        let n = buf.len().min(self.current.len());
        let (dst, src) = (buf.get_mut(..n), self.current.get(..n));
        if let (Some(dst), Some(src)) = (dst, src) {
            dst.copy_from_slice(src);
        }
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

/// One message being written into a folder.
pub(crate) struct MaildirAppend {
    tx: Option<mpsc::Sender<Piece>>,
    writer: JoinHandle<BackendResult<(u32, u32)>>,
    /// The session's state, to mark the message `\Recent` when it lands
    /// in the selected folder.
    inner: Arc<Mutex<Inner>>,
    name: String,
}

/// What the writer thread needs.
pub(crate) struct Job {
    pub(crate) inner: Arc<Mutex<Inner>>,
    pub(crate) name: String,
    pub(crate) flags: Vec<imap_proto::types::Flag>,
    pub(crate) date: Option<SystemTime>,
    pub(crate) length: u64,
    /// A place among the streamed APPENDs allowed at once, held for the
    /// writer thread's life.
    pub(crate) permit: OwnedSemaphorePermit,
}

impl MaildirAppend {
    /// Opens the folder and starts the writer; fails (before the client
    /// is told to send the octets) when the folder cannot take the message.
    pub(crate) async fn start(job: Job) -> BackendResult<MaildirAppend> {
        let (tx, rx) = mpsc::channel(PIECES);
        let (ready_tx, ready_rx) = oneshot::channel::<BackendResult<()>>();
        let Job {
            inner,
            name,
            flags,
            date,
            length,
            permit,
        } = job;
        let store = {
            let g = inner
                .lock()
                .map_err(|_| BackendError::Unavailable("session state poisoned".into()))?;
            g.store.clone()
        };
        let folder_name = name.clone();
        let writer = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let opened = store
                .open_folder(&folder_name)
                .map_err(super::mailboxes::err)
                .and_then(|mut folder| {
                    let f: Flags = super::flags::to_store(&flags, &mut folder)
                        .map_err(super::mailboxes::err)?;
                    Ok((folder, f))
                });
            let (mut folder, f) = match opened {
                Ok(x) => {
                    let _ = ready_tx.send(Ok(()));
                    x
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e.clone()));
                    return Err(e);
                }
            };
            let reader = PieceReader {
                rx,
                current: Bytes::new(),
                remaining: length,
            };
            // Written to tmp/, fsynced, linked, directory fsynced: durable
            // when this returns; on an error the tmp file is gone.
            let uid = folder
                .append(reader, f, date)
                .map_err(super::mailboxes::err)?;
            Ok((folder.uid_validity(), uid))
        });
        match ready_rx.await {
            Ok(Ok(())) => Ok(MaildirAppend {
                tx: Some(tx),
                writer,
                inner,
                name,
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(BackendError::Unavailable("store task failed".into())),
        }
    }

    async fn send(&mut self, piece: Piece) -> BackendResult<()> {
        let Some(tx) = self.tx.as_ref() else {
            return Err(BackendError::Unavailable("APPEND already over".into()));
        };
        if tx.send(piece).await.is_err() {
            // The writer stopped: its error says why.
            self.tx = None;
            return Err(BackendError::Unavailable(
                "message store write failed".into(),
            ));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl AppendSink for MaildirAppend {
    async fn write(&mut self, octets: Bytes) -> BackendResult<()> {
        self.send(Piece::Data(octets)).await
    }

    async fn finish(mut self: Box<Self>) -> BackendResult<(u32, u32)> {
        // If the writer already stopped, its own error is the answer.
        let _ = self.send(Piece::End).await;
        self.tx = None;
        let (validity, uid) = (&mut self.writer)
            .await
            .map_err(|_| BackendError::Unavailable("store task failed".into()))??;
        super::mailboxes::appended_to(&self.inner, &self.name, uid);
        Ok((validity, uid))
    }

    async fn abort(mut self: Box<Self>) {
        // Without the end marker the writer fails and removes tmp/.
        self.tx = None;
        let _ = (&mut self.writer).await;
    }
}
