//! The store API: a user's mailboxes opened by `mail_location`.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::folder::{MaildirFolder, write_replace};
use crate::fs::{self, SharedFs};
use crate::location::{Format, MailLocation};
use crate::lock::FolderLock;
use crate::maildir::{Maildir, create_dir_all};
use crate::mbox::MboxFolder;

mod folder;
use folder::Inner;
pub use folder::{Folder, MessageReader};

/// The hierarchy separator of folder names in this API (IMAP's LIST
/// delimiter). On disk, Maildir++ writes it as a dot.
pub const HIERARCHY_SEPARATOR: char = '/';

/// The name of the INBOX (case-insensitive, RFC 3501 section 5.1).
pub const INBOX: &str = "INBOX";

/// Marker file of a Maildir++ folder (Maildir++, "Definitions, and goals").
const MAILDIRFOLDER: &str = "maildirfolder";

/// The subscriptions file in the root Maildir, one folder name per line.
const SUBSCRIPTIONS: &str = "subscriptions";

/// A user's mailboxes.
///
/// # Examples
///
/// ```
/// use maildir::{Store, Flags, Flag, FlagOp};
/// use std::io::Read;
///
/// let home = tempfile::tempdir()?;
/// let store = Store::open("maildir:~/Maildir", "alice", Some(home.path()))?;
///
/// // A delivery agent delivers; the new message gets the next UID.
/// let uid = store.deliver("INBOX", b"Subject: hi\r\n\r\nhello\r\n")?;
///
/// // A POP3 or IMAP backend opens the folder and works on its snapshot.
/// let mut inbox = store.open_folder("INBOX")?;
/// assert_eq!(inbox.messages()[0].uid(), uid);
/// assert_eq!(inbox.messages()[0].size(), 22);
/// let mut body = String::new();
/// inbox.open_message(uid)?.read_to_string(&mut body)?;
/// assert!(body.ends_with("hello\r\n"));
///
/// inbox.set_flags(uid, FlagOp::Add, Flags::from(Flag::Seen))?;
/// store.create_folder("Archive/2024")?;
/// let mut archive = store.open_folder("Archive/2024")?;
/// let new_uid = inbox.move_to(uid, &mut archive)?;
/// assert!(inbox.messages().is_empty());
/// assert!(archive.message(new_uid).unwrap().flags().contains(Flag::Seen));
///
/// // Cheap polling: a few stats, no directory listing unless needed.
/// if inbox.has_changed()? {
///     let changes = inbox.refresh()?;
///     assert!(changes.expunged.is_empty()); // our own expunge is not news
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Store {
    location: MailLocation,
    fs: SharedFs,
    cache: Option<crate::SnapshotCache>,
}

impl Store {
    /// Opens the mailboxes of `user` at a `mail_location` spec (see
    /// [`MailLocation`]), creating the root Maildir (or the mbox folder
    /// directory) if it does not exist yet.
    pub fn open(spec: &str, user: &str, home: Option<&Path>) -> Result<Store> {
        Store::open_location(MailLocation::parse(spec, user, home)?, fs::os())
    }

    /// Opens a parsed location with a chosen file system.
    pub fn open_location(location: MailLocation, fs: SharedFs) -> Result<Store> {
        match location.format {
            Format::Maildir => {
                Maildir::create_with(&location.path, fs.clone())?;
            }
            Format::Mbox => {
                if let Some(dir) = &location.folder_dir {
                    create_dir_all(&fs, dir)?;
                }
                if let Some(parent) = location.inbox.parent() {
                    create_dir_all(&fs, parent)?;
                }
            }
        }
        Ok(Store {
            location,
            fs,
            cache: None,
        })
    }

    /// Folders opened by this store (and its clones) start from, and
    /// leave their snapshots in, `cache` (see [`SnapshotCache`]); a server
    /// gives every session's store the same cache.
    ///
    /// [`SnapshotCache`]: crate::SnapshotCache
    pub fn with_snapshot_cache(mut self, cache: crate::SnapshotCache) -> Store {
        self.cache = Some(cache);
        self
    }

    /// Opens a Maildir++ tree rooted at `root`.
    pub fn maildir(root: impl Into<PathBuf>) -> Result<Store> {
        let root = root.into();
        Store::open_location(
            MailLocation {
                format: Format::Maildir,
                inbox: root.clone(),
                path: root,
                folder_dir: None,
            },
            fs::os(),
        )
    }

    /// Opens a single mbox file as INBOX (a spool file).
    pub fn mbox(inbox: impl Into<PathBuf>) -> Result<Store> {
        let inbox = inbox.into();
        Store::open_location(
            MailLocation {
                format: Format::Mbox,
                path: inbox.clone(),
                inbox,
                folder_dir: None,
            },
            fs::os(),
        )
    }

    /// The location this store was opened at.
    pub fn location(&self) -> &MailLocation {
        &self.location
    }

    /// The file system the store works through.
    pub(crate) fn file_system(&self) -> &SharedFs {
        &self.fs
    }

    /// The path that holds a folder: a Maildir directory or an mbox file.
    pub fn folder_path(&self, name: &str) -> Result<PathBuf> {
        if is_inbox(name) {
            return Ok(self.location.inbox.clone());
        }
        let parts = validate_folder_name(name)?;
        match self.location.format {
            Format::Maildir => Ok(self.location.path.join(format!(".{}", parts.join(".")))),
            Format::Mbox => match &self.location.folder_dir {
                Some(dir) => Ok(parts.iter().fold(dir.clone(), |p, c| p.join(c))),
                None => Err(Error::Unsupported("this mbox location holds only INBOX")),
            },
        }
    }

    /// The folder names, INBOX first, then the others sorted, with `/` as
    /// the hierarchy separator.
    pub fn folders(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        match self.location.format {
            Format::Maildir => {
                let root = &self.location.path;
                let entries = self
                    .fs
                    .read_dir(root)
                    .map_err(|e| Error::io("readdir", root, e))?;
                for entry in entries {
                    let Some(dir) = entry.to_str() else { continue };
                    let Some(stem) = dir.strip_prefix('.') else {
                        continue;
                    };
                    if stem.is_empty() || stem.starts_with('.') {
                        continue;
                    }
                    let name = stem.replace('.', "/");
                    if validate_folder_name(&name).is_err() {
                        continue;
                    }
                    let is_maildir = self
                        .fs
                        .metadata(&root.join(dir).join("cur"))
                        .is_ok_and(|m| m.is_dir());
                    if is_maildir {
                        names.push(name);
                    }
                }
            }
            Format::Mbox => {
                if let Some(dir) = &self.location.folder_dir {
                    self.list_mbox_dir(dir, "", &mut names, 0)?;
                }
                names.retain(|n| !is_inbox(n));
            }
        }
        names.sort();
        names.insert(0, INBOX.to_owned());
        Ok(names)
    }

    fn list_mbox_dir(
        &self,
        dir: &Path,
        prefix: &str,
        out: &mut Vec<String>,
        depth: usize,
    ) -> Result<()> {
        if depth > 16 {
            return Ok(());
        }
        let entries = self
            .fs
            .read_dir(dir)
            .map_err(|e| Error::io("readdir", dir, e))?;
        for entry in entries {
            let Some(n) = entry.to_str() else { continue };
            if n.starts_with('.') || n.ends_with(".lock") {
                continue;
            }
            let full = format!("{prefix}{n}");
            if validate_folder_name(&full).is_err() {
                continue;
            }
            let p = dir.join(n);
            match self.fs.metadata(&p) {
                Ok(m) if m.is_dir() => {
                    self.list_mbox_dir(&p, &format!("{full}/"), out, depth + 1)?
                }
                Ok(m) if m.is_file() => out.push(full),
                _ => {}
            }
        }
        Ok(())
    }

    /// True if the folder exists.
    pub fn folder_exists(&self, name: &str) -> Result<bool> {
        let p = self.folder_path(name)?;
        Ok(match self.location.format {
            Format::Maildir => self.fs.metadata(&p.join("cur")).is_ok_and(|m| m.is_dir()),
            Format::Mbox => is_inbox(name) || self.fs.metadata(&p).is_ok_and(|m| m.is_file()),
        })
    }

    /// Creates a folder (`a/b` is the Maildir++ directory `.a.b`, with its
    /// `maildirfolder` marker).
    pub fn create_folder(&self, name: &str) -> Result<()> {
        if is_inbox(name) || self.folder_exists(name)? {
            return Err(Error::FolderExists(name.to_owned()));
        }
        let p = self.folder_path(name)?;
        match self.location.format {
            Format::Maildir => {
                Maildir::create_with(&p, self.fs.clone())?;
                let marker = p.join(MAILDIRFOLDER);
                match self.fs.create_new(&marker, 0o600) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(Error::io("create", marker, e)),
                }
                self.fs
                    .sync_dir(&self.location.path)
                    .map_err(|e| Error::io("fsync", &self.location.path, e))?;
            }
            Format::Mbox => {
                if let Some(parent) = p.parent() {
                    create_dir_all(&self.fs, parent)?;
                }
                self.fs
                    .create_new(&p, 0o600)
                    .map_err(|e| Error::io("create", &p, e))?;
            }
        }
        Ok(())
    }

    /// Deletes a folder and its messages. Its subfolders stay (IMAP
    /// DELETE, RFC 3501 section 6.3.4). INBOX cannot be deleted.
    pub fn delete_folder(&self, name: &str) -> Result<()> {
        if is_inbox(name) {
            return Err(Error::FolderNotAllowed(name.to_owned()));
        }
        if !self.folder_exists(name)? {
            return Err(Error::NoSuchFolder(name.to_owned()));
        }
        let p = self.folder_path(name)?;
        match self.location.format {
            Format::Maildir => {
                // Out of sight first, atomically (Maildir++ readers skip
                // names starting with two dots), then removed.
                let trash = self
                    .location
                    .path
                    .join(format!("..deleted.{}", crate::name::unique_name()));
                self.fs
                    .rename(&p, &trash)
                    .map_err(|e| Error::io("rename", &p, e))?;
                self.fs
                    .remove_dir_all(&trash)
                    .map_err(|e| Error::io("rmdir", &trash, e))?;
            }
            Format::Mbox => {
                self.fs
                    .remove_file(&p)
                    .map_err(|e| Error::io("unlink", &p, e))?;
            }
        }
        Ok(())
    }

    /// Renames a folder and its subfolders (IMAP RENAME, RFC 3501 section
    /// 6.3.5). Renaming INBOX moves its messages into a new folder of the
    /// given name and leaves INBOX empty, as that section asks; its
    /// subfolders stay where they are. Renaming to INBOX is refused.
    pub fn rename_folder(&self, from: &str, to: &str) -> Result<()> {
        if is_inbox(to) {
            return Err(Error::FolderNotAllowed(to.to_owned()));
        }
        if is_inbox(from) {
            self.create_folder(to)?;
            let mut inbox = self.open_folder(INBOX)?;
            let mut dest = self.open_folder(to)?;
            let uids: Vec<u32> = inbox.messages().iter().map(|m| m.uid).collect();
            for uid in uids {
                match inbox.move_to(uid, &mut dest) {
                    Ok(_) | Err(Error::NoSuchMessage(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            return Ok(());
        }
        validate_folder_name(to)?;
        if !self.folder_exists(from)? {
            return Err(Error::NoSuchFolder(from.to_owned()));
        }
        if self.folder_exists(to)? {
            return Err(Error::FolderExists(to.to_owned()));
        }
        let child_prefix = format!("{from}/");
        let mut moves = vec![(from.to_owned(), to.to_owned())];
        for name in self.folders()? {
            if let Some(rest) = name.strip_prefix(&child_prefix) {
                moves.push((name.clone(), format!("{to}/{rest}")));
            }
        }
        for (_, target) in &moves {
            if self.folder_exists(target)? {
                return Err(Error::FolderExists(target.clone()));
            }
        }
        for (a, b) in moves {
            let pa = self.folder_path(&a)?;
            let pb = self.folder_path(&b)?;
            if self.location.format == Format::Mbox
                && let Some(parent) = pb.parent()
            {
                create_dir_all(&self.fs, parent)?;
            }
            self.fs
                .rename(&pa, &pb)
                .map_err(|e| Error::io("rename", &pa, e))?;
        }
        let root = self.control_dir();
        self.fs
            .sync_dir(&root)
            .map_err(|e| Error::io("fsync", &root, e))?;
        Ok(())
    }

    fn control_dir(&self) -> PathBuf {
        match self.location.format {
            Format::Maildir => self.location.path.clone(),
            Format::Mbox => self.location.folder_dir.clone().unwrap_or_else(|| {
                self.location
                    .inbox
                    .parent()
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
            }),
        }
    }

    fn subscriptions_path(&self) -> PathBuf {
        match self.location.format {
            Format::Maildir => self.location.path.join(SUBSCRIPTIONS),
            // Dovecot's mbox layout keeps `.subscriptions` in the root.
            Format::Mbox => self.control_dir().join(".subscriptions"),
        }
    }

    /// The subscribed folder names (IMAP LSUB / LIST (SUBSCRIBED)).
    ///
    /// The file holds one name per line; Dovecot's version 2 layout (a
    /// `V\t2` line, a blank line, then names with tabs as separators) is
    /// read too.
    pub fn subscriptions(&self) -> Result<Vec<String>> {
        let p = self.subscriptions_path();
        let text = match std::fs::read(&p) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("read", p, e)),
        };
        let mut lines = text.lines().peekable();
        let v2 = lines.peek().is_some_and(|l| l.starts_with("V\t"));
        let mut out: Vec<String> = Vec::new();
        for (i, line) in lines.enumerate() {
            if v2 && i < 2 || line.is_empty() {
                continue;
            }
            let name = if v2 {
                line.replace('\t', "/")
            } else {
                line.to_owned()
            };
            if (is_inbox(&name) || validate_folder_name(&name).is_ok()) && !out.contains(&name) {
                out.push(name);
            }
        }
        Ok(out)
    }

    /// Adds a folder to the subscriptions (it need not exist, RFC 3501
    /// section 6.3.6).
    pub fn subscribe(&self, name: &str) -> Result<()> {
        if !is_inbox(name) {
            validate_folder_name(name)?;
        }
        self.update_subscriptions(|list| {
            if !list.iter().any(|n| n == name) {
                list.push(name.to_owned());
            }
        })
    }

    /// Removes a folder from the subscriptions.
    pub fn unsubscribe(&self, name: &str) -> Result<()> {
        self.update_subscriptions(|list| list.retain(|n| n != name))
    }

    fn update_subscriptions(&self, change: impl FnOnce(&mut Vec<String>)) -> Result<()> {
        let dir = self.control_dir();
        let lock = FolderLock::acquire(&self.fs, &dir)?;
        let mut list = self.subscriptions()?;
        let before = list.clone();
        change(&mut list);
        if list == before {
            // Nothing to write (and nothing to sync).
            lock.release();
            return Ok(());
        }
        let mut text = String::new();
        for n in &list {
            text.push_str(n);
            text.push('\n');
        }
        let target = self.subscriptions_path();
        let tmp = dir.join(format!(".subscriptions.{}", crate::name::unique_name()));
        let result = write_replace(&self.fs, &tmp, &target, text.as_bytes());
        lock.release();
        result
    }

    /// Opens a folder and takes its first snapshot.
    pub fn open_folder(&self, name: &str) -> Result<Folder> {
        // A Maildir's open looks at cur/ itself: only when it fails is
        // the folder looked for (one stat less on every open).
        if self.location.format != Format::Maildir && !self.folder_exists(name)? {
            return Err(Error::NoSuchFolder(name.to_owned()));
        }
        let p = self.folder_path(name)?;
        let canonical = if is_inbox(name) {
            INBOX.to_owned()
        } else {
            name.to_owned()
        };
        let inner = match self.location.format {
            Format::Maildir => {
                let (md, seen) = match Maildir::open_seen(&p, self.fs.clone()) {
                    Ok(opened) => opened,
                    Err(_) if !self.folder_exists(name)? => {
                        return Err(Error::NoSuchFolder(name.to_owned()));
                    }
                    Err(e) => return Err(e),
                };
                Inner::Maildir(Box::new(MaildirFolder::open_seen(
                    md,
                    self.cache.clone(),
                    seen,
                )?))
            }
            Format::Mbox => Inner::Mbox(Box::new(MboxFolder::open(p, self.fs.clone())?)),
        };
        Ok(Folder {
            name: canonical,
            inner,
            scratch: Vec::new(),
        })
    }

    /// Delivers a message into a folder and returns its UID, without
    /// taking a snapshot of the folder (cheap in a big folder).
    pub fn deliver(&self, folder: &str, message: &[u8]) -> Result<u32> {
        self.deliver_from(folder, message)
    }

    /// Like [`Store::deliver`], reading the message from `message` (so a
    /// large message is never held in memory).
    pub fn deliver_from(&self, folder: &str, message: impl Read) -> Result<u32> {
        self.deliver_as(folder, "", message)
    }

    /// Like [`Store::deliver_from`], naming the envelope sender (the
    /// reverse-path, RFC 5321 section 4.1.2). An mbox writes it into the
    /// `From ` line (an empty one as `MAILER-DAEMON`, mbox(5)); a Maildir
    /// does not store it (the MTA writes a `Return-Path:` header).
    pub fn deliver_as(&self, folder: &str, reverse_path: &str, message: impl Read) -> Result<u32> {
        if !self.folder_exists(folder)? {
            return Err(Error::NoSuchFolder(folder.to_owned()));
        }
        let p = self.folder_path(folder)?;
        match self.location.format {
            Format::Maildir => {
                let md = Maildir::open_with(&p, self.fs.clone())?;
                MaildirFolder::for_delivery(md).append(message, None, None)
            }
            Format::Mbox => MboxFolder::deliver(&p, &self.fs, message, reverse_path),
        }
    }
}

/// True for the name INBOX in any case.
pub fn is_inbox(name: &str) -> bool {
    name.eq_ignore_ascii_case(INBOX)
}

/// Checks a folder name and splits it at the hierarchy separator.
///
/// Refused: an empty name or component (`a//b`, `/a`, `a/`), `.` or `..`
/// or any component starting with a dot, a dot anywhere (it is Maildir++'s
/// separator on disk, so `a.b` would silently become `a/b`), NUL, control
/// characters and backslashes. These keep a name from leaving the mail
/// root (`../../etc`) or aliasing another folder.
///
/// # Examples
///
/// ```
/// use maildir::validate_folder_name;
///
/// assert_eq!(validate_folder_name("Sent/2024")?, ["Sent", "2024"]);
/// for bad in ["", "..", "a/../b", "a//b", ".hidden", "a.b", "x\0y", "tab\there", "/abs"] {
///     assert!(validate_folder_name(bad).is_err(), "{bad:?}");
/// }
/// # Ok::<(), maildir::Error>(())
/// ```
pub fn validate_folder_name(name: &str) -> Result<Vec<&str>> {
    let bad = |reason| Error::InvalidFolderName {
        name: name.to_owned(),
        reason,
    };
    if name.is_empty() {
        return Err(bad("empty"));
    }
    if name.len() > 1024 {
        return Err(bad("too long"));
    }
    if name.chars().any(|c| c.is_control()) {
        return Err(bad("control character"));
    }
    if name.contains('\\') {
        return Err(bad("backslash"));
    }
    let parts: Vec<&str> = name.split(HIERARCHY_SEPARATOR).collect();
    for part in &parts {
        if part.is_empty() {
            return Err(bad("empty hierarchy level"));
        }
        if *part == "." || *part == ".." {
            return Err(bad("'.' and '..' would leave the mail root"));
        }
        if part.starts_with('.') {
            return Err(bad("a level starting with '.' is hidden"));
        }
        if part.contains('.') {
            return Err(bad("'.' is not allowed (Maildir++ hierarchy separator)"));
        }
    }
    Ok(parts)
}
