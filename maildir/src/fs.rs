//! The file-system calls the store makes, behind a small trait.
//!
//! Every call that can fail in a way a test wants to provoke (a full disk
//! during a write, a permission error on link, a crash between fsync and
//! rename) goes through [`FileSystem`]. [`OsFs`] forwards to `std::fs`;
//! a test wraps it and overrides one method to inject a fault.

use std::ffi::OsString;
use std::fmt::Debug;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

/// File-system operations used by the store.
///
/// All methods have default implementations that call the operating
/// system, so an implementation that injects faults overrides only the
/// calls it is interested in.
///
/// # Examples
///
/// A file system whose disk is always full:
///
/// ```
/// use std::{fs::File, io};
/// use maildir::fs::FileSystem;
///
/// #[derive(Debug)]
/// struct FullDisk;
/// impl FileSystem for FullDisk {
///     fn write_all(&self, _file: &mut File, _buf: &[u8]) -> io::Result<()> {
///         Err(io::Error::from_raw_os_error(libc::ENOSPC))
///     }
/// }
/// # let _ = FullDisk;
/// ```
pub trait FileSystem: Debug + Send + Sync {
    /// Creates a new file, failing if it exists (`O_CREAT|O_EXCL`).
    fn create_new(&self, path: &Path, mode: u32) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(path)
    }

    /// Opens a file for reading.
    fn open(&self, path: &Path) -> io::Result<File> {
        File::open(path)
    }

    /// Opens a file for reading and appending, creating it with `mode` if
    /// it does not exist.
    fn open_append(&self, path: &Path, mode: u32) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(mode)
            .open(path)
    }

    /// Opens a file for reading and writing at chosen offsets (no
    /// `O_APPEND`), creating it with `mode` if it does not exist.
    fn open_rw_create(&self, path: &Path, mode: u32) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(mode)
            .open(path)
    }

    /// Opens an existing file for reading and writing.
    fn open_rw(&self, path: &Path) -> io::Result<File> {
        OpenOptions::new().read(true).write(true).open(path)
    }

    /// Writes the whole buffer.
    fn write_all(&self, file: &mut File, buf: &[u8]) -> io::Result<()> {
        file.write_all(buf)
    }

    /// Flushes a file's data and metadata to the disk (`fsync`).
    fn sync_file(&self, file: &File) -> io::Result<()> {
        file.sync_all()
    }

    /// Flushes a file's data, and the metadata needed to read it back
    /// (its size), to the disk (`fdatasync`).
    fn sync_data(&self, file: &File) -> io::Result<()> {
        file.sync_data()
    }

    /// Flushes a directory's entries to the disk (`fsync` on the directory),
    /// which makes a link, rename or unlink in it durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }

    /// Makes several open files and directories durable at once, as an
    /// `fsync` of each would: a batch of deliveries calls this once for
    /// the message files it wrote, and once for the directories it linked
    /// them into and the UID lists it appended to (group commit).
    ///
    /// The default: one handle is `fsync`ed; more handles are grouped by
    /// device and each group is covered by one `syncfs(2)` on Linux (one
    /// journal commit instead of one per file; it also flushes whatever
    /// else is dirty on that file system), or an `fsync` of each
    /// elsewhere. `syncfs` reports a write-back error of the file system
    /// that happened since the handle it is called on was opened (Linux
    /// 5.8 and later), so pass handles opened before the data was written.
    fn sync_batch(&self, handles: &[&File]) -> io::Result<()> {
        match handles {
            [] => Ok(()),
            [one] => one.sync_all(),
            many => sync_by_device(many),
        }
    }

    /// Creates a hard link `to` pointing at `from`; fails if `to` exists.
    fn hard_link(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::hard_link(from, to)
    }

    /// Renames `from` to `to`, replacing `to` atomically.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    /// Removes a file.
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    /// Creates one directory with `mode`.
    fn create_dir(&self, path: &Path, mode: u32) -> io::Result<()> {
        std::fs::DirBuilder::new().mode(mode).create(path)
    }

    /// Removes a directory and everything below it.
    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_dir_all(path)
    }

    /// Lists the names in a directory (without `.` and `..`).
    fn read_dir(&self, dir: &Path) -> io::Result<Vec<OsString>> {
        std::fs::read_dir(dir)?
            .map(|entry| entry.map(|e| e.file_name()))
            .collect()
    }

    /// `stat`, following symbolic links (a Maildir may itself be one).
    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        std::fs::metadata(path)
    }

    /// The names in a directory, as [`FileSystem::read_dir`] gives them,
    /// each with the length and modification time its
    /// [`FileSystem::metadata`] gives. [`OsFs`] looks at each relative to
    /// the open directory, without walking its path again.
    fn read_dir_stat(&self, dir: &Path) -> io::Result<StatListing> {
        Ok(self
            .read_dir(dir)?
            .into_iter()
            .map(|name| {
                let stat = self
                    .metadata(&dir.join(&name))
                    .ok()
                    .and_then(|m| len_and_time(&m));
                (name, stat)
            })
            .collect())
    }
}

/// One `syncfs` per device among `handles` (Linux), else `fsync` each.
fn sync_by_device(handles: &[&File]) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let mut done: Vec<u64> = Vec::new();
        for h in handles {
            let dev = h.metadata()?.dev();
            if done.contains(&dev) {
                continue;
            }
            // SAFETY: the descriptor is open for as long as `h` is borrowed;
            // syncfs only reads it.
            if unsafe { libc::syncfs(h.as_raw_fd()) } != 0 {
                return Err(io::Error::last_os_error());
            }
            done.push(dev);
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        handles.iter().try_for_each(|h| h.sync_all())
    }
}

/// The operating system's file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsFs;

impl FileSystem for OsFs {
    fn read_dir_stat(&self, dir: &Path) -> io::Result<StatListing> {
        let names = self.read_dir(dir)?;
        // Each name looked at relative to the open directory (`fstatat`,
        // following symbolic links as `metadata` does), without walking
        // the directory's path again. A large listing is shared among
        // threads: one `stat` is a system call of a few microseconds, and
        // the first open of a folder of 100,000 messages makes 100,000.
        let handle = File::open(dir)?;
        let fd = handle.as_raw_fd();
        let threads = if names.len() < STAT_PER_THREAD * 2 {
            1
        } else {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(names.len() / STAT_PER_THREAD)
                .min(MAX_STAT_THREADS)
        };
        let chunk = names.len().div_ceil(threads.max(1)).max(1);
        let stat_all = |part: &[OsString]| -> Vec<Option<SizeAndTime>> {
            part.iter().map(|n| stat_at(fd, n)).collect()
        };
        let stats: Vec<Option<SizeAndTime>> = if threads <= 1 {
            stat_all(&names)
        } else {
            std::thread::scope(|s| {
                let mut parts = names.chunks(chunk);
                let first = parts.next().unwrap_or_default();
                let others: Vec<_> = parts.map(|p| s.spawn(move || stat_all(p))).collect();
                let mut stats = stat_all(first);
                for o in others {
                    match o.join() {
                        Ok(part) => stats.extend(part),
                        Err(panic) => std::panic::resume_unwind(panic),
                    }
                }
                stats
            })
        };
        drop(handle);
        Ok(names.into_iter().zip(stats).collect())
    }
}

/// Below this many names per thread, [`OsFs::read_dir_stat`] does not
/// share its work: starting a thread costs about as much as 20 `stat`s.
const STAT_PER_THREAD: usize = 4096;

/// At most this many threads look at one listing.
const MAX_STAT_THREADS: usize = 4;

/// The length and modification time of `name` in the directory open as
/// `dir`, following a symbolic link; `None` when it cannot be read (gone
/// since the listing, or a name with a NUL).
fn stat_at(dir: std::os::fd::RawFd, name: &std::ffi::OsStr) -> Option<SizeAndTime> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(name.as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `dir` is an open descriptor for the duration of the call,
    // `c` a NUL-terminated name, and `st` room for one `stat`, read only
    // when the call succeeds.
    let st = unsafe {
        if libc::fstatat(dir, c.as_ptr(), st.as_mut_ptr(), 0) != 0 {
            return None;
        }
        st.assume_init()
    };
    let len = u64::try_from(st.st_size).ok()?;
    let nanos = u32::try_from(st.st_mtime_nsec).ok()?;
    let time = match u64::try_from(st.st_mtime) {
        Ok(secs) => SystemTime::UNIX_EPOCH.checked_add(std::time::Duration::new(secs, nanos))?,
        Err(_) => SystemTime::UNIX_EPOCH
            .checked_sub(std::time::Duration::from_secs(st.st_mtime.unsigned_abs()))?
            .checked_add(std::time::Duration::from_nanos(nanos.into()))?,
    };
    Some((len, time))
}

/// A file's length and modification time.
pub type SizeAndTime = (u64, SystemTime);

/// What [`FileSystem::read_dir_stat`] gives: each name, with its length
/// and modification time (`None` where they could not be read).
pub type StatListing = Vec<(OsString, Option<SizeAndTime>)>;

fn len_and_time(m: &Metadata) -> Option<SizeAndTime> {
    Some((m.len(), m.modified().ok()?))
}

/// `path` opened for reading, with its metadata (of the handle: the file
/// opened, whatever replaces it at the path since).
pub(crate) fn open_with_metadata(fs: &dyn FileSystem, path: &Path) -> io::Result<(File, Metadata)> {
    let file = fs.open(path)?;
    let meta = file.metadata()?;
    Ok((file, meta))
}

/// [`open_with_metadata`]; `None` when there is no such file.
pub(crate) fn open_existing(
    fs: &dyn FileSystem,
    path: &Path,
) -> crate::Result<Option<(File, Metadata)>> {
    match open_with_metadata(fs, path) {
        Ok(found) => Ok(Some(found)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(crate::Error::io("open", path, e)),
    }
}

/// A shared handle to a [`FileSystem`].
pub type SharedFs = Arc<dyn FileSystem>;

/// The default shared handle: [`OsFs`].
pub fn os() -> SharedFs {
    Arc::new(OsFs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The operating system's listing with lengths and dates, shared among
    /// threads or not, gives each name what `metadata` gives for it: a
    /// chunk handed back out of order would pair names with another
    /// file's length.
    #[test]
    fn listing_with_stat_pairs_each_name_with_its_own_metadata() {
        let dir = tempfile::tempdir().unwrap();
        for count in [0, 3, STAT_PER_THREAD * 2 + 17] {
            let sub = dir.path().join(count.to_string());
            std::fs::create_dir(&sub).unwrap();
            for i in 0..count {
                // Every file a different length.
                std::fs::write(sub.join(format!("m{i}")), vec![b'x'; i]).unwrap();
            }
            std::os::unix::fs::symlink(sub.join("m0"), sub.join("link")).unwrap();
            std::os::unix::fs::symlink(sub.join("nowhere"), sub.join("dangling")).unwrap();
            let listing = OsFs.read_dir_stat(&sub).unwrap();
            assert_eq!(listing.len(), count + 2);
            for (name, stat) in listing {
                let expected = std::fs::metadata(sub.join(&name))
                    .ok()
                    .and_then(|m| len_and_time(&m));
                assert_eq!(stat, expected, "{name:?}");
                if name != "dangling" && !(count == 0 && name == "link") {
                    assert!(stat.is_some(), "{name:?}");
                }
            }
        }
    }
}
