//! Mod-sequences of a folder's messages (RFC 7162 section 3.1), kept in
//! the `missive-modseq` log (see [`crate::modseq`]) and carried in the
//! snapshot.
//!
//! A message needs a new mod-sequence when it has none (new mail) or when
//! its flags differ from those its mod-sequence was given for (a flag
//! change by this handle, by another session or by another mail reader
//! renaming the file). New ones are given under the folder lock, after
//! reading what others appended, so that every change gets a
//! mod-sequence greater than any given before it.

use std::io;

use super::MaildirFolder;
use crate::error::{Error, Result};
use crate::flags::{FlagOp, Flags};
use crate::lock::FolderLock;
use crate::modseq::{Found, Line};
use crate::snapshot::{Location, position};
use crate::uidlist::ListState;

/// The log is rewritten once it holds this many lines and more than
/// twice as many as there are messages.
const COMPACT_MIN_LINES: usize = 1000;

/// What a conditional STORE did ([`Folder::store_flags`](crate::Folder::store_flags)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stored {
    /// Each message stored to (or whose flags were already as asked),
    /// ascending by UID, with its flags and mod-sequence now.
    pub messages: Vec<(u32, Flags, u64)>,
    /// Messages left alone because their mod-sequence is above the
    /// UNCHANGEDSINCE given (RFC 7162 section 3.1.3, `[MODIFIED ...]`).
    pub modified: Vec<u32>,
}

impl MaildirFolder {
    /// The folder's HIGHESTMODSEQ (RFC 7162 section 3.1.2.1): never less
    /// than a mod-sequence any of its messages ever had.
    /// Costs nothing: every mod-sequence a message gets is read from the
    /// log or given by [`ModSeqLog::next`](crate::modseq::ModSeqLog::next),
    /// both of which raise the log's highest.
    pub fn highest_modseq(&self) -> u64 {
        self.modseqs.highest
    }

    /// Reads what others appended to the log and takes their
    /// mod-sequences.
    fn read_modseqs(&mut self) -> Result<bool> {
        let fs = self.fs().clone();
        // The first read after a mark taken from the snapshot index reads
        // the lines appended since the index was written: they are looked
        // at as the lines of a whole read are, for expunges behind the
        // log's back. The lines before the mark are not read again.
        let after_index = self.modseqs.is_adopted();
        match self.modseqs.refresh(&fs, self.validity)? {
            Found::Appended(lines) => {
                self.apply_lines(&lines);
                self.note_expunges(&lines, after_index);
                Ok(true)
            }
            Found::Whole(lines) => {
                self.apply_lines(&lines);
                self.note_expunges(&lines, true);
                Ok(true)
            }
            Found::Void => Ok(false),
        }
    }

    /// Keeps [`MaildirFolder::gone`] to the expunges the log lacks: those
    /// logged (by anyone) leave it, and on a read of the whole log, each
    /// message it shows with flags that the snapshot lacks, though its UID
    /// was given before the last listing began, was removed behind the
    /// log's back (by another mail reader, or while no server ran) and
    /// joins it.
    fn note_expunges(&mut self, lines: &[Line], whole: bool) {
        let logged: std::collections::HashSet<u32> =
            lines.iter().filter(|l| l.expunged).map(|l| l.uid).collect();
        if !logged.is_empty() {
            self.gone.retain(|u| !logged.contains(u));
        }
        if !whole || self.listed_below == 0 {
            return;
        }
        let before = self.gone.len();
        for l in lines {
            if !l.expunged
                && l.uid < self.listed_below
                && !logged.contains(&l.uid)
                && position(&self.messages, l.uid).is_none()
            {
                self.gone.push(l.uid);
            }
        }
        if self.gone.len() != before {
            self.gone.sort_unstable();
            self.gone.dedup();
        }
    }

    /// The UIDs expunged from the folder at a mod-sequence above `since`
    /// (RFC 7162 section 3.2.6), ascending; `None` when the log does not
    /// go back that far, in which case every UID the folder does not hold
    /// counts as expunged.
    pub fn expunged_since(&mut self, since: u64) -> Result<Option<Vec<u32>>> {
        if !self.gone.is_empty() {
            self.update_modseqs_if_writable()?;
        }
        let fs = self.fs().clone();
        let Some(mut uids) = self.modseqs.expunged_since(&fs, self.validity, since)? else {
            return Ok(None);
        };
        // Expunges not logged yet (a folder this process cannot write).
        uids.extend(self.gone.iter().copied());
        uids.sort_unstable();
        uids.dedup();
        uids.retain(|&u| position(&self.messages, u).is_none());
        Ok(Some(uids))
    }

    fn apply_lines(&mut self, lines: &[Line]) {
        let wanted = |msgs: &[crate::MessageInfo], l: &Line| {
            if l.expunged {
                return None;
            }
            position(msgs, l.uid).filter(|&i| msgs.get(i).is_some_and(|m| l.modseq > m.modseq))
        };
        if !lines.iter().any(|l| wanted(&self.messages, l).is_some()) {
            return;
        }
        let held = self.index_holds();
        let msgs = self.messages.make_mut();
        for l in lines {
            if let Some(i) = wanted(msgs, l)
                && let Some(m) = msgs.get_mut(i)
            {
                m.modseq = l.modseq;
                m.modseq_flags = l.flags;
            }
        }
        self.index_still_holds(held);
    }

    /// [`MaildirFolder::update_modseqs`] for a refresh: a folder this
    /// process may only read still opens (its messages without a
    /// mod-sequence show none).
    pub(crate) fn update_modseqs_if_writable(&mut self) -> Result<()> {
        match self.update_modseqs() {
            Err(Error::Io { source, .. })
                if matches!(
                    source.kind(),
                    io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
                ) =>
            {
                Ok(())
            }
            other => other,
        }
    }

    /// Gives mod-sequences to the messages that need one; called after
    /// every refresh that listed a directory, and after this handle
    /// changed something.
    pub(crate) fn update_modseqs(&mut self) -> Result<()> {
        if self.validity == 0 || self.uidfile.state != ListState::Valid || self.modseq_locked {
            return Ok(());
        }
        let valid = self.read_modseqs()?;
        let needed = !self.gone.is_empty() || self.messages.any_needs_modseq();
        let bloated = self.modseqs.old_version
            || (self.modseqs.count >= COMPACT_MIN_LINES
                && self.modseqs.count > 2 * self.messages.len());
        if valid && !needed && !bloated {
            return Ok(());
        }
        let lock = FolderLock::acquire(self.fs(), self.md.path())?;
        let r = self.assign_modseqs_locked(bloated, Vec::new());
        lock.release();
        r
    }

    /// Gives mod-sequences under the folder lock: reads the log's tail,
    /// then appends a line for each message that still needs one and the
    /// `given` lines (or rewrites the log when it is missing, another
    /// UIDVALIDITY's or `compact`).
    fn assign_modseqs_locked(&mut self, compact: bool, given: Vec<Line>) -> Result<()> {
        let valid = self.read_modseqs()?;
        let mut lines = given;
        // Expunges first: a message's expunge is above any mod-sequence it
        // had.
        for uid in std::mem::take(&mut self.gone) {
            lines.push(Line::expunge(uid, self.modseqs.next()));
        }
        if self.messages.any_needs_modseq() {
            let held = self.index_holds();
            let msgs = self.messages.make_mut();
            for m in msgs.iter_mut().filter(|m| m.needs_modseq()) {
                // A listing older than the log's last line for the message
                // (another session renamed it and logged it in between)
                // gives it one more mod-sequence for the flags listed;
                // the next listing sees the file as renamed and gives it
                // another: one too many, never one too few.
                m.modseq = self.modseqs.next();
                m.modseq_flags = m.flags;
                lines.push(Line::flags(m.uid, m.modseq, m.flags));
            }
            self.index_still_holds(held);
        }
        if valid && !compact && !self.modseqs.old_version {
            let fs = self.fs().clone();
            let r = self.modseqs.append(&fs, &lines);
            if r.is_err() {
                // Not logged: given again at the next try.
                self.gone
                    .extend(lines.iter().filter(|l| l.expunged).map(|l| l.uid));
            }
            return r;
        }
        // A new log: every message that has a mod-sequence, and the
        // highest in the header, above which it knows every expunge.
        let all: Vec<Line> = self
            .messages
            .iter()
            .filter(|m| m.modseq != 0)
            .map(|m| Line::flags(m.uid, m.modseq, m.modseq_flags))
            .collect();
        let fs = self.fs().clone();
        let tmp = self.md.path().join("tmp");
        self.modseqs.rewrite(&fs, &tmp, self.validity, &all)
    }

    /// STORE with an optional UNCHANGEDSINCE (RFC 7162 section 3.1.3):
    /// changes the flags of the messages `uids` whose mod-sequence is not
    /// above `unchanged_since`, and gives each message whose flags changed
    /// a new mod-sequence (a message whose flags were already as asked
    /// keeps its own, section 3.1.11). The check and the change are made
    /// under the folder lock, so no other session of this store changes
    /// the messages in between.
    pub fn store_flags(
        &mut self,
        uids: &[u32],
        op: FlagOp,
        flags: Flags,
        unchanged_since: Option<u64>,
    ) -> Result<Stored> {
        let mut uids = uids.to_vec();
        uids.sort_unstable();
        uids.dedup();
        let lock = FolderLock::acquire(self.fs(), self.md.path())?;
        self.modseq_locked = true;
        let r = self.store_locked(&uids, op, flags, unchanged_since);
        self.modseq_locked = false;
        let r = r.and_then(|(modified, retry, lines)| {
            self.assign_modseqs_locked(false, lines)?;
            Ok((modified, retry))
        });
        lock.release();
        let (mut modified, retry) = r?;
        for uid in retry {
            if unchanged_since.is_some() {
                // Renamed by someone else since the listing: changed.
                if self.message(uid).is_some() {
                    modified.push(uid);
                }
                continue;
            }
            match self.set_flags(uid, op, flags) {
                Ok(_) | Err(Error::NoSuchMessage(_)) => {}
                Err(e) => return Err(e),
            }
        }
        modified.sort_unstable();
        let messages = uids
            .iter()
            .filter(|u| modified.binary_search(u).is_err())
            .filter_map(|&u| self.message(u).map(|m| (u, m.flags, m.modseq)))
            .collect();
        Ok(Stored { messages, modified })
    }

    /// The renames of [`MaildirFolder::store_flags`], lock held: returns
    /// the messages that failed the UNCHANGEDSINCE test, those renamed by
    /// someone else meanwhile (to try again), and the log lines of the
    /// mod-sequences given.
    #[allow(clippy::type_complexity)]
    fn store_locked(
        &mut self,
        uids: &[u32],
        op: FlagOp,
        flags: Flags,
        unchanged_since: Option<u64>,
    ) -> Result<(Vec<u32>, Vec<u32>, Vec<Line>)> {
        self.read_modseqs()?;
        let mut modified = Vec::new();
        let mut retry = Vec::new();
        let mut lines = Vec::new();
        for &uid in uids {
            let Some(i) = self.index_of(uid) else {
                continue;
            };
            let Some(m) = self.messages.get(i) else {
                continue;
            };
            if unchanged_since.is_some_and(|limit| m.modseq > limit) {
                modified.push(uid);
                continue;
            }
            let new = m.flags.apply(op, flags);
            if new == m.flags {
                continue;
            }
            let Location::Maildir(entry) = &m.location else {
                continue;
            };
            match self.md.set_flags(&entry.to_mail_entry(), new) {
                Ok(to) => {
                    let modseq = self.modseqs.next();
                    self.generation = super::next_generation();
                    if let Some(m) = self.messages.make_mut().get_mut(i) {
                        if m.is_new() {
                            // Renamed into cur/.
                            self.new_count = self.new_count.saturating_sub(1);
                        }
                        m.flags = new;
                        m.location = Location::Maildir(to.into());
                        m.modseq = modseq;
                        m.modseq_flags = new;
                    }
                    lines.push(Line::flags(uid, modseq, new));
                }
                Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                    retry.push(uid);
                }
                Err(e) => return Err(e),
            }
        }
        Ok((modified, retry, lines))
    }
}
