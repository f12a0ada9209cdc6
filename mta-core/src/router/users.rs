//! The pluggable "does this local user exist?" check, and where a local
//! user's home directory is (for home_mailbox).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// The user database could not answer (a temporary failure: the router
/// answers 451 4.3.0 and the sender retries).
#[derive(Debug, thiserror::Error)]
#[error("local user lookup failed: {0}")]
pub struct UserLookupError(#[from] pub std::io::Error);

/// Answers whether a local user exists (Postfix's local_recipient_maps
/// role for the passwd part; aliases are checked by the router). Users may
/// come from the system, a passwd-file, or a test's list.
pub trait LocalUsers {
    /// Whether `user` (lowercased, without address extension) exists.
    ///
    /// # Errors
    ///
    /// [`UserLookupError`] when the answer is unknown.
    fn exists(&self, user: &str) -> Result<bool, UserLookupError>;

    /// The home directory of `user` (lowercased, without address
    /// extension), where home_mailbox is delivered. `None` (the default):
    /// unknown, and local delivery uses the mailbox store instead.
    ///
    /// # Errors
    ///
    /// [`UserLookupError`] when the answer is unknown.
    fn home(&self, user: &str) -> Result<Option<PathBuf>, UserLookupError> {
        let _ = user;
        Ok(None)
    }
}

impl<T: LocalUsers + ?Sized> LocalUsers for &T {
    fn exists(&self, user: &str) -> Result<bool, UserLookupError> {
        (**self).exists(user)
    }

    fn home(&self, user: &str) -> Result<Option<PathBuf>, UserLookupError> {
        (**self).home(user)
    }
}

impl<T: LocalUsers + ?Sized> LocalUsers for Box<T> {
    fn exists(&self, user: &str) -> Result<bool, UserLookupError> {
        (**self).exists(user)
    }

    fn home(&self, user: &str) -> Result<Option<PathBuf>, UserLookupError> {
        (**self).home(user)
    }
}

impl<T: LocalUsers + ?Sized> LocalUsers for std::sync::Arc<T> {
    fn exists(&self, user: &str) -> Result<bool, UserLookupError> {
        (**self).exists(user)
    }

    fn home(&self, user: &str) -> Result<Option<PathBuf>, UserLookupError> {
        (**self).home(user)
    }
}

/// A fixed set of user names (compared in lowercase).
///
/// # Examples
///
/// ```
/// use mta_core::router::{LocalUsers, StaticUsers};
///
/// let users = StaticUsers::new(["alice", "Bob"]);
/// assert!(users.exists("bob").unwrap());
/// assert!(!users.exists("carol").unwrap());
///
/// let users = users.with_home("carol", "/home/carol");
/// assert!(users.exists("carol").unwrap());
/// assert_eq!(users.home("carol").unwrap(), Some("/home/carol".into()));
/// assert_eq!(users.home("bob").unwrap(), None);
/// ```
#[derive(Debug, Clone, Default)]
pub struct StaticUsers {
    names: HashSet<String>,
    homes: HashMap<String, PathBuf>,
}

impl StaticUsers {
    /// The set of `names`.
    pub fn new<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        StaticUsers {
            names: names
                .into_iter()
                .map(|n| n.as_ref().to_lowercase())
                .collect(),
            homes: HashMap::new(),
        }
    }

    /// Adds a user whose home directory is `home`.
    #[must_use]
    pub fn with_home(mut self, name: &str, home: impl Into<PathBuf>) -> Self {
        let name = name.to_lowercase();
        self.homes.insert(name.clone(), home.into());
        self.names.insert(name);
        self
    }

    /// Adds a user.
    pub fn insert(&mut self, name: &str) {
        self.names.insert(name.to_lowercase());
    }
}

impl LocalUsers for StaticUsers {
    fn exists(&self, user: &str) -> Result<bool, UserLookupError> {
        Ok(self.names.contains(&user.to_lowercase()))
    }

    fn home(&self, user: &str) -> Result<Option<PathBuf>, UserLookupError> {
        Ok(self.homes.get(&user.to_lowercase()).cloned())
    }
}
