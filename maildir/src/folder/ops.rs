//! Folder operations beyond the snapshot: copying a file in, keyword
//! letters, and replacing a small control file atomically.

use std::fs::File;
use std::io;
use std::path::Path;

use super::{KEYWORDS_NAME, MaildirFolder, next_generation};
use crate::error::{Error, Result};
use crate::flags::Flags;
use crate::fs::SharedFs;
use crate::lock::FolderLock;
use crate::maildir::{MailEntry, Subdir};
use crate::name;
use crate::uidlist::{ListState, Mark};

impl MaildirFolder {
    /// Copies a message file into this folder (hard link when possible,
    /// so the internal date and the bytes are shared), with `flags`, and
    /// gives it a UID here.
    pub fn copy_in(&mut self, src: &Path, flags: Flags) -> Result<u32> {
        let fs = self.fs().clone();
        let meta = fs.metadata(src).map_err(|e| Error::io("stat", src, e))?;
        let src_base = src
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.split(':').next())
            .unwrap_or_default();
        let base = match name::vsize_from_base(src_base) {
            Some(w) => format!("{},S={},W={w}", name::unique_name(), meta.len()),
            None => format!("{},S={}", name::unique_name(), meta.len()),
        };
        let entry = MailEntry {
            subdir: Subdir::Cur,
            name: name::cur_name(&base, flags, None),
        };
        let target = self.md.entry_path(&entry);
        match fs.hard_link(src, &target) {
            Ok(()) => {
                let dir = self.md.subdir_path(Subdir::Cur);
                if let Err(e) = fs.sync_dir(&dir) {
                    let _ = fs.remove_file(&target);
                    return Err(Error::io("fsync", dir, e));
                }
                self.assign_delivered(&base, &entry)
            }
            Err(_) => {
                let file = fs.open(src).map_err(|e| Error::io("open", src, e))?;
                self.append(file, Some(flags), meta.modified().ok())
            }
        }
    }

    /// The keyword letter index for `name`, allocating one (and writing
    /// `dovecot-keywords`) if `create` and it has none.
    pub fn keyword_index(&mut self, keyword: &str, create: bool) -> Result<Option<u8>> {
        self.reload_keywords()?;
        if let Some(i) = self.keywords.index_of(keyword) {
            return Ok(Some(i));
        }
        if !create {
            return Ok(None);
        }
        let lock = FolderLock::acquire(self.fs(), self.md.path())?;
        self.keywords_stamp = None;
        self.reload_keywords()?;
        let index = match self.keywords.index_of(keyword) {
            Some(i) => i,
            None => {
                let i = self.keywords.insert(keyword)?;
                let text = self.keywords.to_file();
                let tmp = self
                    .md
                    .path()
                    .join("tmp")
                    .join(name::unique_name() + ".keywords");
                let target = self.md.path().join(KEYWORDS_NAME);
                write_replace(self.fs(), &tmp, &target, text.as_bytes())?;
                self.keywords_stamp = self.keywords_stamp_now();
                self.generation = next_generation();
                i
            }
        };
        lock.release();
        Ok(Some(index))
    }
}

impl MaildirFolder {
    /// Marks the UID list before a batch links its files (see
    /// [`MaildirFolder::assign_batch`]); `None` when the handle already
    /// holds the list or there is none yet.
    pub fn mark_for_batch(&self) -> Option<Mark> {
        if self.uidfile.state == ListState::Valid {
            None
        } else {
            self.uidfile.mark(self.fs())
        }
    }

    /// Gives UIDs to messages a batch just linked into the folder
    /// (`(base, file name)` in delivery order; `mark` taken before the
    /// links), under one folder lock and with one append to the UID list.
    ///
    /// Returns the UIDs in the order of `linked` and, when lines were
    /// appended without a sync, the UID list file: the caller syncs it
    /// (with the folder's directory) before the deliveries count as done.
    /// On an error nothing is removed; the caller removes the messages.
    pub fn assign_batch(
        &mut self,
        mark: Option<Mark>,
        linked: &[(&str, &str)],
    ) -> Result<(Vec<u32>, Option<File>)> {
        if let Some(mark) = mark {
            let fs = self.fs().clone();
            let lock = FolderLock::acquire(&fs, self.md.path())?;
            let fast = self.uidfile.assign_many_after_mark(&fs, &mark, linked);
            lock.release();
            if let Some(done) = fast? {
                return Ok(done);
            }
        }
        // The list was replaced meanwhile, is missing or unusual: the
        // full path reads it whole (and syncs what it writes).
        let wanted = linked
            .iter()
            .map(|(base, name)| ((*base).to_owned(), (*name).to_owned()))
            .collect();
        self.ensure_uids(wanted)?;
        let uids = linked
            .iter()
            .map(|(base, _)| {
                self.uidfile
                    .list
                    .uid_of(base)
                    .ok_or(Error::NoSuchMessage(0))
            })
            .collect::<Result<Vec<u32>>>()?;
        Ok((uids, None))
    }
}

/// Writes `data` to `tmp`, fsyncs it and renames it over `target`.
pub(crate) fn write_replace(fs: &SharedFs, tmp: &Path, target: &Path, data: &[u8]) -> Result<()> {
    let written = (|| -> io::Result<()> {
        let mut f = fs.create_new(tmp, 0o600)?;
        fs.write_all(&mut f, data)?;
        fs.sync_file(&f)?;
        fs.rename(tmp, target)
    })();
    if let Err(e) = written {
        let _ = fs.remove_file(tmp);
        return Err(Error::io("write", target, e));
    }
    if let Some(dir) = target.parent() {
        fs.sync_dir(dir).map_err(|e| Error::io("fsync", dir, e))?;
    }
    Ok(())
}
