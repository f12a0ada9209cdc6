//! Local delivery: a user's mailbox through the store (Maildir or the mbox
//! spool), a virtual mailbox, or an aliases(5) `/file` target.
//!
//! Deliveries are group-committed: each is handed to the [`LocalBatcher`],
//! whose workers take every delivery waiting (up to [`MAX_BATCH`]) and
//! make them durable together with [`maildir::deliver_batch`] (two syncs
//! for the whole batch, one folder lock per folder), then answer each.
//! While one batch is being synced the next one gathers, so the cost of a
//! sync is shared by every delivery that arrived meanwhile. A delivery is
//! reported sent only once its message is durable.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use maildir::{BatchItem, Store};
use tokio::sync::oneshot;

use super::{Outcome, prepend_delivery_headers};

/// The most deliveries one worker makes durable together.
pub(crate) const MAX_BATCH: usize = 256;

/// Workers: while one syncs, another gathers and writes the next batch.
const WORKERS: usize = 2;

/// Finds the mailbox store of a local user.
pub trait Mailboxes: Send + Sync {
    /// The store of `user` (lowercased, without address extension).
    ///
    /// # Errors
    ///
    /// The store cannot be opened.
    fn store(&self, user: &str) -> Result<Store, maildir::Error>;
}

/// Users' mailboxes at a Dovecot-style `mail_location` spec such as
/// `maildir:/srv/mail/%u/Maildir` or `mbox:/var/spool/mail/%u`.
///
/// # Examples
///
/// ```
/// use mta_core::delivery::{LocationMailboxes, Mailboxes};
///
/// let base = tempfile::tempdir().unwrap();
/// let boxes = LocationMailboxes::new(format!("maildir:{}/%u/Maildir", base.path().display()));
/// let store = boxes.store("alice").unwrap();
/// store.deliver("INBOX", b"Subject: hi\r\n\r\nhello\r\n").unwrap();
/// assert!(boxes.store("../root").is_err());
/// ```
#[derive(Debug, Clone)]
pub struct LocationMailboxes {
    spec: String,
}

impl LocationMailboxes {
    /// Mailboxes at `spec` (`%u` is the user name).
    #[must_use]
    pub fn new(spec: impl Into<String>) -> Self {
        LocationMailboxes { spec: spec.into() }
    }

    /// Postfix's default local delivery: the mbox spool file
    /// `mail_spool_directory/<user>`.
    #[must_use]
    pub fn spool(mail_spool_directory: &Path) -> Self {
        LocationMailboxes::new(format!("mbox:{}/%u", mail_spool_directory.display()))
    }
}

impl Mailboxes for LocationMailboxes {
    fn store(&self, user: &str) -> Result<Store, maildir::Error> {
        Store::open(&self.spec, user, None)
    }
}

fn store_outcome(r: Result<u32, maildir::Error>, what: &str) -> Outcome {
    match r {
        Ok(_) => Outcome::sent("250 2.0.0 delivered to ".to_owned() + what),
        Err(e) if e.is_temporary() => {
            Outcome::deferred(format!("451 4.2.0 cannot deliver to {what}: {e}"))
        }
        Err(e) => Outcome::bounced(format!("550 5.2.0 cannot deliver to {what}: {e}")),
    }
}

/// A message that already carries `Delivered-To: recipient` went round a
/// forwarding loop (Postfix local(8) refuses it the same way).
fn delivered_to_loop(content: &[u8], recipient: &str) -> Option<Outcome> {
    for line in super::header_lines(content) {
        let Some(value) = strip_name(line, "delivered-to") else {
            continue;
        };
        if value.trim().eq_ignore_ascii_case(recipient) {
            return Some(Outcome::bounced(format!(
                "554 5.4.6 mail forwarding loop for {recipient}"
            )));
        }
    }
    None
}

fn strip_name<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let (n, v) = line.split_once(':')?;
    n.trim().eq_ignore_ascii_case(name).then_some(v)
}

/// Where a local delivery goes.
pub(crate) enum Target {
    /// A local user's mailbox store (its INBOX).
    Mailbox {
        /// Finds the store.
        mailboxes: Arc<dyn Mailboxes>,
        /// The user.
        user: String,
    },
    /// A Maildir (`maildir`) or mbox file at a path: a virtual mailbox, a
    /// `/file` target, or home_mailbox.
    Path {
        /// The path.
        path: PathBuf,
        /// A Maildir rather than an mbox file.
        maildir: bool,
    },
}

/// One delivery for the batcher.
pub(crate) struct Job {
    /// Where to.
    pub target: Target,
    /// The envelope sender (Return-Path).
    pub reverse_path: String,
    /// The final recipient (Delivered-To).
    pub recipient: String,
    /// The queued message.
    pub content: Bytes,
    /// How the destination is named in replies.
    pub what: String,
}

/// A delivery and where its outcome goes.
type Queued = (Job, oneshot::Sender<Outcome>);

/// Gathers local deliveries into batches for its worker threads (started
/// at the first delivery; they end when the batcher is dropped).
#[derive(Default)]
pub(crate) struct LocalBatcher {
    queue: OnceLock<Option<mpsc::Sender<Queued>>>,
}

impl std::fmt::Debug for LocalBatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBatcher").finish_non_exhaustive()
    }
}

impl LocalBatcher {
    fn sender(&self) -> Option<&mpsc::Sender<Queued>> {
        self.queue
            .get_or_init(|| {
                let (tx, rx) = mpsc::channel::<Queued>();
                let rx = Arc::new(Mutex::new(rx));
                let mut started = 0;
                for n in 0..WORKERS {
                    let rx = rx.clone();
                    let spawned = std::thread::Builder::new()
                        .name(format!("local-delivery-{n}"))
                        .spawn(move || worker(&rx));
                    if spawned.is_ok() {
                        started += 1;
                    }
                }
                (started > 0).then_some(tx)
            })
            .as_ref()
    }

    /// Delivers `job` in the next batch and returns its outcome once the
    /// message is durable (or failed).
    pub(crate) async fn deliver(&self, job: Job) -> Outcome {
        let (reply, answer) = oneshot::channel();
        let job = match self.sender() {
            Some(tx) => match tx.send((job, reply)) {
                Ok(()) => {
                    return answer.await.unwrap_or_else(|_| {
                        Outcome::deferred("451 4.3.0 local delivery failed".into())
                    });
                }
                Err(mpsc::SendError((job, _))) => job,
            },
            None => job,
        };
        // No worker could be started: deliver it alone.
        tokio::task::spawn_blocking(move || {
            let (reply, answer) = oneshot::channel();
            deliver_jobs(vec![(job, reply)]);
            answer.blocking_recv()
        })
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_else(|| Outcome::deferred("451 4.3.0 local delivery failed".into()))
    }
}

/// A worker: takes the first waiting delivery and every other one waiting
/// (up to [`MAX_BATCH`]), delivers them together, answers, and again.
fn worker(rx: &Mutex<mpsc::Receiver<Queued>>) {
    loop {
        let jobs = {
            let rx = rx.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let Ok(first) = rx.recv() else {
                return;
            };
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            jobs
        };
        deliver_jobs(jobs);
    }
}

/// Opens each destination once, delivers every message with one
/// [`maildir::deliver_batch`], and answers each job.
pub(crate) fn deliver_jobs(jobs: Vec<Queued>) {
    let mut stores: Vec<(String, Store)> = Vec::new();
    let mut ready: Vec<(Queued, Store, Vec<u8>)> = Vec::new();
    for (job, reply) in jobs {
        if let Some(loop_) = delivered_to_loop(&job.content, &job.recipient) {
            let _ = reply.send(loop_);
            continue;
        }
        let key = match &job.target {
            Target::Mailbox { user, .. } => format!("user {user}"),
            Target::Path { path, .. } => format!("path {}", path.display()),
        };
        let store = match stores.iter().find(|(k, _)| *k == key) {
            Some((_, store)) => store.clone(),
            None => {
                let opened = match &job.target {
                    Target::Mailbox { mailboxes, user } => {
                        mailboxes.store(user).map_err(|e| open_failed(&e))
                    }
                    Target::Path { path, maildir } => {
                        let s = if *maildir {
                            Store::maildir(path)
                        } else {
                            Store::mbox(path)
                        };
                        s.map_err(|e| store_outcome(Err(e), &job.what))
                    }
                };
                match opened {
                    Ok(store) => {
                        stores.push((key, store.clone()));
                        store
                    }
                    Err(o) => {
                        let _ = reply.send(o);
                        continue;
                    }
                }
            }
        };
        let message = prepend_delivery_headers(&job.reverse_path, &job.recipient, &job.content);
        ready.push(((job, reply), store, message));
    }
    let items: Vec<BatchItem<'_>> = ready
        .iter()
        .map(|((job, _), store, message)| BatchItem {
            store,
            folder: "INBOX",
            reverse_path: &job.reverse_path,
            message,
        })
        .collect();
    let results = maildir::deliver_batch(&items);
    drop(items);
    for (((job, reply), _, _), r) in ready.into_iter().zip(results) {
        let _ = reply.send(store_outcome(r, &job.what));
    }
}

fn open_failed(e: &maildir::Error) -> Outcome {
    if e.is_temporary() {
        Outcome::deferred(format!("451 4.2.0 cannot open the mailbox: {e}"))
    } else {
        Outcome::bounced(format!("550 5.2.0 cannot open the mailbox: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::Status;

    fn job(target: Target, recipient: &str, body: &str) -> Job {
        Job {
            target,
            reverse_path: "sender@example.org".into(),
            recipient: recipient.into(),
            content: Bytes::from(format!("Subject: t\r\n\r\n{body}\r\n")),
            what: "mailbox".into(),
        }
    }

    fn boxes(base: &Path) -> Arc<dyn Mailboxes> {
        Arc::new(LocationMailboxes::new(format!(
            "maildir:{}/%u/Maildir",
            base.display()
        )))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_deliveries_all_arrive_with_consecutive_uids() {
        let base = tempfile::tempdir().unwrap();
        let mailboxes = boxes(base.path());
        let batcher = Arc::new(LocalBatcher::default());
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..200 {
            let (batcher, mailboxes) = (batcher.clone(), mailboxes.clone());
            tasks.spawn(async move {
                let user = if n % 3 == 0 { "bob" } else { "alice" };
                let target = Target::Mailbox {
                    mailboxes,
                    user: user.into(),
                };
                batcher
                    .deliver(job(target, &format!("{user}@example.org"), &n.to_string()))
                    .await
            });
        }
        while let Some(outcome) = tasks.join_next().await {
            let outcome = outcome.unwrap();
            assert_eq!(outcome.status, Status::Sent, "{}", outcome.text);
        }
        let mut total = 0;
        for (user, count) in [("alice", 133), ("bob", 67)] {
            let store = mailboxes.store(user).unwrap();
            let mut inbox = store.open_folder("INBOX").unwrap();
            let uids: Vec<u32> = inbox.messages().iter().map(|m| m.uid()).collect();
            assert_eq!(uids, (1..=count).collect::<Vec<u32>>(), "{user}");
            let first = inbox.read_message(1).unwrap();
            let text = String::from_utf8(first).unwrap();
            assert!(
                text.starts_with(&format!(
                    "Return-Path: <sender@example.org>\r\nDelivered-To: {user}@example.org\r\n"
                )),
                "{text}"
            );
            total += uids.len();
        }
        assert_eq!(total, 200);
    }

    #[test]
    fn one_batch_answers_each_delivery_on_its_own() {
        let base = tempfile::tempdir().unwrap();
        let mailboxes = boxes(base.path());
        let mbox = base.path().join("spool/carol");
        let looping = Job {
            content: Bytes::from_static(b"Delivered-To: dave@example.org\r\n\r\nx\r\n"),
            ..job(
                Target::Mailbox {
                    mailboxes: mailboxes.clone(),
                    user: "dave".into(),
                },
                "dave@example.org",
                "",
            )
        };
        let jobs = vec![
            job(
                Target::Mailbox {
                    mailboxes: mailboxes.clone(),
                    user: "alice".into(),
                },
                "alice@example.org",
                "1",
            ),
            looping,
            job(
                Target::Mailbox {
                    mailboxes: mailboxes.clone(),
                    user: "../etc".into(),
                },
                "x@example.org",
                "2",
            ),
            job(
                Target::Path {
                    path: mbox.clone(),
                    maildir: false,
                },
                "carol@example.org",
                "3",
            ),
            job(
                Target::Path {
                    path: base.path().join("virtual/erin/"),
                    maildir: true,
                },
                "erin@example.org",
                "4",
            ),
        ];
        let (queued, answers): (Vec<Queued>, Vec<_>) = jobs
            .into_iter()
            .map(|j| {
                let (tx, rx) = oneshot::channel();
                ((j, tx), rx)
            })
            .unzip();
        deliver_jobs(queued);
        let got: Vec<Status> = answers
            .into_iter()
            .map(|mut rx| rx.try_recv().unwrap().status)
            .collect();
        assert_eq!(
            got,
            [
                Status::Sent,
                Status::Bounced,
                Status::Bounced,
                Status::Sent,
                Status::Sent
            ]
        );
        let spool = std::fs::read_to_string(&mbox).unwrap();
        assert!(spool.contains("Delivered-To: carol@example.org"), "{spool}");
        let erin = Store::maildir(base.path().join("virtual/erin")).unwrap();
        assert_eq!(erin.open_folder("INBOX").unwrap().messages().len(), 1);
    }
}
