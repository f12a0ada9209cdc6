//! The journal: append-only segment files written by one committer thread
//! that makes the messages of many sessions durable with one fdatasync
//! (group commit).
//!
//! A session hands its framed record to the committer and waits. The
//! committer takes every record that is waiting (up to a batch size),
//! appends them with one write, calls fdatasync once, and answers every
//! session: while one fsync runs the next batch gathers, so the number of
//! fsyncs per second stays about constant however many sessions send.
//!
//! A new segment's directory entry is fsynced before any record in it is
//! acknowledged. After a restart the committer always starts a new
//! segment, so a torn tail is never appended to.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use tokio::sync::oneshot;

use super::record::{self, HEADER_LEN};

/// Where a message's payload was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Location {
    pub segment: u64,
    pub offset: u64,
    pub len: u64,
}

pub(crate) enum Request {
    /// A message payload; answered once durable.
    Message {
        payload: Vec<u8>,
        reply: oneshot::Sender<io::Result<Location>>,
    },
    /// A done marker (no answer: it becomes durable with the next batch).
    Done(String),
    /// Answered once everything before it is durable.
    Sync(oneshot::Sender<io::Result<()>>),
}

pub(crate) fn segment_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("seg-{id:016}"))
}

/// Segment ids in the directory, ascending.
pub(crate) fn list_segments(dir: &Path) -> io::Result<Vec<u64>> {
    let mut ids = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        if let Some(n) = e
            .file_name()
            .to_str()
            .and_then(|n| n.strip_prefix("seg-"))
            .and_then(|n| n.parse::<u64>().ok())
        {
            ids.push(n);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

pub(crate) fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The committer's state, run on its own thread.
pub(crate) struct Committer {
    dir: PathBuf,
    segment_size: u64,
    max_batch: usize,
    current: Arc<AtomicU64>,
    file: Option<(u64, File, u64)>,
}

impl Committer {
    pub(crate) fn new(
        dir: PathBuf,
        first_segment: u64,
        segment_size: u64,
        max_batch: usize,
        current: Arc<AtomicU64>,
    ) -> Self {
        current.store(first_segment, Ordering::SeqCst);
        Committer {
            dir,
            segment_size,
            max_batch,
            current,
            file: None,
        }
    }

    /// The segment to append to, rotating when the current one is full.
    fn segment(&mut self) -> io::Result<(u64, &mut File, u64)> {
        let rotate = match &self.file {
            None => true,
            Some((_, _, size)) => *size >= self.segment_size,
        };
        if rotate {
            let id = match &self.file {
                None => self.current.load(Ordering::SeqCst),
                Some((id, _, _)) => id + 1,
            };
            let f = OpenOptions::new()
                .create_new(true)
                .append(true)
                .open(segment_path(&self.dir, id))?;
            // The new name must survive a crash before any record in the
            // file is acknowledged.
            fsync_dir(&self.dir)?;
            self.current.store(id, Ordering::SeqCst);
            self.file = Some((id, f, 0));
        }
        match &mut self.file {
            Some((id, f, size)) => Ok((*id, f, *size)),
            None => Err(io::Error::other("no segment")),
        }
    }

    /// Runs until every sender is gone.
    pub(crate) fn run(mut self, rx: &mpsc::Receiver<Request>) {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            let mut bytes = 0usize;
            while bytes < self.max_batch {
                match rx.try_recv() {
                    Ok(r) => {
                        if let Request::Message { payload, .. } = &r {
                            bytes += payload.len();
                        }
                        batch.push(r);
                    }
                    Err(_) => break,
                }
            }
            self.commit(batch);
        }
        if let Some((_, f, _)) = &self.file {
            let _ = f.sync_data();
        }
    }

    fn commit(&mut self, batch: Vec<Request>) {
        let mut buf = Vec::new();
        let mut waiting = Vec::new();
        let mut syncs = Vec::new();
        let result = self.segment().map(|(id, _, size)| (id, size));
        let (segment, base) = match result {
            Ok(v) => v,
            Err(e) => return fail(batch, &e),
        };
        for r in batch {
            match r {
                Request::Message { payload, reply } => {
                    let offset = base + (buf.len() + HEADER_LEN) as u64;
                    let len = payload.len() as u64;
                    record::frame(b'M', &payload, &mut buf);
                    waiting.push((
                        reply,
                        Location {
                            segment,
                            offset,
                            len,
                        },
                    ));
                }
                Request::Done(id) => record::frame(b'D', id.as_bytes(), &mut buf),
                Request::Sync(reply) => syncs.push(reply),
            }
        }
        let written = match &mut self.file {
            Some((_, f, size)) => f
                .write_all(&buf)
                .and_then(|()| f.sync_data())
                .map(|()| *size += buf.len() as u64),
            None => Err(io::Error::other("no segment")),
        };
        match written {
            Ok(()) => {
                for (reply, loc) in waiting {
                    let _ = reply.send(Ok(loc));
                }
                for s in syncs {
                    let _ = s.send(Ok(()));
                }
            }
            Err(e) => {
                // The segment may now hold a partial batch: start a new
                // one for what follows (recovery stops at the torn record).
                if let Some((id, _, _)) = self.file.take() {
                    self.current.store(id + 1, Ordering::SeqCst);
                }
                for (reply, _) in waiting {
                    let _ = reply.send(Err(io::Error::new(e.kind(), e.to_string())));
                }
                for s in syncs {
                    let _ = s.send(Err(io::Error::new(e.kind(), e.to_string())));
                }
            }
        }
    }
}

fn fail(batch: Vec<Request>, e: &io::Error) {
    for r in batch {
        match r {
            Request::Message { reply, .. } => {
                let _ = reply.send(Err(io::Error::new(e.kind(), e.to_string())));
            }
            Request::Sync(reply) => {
                let _ = reply.send(Err(io::Error::new(e.kind(), e.to_string())));
            }
            Request::Done(_) => {}
        }
    }
}
