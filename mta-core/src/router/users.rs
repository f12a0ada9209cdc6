//! The pluggable "does this local user exist?" check.

use std::collections::HashSet;

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
}

impl<T: LocalUsers + ?Sized> LocalUsers for &T {
    fn exists(&self, user: &str) -> Result<bool, UserLookupError> {
        (**self).exists(user)
    }
}

impl<T: LocalUsers + ?Sized> LocalUsers for Box<T> {
    fn exists(&self, user: &str) -> Result<bool, UserLookupError> {
        (**self).exists(user)
    }
}

impl<T: LocalUsers + ?Sized> LocalUsers for std::sync::Arc<T> {
    fn exists(&self, user: &str) -> Result<bool, UserLookupError> {
        (**self).exists(user)
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
/// ```
#[derive(Debug, Clone, Default)]
pub struct StaticUsers {
    names: HashSet<String>,
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
        }
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
}
