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
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

#[cfg(target_os = "linux")]
use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask};

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
#[cfg(target_os = "linux")]
#[derive(Debug)]
struct Notices {
    inotify: Inotify,
    watches: HashMap<i32, Weak<Watched>>,
}

/// Where notices cannot be had: never made ([`notices`] is `None`).
#[cfg(not(target_os = "linux"))]
#[derive(Debug)]
#[allow(dead_code)]
struct Notices;

/// One watched directory.
#[derive(Debug)]
struct Watched {
    #[cfg(target_os = "linux")]
    wd: WatchDescriptor,
    /// Events seen for it.
    events: AtomicU64,
    /// The watch is gone (the directory removed, or the queue overflowed
    /// and events were lost): counts say nothing any more.
    lost: AtomicBool,
}

/// Watches whose last handle went: removed by the next holder of the
/// notices' lock. Not removed in `drop`, which may run under that lock
/// (the last `Arc` of a watch can be a copy taken while counting).
#[cfg(target_os = "linux")]
static GONE: Mutex<Vec<WatchDescriptor>> = Mutex::new(Vec::new());

impl Drop for Watched {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Ok(mut gone) = GONE.lock() {
            gone.push(self.wd.clone());
        }
    }
}

fn notices() -> Option<&'static Mutex<Notices>> {
    static NOTICES: OnceLock<Option<Mutex<Notices>>> = OnceLock::new();
    NOTICES
        .get_or_init(|| {
            #[cfg(target_os = "linux")]
            {
                Inotify::init().ok().map(|inotify| {
                    Mutex::new(Notices {
                        inotify,
                        watches: HashMap::new(),
                    })
                })
            }
            #[cfg(not(target_os = "linux"))]
            {
                None
            }
        })
        .as_ref()
}

impl Notices {
    /// Removes the watches no handle holds any more. A handle opened
    /// meanwhile may watch the same directory under the same descriptor:
    /// its entry is alive, and the watch is its.
    #[cfg(target_os = "linux")]
    fn remove_gone(&mut self) {
        let gone = match GONE.lock() {
            Ok(mut gone) if !gone.is_empty() => std::mem::take(&mut *gone),
            _ => return,
        };
        for wd in gone {
            let id = wd.get_watch_descriptor_id();
            if self.watches.get(&id).is_some_and(|w| w.strong_count() == 0) {
                self.watches.remove(&id);
                let _ = self.inotify.watches().remove(wd);
            }
        }
    }

    /// Reads every event queued and counts it for its directory; false
    /// when the queue could not be read.
    fn drain(&mut self) -> bool {
        #[cfg(target_os = "linux")]
        {
            self.remove_gone();
            let mut buf = [0u8; 4096];
            loop {
                let events = match self.inotify.read_events(&mut buf) {
                    Ok(events) => events,
                    Err(e) => return e.kind() == std::io::ErrorKind::WouldBlock,
                };
                for e in events {
                    if e.mask.contains(EventMask::Q_OVERFLOW) {
                        for w in self.watches.values().filter_map(Weak::upgrade) {
                            w.lost.store(true, Ordering::Release);
                        }
                        continue;
                    }
                    let id = e.wd.get_watch_descriptor_id();
                    if let Some(w) = self.watches.get(&id).and_then(Weak::upgrade) {
                        w.events.fetch_add(1, Ordering::AcqRel);
                        let gone =
                            EventMask::IGNORED | EventMask::DELETE_SELF | EventMask::MOVE_SELF;
                        if e.mask.intersects(gone) {
                            w.lost.store(true, Ordering::Release);
                        }
                    }
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            false
        }
    }

    /// The watch of `dir`, shared with other handles that watch it.
    fn watch(&mut self, dir: &Path) -> Option<Arc<Watched>> {
        #[cfg(target_os = "linux")]
        {
            // The events that may mean a folder changed: a name added,
            // removed or renamed, a file written, the directory itself
            // moved or removed.
            let mask = WatchMask::CREATE
                | WatchMask::DELETE
                | WatchMask::MOVED_FROM
                | WatchMask::MOVED_TO
                | WatchMask::MODIFY
                | WatchMask::ATTRIB
                | WatchMask::CLOSE_WRITE
                | WatchMask::DELETE_SELF
                | WatchMask::MOVE_SELF
                | WatchMask::ONLYDIR;
            self.remove_gone();
            let wd = self.inotify.watches().add(dir, mask).ok()?;
            let id = wd.get_watch_descriptor_id();
            if let Some(w) = self.watches.get(&id).and_then(Weak::upgrade) {
                return Some(w);
            }
            let w = Arc::new(Watched {
                wd,
                events: AtomicU64::new(0),
                lost: AtomicBool::new(false),
            });
            self.watches.insert(id, Arc::downgrade(&w));
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
    /// The counts read before the snapshot was last found equal to the
    /// disk; `None` until then, or since it may differ.
    armed: Mutex<Option<Vec<u64>>>,
}

impl Clone for FolderWatch {
    /// A copy that is not armed: it has not compared its snapshot with
    /// the disk.
    fn clone(&self) -> FolderWatch {
        FolderWatch {
            dirs: self.dirs.clone(),
            armed: Mutex::new(None),
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
        let notices = notices()?;
        if !dirs.iter().all(|d| is_local(d)) {
            return None;
        }
        let mut n = notices.lock().ok()?;
        let dirs = dirs
            .iter()
            .map(|d| n.watch(d))
            .collect::<Option<Vec<_>>>()?;
        drop(n);
        Some(FolderWatch {
            dirs,
            armed: Mutex::new(None),
        })
    }

    /// The counts now, every event queued read first; `None` when they say
    /// nothing (a watch lost, or the queue could not be read).
    pub fn counts(&self) -> Option<Counts> {
        if !notices()?.lock().ok()?.drain() {
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
        if let Ok(mut armed) = self.armed.lock() {
            *armed = counts.map(|Counts(c)| c);
        }
    }

    /// Forgets the counts: the next question looks at the disk.
    pub fn disarm(&self) {
        self.arm(None);
    }

    /// True when the handle is armed and no event came since.
    pub fn quiet(&self) -> bool {
        let Ok(armed) = self.armed.lock() else {
            return false;
        };
        armed
            .as_ref()
            .is_some_and(|at| self.counts().is_some_and(|Counts(now)| now == *at))
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

    /// Handles of one directory share its watch: the last to go removes
    /// it, and one that comes after it watches again.
    #[test]
    fn a_watch_outlives_all_but_the_last_handle() {
        let dir = tempfile::tempdir().unwrap();
        if !is_local(dir.path()) {
            return;
        }
        let first = FolderWatch::new(&[dir.path()]).unwrap();
        let second = FolderWatch::new(&[dir.path()]).unwrap();
        drop(first);
        second.arm(second.counts());
        assert!(second.quiet());
        std::fs::write(dir.path().join("a"), "x").unwrap();
        assert!(!second.quiet(), "the watch stayed for the second handle");
        drop(second);
        let third = FolderWatch::new(&[dir.path()]).unwrap();
        third.arm(third.counts());
        assert!(third.quiet());
        std::fs::write(dir.path().join("b"), "x").unwrap();
        assert!(!third.quiet(), "watched again after the last handle went");
    }
}
