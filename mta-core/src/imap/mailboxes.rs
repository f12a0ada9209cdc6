//! One user's mailboxes for one IMAP session.

use bytes::Bytes;
use imap_proto::message::{MessageList, MessageState};
use imap_proto::server::SelectInfo;
use imap_proto::tokio::{
    AppendSink, BackendError, BackendResult, Change, CopyInfo, MailboxInfo, MailboxStatus,
    Mailboxes, MessageMeta, StoreOutcome,
};
use imap_proto::types::{Atom, Flag, MailboxAttribute, StoreKind};
use maildir::{Flag as MdFlag, FlagOp, Folder, Store};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;

use super::append::{Job, MaildirAppend};
use super::flags::{FORWARDED, SharedFlags, to_imap, to_store};
use super::messages::{BufferPool, VirtualSizes};

/// The mailboxes of one logged-in user, for one session.
#[derive(Debug, Clone)]
pub struct MaildirMailboxes {
    inner: Arc<Mutex<Inner>>,
    /// Places for streamed APPENDs, shared by every session of the
    /// backend: each holds a blocking-pool thread while the client sends.
    appends: Arc<Semaphore>,
}

impl Drop for MaildirMailboxes {
    /// The session's folders go on the blocking pool: dropping one may
    /// write its snapshot index.
    fn drop(&mut self) {
        if let Ok(mut inner) = self.inner.lock() {
            let folders = (inner.selected.take(), inner.closed.take());
            crate::offload::drop_off_worker(folders);
        }
    }
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) store: Store,
    vsizes: VirtualSizes,
    /// Buffers of messages read before, to read the next ones into.
    buffers: BufferPool,
    selected: Option<Selected>,
    /// The last folder closed, kept to be refreshed (a few stats and the
    /// new names) rather than rescanned when the client selects it again,
    /// as clients do all the time.
    closed: Option<Folder>,
    /// The message list of the last SELECT without `\Recent` messages,
    /// with the generation of the folder's snapshot it was made from
    /// ([`Folder::generation`]): a SELECT of the same snapshot hands it
    /// out again (a clone shares it) rather than making it anew.
    listed: Option<(u64, MessageList)>,
}

#[derive(Debug)]
struct Selected {
    folder: Folder,
    read_only: bool,
    recent: HashSet<u32>,
}

pub(crate) fn err(e: maildir::Error) -> BackendError {
    use maildir::Error as E;
    match e {
        E::NoSuchFolder(_) => BackendError::NoSuchMailbox,
        E::FolderExists(_) => BackendError::AlreadyExists,
        E::InvalidFolderName { .. } | E::FolderNotAllowed(_) | E::Unsupported(_) => {
            BackendError::Cannot(e.to_string())
        }
        E::TooManyKeywords(_) | E::InvalidKeyword(_) => BackendError::Limit(e.to_string()),
        other => BackendError::Unavailable(other.to_string()),
    }
}

/// The special-use attribute a folder name carries.
fn special_use(name: &str) -> Option<MailboxAttribute> {
    Some(match name {
        "Sent" => MailboxAttribute::Sent,
        "Trash" => MailboxAttribute::Trash,
        "Drafts" => MailboxAttribute::Drafts,
        "Junk" => MailboxAttribute::Junk,
        "Archive" => MailboxAttribute::Archive,
        _ => return None,
    })
}

fn unix(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

fn system_time(t: i64) -> SystemTime {
    if t >= 0 {
        UNIX_EPOCH + Duration::from_secs(t as u64)
    } else {
        UNIX_EPOCH
    }
}

/// Whether two names are the same folder (INBOX in any case).
fn same_folder(a: &str, b: &str) -> bool {
    a == b || (maildir::is_inbox(a) && maildir::is_inbox(b))
}

/// A message this session APPENDed into the folder it has selected is
/// `\Recent` to it (RFC 3501 section 2.3.2: this session is the first to
/// be told of it); the next [`Mailboxes::changes`] reports it as EXISTS.
pub(crate) fn appended_to(inner: &Mutex<Inner>, name: &str, uid: u32) {
    if let Ok(mut g) = inner.lock()
        && let Some(sel) = g.selected.as_mut()
        && same_folder(sel.folder.name(), name)
    {
        sel.recent.insert(uid);
    }
}

impl MaildirMailboxes {
    /// One session's view of `store`, for a [`Backend`](imap_proto::tokio::Backend)
    /// that checks users its own way and opens the store itself.
    pub fn new(store: Store) -> Self {
        Self::with_appends(store, Arc::new(Semaphore::new(super::CONCURRENT_APPENDS)))
    }

    /// Like [`MaildirMailboxes::new`], sharing the places for streamed
    /// APPENDs with the backend's other sessions.
    pub(crate) fn with_appends(store: Store, appends: Arc<Semaphore>) -> Self {
        MaildirMailboxes {
            inner: Arc::new(Mutex::new(Inner {
                store,
                vsizes: VirtualSizes::default(),
                buffers: BufferPool::default(),
                selected: None,
                closed: None,
                listed: None,
            })),
            appends,
        }
    }

    /// The session's state, locked, for a call cheap enough to make on
    /// the async worker (a few stats at most).
    fn state(&self) -> BackendResult<std::sync::MutexGuard<'_, Inner>> {
        lock(&self.inner)
    }

    /// Runs `f`, which makes blocking file system calls, with the
    /// session's state: in place on a multi-threaded runtime (the
    /// worker's other tasks move to another thread meanwhile, see
    /// [`tokio::task::block_in_place`]), which spares each command two
    /// thread switches (some 9 µs of a 35 µs SELECT of an unchanged
    /// mailbox); on the blocking pool on a current-thread runtime.
    async fn with<T, F>(&self, f: F) -> BackendResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Inner) -> BackendResult<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        let run = move || f(&mut *lock(&inner)?);
        if tokio::runtime::Handle::current().runtime_flavor()
            == tokio::runtime::RuntimeFlavor::MultiThread
        {
            return tokio::task::block_in_place(run);
        }
        tokio::task::spawn_blocking(run)
            .await
            .map_err(|_| BackendError::Unavailable("store task failed".into()))?
    }
}

fn lock(inner: &Mutex<Inner>) -> BackendResult<std::sync::MutexGuard<'_, Inner>> {
    inner
        .lock()
        .map_err(|_| BackendError::Unavailable("session state poisoned".into()))
}

/// SELECT or EXAMINE of `name` (see [`MaildirMailboxes::select`]);
/// `unchanged`: the folder kept was just found unchanged on disk, so it
/// needs no refresh.
fn select_in(
    i: &mut Inner,
    name: &str,
    read_only: bool,
    unchanged: bool,
) -> BackendResult<SelectInfo> {
    if let Some(sel) = i.selected.take() {
        i.closed = Some(sel.folder);
    }
    let same = |f: &Folder| same_folder(f.name(), name);
    let cached = match i.closed.take() {
        Some(f) if same(&f) && unchanged => Some(f),
        Some(mut f) if same(&f) => match f.refresh() {
            Ok(ch) if !ch.uid_validity_changed => Some(f),
            _ => None,
        },
        _ => None,
    };
    let mut folder = match cached {
        Some(f) => f,
        None => i.store.open_folder(name).map_err(err)?,
    };
    let recent: HashSet<u32> = if folder.new_count() == 0 {
        HashSet::new()
    } else if read_only {
        folder
            .messages()
            .iter()
            .filter(|m| m.is_new())
            .map(|m| m.uid())
            .collect()
    } else {
        folder.move_new_to_cur().map_err(err)?.into_iter().collect()
    };
    let kw = folder.keywords();
    let generation = folder.generation();
    let messages = match &i.listed {
        Some((g, list)) if recent.is_empty() && Some(*g) == generation => list.clone(),
        _ => {
            let mut shared = SharedFlags::new(&kw);
            // From the snapshot index's summary when the folder was just
            // started from it: its records are not read for a SELECT, and
            // the list holds the summary's runs and flag indexes.
            let messages = match folder.flag_runs() {
                Some(runs) if recent.is_empty() => {
                    let mut messages = MessageList::default();
                    let mut w = messages.writer();
                    let sets: Vec<u32> = runs
                        .values()
                        .iter()
                        .map(|&f| shared.of(f, &mut w))
                        .collect();
                    messages.extend_runs(runs.runs(), &sets, runs.of_shared());
                    messages
                }
                _ => {
                    let mut messages = MessageList::with_capacity(folder.message_count());
                    let mut w = messages.writer();
                    for (uid, flags) in folder.uid_flags() {
                        let set = shared.of(flags, &mut w);
                        let recent = !recent.is_empty() && recent.contains(&uid);
                        w.push(uid, set, recent);
                    }
                    messages
                }
            };
            i.listed = match generation {
                Some(g) if recent.is_empty() => Some((g, messages.clone())),
                _ => None,
            };
            messages
        }
    };
    let mut keywords: Vec<Flag> = kw
        .iter()
        .filter_map(|(_, n)| Atom::new(n).ok().map(Flag::Keyword))
        .collect();
    if let Ok(a) = Atom::new(FORWARDED) {
        keywords.insert(0, Flag::Keyword(a));
    }
    let info = SelectInfo {
        messages,
        uid_validity: folder.uid_validity(),
        uid_next: folder.uid_next(),
        keywords,
        new_keywords: true,
        read_only,
        highest_modseq: folder.highest_modseq(),
    };
    i.selected = Some(Selected {
        folder,
        read_only,
        recent,
    });
    Ok(info)
}

/// Whether selecting `name` again is cheap enough to do on the async
/// worker: it is the mailbox just selected (or closed), nothing changed
/// on disk, nothing is in `new/`, and its message list is kept.
fn reselect_is_cheap(i: &Inner, name: &str) -> BackendResult<bool> {
    // With both, the closed one would be dropped here, which can write
    // its snapshot index.
    let folder = match (&i.selected, &i.closed) {
        (Some(sel), None) => &sel.folder,
        (None, Some(f)) => f,
        _ => return Ok(false),
    };
    let generation = folder.generation();
    Ok(same_folder(folder.name(), name)
        && folder.new_count() == 0
        && generation.is_some()
        && i.listed.as_ref().map(|(g, _)| *g) == generation
        && !folder.has_changed().unwrap_or(true))
}

/// CLOSE (`expunge`) or UNSELECT: the folder is kept for a next SELECT.
fn unselect_in(i: &mut Inner, expunge: bool) -> BackendResult<()> {
    // Out of the mailbox, the session reads no message for a while.
    i.buffers.clear();
    if let Some(mut sel) = i.selected.take() {
        if expunge && !sel.read_only {
            sel.folder.expunge_deleted().map_err(err)?;
        }
        i.closed = Some(sel.folder);
    }
    Ok(())
}

fn selected(inner: &mut Inner) -> BackendResult<&mut Selected> {
    inner
        .selected
        .as_mut()
        .ok_or_else(|| BackendError::Cannot("no mailbox selected".into()))
}

fn state_of(sel: &Selected, uid: u32) -> Option<MessageState> {
    let kw = sel.folder.keywords();
    sel.folder.message(uid).map(|m| MessageState {
        uid,
        flags: to_imap(m.flags(), &kw).into(),
        recent: sel.recent.contains(&uid),
    })
}

fn read_one(sel: &mut Selected, pool: &BufferPool, uid: u32) -> BackendResult<Option<Bytes>> {
    // With CRLF line ends, as IMAP sends them (RFC 3501 section 2.2).
    let mut buf = pool.take();
    match sel.folder.read_message_crlf_into(uid, &mut buf) {
        Ok(()) => Ok(Some(pool.bytes(buf))),
        Err(maildir::Error::NoSuchMessage(_)) => Ok(None),
        Err(maildir::Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        Err(e) => Err(err(e)),
    }
}

fn status_of(folder: &mut Folder, vsizes: &mut VirtualSizes) -> MailboxStatus {
    // SIZE: at least the sum of the messages' RFC822.SIZE (RFC 9051
    // section 6.3.11), so the sizes with CRLF line ends.
    let uids: Vec<u32> = folder.messages().iter().map(|m| m.uid()).collect();
    let size = uids.into_iter().map(|u| vsizes.of(folder, u)).sum();
    let msgs = folder.messages();
    let count = |p: &dyn Fn(&maildir::MessageInfo) -> bool| {
        u32::try_from(msgs.iter().filter(|m| p(m)).count()).unwrap_or(u32::MAX)
    };
    MailboxStatus {
        messages: u32::try_from(msgs.len()).unwrap_or(u32::MAX),
        recent: count(&|m| m.is_new()),
        uid_next: folder.uid_next(),
        uid_validity: folder.uid_validity(),
        unseen: count(&|m| !m.flags().contains(MdFlag::Seen)),
        deleted: count(&|m| m.flags().contains(MdFlag::Trashed)),
        size,
        // 0 without mod-sequences (RFC 7162 section 3.1.7).
        highest_modseq: folder.highest_modseq().unwrap_or(0),
    }
}

#[async_trait::async_trait]
impl Mailboxes for MaildirMailboxes {
    async fn list(&mut self) -> BackendResult<Vec<MailboxInfo>> {
        self.with(|i| {
            let names = i.store.folders().map_err(err)?;
            Ok(names
                .into_iter()
                .map(|name| MailboxInfo {
                    attributes: special_use(&name).into_iter().collect(),
                    name,
                })
                .collect())
        })
        .await
    }

    async fn subscriptions(&mut self) -> BackendResult<Vec<String>> {
        self.with(|i| i.store.subscriptions().map_err(err)).await
    }

    async fn create(&mut self, name: &str, special: &[MailboxAttribute]) -> BackendResult<()> {
        if !special.is_empty() {
            return Err(BackendError::Cannot(
                "special-use attributes are given by folder name".into(),
            ));
        }
        let name = name.to_owned();
        self.with(move |i| {
            // Superior names are created too (RFC 3501 section 6.3.3).
            let mut prefix = String::new();
            let parts: Vec<&str> = name.split(maildir::HIERARCHY_SEPARATOR).collect();
            for (n, part) in parts.iter().enumerate() {
                if n > 0 {
                    prefix.push(maildir::HIERARCHY_SEPARATOR);
                }
                prefix.push_str(part);
                if n + 1 < parts.len() && !i.store.folder_exists(&prefix).map_err(err)? {
                    i.store.create_folder(&prefix).map_err(err)?;
                }
            }
            i.store.create_folder(&name).map_err(err)
        })
        .await
    }

    async fn delete(&mut self, name: &str) -> BackendResult<()> {
        let name = name.to_owned();
        self.with(move |i| {
            if i.selected.as_ref().is_some_and(|s| s.folder.name() == name) {
                return Err(BackendError::Cannot("mailbox is selected".into()));
            }
            i.closed = None;
            i.store.delete_folder(&name).map_err(err)
        })
        .await
    }

    async fn rename(&mut self, from: &str, to: &str) -> BackendResult<()> {
        let (from, to) = (from.to_owned(), to.to_owned());
        self.with(move |i| {
            i.closed = None;
            i.store.rename_folder(&from, &to).map_err(err)
        })
        .await
    }

    async fn subscribe(&mut self, name: &str, subscribe: bool) -> BackendResult<()> {
        let name = name.to_owned();
        self.with(move |i| {
            if subscribe {
                if !i.store.folder_exists(&name).map_err(err)? {
                    return Err(BackendError::NoSuchMailbox);
                }
                i.store.subscribe(&name).map_err(err)
            } else {
                i.store.unsubscribe(&name).map_err(err)
            }
        })
        .await
    }

    async fn status(&mut self, name: &str) -> BackendResult<MailboxStatus> {
        let name = name.to_owned();
        self.with(move |i| {
            if let Some(sel) = i.selected.as_mut()
                && maildir::is_inbox(&name) == maildir::is_inbox(sel.folder.name())
                && (maildir::is_inbox(&name) || sel.folder.name() == name)
            {
                return Ok(status_of(&mut sel.folder, &mut i.vsizes));
            }
            let mut folder = i.store.open_folder(&name).map_err(err)?;
            Ok(status_of(&mut folder, &mut i.vsizes))
        })
        .await
    }

    async fn append(
        &mut self,
        name: &str,
        flags: &[Flag],
        internal_date: Option<i64>,
        message: Bytes,
    ) -> BackendResult<(u32, u32)> {
        let name = name.to_owned();
        let flags = flags.to_vec();
        self.with(move |i| {
            let mut folder = i.store.open_folder(&name).map_err(err)?;
            let f = to_store(&flags, &mut folder).map_err(err)?;
            let date = internal_date.map(system_time);
            // Durable (fsynced file and directory) when this returns.
            let uid = folder.append(&message[..], f, date).map_err(err)?;
            if let Some(sel) = i.selected.as_mut()
                && same_folder(sel.folder.name(), &name)
            {
                sel.recent.insert(uid);
            }
            Ok((folder.uid_validity(), uid))
        })
        .await
    }

    async fn append_stream(
        &mut self,
        name: &str,
        flags: &[Flag],
        internal_date: Option<i64>,
        length: u64,
    ) -> BackendResult<Option<Box<dyn AppendSink>>> {
        let permit = self
            .appends
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| BackendError::Unavailable("server shutting down".into()))?;
        let sink = MaildirAppend::start(Job {
            inner: self.inner.clone(),
            name: name.to_owned(),
            flags: flags.to_vec(),
            date: internal_date.map(system_time),
            length,
            permit,
        })
        .await?;
        Ok(Some(Box::new(sink)))
    }

    async fn select(&mut self, name: &str, read_only: bool) -> BackendResult<SelectInfo> {
        // Selecting the same unchanged mailbox again costs a few stats:
        // done here rather than after handing the worker thread over.
        {
            let mut g = self.state()?;
            if reselect_is_cheap(&g, name)? {
                return select_in(&mut g, name, read_only, true);
            }
        }
        let name = name.to_owned();
        self.with(move |i| select_in(i, &name, read_only, false))
            .await
    }

    async fn unselect(&mut self, expunge: bool) -> BackendResult<()> {
        if !expunge {
            // Nothing but a move, unless a folder closed before would be
            // dropped (which can write its snapshot index): the handle is
            // kept for a next SELECT.
            let mut g = self.state()?;
            if g.closed.is_none() {
                return unselect_in(&mut g, false);
            }
        }
        self.with(move |i| unselect_in(i, expunge)).await
    }

    async fn changes(&mut self) -> BackendResult<Vec<Change>> {
        // Called after every command: the common answer, nothing changed,
        // costs a few stats, checked here rather than after handing the
        // worker thread over (two thread switches for nothing).
        {
            let mut g = self.state()?;
            match g.selected.as_mut() {
                None => return Ok(Vec::new()),
                Some(sel) if !sel.folder.has_changed().unwrap_or(true) => return Ok(Vec::new()),
                Some(_) => {}
            }
        }
        self.with(|i| {
            let Some(sel) = i.selected.as_mut() else {
                return Ok(Vec::new());
            };
            // Found changed just above: the refresh reads what.
            let ch = sel.folder.refresh().map_err(err)?;
            if ch.uid_validity_changed {
                return Ok(vec![Change::UidValidity]);
            }
            if !ch.added.is_empty() && !sel.read_only {
                // New mail is \Recent for the session that takes it.
                for uid in sel.folder.move_new_to_cur().map_err(err)? {
                    sel.recent.insert(uid);
                }
            }
            let mut out = Vec::new();
            for uid in ch.expunged {
                out.push(Change::Expunged(uid));
            }
            for uid in ch.flags_changed {
                if let Some(m) = state_of(sel, uid) {
                    let modseq = sel.folder.message(uid).map_or(0, |i| i.modseq());
                    out.push(Change::Flags(uid, m.flags.to_vec(), modseq));
                }
            }
            for uid in ch.added {
                if let Some(m) = state_of(sel, uid) {
                    out.push(Change::Added(m));
                }
            }
            Ok(out)
        })
        .await
    }

    async fn metadata(&mut self, uids: &[u32]) -> BackendResult<Vec<MessageMeta>> {
        let uids = uids.to_vec();
        self.with(move |i| {
            let Inner {
                selected, vsizes, ..
            } = i;
            let sel = selected
                .as_mut()
                .ok_or_else(|| BackendError::Cannot("no mailbox selected".into()))?;
            Ok(uids
                .iter()
                .filter_map(|&u| {
                    let info = sel.folder.message(u)?;
                    let (internal_date, modseq) = (unix(info.internal_date()), info.modseq());
                    Some(MessageMeta {
                        uid: u,
                        internal_date,
                        modseq,
                        // RFC822.SIZE matches what BODY[] serves: CRLF
                        // line ends (RFC 9051 section 2.3.4).
                        size: vsizes.of(&mut sel.folder, u),
                    })
                })
                .collect())
        })
        .await
    }

    async fn read(&mut self, uid: u32) -> BackendResult<Option<Bytes>> {
        self.with(move |i| {
            let pool = i.buffers.clone();
            read_one(selected(i)?, &pool, uid)
        })
        .await
    }

    async fn read_many(&mut self, uids: &[u32]) -> BackendResult<Vec<Option<Bytes>>> {
        let uids = uids.to_vec();
        self.with(move |i| {
            let pool = i.buffers.clone();
            let sel = selected(i)?;
            uids.into_iter().map(|u| read_one(sel, &pool, u)).collect()
        })
        .await
    }

    async fn store(
        &mut self,
        uids: &[u32],
        kind: StoreKind,
        flags: &[Flag],
        unchanged_since: Option<u64>,
    ) -> BackendResult<StoreOutcome> {
        let uids = uids.to_vec();
        let flags = flags.to_vec();
        self.with(move |i| {
            // The list of the SELECT is out of date now: let the session's
            // view have it to itself, rather than copy it at its change.
            i.listed = None;
            let sel = selected(i)?;
            if sel.read_only {
                return Err(BackendError::Cannot("mailbox is read-only".into()));
            }
            let f = to_store(&flags, &mut sel.folder).map_err(err)?;
            let op = match kind {
                StoreKind::Replace => FlagOp::Set,
                StoreKind::Add => FlagOp::Add,
                StoreKind::Remove => FlagOp::Remove,
            };
            // One rename per message and one append to the mod-sequence
            // log for all; messages expunged meanwhile are left out.
            let stored = sel
                .folder
                .store_flags(&uids, op, f, unchanged_since)
                .map_err(err)?;
            let kw = sel.folder.keywords();
            Ok(StoreOutcome {
                messages: stored
                    .messages
                    .into_iter()
                    .map(|(u, flags, modseq)| (u, to_imap(flags, &kw), modseq))
                    .collect(),
                modified: stored.modified,
            })
        })
        .await
    }

    async fn copy(&mut self, uids: &[u32], dest: &str, remove: bool) -> BackendResult<CopyInfo> {
        let uids = uids.to_vec();
        let dest = dest.to_owned();
        self.with(move |i| {
            let mut target = i.store.open_folder(&dest).map_err(err)?;
            let sel = selected(i)?;
            if remove && sel.read_only {
                return Err(BackendError::Cannot("mailbox is read-only".into()));
            }
            let src_kw = sel.folder.keywords();
            let mut pairs = Vec::with_capacity(uids.len());
            for u in uids {
                let flags = sel.folder.message(u).map(|m| m.flags());
                let new = match sel.folder.copy_to(u, &mut target) {
                    Ok(n) => n,
                    Err(maildir::Error::NoSuchMessage(_)) => continue,
                    Err(e) => return Err(err(e)),
                };
                // Keyword letters are per folder: give the copy the same
                // keyword names in the target's letters.
                if let Some(flags) = flags
                    && flags.keywords().next().is_some()
                {
                    let names = to_imap(flags, &src_kw);
                    let f = to_store(&names, &mut target).map_err(err)?;
                    target.set_flags(new, FlagOp::Set, f).map_err(err)?;
                }
                pairs.push((u, new));
            }
            if remove {
                let src: Vec<u32> = pairs.iter().map(|p| p.0).collect();
                sel.folder.expunge(&src).map_err(err)?;
            }
            Ok(CopyInfo {
                uid_validity: target.uid_validity(),
                uids: pairs,
            })
        })
        .await
    }

    async fn expunge(&mut self, uids: Option<&[u32]>) -> BackendResult<Vec<u32>> {
        let uids = uids.map(<[u32]>::to_vec);
        self.with(move |i| {
            i.listed = None;
            let sel = selected(i)?;
            match uids {
                None => sel.folder.expunge_deleted().map_err(err),
                Some(uids) => {
                    let deleted: Vec<u32> = uids
                        .into_iter()
                        .filter(|&u| {
                            sel.folder
                                .message(u)
                                .is_some_and(|m| m.flags().contains(MdFlag::Trashed))
                        })
                        .collect();
                    sel.folder.expunge(&deleted).map_err(err)
                }
            }
        })
        .await
    }

    async fn expunged_since(&mut self, since: u64) -> BackendResult<Option<Vec<u32>>> {
        self.with(move |i| selected(i)?.folder.expunged_since(since).map_err(err))
            .await
    }

    async fn highest_modseq(&mut self) -> BackendResult<Option<u64>> {
        // Kept in memory: nothing to hand the worker over for.
        Ok(selected(&mut *self.state()?)?.folder.highest_modseq())
    }
}
