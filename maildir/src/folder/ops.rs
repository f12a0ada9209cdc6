//! Folder operations beyond the snapshot: copying a file in, keyword
//! letters, keeping the UID list (new UIDs, compaction), and replacing a
//! small control file atomically.

use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;

use super::{COMPACT_MIN_STALE, KEYWORDS_NAME, MaildirFolder, next_generation};
use crate::error::{Error, Result};
use crate::flags::{Flags, Keywords};
use crate::fs::SharedFs;
use crate::lock::FolderLock;
use crate::maildir::{MailEntry, Subdir};
use crate::name;
use crate::snapshot::Location;
use crate::uidlist::{ListState, Mark, UidList, push_entry_line};

impl MaildirFolder {
    fn keywords_stamp_now(&self) -> Option<(u64, i64, i64, u64)> {
        let p = self.md.path().join(KEYWORDS_NAME);
        self.fs()
            .metadata(&p)
            .ok()
            .map(|m| (m.ino(), m.mtime(), m.mtime_nsec(), m.len()))
    }

    pub(super) fn keywords_changed(&self) -> bool {
        self.keywords_stamp_now() != self.keywords_stamp
    }

    pub(super) fn reload_keywords(&mut self) -> Result<()> {
        let stamp = self.keywords_stamp_now();
        if stamp == self.keywords_stamp {
            return Ok(());
        }
        let p = self.md.path().join(KEYWORDS_NAME);
        self.keywords = match std::fs::read(&p) {
            Ok(bytes) => Keywords::parse(&String::from_utf8_lossy(&bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Keywords::default(),
            Err(e) => return Err(Error::io("read", p, e)),
        };
        self.keywords_stamp = stamp;
        self.generation = next_generation();
        Ok(())
    }

    /// Copies a message file into this folder (hard link when possible,
    /// so the internal date and the bytes are shared), with `flags`, and
    /// gives it a UID here.
    pub fn copy_in(&mut self, src: &Path, flags: Flags) -> Result<u32> {
        let fs = self.fs().clone();
        let meta = fs.metadata(src).map_err(|e| Error::io("stat", src, e))?;
        let src_base = src
            .file_name()
            .and_then(|n| n.to_str())
            .map(name::base_of)
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
        let wanted = linked.iter().map(|(_, name)| (*name).to_owned()).collect();
        self.ensure_uids(wanted, false)?;
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

impl MaildirFolder {
    /// Gives UIDs to the `wanted` file names whose bases have none, under
    /// the folder lock. If the
    /// UID list is missing or corrupt, builds a new one (new UIDVALIDITY)
    /// for every message present: those of a listing made for it, unless
    /// `wanted` are (`complete`) every message a listing of both
    /// directories just found. One delivered since is given its UID by the
    /// next refresh, as one delivered after the listing would be.
    pub(super) fn ensure_uids(&mut self, wanted: Vec<String>, complete: bool) -> Result<()> {
        let lock = FolderLock::acquire(self.fs(), self.md.path())?;
        self.uidfile.refresh(self.md.file_system())?;
        self.uidfile.load(self.md.file_system())?;
        let mut rewrite = self.uidfile.partial_tail || self.uidfile.list.from_v1;
        let mut todo = wanted;
        // A new list, made here by pushes alone.
        let made = self.uidfile.state != ListState::Valid;
        if made {
            let previous = [Some(self.validity), self.uidfile.salvaged_validity]
                .into_iter()
                .flatten()
                .filter(|v| *v != 0)
                .max();
            self.uidfile.list = Arc::new(UidList::new(previous));
            rewrite = true;
            if !complete {
                todo.extend(self.md.list()?.into_iter().map(|e| e.name));
            }
        }
        // In delivery order: each name's time read once, not at every
        // comparison (a new UID list for 100,000 names took 0.4 s more).
        let mut todo: Vec<((u64, u32), usize, String)> = todo
            .into_iter()
            .filter_map(|name| {
                let base = name::base_of(&name).len();
                if self.uidfile.list.uid_of(&name[..base]).is_some() {
                    return None;
                }
                let (secs, usecs, _) = name::delivery_order_key(&name[..base]);
                Some(((secs, usecs), base, name))
            })
            .collect();
        todo.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.2[..a.1].cmp(&b.2[..b.1])));
        todo.dedup_by(|a, b| a.2[..a.1] == b.2[..b.1]);
        if todo.is_empty() && !rewrite {
            lock.release();
            return Ok(());
        }
        // The lines to append (none when the whole list is written).
        let mut text = String::new();
        let list = Arc::make_mut(&mut self.uidfile.list);
        list.by_base.reserve(todo.len());
        for (_, _, file_name) in todo {
            let uid = list.next_uid;
            list.push(uid, file_name, String::new());
            if !rewrite && let Some(e) = list.entries.get(&uid) {
                push_entry_line(&mut text, uid, e);
            }
        }
        let tmp = self.md.path().join("tmp");
        let result = if rewrite {
            self.uidfile
                .rewrite(self.md.file_system(), &tmp, self.md.path(), made)
        } else {
            self.uidfile.append(self.md.file_system(), &text)
        };
        lock.release();
        result
    }

    /// Rewrites the UID list without the lines of expunged messages when
    /// they pile up. Lines at or above the UIDNEXT we knew before the
    /// listing may belong to messages delivered since; they are kept.
    pub(super) fn maybe_compact(&mut self) -> Result<()> {
        let live = self.messages.len();
        let total = self.uidfile.list.entries.len();
        let stale = total.saturating_sub(live);
        if stale < COMPACT_MIN_STALE || stale <= live {
            return Ok(());
        }
        let horizon = self.messages.last().map_or(0, |m| m.uid);
        let lock = FolderLock::acquire(self.fs(), self.md.path())?;
        self.uidfile.refresh(self.md.file_system())?;
        if self.uidfile.state != ListState::Valid || self.uidfile.list.validity != self.validity {
            lock.release();
            return Ok(());
        }
        let drop: Vec<u32> = self
            .uidfile
            .list
            .entries
            .keys()
            .copied()
            .filter(|uid| *uid <= horizon && self.index_of(*uid).is_none())
            .collect();
        let list = Arc::make_mut(&mut self.uidfile.list);
        for uid in drop {
            list.remove(uid);
        }
        // Write the current names, so the list stays a good guess.
        for m in self.messages.iter() {
            if let (Some(e), Location::Maildir(me)) = (list.entries.get_mut(&m.uid), &m.location)
                && e.name != me.name.as_str()
            {
                me.name.as_str().clone_into(&mut e.name);
            }
        }
        let tmp = self.md.path().join("tmp");
        let result = self
            .uidfile
            .rewrite(self.md.file_system(), &tmp, self.md.path(), false);
        lock.release();
        result
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
