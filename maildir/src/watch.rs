//! Change notices for a folder's directories (Linux inotify).
//!
//! [`crate::MaildirFolder::has_changed`] runs after every IMAP command, and
//! without notices costs a `stat` of `new/`, `cur/`, the UID list and the
//! keywords file. With them it costs one `read` of a descriptor that
//! usually has nothing to say, and the `stat` of `cur/`: a watch on a
//! directory makes the kernel walk every name of it held in memory, when
//! added and when removed (8 ms for 100,000 names), so the large one is
//! not watched.
//!
//! One inotify instance serves the process, one watch each directory (its
//! count of events, shared by every folder handle that watches it). A
//! handle is *armed* with the counts read before it last found its
//! snapshot equal to the disk; while they stay the same, nothing was
//! created, removed, renamed or written in its directories since.
//!
//! Only where the kernel sees every change: on a local file system. A
//! change made by another host of a network file system raises no event,
//! so there the handle keeps its `stat`s.

use std::collections::HashMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// The events that may mean a folder changed: a name added, removed or
/// renamed, a file written, the directory itself moved or removed.
#[cfg(target_os = "linux")]
const MASK: u32 = libc::IN_CREATE
    | libc::IN_DELETE
    | libc::IN_MOVED_FROM
    | libc::IN_MOVED_TO
    | libc::IN_MODIFY
    | libc::IN_ATTRIB
    | libc::IN_CLOSE_WRITE
    | libc::IN_DELETE_SELF
    | libc::IN_MOVE_SELF;

/// File systems whose changes all pass through this kernel (`statfs`
/// magic numbers): ext2/3/4, XFS, Btrfs, tmpfs, ZFS, F2FS, overlayfs.
const LOCAL_FILE_SYSTEMS: [i64; 7] = [
    0xEF53,
    0x5846_5342,
    0x9123_683E,
    0x0102_1994,
    0x2FC1_2FC1,
    0xF2F5_2010,
    0x794C_7630,
];

/// The process's inotify instance and its watches by descriptor.
#[derive(Debug)]
struct Inotify {
    fd: OwnedFd,
    watches: Mutex<HashMap<i32, Weak<Watched>>>,
}

/// One watched directory.
#[derive(Debug)]
struct Watched {
    wd: i32,
    /// Events seen for it.
    events: AtomicU64,
    /// The watch is gone (the directory removed, or the queue overflowed
    /// and events were lost): counts say nothing any more.
    lost: AtomicBool,
}

impl Drop for Watched {
    fn drop(&mut self) {
        let Some(ino) = inotify() else { return };
        let Ok(mut watches) = ino.watches.lock() else {
            return;
        };
        // A handle opened meanwhile may watch the same directory under the
        // same descriptor: its entry is alive, and the watch is its.
        if watches.get(&self.wd).is_some_and(|w| w.strong_count() == 0) {
            watches.remove(&self.wd);
            #[cfg(target_os = "linux")]
            // SAFETY: removes a watch of our own instance; no memory is
            // passed.
            unsafe {
                libc::inotify_rm_watch(ino.fd.as_raw_fd(), self.wd);
            }
        }
    }
}

fn inotify() -> Option<&'static Inotify> {
    static INOTIFY: OnceLock<Option<Inotify>> = OnceLock::new();
    INOTIFY
        .get_or_init(|| {
            #[cfg(target_os = "linux")]
            {
                // SAFETY: no arguments but flags; the result is checked.
                let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
                if fd < 0 {
                    return None;
                }
                Some(Inotify {
                    // SAFETY: `fd` was just opened and is owned by nothing
                    // else.
                    fd: unsafe { OwnedFd::from_raw_fd(fd) },
                    watches: Mutex::default(),
                })
            }
            #[cfg(not(target_os = "linux"))]
            {
                None
            }
        })
        .as_ref()
}

impl Inotify {
    /// Reads every event queued and counts it for its directory.
    fn drain(&self) -> bool {
        let Ok(watches) = self.watches.lock() else {
            return false;
        };
        #[cfg(target_os = "linux")]
        {
            let mut buf = [0u8; 4096];
            loop {
                // SAFETY: reads into `buf`, at most its length.
                let n =
                    unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
                let Ok(n) = usize::try_from(n) else {
                    // EAGAIN: nothing more. Any other error: nothing read.
                    return std::io::Error::last_os_error().kind()
                        == std::io::ErrorKind::WouldBlock;
                };
                if n == 0 {
                    return true;
                }
                let mut at = 0;
                // struct inotify_event: wd, mask, cookie, len, name[len].
                while let Some(head) = buf.get(at..at + 16).filter(|_| at + 16 <= n) {
                    let word = |i: usize| {
                        u32::from_ne_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]])
                    };
                    let (wd, mask, len) = (word(0) as i32, word(4), word(12) as usize);
                    at += 16 + len;
                    if mask & libc::IN_Q_OVERFLOW != 0 {
                        for w in watches.values().filter_map(Weak::upgrade) {
                            w.lost.store(true, Ordering::Release);
                        }
                        continue;
                    }
                    if let Some(w) = watches.get(&wd).and_then(Weak::upgrade) {
                        w.events.fetch_add(1, Ordering::AcqRel);
                        if mask & (libc::IN_IGNORED | libc::IN_DELETE_SELF | libc::IN_MOVE_SELF)
                            != 0
                        {
                            w.lost.store(true, Ordering::Release);
                        }
                    }
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            drop(watches);
            false
        }
    }

    /// The watch of `dir`, shared with other handles that watch it.
    fn watch(&self, dir: &Path) -> Option<Arc<Watched>> {
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::ffi::OsStrExt;
            let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
            let mut watches = self.watches.lock().ok()?;
            // SAFETY: `c` is NUL-terminated; the result is checked.
            let wd = unsafe {
                libc::inotify_add_watch(self.fd.as_raw_fd(), c.as_ptr(), MASK | libc::IN_ONLYDIR)
            };
            if wd < 0 {
                return None;
            }
            if let Some(w) = watches.get(&wd).and_then(Weak::upgrade) {
                return Some(w);
            }
            let w = Arc::new(Watched {
                wd,
                events: AtomicU64::new(0),
                lost: AtomicBool::new(false),
            });
            watches.insert(wd, Arc::downgrade(&w));
            Some(w)
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = dir;
            None
        }
    }
}

/// True when `dir` is on a file system listed in [`LOCAL_FILE_SYSTEMS`].
fn is_local(dir: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
            return false;
        };
        let mut st = std::mem::MaybeUninit::<libc::statfs>::uninit();
        // SAFETY: `c` is NUL-terminated, `st` room for one `statfs`, read
        // only when the call succeeds.
        let st = unsafe {
            if libc::statfs(c.as_ptr(), st.as_mut_ptr()) != 0 {
                return false;
            }
            st.assume_init()
        };
        #[allow(clippy::unnecessary_cast)] // f_type's width differs by target.
        let kind = st.f_type as i64;
        LOCAL_FILE_SYSTEMS.contains(&kind)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        false
    }
}

/// The watches of one folder's directories, and the counts it was armed
/// with.
#[derive(Debug)]
pub(crate) struct FolderWatch {
    dirs: Vec<Arc<Watched>>,
    armed: AtomicBool,
    at: Vec<AtomicU64>,
}

impl Clone for FolderWatch {
    /// A copy that is not armed: it has not compared its snapshot with
    /// the disk.
    fn clone(&self) -> FolderWatch {
        FolderWatch {
            dirs: self.dirs.clone(),
            armed: AtomicBool::new(false),
            at: self.dirs.iter().map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

/// The counts of a folder's watches at one moment; see
/// [`FolderWatch::counts`].
pub(crate) struct Counts(Vec<u64>);

impl FolderWatch {
    /// Watches `dirs`; `None` where notices cannot be had (not Linux, not
    /// a local file system, no inotify instance or watch left).
    pub fn new(dirs: &[&Path]) -> Option<FolderWatch> {
        let ino = inotify()?;
        if !dirs.iter().all(|d| is_local(d)) {
            return None;
        }
        let dirs = dirs
            .iter()
            .map(|d| ino.watch(d))
            .collect::<Option<Vec<_>>>()?;
        Some(FolderWatch {
            armed: AtomicBool::new(false),
            at: dirs.iter().map(|_| AtomicU64::new(0)).collect(),
            dirs,
        })
    }

    /// The counts now, every event queued read first; `None` when they say
    /// nothing (a watch lost, or the queue could not be read).
    pub fn counts(&self) -> Option<Counts> {
        if !inotify()?.drain() {
            return None;
        }
        if self.dirs.iter().any(|w| w.lost.load(Ordering::Acquire)) {
            return None;
        }
        Some(Counts(
            self.dirs
                .iter()
                .map(|w| w.events.load(Ordering::Acquire))
                .collect(),
        ))
    }

    /// The snapshot was found equal to the disk by looking after `counts`
    /// were read: while the counts stay, it still is.
    pub fn arm(&self, counts: Option<Counts>) {
        let Some(Counts(c)) = counts else {
            self.disarm();
            return;
        };
        for (at, c) in self.at.iter().zip(c) {
            at.store(c, Ordering::Relaxed);
        }
        self.armed.store(true, Ordering::Release);
    }

    /// Forgets the counts: the next question looks at the disk.
    pub fn disarm(&self) {
        self.armed.store(false, Ordering::Release);
    }

    /// True when the handle is armed and no event came since.
    pub fn quiet(&self) -> bool {
        if !self.armed.load(Ordering::Acquire) {
            return false;
        }
        match self.counts() {
            Some(Counts(now)) => self
                .at
                .iter()
                .zip(now)
                .all(|(at, n)| at.load(Ordering::Relaxed) == n),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Armed after a look, a watch stays quiet until something is written
    /// in one of its directories, and a copy is not armed.
    #[test]
    fn quiet_until_a_change() {
        let dir = tempfile::tempdir().unwrap();
        if !is_local(dir.path()) {
            return; // No notices here: nothing to check.
        }
        let sub = dir.path().join("cur");
        std::fs::create_dir(&sub).unwrap();
        let w = FolderWatch::new(&[dir.path(), &sub]).unwrap();
        assert!(!w.quiet(), "not armed yet");
        w.arm(w.counts());
        assert!(w.quiet());
        assert!(!w.clone().quiet());
        std::fs::write(sub.join("m"), "x").unwrap();
        assert!(!w.quiet());
        w.arm(w.counts());
        assert!(w.quiet());
        std::fs::rename(sub.join("m"), dir.path().join("m")).unwrap();
        assert!(!w.quiet());
        w.arm(w.counts());
        std::fs::remove_dir(&sub).unwrap();
        assert!(!w.quiet());
        w.arm(w.counts());
        assert!(!w.quiet(), "a removed directory is watched no more");
    }
}
