//! The store API: a user's mailboxes opened by `mail_location`.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::flags::{FlagOp, Flags, Keywords};
use crate::folder::{MaildirFolder, write_replace};
use crate::fs::{self, SharedFs};
use crate::location::{Format, MailLocation};
use crate::lock::FolderLock;
use crate::maildir::{Maildir, create_dir_all};
use crate::mbox::{MboxFolder, MboxReader};
use crate::snapshot::{Changes, Location, MessageInfo};

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
        change(&mut list);
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
        if !self.folder_exists(name)? {
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
                let md = Maildir::open_with(&p, self.fs.clone())?;
                Inner::Maildir(Box::new(MaildirFolder::open_cached(
                    md,
                    self.cache.clone(),
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

/// An open folder: its snapshot and the operations on its messages.
///
/// The snapshot ([`Folder::messages`]) changes only when the folder
/// itself changes it (append, flag change, expunge) or in
/// [`Folder::refresh`], which reports what other processes did. UIDs are
/// stable across refreshes, flag changes and restarts.
///
/// # Examples
///
/// An IMAP server's view of a selected folder while a delivery agent
/// delivers into it:
///
/// ```
/// use maildir::{Store, Flag};
///
/// let home = tempfile::tempdir()?;
/// let store = Store::open("maildir:~/Maildir", "bob", Some(home.path()))?;
/// let mut selected = store.open_folder("INBOX")?;
/// let validity = selected.uid_validity();
///
/// let uid = store.deliver("INBOX", b"Subject: new\r\n\r\n")?; // another process
///
/// if selected.has_changed()? {
///     let changes = selected.refresh()?;
///     assert!(!changes.uid_validity_changed);
///     assert_eq!(changes.added, [uid]); // "* 1 EXISTS"
/// }
/// let info = selected.message(uid).unwrap();
/// assert!(info.is_new() && !info.flags().contains(Flag::Seen));
/// assert_eq!(selected.uid_validity(), validity);
/// assert_eq!(selected.uid_next(), uid + 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Folder {
    name: String,
    inner: Inner,
    /// What [`Folder::read_message_crlf_into`] reads a message into
    /// before its line ends are made CRLF, kept for the next one.
    scratch: Vec<u8>,
}

/// The largest buffer a folder keeps for reading messages.
const SCRATCH_MAX: usize = 1 << 20;

#[derive(Debug)]
enum Inner {
    Maildir(Box<MaildirFolder>),
    Mbox(Box<MboxFolder>),
}

impl Folder {
    /// The folder's name (`INBOX` for the INBOX).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The UIDVALIDITY (RFC 3501 section 2.3.1.1).
    pub fn uid_validity(&self) -> u32 {
        match &self.inner {
            Inner::Maildir(f) => f.uid_validity(),
            Inner::Mbox(f) => f.uid_validity(),
        }
    }

    /// The UID the next message will get, at least (UIDNEXT).
    pub fn uid_next(&self) -> u32 {
        match &self.inner {
            Inner::Maildir(f) => f.uid_next(),
            Inner::Mbox(f) => f.uid_next(),
        }
    }

    /// The snapshot: every message, ascending by UID.
    pub fn messages(&self) -> &[MessageInfo] {
        match &self.inner {
            Inner::Maildir(f) => f.messages(),
            Inner::Mbox(f) => f.messages(),
        }
    }

    /// For a Maildir folder, a number that changes whenever the UIDs or
    /// flags of the snapshot or the folder's keywords change, and that no
    /// other snapshot in this process had: what a server made of the
    /// snapshot (an IMAP SELECT's message list) is still good while it is
    /// the same. `None` for mbox, which does not keep one.
    pub fn generation(&self) -> Option<u64> {
        match &self.inner {
            Inner::Maildir(f) => Some(f.generation()),
            Inner::Mbox(_) => None,
        }
    }

    /// The number of messages of the snapshot that are still in `new/`
    /// ([`MessageInfo::is_new`]; none for mbox), without looking at each.
    pub fn new_count(&self) -> usize {
        match &self.inner {
            Inner::Maildir(f) => f.new_count(),
            Inner::Mbox(_) => 0,
        }
    }

    /// One message of the snapshot by UID.
    pub fn message(&self, uid: u32) -> Option<&MessageInfo> {
        let msgs = self.messages();
        crate::snapshot::position(msgs, uid).and_then(|i| msgs.get(i))
    }

    /// Re-reads what changed on disk since the last refresh (new
    /// deliveries, flag changes and expunges by other processes).
    pub fn refresh(&mut self) -> Result<Changes> {
        match &mut self.inner {
            Inner::Maildir(f) => f.refresh(),
            Inner::Mbox(f) => f.refresh(),
        }
    }

    /// A cheap check (a few `stat`s) whether [`Folder::refresh`] may find
    /// anything. It may say true when nothing changed (shortly after a
    /// change, see [`MTIME_SLACK`](crate::MTIME_SLACK)), never false when
    /// something did.
    pub fn has_changed(&self) -> Result<bool> {
        match &self.inner {
            Inner::Maildir(f) => f.has_changed(),
            Inner::Mbox(f) => f.has_changed(),
        }
    }

    /// Opens a message for reading, as a stream: the whole message is never
    /// loaded into memory.
    pub fn open_message(&mut self, uid: u32) -> Result<MessageReader> {
        match &mut self.inner {
            Inner::Maildir(f) => Ok(MessageReader {
                inner: ReaderInner::File(f.open_message(uid)?),
            }),
            Inner::Mbox(f) => Ok(MessageReader {
                inner: ReaderInner::Mbox(Box::new(f.open_message(uid)?)),
            }),
        }
    }

    /// Reads a whole message into memory (convenience for small ones).
    pub fn read_message(&mut self, uid: u32) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.open_message(uid)?
            .read_to_end(&mut out)
            .map_err(|e| Error::io("read", self.name.clone(), e))?;
        Ok(out)
    }

    /// Reads a whole message with CRLF line ends, as IMAP and POP3 send
    /// it (RFC 3501 section 2.2): one read into a buffer of the message's
    /// size, its bare LFs (if any) made CRLF in place.
    pub fn read_message_crlf(&mut self, uid: u32) -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        self.read_message_crlf_into(uid, &mut buf)?;
        Ok(buf)
    }

    /// [`Folder::read_message_crlf`] into `buf` (cleared first), so that
    /// a server reading many messages can reuse its buffers: the message
    /// is read into a buffer the folder keeps, then copied into `buf`
    /// (sized once from `,W=`) with CRLF line ends, or handed over as it
    /// is when it has CRLF line ends already.
    pub fn read_message_crlf_into(&mut self, uid: u32, buf: &mut Vec<u8>) -> Result<()> {
        let (size, vsize) = self
            .message(uid)
            .map(|m| (m.size(), m.virtual_size()))
            .ok_or(Error::NoSuchMessage(uid))?;
        // The sizes come from the name or a stat: hints for the buffers,
        // bounded so that a lying name cannot reserve much.
        let bounded = |n: u64| usize::try_from(n.min(64 << 20)).unwrap_or(0);
        let mut raw = std::mem::take(&mut self.scratch);
        // One octet more, to find the end of the file without growing.
        // The buffer keeps its length from the last message: only what
        // it grows by is zeroed before reading.
        let need = bounded(size).saturating_add(1);
        if raw.len() < need {
            raw.resize(need, 0);
        }
        let mut file = self.open_message(uid)?;
        let mut n = 0;
        loop {
            if n == raw.len() {
                raw.resize(n.saturating_mul(2).max(4096), 0);
            }
            match file.read(raw.get_mut(n..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io("read", self.name.clone(), e)),
            }
        }
        raw.truncate(n);
        let want = vsize.filter(|&v| v >= size).unwrap_or(size + size / 32);
        crate::read::crlf_line_ends_into(&mut raw, buf, bounded(want));
        if raw.capacity() <= SCRATCH_MAX {
            self.scratch = raw;
        }
        Ok(())
    }

    /// Delivers a new message (into `new/`, no flags) and returns its UID.
    pub fn deliver(&mut self, message: &[u8]) -> Result<u32> {
        match &mut self.inner {
            Inner::Maildir(f) => f.append(message, None, None),
            Inner::Mbox(f) => f.append(message, None, None),
        }
    }

    /// Appends a message with flags and an optional internal date (IMAP
    /// APPEND, RFC 3501 section 6.3.11) and returns its UID. The message
    /// is durable when this returns.
    pub fn append(
        &mut self,
        message: impl Read,
        flags: Flags,
        internal_date: Option<SystemTime>,
    ) -> Result<u32> {
        match &mut self.inner {
            Inner::Maildir(f) => f.append(message, Some(flags), internal_date),
            Inner::Mbox(f) => f.append(message, Some(flags), internal_date),
        }
    }

    /// Changes a message's flags and returns the flags it now has.
    pub fn set_flags(&mut self, uid: u32, op: FlagOp, flags: Flags) -> Result<Flags> {
        match &mut self.inner {
            Inner::Maildir(f) => f.set_flags(uid, op, flags),
            Inner::Mbox(f) => f.set_flags(uid, op, flags),
        }
    }

    /// The HIGHESTMODSEQ (RFC 7162 section 3.1.2.1): at least the
    /// mod-sequence any message of the folder ever had. `None` for a
    /// folder that keeps no mod-sequences (mbox: NOMODSEQ, section
    /// 3.1.2.2).
    pub fn highest_modseq(&self) -> Option<u64> {
        match &self.inner {
            Inner::Maildir(f) => Some(f.highest_modseq()),
            Inner::Mbox(_) => None,
        }
    }

    /// Changes the flags of several messages, as IMAP STORE does, with an
    /// optional UNCHANGEDSINCE (RFC 7162 section 3.1.3): a message whose
    /// mod-sequence is above it is left alone and listed in
    /// [`Stored::modified`](crate::Stored::modified). Each message whose flags change gets a new
    /// mod-sequence ([`MessageInfo::modseq`]); one whose flags were
    /// already as asked keeps its own. Unknown UIDs are left out.
    ///
    /// For mbox (no mod-sequences) `unchanged_since` is not checked and
    /// every mod-sequence is 0.
    pub fn store_flags(
        &mut self,
        uids: &[u32],
        op: FlagOp,
        flags: Flags,
        unchanged_since: Option<u64>,
    ) -> Result<crate::Stored> {
        match &mut self.inner {
            Inner::Maildir(f) => f.store_flags(uids, op, flags, unchanged_since),
            Inner::Mbox(f) => {
                let mut stored = crate::Stored::default();
                let mut uids = uids.to_vec();
                uids.sort_unstable();
                uids.dedup();
                for uid in uids {
                    match f.set_flags(uid, op, flags) {
                        Ok(now) => stored.messages.push((uid, now, 0)),
                        Err(Error::NoSuchMessage(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(stored)
            }
        }
    }

    /// Moves the messages of `new/` to `cur/` (what an IMAP server does when
    /// it takes over new mail) and returns their UIDs, the `\Recent` ones.
    /// Nothing to do for mbox.
    pub fn move_new_to_cur(&mut self) -> Result<Vec<u32>> {
        match &mut self.inner {
            Inner::Maildir(f) => f.move_new_to_cur(),
            Inner::Mbox(_) => Ok(Vec::new()),
        }
    }

    /// Removes messages; returns the UIDs actually removed.
    pub fn expunge(&mut self, uids: &[u32]) -> Result<Vec<u32>> {
        match &mut self.inner {
            Inner::Maildir(f) => f.expunge(uids),
            Inner::Mbox(f) => f.expunge(uids),
        }
    }

    /// Removes every message flagged `T` (IMAP `\Deleted`); returns their
    /// UIDs.
    pub fn expunge_deleted(&mut self) -> Result<Vec<u32>> {
        let uids: Vec<u32> = self
            .messages()
            .iter()
            .filter(|m| m.flags().contains(crate::Flag::Trashed))
            .map(|m| m.uid)
            .collect();
        self.expunge(&uids)
    }

    /// Copies a message into `dest` with its flags and internal date and
    /// returns its UID there (IMAP COPY, RFC 4315 COPYUID). Between Maildir
    /// folders the file is hard-linked, so no byte is copied.
    pub fn copy_to(&mut self, uid: u32, dest: &mut Folder) -> Result<u32> {
        let info = self
            .message(uid)
            .cloned()
            .ok_or(Error::NoSuchMessage(uid))?;
        if let (Inner::Maildir(src), Inner::Maildir(dst)) = (&mut self.inner, &mut dest.inner) {
            for attempt in 0..2 {
                let Some(Location::Maildir(e)) = src.message(uid).map(|m| m.location.clone())
                else {
                    return Err(Error::NoSuchMessage(uid));
                };
                let path = src.maildir().entry_path(&e);
                let flags = src.message(uid).map(|m| m.flags()).unwrap_or_default();
                match dst.copy_in(&path, flags) {
                    Err(Error::Io { source, .. })
                        if source.kind() == io::ErrorKind::NotFound && attempt == 0 =>
                    {
                        src.resync()?;
                    }
                    other => return other,
                }
            }
            return Err(Error::NoSuchMessage(uid));
        }
        let reader = self.open_message(uid)?;
        dest.append(reader, info.flags(), Some(info.internal_date()))
    }

    /// Moves a message into `dest` (copy, then expunge here; RFC 6851) and
    /// returns its UID there.
    pub fn move_to(&mut self, uid: u32, dest: &mut Folder) -> Result<u32> {
        let new_uid = self.copy_to(uid, dest)?;
        self.expunge(&[uid])?;
        Ok(new_uid)
    }

    /// The folder's keyword names by letter index (`dovecot-keywords`).
    pub fn keywords(&self) -> Keywords {
        match &self.inner {
            Inner::Maildir(f) => f.keywords().clone(),
            Inner::Mbox(f) => f.keywords().clone(),
        }
    }

    /// The letter index (0 = `a`) of an IMAP keyword; with `create`, a
    /// keyword without one gets the next free letter. `Ok(None)` when it
    /// has none and `create` is false.
    pub fn keyword_index(&mut self, keyword: &str, create: bool) -> Result<Option<u8>> {
        match &mut self.inner {
            Inner::Maildir(f) => f.keyword_index(keyword, create),
            Inner::Mbox(f) => f.keyword_index(keyword, create),
        }
    }
}

/// A message opened for reading ([`Folder::open_message`]).
#[derive(Debug)]
pub struct MessageReader {
    inner: ReaderInner,
}

#[derive(Debug)]
enum ReaderInner {
    File(File),
    Mbox(Box<MboxReader>),
}

impl Read for MessageReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.inner {
            ReaderInner::File(f) => f.read(buf),
            ReaderInner::Mbox(r) => r.read(buf),
        }
    }
}
