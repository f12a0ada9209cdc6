//! One Maildir: the `tmp/`, `new/` and `cur/` directories and the
//! operations on message files (maildir(5)).

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};
use crate::flags::Flags;
use crate::fs::{self, SharedFs, SizeAndTime};
use crate::name::{self, FileName};

/// Files in `tmp/` not touched for this long are left over from a failed
/// delivery and may be removed (maildir(5): "if it has not been accessed
/// in 36 hours").
pub const TMP_MAX_AGE: Duration = Duration::from_secs(36 * 3600);

/// `tmp/` is scanned for leftovers when a folder is opened only if it was
/// not read for this long ([`Maildir::clean_tmp_if_due`]).
pub const TMP_SCAN_INTERVAL: Duration = Duration::from_secs(8 * 3600);

/// Mode of the directories we create: only the owner reads mail
/// (courier maildir(5): "maildirs should not have any group or world
/// permissions").
pub(crate) const DIR_MODE: u32 = 0o700;
/// Mode of the message files we create.
pub(crate) const FILE_MODE: u32 = 0o600;

/// The two directories that hold delivered messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subdir {
    /// `new/`: delivered, not yet seen by a mail reader.
    New,
    /// `cur/`: seen by a mail reader; the name carries the flags.
    Cur,
}

impl Subdir {
    /// The directory name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Subdir::New => "new",
            Subdir::Cur => "cur",
        }
    }
}

/// A message file found in `new/` or `cur/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailEntry {
    /// Where it is.
    pub subdir: Subdir,
    /// Its full file name (base and info).
    pub name: String,
}

impl MailEntry {
    /// The unique base name (before `:`).
    pub fn base(&self) -> &str {
        crate::name::base_of(&self.name)
    }

    /// The flags in its info part.
    pub fn flags(&self) -> Flags {
        FileName::parse(&self.name)
            .map(|n| n.flags)
            .unwrap_or_default()
    }
}

/// Where a delivered message ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The unique base name, including `,S=<size>,W=<vsize>`.
    pub base: String,
    /// The file, in `new/` or `cur/`.
    pub entry: MailEntry,
    /// The message size in bytes.
    pub size: u64,
}

/// What an open of a Maildir found of its subdirectories
/// ([`Maildir::open_seen`]).
#[derive(Debug, Clone)]
pub(crate) struct Subdirs {
    pub new: std::fs::Metadata,
    pub cur: std::fs::Metadata,
    pub tmp: std::fs::Metadata,
}

/// A Maildir directory.
///
/// # Examples
///
/// ```
/// use maildir::{Maildir, Flags, Flag};
///
/// let dir = tempfile::tempdir()?;
/// let md = Maildir::create(dir.path().join("Maildir"))?;
/// let d = md.deliver(b"Subject: hi\r\n\r\nhello\r\n")?;
/// assert!(d.base.ends_with(",S=22,W=22"));
/// let entries = md.list()?;
/// assert_eq!(entries.len(), 1);
/// let seen = md.set_flags(&entries[0], Flags::from(Flag::Seen))?;
/// assert!(seen.name.ends_with(":2,S"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Maildir {
    path: PathBuf,
    fs: SharedFs,
}

impl Maildir {
    /// Opens an existing Maildir: `path` must hold `new/`, `cur/` and `tmp/`.
    pub fn open(path: impl Into<PathBuf>) -> Result<Maildir> {
        Maildir::open_with(path, fs::os())
    }

    /// Like [`Maildir::open`], with a chosen [`FileSystem`](crate::FileSystem).
    pub fn open_with(path: impl Into<PathBuf>, fs: SharedFs) -> Result<Maildir> {
        Ok(Maildir::open_seen(path, fs)?.0)
    }

    /// Like [`Maildir::open_with`], with what it found of the three
    /// subdirectories, for a folder's open to use rather than look again.
    pub(crate) fn open_seen(path: impl Into<PathBuf>, fs: SharedFs) -> Result<(Maildir, Subdirs)> {
        let md = Maildir {
            path: path.into(),
            fs,
        };
        let dir = |sub: &str| {
            let p = md.path.join(sub);
            match md.fs.metadata(&p) {
                Ok(m) if m.is_dir() => Ok(m),
                Ok(_) => Err(Error::io(
                    "open",
                    p,
                    io::Error::from(io::ErrorKind::NotADirectory),
                )),
                Err(e) => Err(Error::io("stat", p, e)),
            }
        };
        let seen = Subdirs {
            new: dir("new")?,
            cur: dir("cur")?,
            tmp: dir("tmp")?,
        };
        Ok((md, seen))
    }

    /// Creates the Maildir (and missing parents) with mode 0700, or opens
    /// it if it exists.
    pub fn create(path: impl Into<PathBuf>) -> Result<Maildir> {
        Maildir::create_with(path, fs::os())
    }

    /// Like [`Maildir::create`], with a chosen [`FileSystem`](crate::FileSystem).
    pub fn create_with(path: impl Into<PathBuf>, fs: SharedFs) -> Result<Maildir> {
        let path = path.into();
        create_dir_all(&fs, &path)?;
        for sub in ["tmp", "new", "cur"] {
            let p = path.join(sub);
            match fs.create_dir(&p, DIR_MODE) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::io("mkdir", p, e)),
            }
        }
        Maildir::open_with(path, fs)
    }

    /// The Maildir's directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file system used.
    pub fn file_system(&self) -> &SharedFs {
        &self.fs
    }

    /// The directory of `new/` or `cur/`.
    pub fn subdir_path(&self, sub: Subdir) -> PathBuf {
        self.path.join(sub.as_str())
    }

    /// The path of a message file.
    pub fn entry_path(&self, entry: &MailEntry) -> PathBuf {
        self.name_path(entry.subdir, &entry.name)
    }

    /// The path of the message file `name` in `subdir`.
    pub(crate) fn name_path(&self, subdir: Subdir, name: &str) -> PathBuf {
        self.path.join(subdir.as_str()).join(name)
    }

    /// Delivers a message into `new/`, durably: see [`Maildir::deliver_from`].
    pub fn deliver(&self, message: &[u8]) -> Result<Delivered> {
        self.deliver_from(message, None, None)
    }

    /// Writes a message read from `message` and links it into the folder.
    ///
    /// The steps (maildir(5), "HOW A MESSAGE IS DELIVERED", plus the
    /// directory fsync the man page leaves out):
    ///
    /// 1. create `tmp/<unique>` (`O_EXCL`, mode 0600) and write the message,
    ///    checking every write;
    /// 2. `fsync` the file;
    /// 3. `link` it to `new/<unique>,S=<size>,W=<vsize>` (or, with
    ///    `flags`, to `cur/<unique>,S=<size>,W=<vsize>:2,<flags>`); where
    ///    the file system has no hard links, `rename` instead. `S` is the
    ///    file size (Maildir++), `W` the size with every bare LF counted
    ///    as CRLF (Dovecot's RFC822.SIZE);
    /// 4. `fsync` the target directory. Only now is the message delivered.
    ///
    /// `internal_date` sets the file's mtime (the IMAP INTERNALDATE).
    ///
    /// On any failure the temporary file and any link made are removed,
    /// so a full disk or a permission error leaves no message, whole or
    /// partial, in `new/` or `cur/`.
    pub fn deliver_from(
        &self,
        mut message: impl Read,
        flags: Option<Flags>,
        internal_date: Option<SystemTime>,
    ) -> Result<Delivered> {
        let tmp_dir = self.path.join("tmp");
        let (unique, tmp_path, mut file) = self.create_tmp(&tmp_dir)?;
        let written = (|| -> io::Result<(u64, u64)> {
            let mut buf = vec![0u8; 64 * 1024];
            let mut size = 0u64;
            // Bare LFs, each one more byte on the wire as CRLF.
            let mut bare_lf = 0u64;
            let mut prev = 0u8;
            loop {
                let n = match message.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                let chunk = buf.get(..n).unwrap_or_default();
                self.fs.write_all(&mut file, chunk)?;
                size += n as u64;
                for &b in chunk {
                    if b == b'\n' && prev != b'\r' {
                        bare_lf += 1;
                    }
                    prev = b;
                }
            }
            if let Some(date) = internal_date {
                file.set_modified(date)?;
            }
            self.fs.sync_file(&file)?;
            Ok((size, size + bare_lf))
        })();
        drop(file);
        let (size, vsize) = match written {
            Ok(sizes) => sizes,
            Err(e) => {
                let _ = self.fs.remove_file(&tmp_path);
                return Err(Error::io("write", tmp_path, e));
            }
        };
        let base = format!("{unique},S={size},W={vsize}");
        let entry = match flags {
            None => MailEntry {
                subdir: Subdir::New,
                name: base.clone(),
            },
            Some(flags) => MailEntry {
                subdir: Subdir::Cur,
                name: name::cur_name(&base, flags, None),
            },
        };
        let target = self.entry_path(&entry);
        self.link_into_place(&tmp_path, &target)?;
        let dir = self.subdir_path(entry.subdir);
        if let Err(e) = self.fs.sync_dir(&dir) {
            // Not known to be durable: take it back so that the caller's
            // retry does not deliver twice.
            let _ = self.fs.remove_file(&target);
            return Err(Error::io("fsync", dir, e));
        }
        Ok(Delivered { base, entry, size })
    }

    /// Step 3 of a delivery: links the written `tmp/` file to `target`
    /// (`rename` where the file system has no hard links) and removes the
    /// `tmp/` name. On failure the `tmp/` file is removed too.
    pub(crate) fn link_into_place(&self, tmp_path: &Path, target: &Path) -> Result<()> {
        let linked = match self.fs.hard_link(tmp_path, target) {
            Ok(()) => {
                let _ = self.fs.remove_file(tmp_path);
                Ok(())
            }
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::EPERM | libc::EOPNOTSUPP | libc::EXDEV | libc::EMLINK)
                ) =>
            {
                self.fs.rename(tmp_path, target)
            }
            Err(e) => Err(e),
        };
        linked.map_err(|e| {
            let _ = self.fs.remove_file(tmp_path);
            Error::io("link", target, e)
        })
    }

    pub(crate) fn create_tmp(&self, tmp_dir: &Path) -> Result<(String, PathBuf, File)> {
        let mut attempts = 0;
        loop {
            let unique = name::unique_name();
            let path = tmp_dir.join(&unique);
            match self.fs.create_new(&path, FILE_MODE) {
                Ok(f) => return Ok((unique, path, f)),
                // A name collision means something is broken (a clock
                // step back with a reused pid); a new name fixes it.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 5 => {
                    attempts += 1;
                }
                Err(e) => return Err(Error::io("create", path, e)),
            }
        }
    }

    /// Lists the message files of `new/` and then `cur/` (names starting
    /// with a dot are skipped, maildir(5)).
    pub fn list(&self) -> Result<Vec<MailEntry>> {
        let mut out = self.list_subdir(Subdir::New)?;
        out.extend(self.list_subdir(Subdir::Cur)?);
        Ok(out)
    }

    /// Lists the message files of one directory.
    pub fn list_subdir(&self, sub: Subdir) -> Result<Vec<MailEntry>> {
        Ok(self
            .list_subdir_stat(sub, false)?
            .into_iter()
            .map(|(e, _)| e)
            .collect())
    }

    /// [`Maildir::list_subdir`], with (`stat`) each message's size and
    /// modification time (`None` where they could not be read, or were
    /// not asked for).
    pub(crate) fn list_subdir_stat(
        &self,
        sub: Subdir,
        stat: bool,
    ) -> Result<Vec<(MailEntry, Option<SizeAndTime>)>> {
        let dir = self.subdir_path(sub);
        let names = if stat {
            self.fs.read_dir_stat(&dir)
        } else {
            self.fs
                .read_dir(&dir)
                .map(|names| names.into_iter().map(|n| (n, None)).collect())
        }
        .map_err(|e| Error::io("readdir", &dir, e))?;
        Ok(names
            .into_iter()
            .filter_map(|(n, stat)| Some((entry_from(sub, n)?, stat)))
            .collect())
    }

    /// Opens a message for reading.
    pub fn open_message(&self, entry: &MailEntry) -> Result<File> {
        let p = self.entry_path(entry);
        self.fs.open(&p).map_err(|e| Error::io("open", p, e))
    }

    /// Renames a message to carry `flags`, moving it from `new/` to `cur/`
    /// if it was there. Returns its new entry.
    ///
    /// The rename is atomic but not fsynced (as in Dovecot): after a crash
    /// the message may show its old flags, never be lost or doubled.
    pub fn set_flags(&self, entry: &MailEntry, flags: Flags) -> Result<MailEntry> {
        let parsed = FileName::parse(&entry.name);
        let (base, extra) = match &parsed {
            Some(p) => (p.base, p.extra),
            None => (entry.base(), None),
        };
        let to = MailEntry {
            subdir: Subdir::Cur,
            name: name::cur_name(base, flags, extra),
        };
        if &to == entry {
            return Ok(to);
        }
        let from_path = self.entry_path(entry);
        let to_path = self.entry_path(&to);
        self.fs
            .rename(&from_path, &to_path)
            .map_err(|e| Error::io("rename", from_path, e))?;
        Ok(to)
    }

    /// Moves a message from `new/` to `cur/` keeping its flags (none).
    pub fn move_to_cur(&self, entry: &MailEntry) -> Result<MailEntry> {
        self.set_flags(entry, entry.flags())
    }

    /// Deletes a message file.
    pub fn delete(&self, entry: &MailEntry) -> Result<()> {
        let p = self.entry_path(entry);
        self.fs
            .remove_file(&p)
            .map_err(|e| Error::io("unlink", p, e))
    }

    /// [`Maildir::clean_tmp`] unless `tmp/` was read less than
    /// [`TMP_SCAN_INTERVAL`] ago, as its access time tells (a scan moves
    /// it on; where the file system keeps no access times, every call
    /// scans): a folder opened often costs one `stat` of `tmp/`, not a
    /// listing. A leftover is then removed at most a scan interval (or,
    /// with `relatime`, a day) later than it could be.
    pub fn clean_tmp_if_due(&self, max_age: Duration) -> Result<usize> {
        let dir = self.path.join("tmp");
        let meta = self
            .fs
            .metadata(&dir)
            .map_err(|e| Error::io("stat", &dir, e))?;
        self.clean_tmp_if_due_seen(max_age, &meta)
    }

    /// [`Maildir::clean_tmp_if_due`] with `tmp/`'s metadata just read
    /// ([`Maildir::open_seen`]).
    pub(crate) fn clean_tmp_if_due_seen(
        &self,
        max_age: Duration,
        tmp: &std::fs::Metadata,
    ) -> Result<usize> {
        let scanned_lately = tmp
            .accessed()
            .ok()
            .and_then(|a| SystemTime::now().duration_since(a).ok())
            .is_some_and(|age| age < TMP_SCAN_INTERVAL);
        if scanned_lately {
            return Ok(0);
        }
        self.clean_tmp(max_age)
    }

    /// Removes files in `tmp/` whose last access and change are older than
    /// `max_age` (use [`TMP_MAX_AGE`]). Returns how many were removed.
    pub fn clean_tmp(&self, max_age: Duration) -> Result<usize> {
        let dir = self.path.join("tmp");
        let names = self
            .fs
            .read_dir(&dir)
            .map_err(|e| Error::io("readdir", &dir, e))?;
        let now = SystemTime::now();
        let mut removed = 0;
        for n in names {
            let p = dir.join(n);
            let Ok(meta) = self.fs.metadata(&p) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let newest = [meta.accessed(), meta.modified()]
                .into_iter()
                .filter_map(|t| t.ok())
                .max();
            let old = newest
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age >= max_age);
            if old && self.fs.remove_file(&p).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

pub(crate) fn entry_from(sub: Subdir, name: OsString) -> Option<MailEntry> {
    let name = name.into_string().ok()?;
    FileName::parse(&name)?;
    Some(MailEntry { subdir: sub, name })
}

/// `mkdir -p` with mode 0700 for the directories it makes.
pub(crate) fn create_dir_all(fs: &SharedFs, path: &Path) -> Result<()> {
    match fs.metadata(path) {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(_) => {
            return Err(Error::io(
                "mkdir",
                path,
                io::Error::from(io::ErrorKind::AlreadyExists),
            ));
        }
        Err(_) => {}
    }
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        create_dir_all(fs, parent)?;
    }
    match fs.create_dir(path, DIR_MODE) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::io("mkdir", path, e)),
    }
}
