//! Locks: the folder lock around UID list changes, and the mbox locks.
//!
//! A UID list change takes two locks, in this order:
//!
//! 1. `flock(LOCK_EX)` on `missive-uidlist.flock` in the folder. The kernel
//!    drops it when the holder dies, even by `kill -9`, so a crashed
//!    process never blocks the others.
//! 2. The dotlock `dovecot-uidlist.lock` that Dovecot takes before writing
//!    `dovecot-uidlist` (its Maildir documentation, "IMAP UID mapping"), so
//!    that we and a Dovecot sharing the folder exclude each other. We write
//!    `<pid>:<host>` into it. A dotlock left behind by a dead process of
//!    this host, or older than [`DOTLOCK_STALE`], is removed; only the
//!    holder of the flock does this, so two of our processes never race
//!    on breaking the same stale lock.
//!
//! An mbox takes `fcntl(F_SETLKW)` on the file and then the dotlock
//! `<mbox>.lock`, the order Debian policy asks of every program touching a
//! spool (Dovecot's mbox documentation, "Locking").

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, Result};
use crate::fs::SharedFs;

/// A dotlock older than this is stale whoever made it.
pub const DOTLOCK_STALE: Duration = Duration::from_secs(120);

/// How long we wait for a dotlock before giving up with
/// [`Error::LockTimeout`] (a temporary failure).
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(180);

/// The name of the flock file inside a folder.
pub(crate) const FLOCK_NAME: &str = "missive-uidlist.flock";

/// The name of Dovecot's UID list dotlock inside a folder.
pub(crate) const UIDLIST_DOTLOCK: &str = "dovecot-uidlist.lock";

/// Held while a folder's UID list (and keywords file) may be changed.
#[derive(Debug)]
pub(crate) struct FolderLock {
    _flock: File,
    _dotlock: DotLock,
}

impl FolderLock {
    /// Takes the folder lock of the folder directory `dir`.
    pub fn acquire(fs: &SharedFs, dir: &Path) -> Result<FolderLock> {
        let flock_path = dir.join(FLOCK_NAME);
        let file = fs
            .open_append(&flock_path, 0o600)
            .map_err(|e| Error::io("open", &flock_path, e))?;
        flock_exclusive(&file).map_err(|e| Error::io("flock", &flock_path, e))?;
        // Under the flock an empty dotlock is a dead one: another process
        // of ours writes its content while holding the flock, and Dovecot
        // links its dotlock into place with the content already written.
        let dotlock = DotLock::acquire_with(fs, dir.join(UIDLIST_DOTLOCK), true)?;
        Ok(FolderLock {
            _flock: file,
            _dotlock: dotlock,
        })
    }

    /// Releases the lock (dropping it does the same, ignoring errors).
    pub fn release(self) {
        drop(self);
    }
}

fn flock_exclusive(file: &File) -> io::Result<()> {
    loop {
        // SAFETY: flock on a file descriptor we own.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if rc == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// An `fcntl` lock on a whole file, released when the file closes.
///
/// On Linux this is an open file description lock (`F_OFD_SETLK`): it
/// conflicts with the classic `fcntl` locks of other programs, but unlike
/// them it is not dropped when this process closes some other descriptor
/// of the same file (reading a message while delivering, for instance).
pub(crate) fn fcntl_lock(file: &File, write: bool, timeout: Duration) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    const SETLK: libc::c_int = libc::F_OFD_SETLK;
    #[cfg(not(target_os = "linux"))]
    const SETLK: libc::c_int = libc::F_SETLK;
    let start = Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        // SAFETY: a zeroed flock struct is a valid value; we set the fields
        // F_SETLK reads and pass a pointer valid for the call.
        let mut fl: libc::flock = unsafe { std::mem::zeroed() };
        fl.l_type = if write { libc::F_WRLCK } else { libc::F_RDLCK } as _;
        fl.l_whence = libc::SEEK_SET as _;
        fl.l_start = 0;
        fl.l_len = 0;
        // SAFETY: see above.
        let rc = unsafe { libc::fcntl(file.as_raw_fd(), SETLK, &fl) };
        if rc == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EACCES | libc::EAGAIN | libc::EINTR) => {}
            _ => return Err(err),
        }
        if start.elapsed() > timeout {
            return Err(io::Error::from(io::ErrorKind::TimedOut));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// A dotlock: the existence of the file `path` is the lock.
#[derive(Debug)]
pub(crate) struct DotLock {
    fs: SharedFs,
    path: PathBuf,
    released: bool,
}

impl DotLock {
    /// Creates the lock file, waiting while another live holder has it.
    pub fn acquire(fs: &SharedFs, path: PathBuf) -> Result<DotLock> {
        DotLock::acquire_with(fs, path, false)
    }

    /// [`DotLock::acquire`]; `empty_is_stale`: a lock file with nothing in
    /// it is taken as stale at once (its maker was killed between creating
    /// it and writing its pid) rather than after [`DOTLOCK_STALE`].
    fn acquire_with(fs: &SharedFs, path: PathBuf, empty_is_stale: bool) -> Result<DotLock> {
        let start = Instant::now();
        let mut pause = Duration::from_millis(1);
        let content = format!("{}:{}", std::process::id(), crate::name::hostname());
        loop {
            match fs.create_new(&path, 0o600) {
                Ok(mut file) => {
                    // The content only helps others detect a stale lock; a
                    // failure to write it is not a failure to lock.
                    let _ = fs.write_all(&mut file, content.as_bytes());
                    return Ok(DotLock {
                        fs: fs.clone(),
                        path,
                        released: false,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    if is_stale(fs, &path, empty_is_stale) {
                        match fs.remove_file(&path) {
                            Ok(()) => continue,
                            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                            Err(e) => return Err(Error::io("unlink", &path, e)),
                        }
                    }
                    if start.elapsed() > LOCK_TIMEOUT {
                        return Err(Error::LockTimeout(path));
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(e) => return Err(Error::io("create", &path, e)),
            }
        }
    }
}

impl Drop for DotLock {
    fn drop(&mut self) {
        if !self.released {
            self.released = true;
            let _ = self.fs.remove_file(&self.path);
        }
    }
}

/// A lock is stale when its holder (a process of this host) is dead, or
/// when it is older than [`DOTLOCK_STALE`], or (`empty_is_stale`) when it
/// is empty.
fn is_stale(fs: &SharedFs, path: &Path, empty_is_stale: bool) -> bool {
    let Ok(meta) = fs.metadata(path) else {
        return false;
    };
    let age = meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .unwrap_or_default();
    if age > DOTLOCK_STALE {
        return true;
    }
    let mut text = String::new();
    let read = fs
        .open(path)
        .and_then(|mut f| f.by_ref().take(256).read_to_string(&mut text));
    if read.is_err() {
        return false;
    }
    let text = text.trim();
    if text.is_empty() {
        return empty_is_stale;
    }
    let (pid, host) = match text.split_once(':') {
        Some((p, h)) => (p, Some(h)),
        None => (text, None),
    };
    if host.is_some_and(|h| h != crate::name::hostname()) {
        return false;
    }
    let Ok(pid) = pid.parse::<i32>() else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks for the process's existence.
    let rc = unsafe { libc::kill(pid, 0) };
    rc != 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A delivery killed between creating the folder's dotlock and writing
    /// its pid leaves an empty one: the next holder of the flock breaks it
    /// at once instead of waiting two minutes for it to age. An empty
    /// mbox dotlock may be another program's, and still ages.
    #[test]
    fn an_empty_dotlock_is_stale_under_the_flock_only() {
        let dir = tempfile::tempdir().unwrap();
        let fs = crate::fs::os();
        let path = dir.path().join(UIDLIST_DOTLOCK);
        std::fs::write(&path, "").unwrap();
        assert!(is_stale(&fs, &path, true));
        assert!(!is_stale(&fs, &path, false));
        // A live holder's lock is never stale.
        std::fs::write(
            &path,
            format!("{}:{}", std::process::id(), crate::name::hostname()),
        )
        .unwrap();
        assert!(!is_stale(&fs, &path, true));
        std::fs::write(&path, "").unwrap();
        let lock = FolderLock::acquire(&fs, dir.path()).unwrap();
        let held = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            held,
            format!("{}:{}", std::process::id(), crate::name::hostname())
        );
        lock.release();
        assert!(!path.exists());
    }
}
