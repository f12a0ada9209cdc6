//! An open folder: its snapshot and the operations on its messages.

use std::fs::File;
use std::io::{self, Read};
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::flags::{FlagOp, Flags, Keywords};
use crate::folder::MaildirFolder;
use crate::mbox::{MboxFolder, MboxReader};
use crate::snapshot::{Changes, Location, MessageInfo};

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
    pub(super) name: String,
    pub(super) inner: Inner,
    /// What [`Folder::read_message_crlf_into`] reads a message into
    /// before its line ends are made CRLF, kept for the next one.
    pub(super) scratch: Vec<u8>,
}

/// The largest buffer a folder keeps for reading messages.
const SCRATCH_MAX: usize = 1 << 20;

#[derive(Debug)]
pub(super) enum Inner {
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

    /// Each message's UID and flags, ascending by UID: for a Maildir
    /// folder just started from its snapshot index, without reading the
    /// rest of the index (all an IMAP SELECT needs).
    pub fn uid_flags(&self) -> crate::UidFlags<'_> {
        match &self.inner {
            Inner::Maildir(f) => f.uid_flags(),
            Inner::Mbox(f) => crate::UidFlags::messages(f.messages()),
        }
    }

    /// The UIDs and flags of a Maildir folder just started from its
    /// snapshot index (until the snapshot changes), as the index holds
    /// them: runs of UIDs, the distinct flags and each message's index
    /// among them, to build a message list from with no work per message
    /// beyond storing it. `None` otherwise; [`Folder::uid_flags`] gives
    /// the same always.
    pub fn flag_runs(&self) -> Option<crate::FlagRuns<'_>> {
        match &self.inner {
            Inner::Maildir(f) => f.flag_runs(),
            Inner::Mbox(_) => None,
        }
    }

    /// The number of messages of the snapshot.
    pub fn message_count(&self) -> usize {
        match &self.inner {
            Inner::Maildir(f) => f.message_count(),
            Inner::Mbox(f) => f.messages().len(),
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

    /// A cheap check (a few `stat`s; for a Maildir on a local file system
    /// of Linux, one `read` of its change notices and one `stat` while
    /// nothing was written in it) whether [`Folder::refresh`] may find
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
                Ok(k) => {
                    n += k;
                    // A short read of the size the name or the snapshot
                    // gave is the end of the file: no read for the EOF.
                    if n < raw.len() && n as u64 == size {
                        break;
                    }
                }
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

    /// The UIDs expunged at a mod-sequence above `since` (QRESYNC, RFC
    /// 7162 sections 3.2.5.1 and 3.2.6), ascending. Every expunge is given
    /// a mod-sequence (section 3.2.7), including a message another mail
    /// reader removed, once a refresh finds it gone. `None` when the folder
    /// does not remember expunges that far back (the log was rewritten
    /// since, or it keeps no mod-sequences, as mbox): every UID not in the
    /// folder then counts as expunged (the note in section 3.2.6).
    pub fn expunged_since(&mut self, since: u64) -> Result<Option<Vec<u32>>> {
        match &mut self.inner {
            Inner::Maildir(f) => f.expunged_since(since),
            Inner::Mbox(_) => Ok(None),
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
                let path = src.maildir().name_path(e.subdir, e.name.as_str());
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
