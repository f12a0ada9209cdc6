//! The message store: Maildir (with Maildir++ folders) and mbox (mboxrd),
//! with stable IMAP UIDs.
//!
//! - [`Maildir`]: one Maildir directory; durable delivery (write in
//!   `tmp/`, fsync, link into `new/`, fsync `new/`), flags in the file name,
//!   `tmp/` cleanup.
//! - [`Store`]: a user's mailboxes opened by a `mail_location` spec
//!   (`maildir:~/Maildir`, `mbox:/var/spool/mail/%u`); folders, delivery,
//!   subscriptions.
//! - [`Folder`]: an open folder with UIDVALIDITY, UIDNEXT and a snapshot of
//!   its messages (UID, flags, size, internal date) refreshed
//!   incrementally; reading as a stream, flag changes, expunge, copy and
//!   move. UIDs live in a `dovecot-uidlist` file (see [the UID
//!   list](crate#the-uid-list)), so a folder moved to Dovecot keeps them.
//!
//! The crate is synchronous (`std::fs`); async callers use
//! `spawn_blocking`. File-system calls go through [`FileSystem`], so tests
//! can inject failures.
//!
//! # Example: a delivery agent and a POP3-style reader
//!
//! ```
//! use std::io::Read;
//! use maildir::{Store, FlagOp, Flags, Flag};
//!
//! let home = tempfile::tempdir()?;
//! let store = Store::open("maildir:~/Maildir", "alice", Some(home.path()))?;
//! store.deliver("INBOX", b"Subject: one\r\n\r\n1\r\n")?;
//! store.deliver("INBOX", b"Subject: two\r\n\r\n2\r\n")?;
//!
//! let mut inbox = store.open_folder("INBOX")?;
//! println!("UIDVALIDITY {} UIDNEXT {}", inbox.uid_validity(), inbox.uid_next());
//! let uids: Vec<u32> = inbox.messages().iter().map(|m| m.uid()).collect();
//! for &uid in &uids {
//!     let mut text = Vec::new();
//!     inbox.open_message(uid)?.read_to_end(&mut text)?; // streamed from disk
//!     inbox.set_flags(uid, FlagOp::Add, Flags::from(Flag::Seen))?;
//! }
//! inbox.expunge(&uids[..1])?;
//! if inbox.has_changed()? {
//!     let changes = inbox.refresh()?; // what other processes did meanwhile
//!     assert!(changes.added.is_empty());
//! }
//! assert_eq!(inbox.messages().len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The UID list
//!
//! Each Maildir folder keeps its UIDs in `dovecot-uidlist` and its keyword
//! letters in `dovecot-keywords`, in Dovecot's formats (its Maildir
//! documentation, "IMAP UID mapping" and "IMAP Keywords"), so that a folder
//! handed to Dovecot keeps its UIDs and keywords, and the other way round.
//!
//! What we read:
//!
//! - version 3: a header `3 V<uidvalidity> N<uidnext> [G<guid>] [...]`
//!   (fields in any order, unknown ones kept), then `<uid> [<ext>] :<file
//!   name>` lines; the file name is the last known one, matched by its base
//!   (before `:`); extension fields such as `W<vsize>` are kept;
//! - version 1 (Courier's layout): `1 <uidvalidity> <uidnext>`, then
//!   `<uid> <file name>`; the next write replaces it with version 3;
//! - a line at or above the header's `N` raises UIDNEXT past it; a last
//!   line without its newline (a writer died) is ignored and the file is
//!   rewritten at the next change;
//! - anything else (unknown version, no `V` or `N`, a bad line, UIDs out of
//!   order) is corruption: the list is rebuilt for the messages present,
//!   with a UIDVALIDITY greater than the old one when it can still be read
//!   (RFC 3501 section 2.3.1.1), and [`Changes::uid_validity_changed`] set.
//!
//! What we write: version 3 only, `3 V<uidvalidity> N<uidnext> G<guid>` and
//! `<uid> :<file name>` lines. New UIDs are appended (one write, then
//! fsync); the whole file is replaced (written in `tmp/`, fsynced, renamed,
//! directory fsynced) when it is created or rebuilt, after a partial line,
//! or when lines of expunged messages outnumber live ones (1,000 at
//! least). Both happen under the folder lock: `flock` on
//! `missive-uidlist.flock` (released by the kernel even after `kill -9`),
//! then Dovecot's dotlock `dovecot-uidlist.lock` (holding `<pid>:<host>`;
//! removed when its process is dead or after two minutes). Readers take no
//! lock. `dovecot-keywords` (`<index> <name>` lines, index 0 = letter `a`)
//! is replaced by rename under the same lock.
//!
//! # Mod-sequences
//!
//! For IMAP CONDSTORE (RFC 7162), every message of a Maildir folder has a
//! mod-sequence ([`MessageInfo::modseq`]), and the folder a
//! HIGHESTMODSEQ ([`Folder::highest_modseq`]) that never goes back. They
//! are kept in `missive-modseq` beside the UID list: a header
//! `missive-modseq 1 <uidvalidity> <highest>`, then `<uid> <modseq>
//! :<flag letters>` lines, appended (one write, then fdatasync) under the
//! folder lock and read incrementally like the UID list. A message whose
//! flags differ from those logged with its mod-sequence (a rename by
//! another mail reader, found at a refresh) or that has none (new mail)
//! gets the next one; a torn last line is never read nor joined to the
//! next. The file is replaced by rename when lines of gone messages pile
//! up. mbox folders keep none ([`Folder::highest_modseq`] is `None`).
//!
//! Delivered names are `<secs>.M<usecs>P<pid>Q<count>.<host>,S=<size>,W=<vsize>`:
//! `S` the file size (Maildir++), `W` the size with CRLF line ends
//! (Dovecot), so neither needs a `stat` or a read later.
//!
//! # Group commit
//!
//! One delivery on its own costs three syncs (its file, `new/`, the UID
//! list) and one turn of the folder lock. [`deliver_batch`] (and
//! [`Store::deliver_batch`], [`Maildir::deliver_batch`]) delivers N
//! messages, into one or several folders of one or several stores, for two
//! [`FileSystem::sync_batch`] calls in all (one `syncfs` each on Linux)
//! and one lock per folder:
//!
//! 1. every message is written to a new file in its Maildir's `tmp/`;
//! 2. one `sync_batch` over all those files makes their data durable;
//! 3. each file is linked into `new/` (maildir(5)), so a file seen in
//!    `new/` is always complete, even after a crash;
//! 4. per folder, under the folder lock, the new messages get their UIDs
//!    with one append to the UID list (not yet synced);
//! 5. one `sync_batch` over the `new/` directories and the UID lists makes
//!    the links and the UIDs durable. Only now is a message delivered.
//!
//! An error before step 5 fails only the messages it touched (a full disk
//! while writing one file, a refused link); their files are removed. A
//! failed step 5 fails and removes every message it covered, since none of
//! them is known to be durable: a caller's retry never delivers twice what
//! it was told failed, and a crash at any point loses nothing that was
//! reported delivered.
//!
//! # Snapshots
//!
//! [`Folder::refresh`] lists `new/` or `cur/` only when its mtime changed,
//! and `stat`s only names it has not seen. A directory whose mtime is
//! within [`MTIME_SLACK`] of the listing is listed again next time, since a
//! change in the same clock tick may leave the mtime as it was; a message
//! that seems gone is looked for in a second listing, since `readdir` can
//! miss a file renamed while it runs.
//!
//! A folder of 1,000 messages or more keeps its snapshot on disk too, in
//! `missive-index` (written in `tmp/` and renamed into place when a
//! handle's snapshot changed, at open and when the handle is dropped), so
//! that the first open after a restart starts from it: no listing of a
//! directory whose mtime is the one the index saw, no `stat` of a message
//! it holds, and no reading of `dovecot-uidlist` while that file is the
//! one the index saw. The index is only a cache, refreshed like any
//! snapshot: a damaged, foreign or stale one costs a listing, never a
//! wrong answer; the UID list stays the truth for UIDs.
//!
//! # mbox
//!
//! An mbox folder is read and appended in mboxrd (mbox(5)), under `fcntl`
//! and the dotlock `<mbox>.lock`, streaming both ways. Its UIDs and flags
//! live beside it in `.<name>.uidlist` (`missive-mbox 1 V<uidvalidity>
//! N<uidnext> S<size>`, `K <index> <keyword>` lines, then `<uid> <From_
//! offset> <body offset> <body length> <size> <date> :<flags>`): the mbox
//! itself is never rewritten to hold them, and a spool that only grew keeps
//! its UIDs; one changed otherwise gets a new UIDVALIDITY.
#![deny(missing_docs)]

mod batch;
mod error;
mod flags;
mod folder;
pub mod fs;
#[doc(hidden)]
pub mod fuzzing;
mod location;
mod lock;
mod maildir;
mod mbox;
mod mboxrd;
mod modseq;
mod name;
mod read;
mod snapshot;
mod store;
mod uidlist;
mod watch;

pub use batch::{BatchItem, deliver_batch};
pub use error::{Error, Result};
pub use flags::{Flag, FlagOp, Flags, Keywords};
pub use folder::{MTIME_SLACK, Stored};
pub use fs::{FileSystem, OsFs, SizeAndTime, StatListing};
pub use location::{Format, MailLocation};
pub use lock::{DOTLOCK_STALE, LOCK_TIMEOUT};
pub use maildir::{Delivered, MailEntry, Maildir, Subdir, TMP_MAX_AGE, TMP_SCAN_INTERVAL};
pub use name::unique_name;
pub use snapshot::{Changes, FlagRuns, MessageInfo, SnapshotCache, UidFlags};
pub use store::{
    Folder, HIERARCHY_SEPARATOR, INBOX, MessageReader, Store, is_inbox, validate_folder_name,
};
