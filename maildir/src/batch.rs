//! Group commit: several deliveries, into one or several Maildirs, made
//! durable together (see [the crate documentation](crate#group-commit)).

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::folder::MaildirFolder;
use crate::fs::SharedFs;
use crate::location::Format;
use crate::maildir::{Delivered, MailEntry, Maildir, Subdir};
use crate::mbox::MboxFolder;
use crate::store::Store;

/// One message of [`deliver_batch`]: where it goes and what it is.
#[derive(Debug, Clone, Copy)]
pub struct BatchItem<'a> {
    /// The user's mailboxes.
    pub store: &'a Store,
    /// The folder (`INBOX`, or a name like `Lists/rust`).
    pub folder: &'a str,
    /// The envelope sender (RFC 5321 section 4.1.2), written into an mbox
    /// `From ` line; a Maildir does not store it.
    pub reverse_path: &'a str,
    /// The message.
    pub message: &'a [u8],
}

/// Delivers messages into folders of one or several stores, as
/// [`Store::deliver_as`] would one by one, but with one durable step for
/// all the Maildir folders (see [group commit](crate#group-commit)): the cost
/// of the syncs is shared by the whole batch.
///
/// Returns one result per item, in order: the message's UID, or why it
/// was not delivered (then nothing of it is left in the folder). An mbox
/// folder in the batch is appended to message by message, each durable
/// on its own.
///
/// # Examples
///
/// ```
/// use maildir::{BatchItem, Store, deliver_batch};
///
/// let home = tempfile::tempdir()?;
/// let alice = Store::maildir(home.path().join("alice"))?;
/// let bob = Store::maildir(home.path().join("bob"))?;
/// let item = |store, message| BatchItem { store, folder: "INBOX", reverse_path: "", message };
/// let results = deliver_batch(&[
///     item(&alice, &b"Subject: 1\r\n\r\none\r\n"[..]),
///     item(&bob, &b"Subject: 2\r\n\r\ntwo\r\n"[..]),
///     item(&alice, &b"Subject: 3\r\n\r\nthree\r\n"[..]),
/// ]);
/// let uids: Vec<u32> = results.into_iter().collect::<Result<_, _>>()?;
/// assert_eq!(uids, [1, 1, 2]);
/// assert_eq!(alice.open_folder("INBOX")?.messages().len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn deliver_batch(items: &[BatchItem<'_>]) -> Vec<Result<u32>> {
    let mut out: Vec<Option<Result<u32>>> = items.iter().map(|_| None).collect();
    let mut groups: Vec<Group<'_>> = Vec::new();
    let mut paths: Vec<PathBuf> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        // A folder already in the batch needs no second look.
        if item.store.location().format == Format::Maildir
            && let Ok(path) = item.store.folder_path(item.folder)
            && let Some(group) = paths
                .iter()
                .position(|p| *p == path)
                .and_then(|g| groups.get_mut(g))
            && Arc::ptr_eq(group.md.file_system(), item.store.file_system())
        {
            group.messages.push((i, item.message));
            continue;
        }
        let resolved = item.store.folder_exists(item.folder).and_then(|exists| {
            if exists {
                item.store.folder_path(item.folder)
            } else {
                Err(Error::NoSuchFolder(item.folder.to_owned()))
            }
        });
        let path = match resolved {
            Ok(p) => p,
            Err(e) => {
                set(&mut out, i, Err(e));
                continue;
            }
        };
        let fs = item.store.file_system();
        if item.store.location().format == Format::Mbox {
            let r = MboxFolder::deliver(&path, fs, item.message, item.reverse_path);
            set(&mut out, i, r);
            continue;
        }
        let same = |g: &usize| {
            groups
                .get(*g)
                .is_some_and(|group| Arc::ptr_eq(group.md.file_system(), fs))
        };
        let g = match (0..paths.len()).find(|g| paths.get(*g) == Some(&path) && same(g)) {
            Some(g) => g,
            None => match Maildir::open_with(&path, fs.clone()) {
                Ok(md) => {
                    paths.push(path);
                    groups.push(Group {
                        md,
                        messages: Vec::new(),
                    });
                    groups.len() - 1
                }
                Err(e) => {
                    set(&mut out, i, Err(e));
                    continue;
                }
            },
        };
        if let Some(group) = groups.get_mut(g) {
            group.messages.push((i, item.message));
        }
    }
    for (i, r) in commit(&groups, true) {
        set(&mut out, i, r.map(|(_, uid)| uid));
    }
    out.into_iter()
        .map(|r| r.unwrap_or(Err(Error::NoSuchMessage(0))))
        .collect()
}

impl Store {
    /// Delivers several messages into one folder with one durable step;
    /// see [`deliver_batch`]. One result (the UID) per message, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// let home = tempfile::tempdir()?;
    /// let store = maildir::Store::maildir(home.path().join("Maildir"))?;
    /// let results = store.deliver_batch("INBOX", &[b"Subject: a\r\n\r\n", b"Subject: b\r\n\r\n"]);
    /// assert_eq!(results.into_iter().collect::<Result<Vec<u32>, _>>()?, [1, 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn deliver_batch(&self, folder: &str, messages: &[&[u8]]) -> Vec<Result<u32>> {
        let items: Vec<BatchItem<'_>> = messages
            .iter()
            .map(|message| BatchItem {
                store: self,
                folder,
                reverse_path: "",
                message,
            })
            .collect();
        deliver_batch(&items)
    }
}

impl Maildir {
    /// Delivers several messages into `new/` with one durable step: the
    /// files are written, made durable together, linked into `new/`, and
    /// `new/` is synced once (the steps of [`Maildir::deliver_from`],
    /// each done for the whole batch). No UIDs are given (a [`Store`]
    /// gives them when it next looks, or use [`Store::deliver_batch`]).
    ///
    /// One result per message, in order. A failure while writing one
    /// message fails only that one; a failed final sync fails (and
    /// removes) all of them.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let md = maildir::Maildir::create(dir.path().join("Maildir"))?;
    /// let done = md.deliver_batch(&[b"Subject: a\r\n\r\n", b"Subject: b\r\n\r\n"]);
    /// assert!(done.iter().all(|d| d.is_ok()));
    /// assert_eq!(md.list()?.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn deliver_batch(&self, messages: &[&[u8]]) -> Vec<Result<Delivered>> {
        let group = Group {
            md: self.clone(),
            messages: messages.iter().copied().enumerate().collect(),
        };
        let mut out: Vec<Option<Result<Delivered>>> = messages.iter().map(|_| None).collect();
        for (i, r) in commit(std::slice::from_ref(&group), false) {
            set(&mut out, i, r.map(|(d, _)| d));
        }
        out.into_iter()
            .map(|r| r.unwrap_or(Err(Error::NoSuchMessage(0))))
            .collect()
    }
}

fn set<T>(out: &mut [Option<Result<T>>], i: usize, r: Result<T>) {
    if let Some(slot) = out.get_mut(i) {
        *slot = Some(r);
    }
}

/// The messages of a batch that go to one Maildir, with their index in
/// the caller's list.
struct Group<'a> {
    md: Maildir,
    messages: Vec<(usize, &'a [u8])>,
}

/// A message written to `tmp/`, not yet linked.
struct Staged {
    index: usize,
    tmp_path: PathBuf,
    file: File,
    delivered: Delivered,
}

/// Writes one message into `md`'s `tmp/` (steps 1 of
/// [`Maildir::deliver_from`], without the sync).
fn stage(md: &Maildir, index: usize, message: &[u8]) -> Result<Staged> {
    let (unique, tmp_path, mut file) = md.create_tmp(&md.path().join("tmp"))?;
    if let Err(e) = md.file_system().write_all(&mut file, message) {
        drop(file);
        let _ = md.file_system().remove_file(&tmp_path);
        return Err(Error::io("write", tmp_path, e));
    }
    let size = message.len() as u64;
    let base = format!("{unique},S={size},W={}", size + bare_lfs(message));
    Ok(Staged {
        index,
        tmp_path,
        file,
        delivered: Delivered {
            entry: MailEntry {
                subdir: Subdir::New,
                name: base.clone(),
            },
            base,
            size,
        },
    })
}

/// LFs not preceded by CR: each is one more octet with CRLF line ends.
fn bare_lfs(message: &[u8]) -> u64 {
    let mut prev = 0u8;
    let mut n = 0u64;
    for &b in message {
        if b == b'\n' && prev != b'\r' {
            n += 1;
        }
        prev = b;
    }
    n
}

/// The file systems of `groups`, each with the indexes of its groups (a
/// batch normally has one; tests inject others).
fn by_file_system(groups: &[Group<'_>]) -> Vec<(SharedFs, Vec<usize>)> {
    let mut out: Vec<(SharedFs, Vec<usize>)> = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        let fs = group.md.file_system();
        match out.iter_mut().find(|(f, _)| Arc::ptr_eq(f, fs)) {
            Some((_, members)) => members.push(g),
            None => out.push((fs.clone(), vec![g])),
        }
    }
    out
}

/// The same OS error again (its code kept, so that
/// [`Error::is_temporary`] judges each copy alike).
fn io_again(e: &io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None => io::Error::new(e.kind(), e.to_string()),
    }
}

/// The same error again, for each message a shared failure fails.
fn again(e: &Error) -> Error {
    match e {
        Error::Io { op, path, source } => Error::io(op, path.clone(), io_again(source)),
        Error::InvalidFolderName { name, reason } => Error::InvalidFolderName {
            name: name.clone(),
            reason,
        },
        Error::NoSuchFolder(n) => Error::NoSuchFolder(n.clone()),
        Error::FolderExists(n) => Error::FolderExists(n.clone()),
        Error::FolderNotAllowed(n) => Error::FolderNotAllowed(n.clone()),
        Error::NoSuchMessage(u) => Error::NoSuchMessage(*u),
        Error::LockTimeout(p) => Error::LockTimeout(p.clone()),
        Error::InvalidLocation { spec, reason } => Error::InvalidLocation {
            spec: spec.clone(),
            reason,
        },
        Error::TooManyKeywords(k) => Error::TooManyKeywords(k.clone()),
        Error::InvalidKeyword(k) => Error::InvalidKeyword(k.clone()),
        Error::Unsupported(what) => Error::Unsupported(what),
    }
}

/// A group's messages once linked into `new/`, and what must be synced
/// for them.
#[derive(Default)]
struct Linked {
    staged: Vec<Staged>,
    uids: Vec<u32>,
    uid_list: Option<File>,
}

/// The five steps of the crate documentation's group commit for `groups`. Returns a
/// result for every message given (`(delivered, uid)`; the UID is 0
/// without `with_uids`).
fn commit(groups: &[Group<'_>], with_uids: bool) -> Vec<(usize, Result<(Delivered, u32)>)> {
    let mut out = Vec::new();
    // 1. Write.
    let mut staged: Vec<Vec<Staged>> = groups
        .iter()
        .map(|g| {
            g.messages
                .iter()
                .filter_map(|&(i, m)| match stage(&g.md, i, m) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        out.push((i, Err(e)));
                        None
                    }
                })
                .collect()
        })
        .collect();
    let file_systems = by_file_system(groups);
    // 2. One sync for every file written.
    for (fs, members) in &file_systems {
        let files: Vec<&File> = members
            .iter()
            .filter_map(|&g| staged.get(g))
            .flatten()
            .map(|s| &s.file)
            .collect();
        if let Err(e) = fs.sync_batch(&files) {
            for &g in members {
                for s in staged.get_mut(g).map(std::mem::take).unwrap_or_default() {
                    drop(s.file);
                    let _ = fs.remove_file(&s.tmp_path);
                    out.push((s.index, Err(Error::io("fsync", s.tmp_path, io_again(&e)))));
                }
            }
        }
    }
    // 3. Link, and 4. number, folder by folder.
    let mut linked: Vec<Linked> = Vec::with_capacity(groups.len());
    for (group, staged) in groups.iter().zip(staged) {
        let mut folder = MaildirFolder::for_delivery(group.md.clone());
        let mark = if with_uids && !staged.is_empty() {
            folder.mark_for_batch()
        } else {
            None
        };
        let mut done = Linked::default();
        for s in staged {
            let target = group.md.entry_path(&s.delivered.entry);
            match group.md.link_into_place(&s.tmp_path, &target) {
                Ok(()) => done.staged.push(s),
                Err(e) => out.push((s.index, Err(e))),
            }
        }
        if with_uids && !done.staged.is_empty() {
            let names: Vec<(&str, &str)> = done
                .staged
                .iter()
                .map(|s| (s.delivered.base.as_str(), s.delivered.entry.name.as_str()))
                .collect();
            match folder.assign_batch(mark, &names) {
                Ok((uids, file)) => {
                    done.uids = uids;
                    done.uid_list = file;
                }
                Err(e) => {
                    for s in std::mem::take(&mut done.staged) {
                        let _ = group.md.delete(&s.delivered.entry);
                        out.push((s.index, Err(again(&e))));
                    }
                }
            }
        }
        linked.push(done);
    }
    // 5. One sync for the directories and the UID lists.
    for (fs, members) in &file_systems {
        let mut handles: Vec<File> = Vec::new();
        let mut opened = Ok(());
        for &g in members {
            let (Some(group), Some(done)) = (groups.get(g), linked.get_mut(g)) else {
                continue;
            };
            if done.staged.is_empty() {
                continue;
            }
            let dir = group.md.subdir_path(Subdir::New);
            match fs.open(&dir) {
                Ok(h) => handles.push(h),
                Err(e) => {
                    opened = Err(Error::io("open", dir, e));
                    break;
                }
            }
            handles.extend(done.uid_list.take());
        }
        let synced = opened.and_then(|()| {
            let refs: Vec<&File> = handles.iter().collect();
            fs.sync_batch(&refs).map_err(|e| {
                let dir = members
                    .first()
                    .and_then(|&g| groups.get(g))
                    .map(|g| g.md.subdir_path(Subdir::New))
                    .unwrap_or_default();
                Error::io("fsync", dir, e)
            })
        });
        for &g in members {
            let (Some(group), Some(done)) = (groups.get(g), linked.get_mut(g)) else {
                continue;
            };
            let staged = std::mem::take(&mut done.staged);
            let uids = std::mem::take(&mut done.uids);
            for (n, s) in staged.into_iter().enumerate() {
                match &synced {
                    Ok(()) => {
                        let uid = uids.get(n).copied().unwrap_or(0);
                        out.push((s.index, Ok((s.delivered, uid))));
                    }
                    Err(e) => {
                        // Not known to be durable: take it back so that a
                        // retry does not deliver it twice.
                        let _ = group.md.delete(&s.delivered.entry);
                        out.push((s.index, Err(again(e))));
                    }
                }
            }
        }
    }
    out
}
