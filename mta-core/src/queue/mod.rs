//! The durable mail queue.
//!
//! # Layout
//!
//! ```text
//! queue_directory/
//!   journal/seg-0000000000000001   append-only segments of new messages
//!   deferred/<queue id>            one file per message that had to wait
//! ```
//!
//! A new message is appended to the current journal segment by the
//! committer thread, which commits the messages of all sessions that are
//! waiting with one fdatasync (group commit); [`Queue::enqueue`] returns
//! only after that fdatasync, so the SMTP 250 that follows it is a promise
//! kept across a crash. A message delivered at the first attempt never
//! leaves the journal: a done marker (`D` record) retires it. A message
//! that has to wait is written to `deferred/` (temporary file, fsync,
//! rename, directory fsync) and then retired from the journal. A segment is
//! deleted when it and every older segment hold no live message.
//!
//! On [`Queue::open`] every segment is read in order (stopping at a torn
//! record, which was never acknowledged), done markers cancel their
//! messages, `deferred/` files take precedence over journal copies, and
//! everything left is queued again.
//!
//! # Duplicates
//!
//! Delivery is at least once. A crash after a delivery but before its done
//! marker (or the removal of its deferred file) reached the disk delivers
//! that message again after the restart; done markers are batched with the
//! next commit rather than fsynced one by one.

mod journal;
pub(crate) mod record;

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::time::SystemTime;

use bytes::Bytes;
use tokio::sync::{Notify, oneshot};

pub use record::{Envelope, MessageKind, QueueId, Recipient};

use crate::clock::Clock;
use journal::{Location, Request};

/// Why the queue could not do something.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// Reading or writing the queue directory failed.
    #[error("queue I/O failed: {0}")]
    Io(#[from] io::Error),
    /// The committer thread is gone (the queue is shutting down).
    #[error("the queue is closed")]
    Closed,
    /// No such message.
    #[error("no message {0} in the queue")]
    NotFound(QueueId),
}

/// Tuning of the queue's files.
#[derive(Debug, Clone)]
pub struct QueueOptions {
    /// The queue directory (queue_directory).
    pub directory: PathBuf,
    /// A journal segment is closed once it holds this many octets.
    pub segment_size: u64,
    /// The most octets one group commit gathers.
    pub max_batch: usize,
}

impl QueueOptions {
    /// 64 MiB segments, 8 MiB batches.
    #[must_use]
    pub fn new(directory: impl Into<PathBuf>) -> Self {
        QueueOptions {
            directory: directory.into(),
            segment_size: 64 << 20,
            max_batch: 8 << 20,
        }
    }
}

/// Where a message's bytes are.
#[derive(Debug, Clone, Copy)]
enum Place {
    Journal(Location),
    Deferred,
}

#[derive(Debug)]
struct Entry {
    env: Envelope,
    size: u64,
    place: Place,
    busy: bool,
}

#[derive(Debug, Default)]
struct State {
    messages: HashMap<QueueId, Entry>,
    /// Live messages per journal segment.
    segments: BTreeMap<u64, usize>,
}

/// One line of the queue listing (what `mailq` shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    /// The envelope and delivery state.
    pub envelope: Envelope,
    /// The content size in octets.
    pub size: u64,
    /// A delivery attempt is running now.
    pub active: bool,
    /// The message waits in `deferred/` (it failed at least once).
    pub deferred: bool,
}

/// A message handed to the scheduler for an attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The envelope at the start of the attempt.
    pub envelope: Envelope,
}

struct Inner {
    dir: PathBuf,
    tx: Mutex<Option<mpsc::Sender<Request>>>,
    committer: Mutex<Option<std::thread::JoinHandle<()>>>,
    current_segment: Arc<AtomicU64>,
    state: Mutex<State>,
    counter: AtomicU32,
    notify: Notify,
    clock: Arc<dyn Clock>,
}

/// The durable queue (cheap to clone: a handle).
#[derive(Clone)]
pub struct Queue {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

fn journal_dir(dir: &Path) -> PathBuf {
    dir.join("journal")
}

fn deferred_dir(dir: &Path) -> PathBuf {
    dir.join("deferred")
}

impl Queue {
    /// Opens (creating if needed) the queue in `options.directory`, picks
    /// up every message left from an earlier run, and starts the committer
    /// thread.
    ///
    /// # Errors
    ///
    /// The directory cannot be created or read.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mta_core::clock::SystemClock;
    /// use mta_core::queue::{MessageKind, Queue, QueueOptions};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// let queue = Queue::open(QueueOptions::new(dir.path()), Arc::new(SystemClock))?;
    /// let id = queue.next_id();
    /// queue.enqueue(&id, "alice@example.com", &["bob@example.org".into()], "local",
    ///     MessageKind::Normal, b"Subject: hi\r\n\r\nhello\r\n").await?; // durable now
    /// assert_eq!(queue.list().len(), 1);
    /// drop(queue);
    ///
    /// let queue = Queue::open(QueueOptions::new(dir.path()), Arc::new(SystemClock))?;
    /// assert_eq!(queue.list()[0].envelope.id, id);
    /// # Ok(()) }
    /// ```
    pub fn open(options: QueueOptions, clock: Arc<dyn Clock>) -> Result<Queue, QueueError> {
        let dir = options.directory.clone();
        let jdir = journal_dir(&dir);
        let ddir = deferred_dir(&dir);
        fs::create_dir_all(&jdir)?;
        fs::create_dir_all(&ddir)?;
        let (state, next_segment) = recover(&jdir, &ddir, Recovery::Owner)?;
        let current = Arc::new(AtomicU64::new(next_segment));
        let (tx, rx) = mpsc::channel();
        let committer = journal::Committer::new(
            jdir,
            next_segment,
            options.segment_size,
            options.max_batch,
            current.clone(),
        );
        let handle = std::thread::Builder::new()
            .name("missive-queue-committer".into())
            .spawn(move || committer.run(&rx))?;
        let queue = Queue {
            inner: Arc::new(Inner {
                dir,
                tx: Mutex::new(Some(tx)),
                committer: Mutex::new(Some(handle)),
                current_segment: current,
                state: Mutex::new(state),
                counter: AtomicU32::new(0),
                notify: Notify::new(),
                clock,
            }),
        };
        queue.collect_segments();
        Ok(queue)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn send(&self, r: Request) -> Result<(), QueueError> {
        let tx = self
            .inner
            .tx
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match tx.as_ref() {
            Some(tx) => tx.send(r).map_err(|_| QueueError::Closed),
            None => Err(QueueError::Closed),
        }
    }

    /// A fresh queue id (for the Received header written before the message
    /// is enqueued).
    #[must_use]
    pub fn next_id(&self) -> QueueId {
        let n = self.inner.counter.fetch_add(1, Ordering::Relaxed);
        QueueId::generate(self.inner.clock.now(), n)
    }

    /// Writes a message to the queue and returns once it is on disk
    /// (fdatasync done): only then may the SMTP server answer 250.
    /// `reverse_path` is empty for `<>`.
    ///
    /// # Errors
    ///
    /// [`QueueError::Io`] when the write or fsync failed (answer 451),
    /// [`QueueError::Closed`] when the queue shuts down.
    pub async fn enqueue(
        &self,
        id: &QueueId,
        reverse_path: &str,
        recipients: &[String],
        client: &str,
        kind: MessageKind,
        content: &[u8],
    ) -> Result<(), QueueError> {
        let now = self.inner.clock.now();
        let env = Envelope {
            id: id.clone(),
            arrival: now,
            reverse_path: reverse_path.to_owned(),
            client: client.to_owned(),
            kind,
            recipients: recipients.iter().map(Recipient::new).collect(),
            attempts: 0,
            next_attempt: now,
            warned: false,
        };
        let payload = record::encode_message(&env, content);
        let (reply, rx) = oneshot::channel();
        self.send(Request::Message { payload, reply })?;
        let loc = rx.await.map_err(|_| QueueError::Closed)??;
        {
            let mut st = self.state();
            *st.segments.entry(loc.segment).or_insert(0) += 1;
            st.messages.insert(
                id.clone(),
                Entry {
                    env,
                    size: content.len() as u64,
                    place: Place::Journal(loc),
                    busy: false,
                },
            );
        }
        self.inner.notify.notify_one();
        Ok(())
    }

    /// Every message in the queue, oldest first (the `mailq` listing).
    #[must_use]
    pub fn list(&self) -> Vec<QueueEntry> {
        let st = self.state();
        let mut v: Vec<QueueEntry> = st
            .messages
            .values()
            .map(|e| QueueEntry {
                envelope: e.env.clone(),
                size: e.size,
                active: e.busy,
                deferred: matches!(e.place, Place::Deferred),
            })
            .collect();
        v.sort_by(|a, b| {
            (a.envelope.arrival, &a.envelope.id).cmp(&(b.envelope.arrival, &b.envelope.id))
        });
        v
    }

    /// The number of messages queued.
    #[must_use]
    pub fn len(&self) -> usize {
        self.state().messages.len()
    }

    /// Whether the queue is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes every waiting message due now (`postqueue -f`) and wakes the
    /// scheduler; returns how many were waiting.
    pub fn flush(&self) -> usize {
        let now = self.inner.clock.now();
        let mut n = 0;
        {
            let mut st = self.state();
            for e in st.messages.values_mut() {
                if e.env.next_attempt > now {
                    e.env.next_attempt = now;
                    n += 1;
                }
            }
        }
        self.inner.notify.notify_one();
        n
    }

    /// Wakes the scheduler (after a test moved its clock forward).
    pub fn wake(&self) {
        self.inner.notify.notify_one();
    }

    /// Waits for [`Queue::enqueue`], [`Queue::flush`] or [`Queue::wake`].
    pub(crate) async fn notified(&self) {
        self.inner.notify.notified().await;
    }

    /// Marks up to `limit` due messages busy and returns them, oldest
    /// first.
    pub(crate) fn take_due(&self, now: SystemTime, limit: usize) -> Vec<Attempt> {
        let mut st = self.state();
        let mut due: Vec<&mut Entry> = st
            .messages
            .values_mut()
            .filter(|e| !e.busy && e.env.next_attempt <= now)
            .collect();
        let order = |a: &&mut Entry, b: &&mut Entry| {
            (a.env.next_attempt, &a.env.id).cmp(&(b.env.next_attempt, &b.env.id))
        };
        // Only the `limit` oldest are wanted: select them in linear time
        // (a big queue is scanned at every finished attempt), then sort.
        if limit == 0 {
            return Vec::new();
        }
        if due.len() > limit {
            due.select_nth_unstable_by(limit - 1, order);
            due.truncate(limit);
        }
        due.sort_by(order);
        due.into_iter()
            .take(limit)
            .map(|e| {
                e.busy = true;
                Attempt {
                    envelope: e.env.clone(),
                }
            })
            .collect()
    }

    /// The earliest time a message not being delivered is due.
    pub(crate) fn next_due(&self) -> Option<SystemTime> {
        self.state()
            .messages
            .values()
            .filter(|e| !e.busy)
            .map(|e| e.env.next_attempt)
            .min()
    }

    /// Reads a message's content.
    ///
    /// # Errors
    ///
    /// [`QueueError::NotFound`], or the read failed.
    pub fn content(&self, id: &QueueId) -> Result<Bytes, QueueError> {
        let place = self
            .state()
            .messages
            .get(id)
            .map(|e| e.place)
            .ok_or_else(|| QueueError::NotFound(id.clone()))?;
        let payload = match place {
            Place::Journal(loc) => {
                let f = File::open(journal::segment_path(
                    &journal_dir(&self.inner.dir),
                    loc.segment,
                ))?;
                let len = usize::try_from(loc.len).map_err(|_| io::Error::other("too large"))?;
                let mut buf = vec![0u8; len];
                f.read_exact_at(&mut buf, loc.offset)?;
                buf
            }
            Place::Deferred => {
                let buf = fs::read(deferred_dir(&self.inner.dir).join(id.as_str()))?;
                let (records, _) = record::unframe(&buf);
                records
                    .into_iter()
                    .next()
                    .map(|r| r.payload.to_vec())
                    .ok_or_else(|| io::Error::other("corrupt deferred file"))?
            }
        };
        record::content_of(Bytes::from(payload))
            .map(|(_, c)| c)
            .ok_or_else(|| QueueError::Io(io::Error::other("corrupt queue record")))
    }

    /// Ends an attempt: a message with nothing pending leaves the queue;
    /// one with pending recipients is written to `deferred/` with its new
    /// state (durably) before it leaves the journal.
    ///
    /// # Errors
    ///
    /// Writing the deferred file failed; the message stays where it was
    /// and is retried.
    pub(crate) fn finish(&self, env: Envelope) -> Result<(), QueueError> {
        let id = env.id.clone();
        let place = match self.state().messages.get(&id) {
            Some(e) => e.place,
            None => return Err(QueueError::NotFound(id)),
        };
        let ddir = deferred_dir(&self.inner.dir);
        if env.pending().next().is_none() {
            match place {
                Place::Journal(loc) => {
                    self.send(Request::Done(id.to_string()))?;
                    self.state().messages.remove(&id);
                    self.release_segment(loc.segment);
                }
                Place::Deferred => {
                    self.state().messages.remove(&id);
                    match fs::remove_file(ddir.join(id.as_str())) {
                        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e.into()),
                        _ => {}
                    }
                }
            }
            return Ok(());
        }
        let write = self.content(&id).and_then(|content| {
            let payload = record::encode_message(&env, &content);
            write_deferred(&ddir, &id, &payload).map_err(QueueError::from)
        });
        if let Err(e) = write {
            let mut st = self.state();
            if let Some(e) = st.messages.get_mut(&id) {
                e.busy = false;
                e.env.next_attempt = env.next_attempt;
            }
            return Err(e);
        }
        {
            let mut st = self.state();
            if let Some(e) = st.messages.get_mut(&id) {
                e.env = env;
                e.busy = false;
                e.place = Place::Deferred;
            }
        }
        if let Place::Journal(loc) = place {
            self.send(Request::Done(id.to_string()))?;
            self.release_segment(loc.segment);
        }
        Ok(())
    }

    fn release_segment(&self, segment: u64) {
        {
            let mut st = self.state();
            if let Some(n) = st.segments.get_mut(&segment) {
                *n = n.saturating_sub(1);
            }
        }
        self.collect_segments();
    }

    /// Deletes the oldest segments while they hold no live message (in
    /// order, so a done marker in a newer segment never outlives the
    /// message it cancels).
    fn collect_segments(&self) {
        let current = self.inner.current_segment.load(Ordering::SeqCst);
        let jdir = journal_dir(&self.inner.dir);
        let mut doomed = Vec::new();
        {
            let mut st = self.state();
            while let Some((&seg, &live)) = st.segments.iter().next() {
                if live > 0 || seg >= current {
                    break;
                }
                st.segments.remove(&seg);
                doomed.push(seg);
            }
        }
        for seg in doomed {
            let _ = fs::remove_file(journal::segment_path(&jdir, seg));
        }
    }

    /// Waits until every record handed to the committer so far is durable.
    ///
    /// # Errors
    ///
    /// The fsync failed or the queue is closed.
    pub async fn sync(&self) -> Result<(), QueueError> {
        let (reply, rx) = oneshot::channel();
        self.send(Request::Sync(reply))?;
        rx.await.map_err(|_| QueueError::Closed)??;
        Ok(())
    }

    /// Stops the committer after it wrote what it was given.
    pub fn close(&self) {
        self.inner
            .tx
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let handle = self
            .inner
            .committer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

fn write_deferred(ddir: &Path, id: &QueueId, payload: &[u8]) -> io::Result<()> {
    let mut framed = Vec::with_capacity(payload.len() + record::HEADER_LEN);
    record::frame(b'M', payload, &mut framed);
    let tmp = ddir.join(format!("{id}.tmp"));
    let mut f = File::create(&tmp)?;
    f.write_all(&framed)?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, ddir.join(id.as_str()))?;
    journal::fsync_dir(ddir)
}

/// Reads the queue in `directory` without opening it: the listing another
/// process (the `mailq` command) shows while an engine owns the queue.
///
/// Nothing is written, created or removed, and no committer is started:
/// unlike [`Queue::open`] this is safe beside the running engine. It is a
/// snapshot: a segment or deferred file the engine removes while it is
/// read is skipped (its messages are gone), a record still being appended
/// ends the segment (it is not acknowledged yet), and a message the engine
/// moves from the journal to `deferred/` meanwhile is shown once, from
/// `deferred/`. `active` is always false (attempts run in the engine).
///
/// Enqueueing from a second process is not supported: segments belong to
/// the committer of the process that opened the queue. Submit over SMTP.
///
/// # Errors
///
/// The directory cannot be read (a missing directory is an empty queue).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use mta_core::clock::SystemClock;
/// use mta_core::queue::{MessageKind, Queue, QueueOptions, snapshot};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let queue = Queue::open(QueueOptions::new(dir.path()), Arc::new(SystemClock))?;
/// let id = queue.next_id();
/// queue.enqueue(&id, "alice@example.com", &["bob@example.org".into()], "local",
///     MessageKind::Normal, b"Subject: hi\r\n\r\nhello\r\n").await?;
/// let listing = snapshot(dir.path())?; // while `queue` stays open
/// assert_eq!(listing[0].envelope.id, id);
/// assert_eq!(listing[0].size, 22);
/// # Ok(()) }
/// ```
pub fn snapshot(directory: &Path) -> Result<Vec<QueueEntry>, QueueError> {
    let (jdir, ddir) = (journal_dir(directory), deferred_dir(directory));
    if !directory.exists() {
        return Ok(Vec::new());
    }
    let (st, _) = recover(&jdir, &ddir, Recovery::Reader)?;
    let mut v: Vec<QueueEntry> = st
        .messages
        .into_values()
        .map(|e| QueueEntry {
            envelope: e.env,
            size: e.size,
            active: false,
            deferred: matches!(e.place, Place::Deferred),
        })
        .collect();
    v.sort_by(|a, b| {
        (a.envelope.arrival, &a.envelope.id).cmp(&(b.envelope.arrival, &b.envelope.id))
    });
    Ok(v)
}

/// Who reads the queue directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recovery {
    /// [`Queue::open`]: the only writer; removes leftover temporary files.
    Owner,
    /// [`snapshot`]: beside a running owner; writes nothing and skips
    /// files that vanish while it reads.
    Reader,
}

/// Reads a file; `None` when a reader beside the running owner finds it
/// removed meanwhile.
fn read_queue_file(path: &Path, who: Recovery) -> io::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Err(e) if who == Recovery::Reader && e.kind() == io::ErrorKind::NotFound => Ok(None),
        r => r.map(Some),
    }
}

/// Rebuilds the queue from the journal and `deferred/`; returns the state
/// and the id of the next segment to write.
fn recover(jdir: &Path, ddir: &Path, who: Recovery) -> Result<(State, u64), QueueError> {
    let mut st = State::default();
    let segments = match journal::list_segments(jdir) {
        Err(e) if who == Recovery::Reader && e.kind() == io::ErrorKind::NotFound => Vec::new(),
        r => r?,
    };
    for &seg in &segments {
        st.segments.insert(seg, 0);
        let Some(buf) = read_queue_file(&journal::segment_path(jdir, seg), who)? else {
            continue;
        };
        let (records, _good) = record::unframe(&buf);
        for r in records {
            match r.kind {
                b'M' => {
                    if let Some((env, at)) = record::decode_message(r.payload) {
                        let size = (r.payload.len() - at) as u64;
                        let loc = Location {
                            segment: seg,
                            offset: r.offset as u64,
                            len: r.payload.len() as u64,
                        };
                        st.messages.insert(
                            env.id.clone(),
                            Entry {
                                env,
                                size,
                                place: Place::Journal(loc),
                                busy: false,
                            },
                        );
                    }
                }
                b'D' => {
                    if let Some(id) = std::str::from_utf8(r.payload).ok().and_then(QueueId::parse)
                        && matches!(
                            st.messages.get(&id).map(|e| e.place),
                            Some(Place::Journal(_))
                        )
                    {
                        st.messages.remove(&id);
                    }
                }
                _ => {}
            }
        }
    }
    let deferred = match fs::read_dir(ddir) {
        Err(e) if who == Recovery::Reader && e.kind() == io::ErrorKind::NotFound => {
            return Ok((st, 1));
        }
        r => r?,
    };
    for e in deferred {
        let e = e?;
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.ends_with(".tmp") {
            // A deferred file being written (by the owner: left by a crash).
            if who == Recovery::Owner {
                let _ = fs::remove_file(e.path());
            }
            continue;
        }
        let Some(id) = QueueId::parse(name) else {
            continue;
        };
        let Some(buf) = read_queue_file(&e.path(), who)? else {
            continue;
        };
        let (records, _) = record::unframe(&buf);
        let Some((env, at)) = records.first().and_then(|r| {
            record::decode_message(r.payload).map(|(env, at)| (env, r.payload.len() - at))
        }) else {
            tracing::warn!("{id}: unreadable deferred queue file left alone");
            continue;
        };
        st.messages.insert(
            id,
            Entry {
                env,
                size: at as u64,
                place: Place::Deferred,
                busy: false,
            },
        );
    }
    for e in st.messages.values() {
        if let Place::Journal(loc) = e.place {
            *st.segments.entry(loc.segment).or_insert(0) += 1;
        }
    }
    let next = segments.last().map_or(1, |s| s + 1);
    Ok((st, next))
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        if let Ok(mut h) = self.committer.lock()
            && let Some(h) = h.take()
        {
            let _ = h.join();
        }
    }
}
