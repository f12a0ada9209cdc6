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
//!   move. UIDs live in a `dovecot-uidlist` file (see the [`uidlist`
//!   format notes](crate#the-uid-list)), so a folder moved to Dovecot keeps them.
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
//! Each folder keeps `dovecot-uidlist` (version 3) and `dovecot-keywords`;
//! see the `uidlist` module source for exactly what is read and written.
//! In short: header `3 V<uidvalidity> N<uidnext> G<guid>`, then
//! `<uid> :<file name>` lines; new UIDs are appended under the folder lock
//! (`missive-uidlist.flock` plus Dovecot's `dovecot-uidlist.lock` dotlock)
//! and fsynced; the file is otherwise only replaced by rename. A corrupt
//! list is rebuilt with a greater UIDVALIDITY.
#![deny(missing_docs)]

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
mod name;
mod snapshot;
mod store;
mod uidlist;

pub use error::{Error, Result};
pub use flags::{Flag, FlagOp, Flags, Keywords};
pub use folder::MTIME_SLACK;
pub use fs::{FileSystem, OsFs};
pub use location::{Format, MailLocation};
pub use lock::{DOTLOCK_STALE, LOCK_TIMEOUT};
pub use maildir::{Delivered, MailEntry, Maildir, Subdir, TMP_MAX_AGE};
pub use name::unique_name;
pub use snapshot::{Changes, MessageInfo};
pub use store::{
    Folder, HIERARCHY_SEPARATOR, INBOX, MessageReader, Store, is_inbox, validate_folder_name,
};
