//! Local delivery: a user's mailbox through the store (Maildir or the mbox
//! spool), a virtual mailbox, or an aliases(5) `/file` target.

use std::path::Path;

use maildir::Store;

use super::{Outcome, prepend_delivery_headers};

/// Finds the mailbox store of a local user.
pub trait Mailboxes: Send + Sync {
    /// The store of `user` (lowercased, without address extension).
    ///
    /// # Errors
    ///
    /// The store cannot be opened.
    fn store(&self, user: &str) -> Result<Store, maildir::Error>;
}

/// Users' mailboxes at a Dovecot-style `mail_location` spec such as
/// `maildir:/srv/mail/%u/Maildir` or `mbox:/var/spool/mail/%u`.
///
/// # Examples
///
/// ```
/// use mta_core::delivery::{LocationMailboxes, Mailboxes};
///
/// let base = tempfile::tempdir().unwrap();
/// let boxes = LocationMailboxes::new(format!("maildir:{}/%u/Maildir", base.path().display()));
/// let store = boxes.store("alice").unwrap();
/// store.deliver("INBOX", b"Subject: hi\r\n\r\nhello\r\n").unwrap();
/// assert!(boxes.store("../root").is_err());
/// ```
#[derive(Debug, Clone)]
pub struct LocationMailboxes {
    spec: String,
}

impl LocationMailboxes {
    /// Mailboxes at `spec` (`%u` is the user name).
    #[must_use]
    pub fn new(spec: impl Into<String>) -> Self {
        LocationMailboxes { spec: spec.into() }
    }

    /// Postfix's default local delivery: the mbox spool file
    /// `mail_spool_directory/<user>`.
    #[must_use]
    pub fn spool(mail_spool_directory: &Path) -> Self {
        LocationMailboxes::new(format!("mbox:{}/%u", mail_spool_directory.display()))
    }
}

impl Mailboxes for LocationMailboxes {
    fn store(&self, user: &str) -> Result<Store, maildir::Error> {
        Store::open(&self.spec, user, None)
    }
}

fn store_outcome(r: Result<u32, maildir::Error>, what: &str) -> Outcome {
    match r {
        Ok(_) => Outcome::sent("250 2.0.0 delivered to ".to_owned() + what),
        Err(e) if e.is_temporary() => {
            Outcome::deferred(format!("451 4.2.0 cannot deliver to {what}: {e}"))
        }
        Err(e) => Outcome::bounced(format!("550 5.2.0 cannot deliver to {what}: {e}")),
    }
}

/// Delivers into `store`'s INBOX with Return-Path and Delivered-To.
pub(crate) fn deliver_store(
    store: &Store,
    reverse_path: &str,
    recipient: &str,
    content: &[u8],
    what: &str,
) -> Outcome {
    if let Some(loop_) = delivered_to_loop(content, recipient) {
        return loop_;
    }
    let message = prepend_delivery_headers(reverse_path, recipient, content);
    store_outcome(store.deliver_as("INBOX", reverse_path, &message[..]), what)
}

/// A message that already carries `Delivered-To: recipient` went round a
/// forwarding loop (Postfix local(8) refuses it the same way).
fn delivered_to_loop(content: &[u8], recipient: &str) -> Option<Outcome> {
    for line in super::header_lines(content) {
        let Some(value) = strip_name(line, "delivered-to") else {
            continue;
        };
        if value.trim().eq_ignore_ascii_case(recipient) {
            return Some(Outcome::bounced(format!(
                "554 5.4.6 mail forwarding loop for {recipient}"
            )));
        }
    }
    None
}

fn strip_name<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let (n, v) = line.split_once(':')?;
    n.trim().eq_ignore_ascii_case(name).then_some(v)
}

/// A Maildir (path ending in `/`) or an mbox file.
pub(crate) fn deliver_path(
    path: &Path,
    maildir: bool,
    reverse_path: &str,
    recipient: &str,
    content: &[u8],
) -> Outcome {
    let store = if maildir {
        Store::maildir(path)
    } else {
        Store::mbox(path)
    };
    match store {
        Ok(s) => deliver_store(
            &s,
            reverse_path,
            recipient,
            content,
            &path.display().to_string(),
        ),
        Err(e) => store_outcome(Err(e), &path.display().to_string()),
    }
}
