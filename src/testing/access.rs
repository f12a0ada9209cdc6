//! Users, and the IMAP backend and POP3 maildrop over their Maildirs:
//! mta-core's, behind the test server's own password check.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use imap_proto::tokio::Backend;
use maildir::Store;
use mta_core::imap::MaildirMailboxes;
use mta_core::passwd::PasswdFile;
use mta_core::pop3::{MaildirLock, MaildirMaildrop};
use pop3_proto::Credentials;
use pop3_proto::tokio::{Maildrop, Refusal};

/// The users of a test server. Names are e-mail addresses, compared
/// without regard to case; each has a Maildir at `<root>/<name>`.
#[derive(Debug)]
pub(crate) struct Accounts {
    users: RwLock<HashMap<String, String>>,
    pub(crate) accept_any_password: bool,
    pub(crate) create_on_delivery: bool,
    /// `maildir:<root>/%u`.
    pub(crate) mail_location: String,
    pub(crate) root: PathBuf,
}

/// The key of a user name.
pub(crate) fn user_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

impl Accounts {
    pub(crate) fn new(root: PathBuf, accept_any_password: bool, create_on_delivery: bool) -> Self {
        Accounts {
            users: RwLock::default(),
            accept_any_password,
            create_on_delivery,
            mail_location: format!("maildir:{}/%u", root.display()),
            root,
        }
    }

    pub(crate) fn add(&self, user: &str, password: &str) {
        if let Ok(mut u) = self.users.write() {
            u.insert(user_key(user), password.to_owned());
        }
    }

    /// Adds `user` unless known; the password of a user made this way is
    /// the address itself.
    pub(crate) fn add_if_absent(&self, user: &str) {
        if let Ok(mut u) = self.users.write() {
            u.entry(user_key(user)).or_insert_with(|| user.to_owned());
        }
    }

    pub(crate) fn exists(&self, user: &str) -> bool {
        self.users
            .read()
            .is_ok_and(|u| u.contains_key(&user_key(user)))
    }

    /// Whether `user` may log in with `password`; the user's key if so.
    pub(crate) fn check(&self, user: &str, password: &[u8]) -> Option<String> {
        let key = user_key(user);
        if !usable_name(&key) {
            return None;
        }
        if self.accept_any_password {
            return Some(key);
        }
        let users = self.users.read().ok()?;
        let stored = users.get(&key)?;
        (stored.as_bytes() == password).then_some(key)
    }

    /// Opens (creating) the Maildir of a user key.
    pub(crate) fn store(&self, key: &str) -> maildir::Result<Store> {
        Store::open(&self.mail_location, key, None)
    }
}

/// A name that can be a directory under the root: no separators, no dot
/// names, no control characters (path traversal).
pub(crate) fn usable_name(key: &str) -> bool {
    !key.is_empty()
        && !key.starts_with('.')
        && !key.chars().any(|c| c == '/' || c == '\\' || c.is_control())
}

/// The IMAP side: mta-core's Maildir mailboxes for a user the test server
/// lets in.
#[derive(Debug, Clone)]
pub(crate) struct ImapBackend {
    pub(crate) accounts: Arc<Accounts>,
}

#[async_trait::async_trait]
impl Backend for ImapBackend {
    type Mailboxes = MaildirMailboxes;

    async fn login(&self, username: &str, password: &[u8]) -> Option<MaildirMailboxes> {
        let key = self.accounts.check(username, password)?;
        let accounts = self.accounts.clone();
        let store = tokio::task::spawn_blocking(move || accounts.store(&key))
            .await
            .ok()?
            .ok()?;
        Some(MaildirMailboxes::new(store))
    }
}

/// The POP3 side: mta-core's maildrop (lock, UIDLs, sizes) for a user the
/// test server lets in.
#[derive(Debug, Clone)]
pub(crate) struct Pop3Maildrop {
    accounts: Arc<Accounts>,
    inner: MaildirMaildrop,
}

impl Pop3Maildrop {
    pub(crate) fn new(accounts: Arc<Accounts>) -> Self {
        // Its own passwd-file stays empty: authentication is ours.
        let inner = MaildirMaildrop::new(PasswdFile::default(), &accounts.mail_location);
        Pop3Maildrop { accounts, inner }
    }
}

#[async_trait::async_trait]
impl Maildrop for Pop3Maildrop {
    type Lock = MaildirLock;

    async fn authenticate(&self, credentials: &Credentials) -> Result<String, Refusal> {
        let (user, pass) = match credentials {
            Credentials::User { user, pass } | Credentials::Login { user, pass } => (user, pass),
            // No proxy authorization: an authzid must name the same user.
            Credentials::Plain {
                authzid,
                authcid,
                pass,
            } if authzid.is_empty() || authzid == authcid => (authcid, pass),
            _ => return Err(Refusal::BadCredentials),
        };
        self.accounts
            .check(user, pass.expose().as_bytes())
            .ok_or(Refusal::BadCredentials)
    }

    async fn open(&self, user: &str) -> Result<MaildirLock, Refusal> {
        // The maildrop opens `<root>/<user>`: create it first for a user
        // who has had no mail yet.
        let accounts = self.accounts.clone();
        let key = user.to_owned();
        tokio::task::spawn_blocking(move || accounts.store(&key).map(|_| ()))
            .await
            .map_err(|_| Refusal::Temporary)?
            .map_err(|_| Refusal::Temporary)?;
        self.inner.open(user).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_names() {
        let a = Accounts::new(PathBuf::from("/nonexistent"), false, false);
        a.add("Alice@Localhost", "pw");
        assert_eq!(
            a.check("alice@localhost", b"pw").as_deref(),
            Some("alice@localhost")
        );
        assert_eq!(a.check("alice@localhost", b"no"), None);
        assert_eq!(a.check("bob@localhost", b"pw"), None);
        let any = Accounts::new(PathBuf::from("/nonexistent"), true, false);
        assert!(any.check("bob@localhost", b"x").is_some());
        for bad in ["", "../x", ".hidden", "a/b", "a\nb"] {
            assert_eq!(any.check(bad, b"x"), None, "{bad:?}");
        }
    }
}
