//! Password checks for the listeners: a passwd-file behind a shared
//! [`FailureLimiter`], hashes verified on tokio's blocking pool.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Instant;

use super::{AuthLimits, FailureLimiter, Verdict};
use crate::delivery::Mailboxes;
use crate::passwd::{Entry, PasswdFile};
use crate::router::{LocalUsers, UserLookupError};

/// Where a password may be sent without TLS.
///
/// Dovecot's `disable_plaintext_auth = no` allows it from anywhere
/// ([`PlaintextAuth::anywhere`]); with the default (`yes`) Dovecot still
/// counts connections from loopback as secure ([`PlaintextAuth::loopback`]),
/// since the password never leaves the machine. Without either, SMTP
/// refuses AUTH before TLS with 538 5.7.11 (RFC 4954 section 4), IMAP
/// advertises LOGINDISABLED (RFC 3501 section 6.2.3) and POP3 refuses
/// USER and PASS.
///
/// # Examples
///
/// ```
/// use mta_core::auth::PlaintextAuth;
/// let p = PlaintextAuth::default();
/// assert!(p.allowed("127.0.0.1".parse().unwrap()));
/// assert!(p.allowed("::ffff:127.0.0.1".parse().unwrap()));
/// assert!(!p.allowed("192.0.2.1".parse().unwrap()));
/// assert!(!PlaintextAuth { anywhere: false, loopback: false }.allowed("::1".parse().unwrap()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaintextAuth {
    /// From every client (Dovecot's `disable_plaintext_auth = no`; off).
    pub anywhere: bool,
    /// From loopback clients (on).
    pub loopback: bool,
}

impl Default for PlaintextAuth {
    fn default() -> Self {
        PlaintextAuth {
            anywhere: false,
            loopback: true,
        }
    }
}

impl PlaintextAuth {
    /// Whether a client at `peer` may send a password without TLS.
    #[must_use]
    pub fn allowed(self, peer: IpAddr) -> bool {
        self.anywhere || (self.loopback && peer.to_canonical().is_loopback())
    }
}

/// The outcome of one authentication attempt through [`PasswordAuth`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The credentials are right: the user's entry.
    Success(Entry),
    /// Wrong user name or password; the failure delay has been waited.
    Failure,
    /// The client failed too often: refused without a look at the
    /// password until `until` (a temporary refusal: SMTP 454 4.7.0).
    Blocked {
        /// When the block ends.
        until: Instant,
    },
}

/// A passwd-file and a [`FailureLimiter`] shared by every listener of a
/// process, so that failures on SMTP, POP3 and IMAP add up per client.
/// Cheap to clone (the clones share both).
///
/// Each attempt: blocked addresses are refused at once; otherwise the
/// password is checked on tokio's blocking pool (ARGON2ID and
/// SHA512-CRYPT cost CPU on purpose); a failure is counted and its reply
/// waits the limiter's delay; a success restarts the delay. The
/// limiter's clock is tokio's, so a test with a paused clock controls it.
///
/// # Examples
///
/// ```
/// use mta_core::auth::{Attempt, AuthLimits, PasswordAuth};
/// use mta_core::passwd::PasswdFile;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut limits = AuthLimits::default();
/// limits.failure_delay = Duration::from_millis(10);
/// let auth = PasswordAuth::new(PasswdFile::parse("alice:{PLAIN}secret\n").unwrap(), limits);
/// let client = Some("192.0.2.7".parse().unwrap());
/// assert!(matches!(auth.verify_password(client, "alice", "secret").await, Attempt::Success(e) if e.user == "alice"));
/// assert_eq!(auth.verify_password(client, "alice", "guess").await, Attempt::Failure);
/// # }
/// ```
#[derive(Clone)]
pub struct PasswordAuth {
    users: Arc<RwLock<PasswdFile>>,
    limiter: Arc<Mutex<FailureLimiter>>,
}

impl std::fmt::Debug for PasswordAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordAuth").finish_non_exhaustive()
    }
}

impl PasswordAuth {
    /// Checks against `users`, failures limited by `limits`.
    #[must_use]
    pub fn new(users: PasswdFile, limits: AuthLimits) -> Self {
        PasswordAuth {
            users: Arc::new(RwLock::new(users)),
            limiter: Arc::new(Mutex::new(FailureLimiter::new(limits))),
        }
    }

    /// Replaces the user database (a reload); the failure counts stay.
    pub fn set_users(&self, users: PasswdFile) {
        *self.users.write().unwrap_or_else(PoisonError::into_inner) = users;
    }

    /// The entry of `user`, if any (for its home directory).
    #[must_use]
    pub fn entry(&self, user: &str) -> Option<Entry> {
        self.read(|u| u.get(user).cloned())
    }

    /// Whether APOP can work (some password is stored in plaintext).
    #[must_use]
    pub fn supports_apop(&self) -> bool {
        self.read(PasswdFile::supports_apop)
    }

    /// Whether `client` is blocked now.
    #[must_use]
    pub fn check(&self, client: IpAddr) -> Verdict {
        self.limiter
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .check(client, now())
    }

    /// Checks a plaintext password (SASL PLAIN and LOGIN, IMAP LOGIN,
    /// POP3 USER/PASS). `client` is the peer's address; `None` when it is
    /// not known, which waits the delay but counts nothing.
    pub async fn verify_password(
        &self,
        client: Option<IpAddr>,
        user: &str,
        password: &str,
    ) -> Attempt {
        let (user, password) = (user.to_owned(), password.to_owned());
        self.attempt(client, move |u| u.verify(&user, &password).cloned())
            .await
    }

    /// Checks an APOP digest (RFC 1939 section 7) of `timestamp`.
    pub async fn verify_apop(
        &self,
        client: Option<IpAddr>,
        user: &str,
        timestamp: &str,
        digest: &str,
    ) -> Attempt {
        let (user, timestamp, digest) = (user.to_owned(), timestamp.to_owned(), digest.to_owned());
        self.attempt(client, move |u| {
            u.verify_apop(&user, &timestamp, &digest).cloned()
        })
        .await
    }

    /// Counts a failure that needs no password check (credentials that
    /// cannot be right, such as a password that is not UTF-8 or a proxy
    /// authorization), waiting the delay like any other.
    pub async fn fail(&self, client: Option<IpAddr>) -> Attempt {
        self.attempt(client, |_| None).await
    }

    fn read<R>(&self, f: impl FnOnce(&PasswdFile) -> R) -> R {
        f(&self.users.read().unwrap_or_else(PoisonError::into_inner))
    }

    async fn attempt(
        &self,
        client: Option<IpAddr>,
        check: impl FnOnce(&PasswdFile) -> Option<Entry> + Send + 'static,
    ) -> Attempt {
        if let Some(ip) = client
            && let Verdict::Blocked { until } = self.check(ip)
        {
            return Attempt::Blocked { until };
        }
        let users = self.users.clone();
        let verified = tokio::task::spawn_blocking(move || {
            check(&users.read().unwrap_or_else(PoisonError::into_inner))
        })
        .await
        .ok()
        .flatten();
        let delay = {
            let mut limiter = self.limiter.lock().unwrap_or_else(PoisonError::into_inner);
            match (verified, client) {
                (Some(entry), Some(ip)) => {
                    limiter.record_success(ip, now());
                    return Attempt::Success(entry);
                }
                (Some(entry), None) => return Attempt::Success(entry),
                (None, Some(ip)) => limiter.record_failure(ip, now()),
                (None, None) => limiter.limits().failure_delay,
            }
        };
        tokio::time::sleep(delay).await;
        Attempt::Failure
    }
}

/// The passwd-file's users are the local users (the router's recipient
/// check and home_mailbox), and a reload through
/// [`PasswordAuth::set_users`] reaches them too.
impl LocalUsers for PasswordAuth {
    fn exists(&self, user: &str) -> Result<bool, UserLookupError> {
        Ok(self.read(|u| u.get(user).is_some()))
    }

    fn home(&self, user: &str) -> Result<Option<PathBuf>, UserLookupError> {
        Ok(self.entry(user).and_then(|e| e.home))
    }
}

/// Local users' mailboxes at a Dovecot-style `mail_location` in which `~`
/// (and `%h`) is each user's home from the passwd-file, as Dovecot's
/// userdb gives it: `maildir:~/Maildir`.
///
/// # Examples
///
/// ```
/// use mta_core::auth::{AuthLimits, PasswdMailboxes, PasswordAuth};
/// use mta_core::delivery::Mailboxes;
/// use mta_core::passwd::PasswdFile;
///
/// let home = tempfile::tempdir().unwrap();
/// let line = format!("alice:{{PLAIN}}pw::::{}::\n", home.path().display());
/// let auth = PasswordAuth::new(PasswdFile::parse(&line).unwrap(), AuthLimits::default());
/// let boxes = PasswdMailboxes::new("maildir:~/Maildir", auth);
/// boxes.store("alice").unwrap().deliver("INBOX", b"Subject: hi\r\n\r\nhello\r\n").unwrap();
/// assert!(home.path().join("Maildir/new").read_dir().unwrap().next().is_some());
/// assert!(boxes.store("nobody").is_err(), "no home to expand ~ with");
/// ```
#[derive(Debug, Clone)]
pub struct PasswdMailboxes {
    spec: String,
    auth: PasswordAuth,
}

impl PasswdMailboxes {
    /// Mailboxes at `spec` for the users of `auth`.
    #[must_use]
    pub fn new(spec: impl Into<String>, auth: PasswordAuth) -> Self {
        PasswdMailboxes {
            spec: spec.into(),
            auth,
        }
    }
}

impl Mailboxes for PasswdMailboxes {
    fn store(&self, user: &str) -> Result<maildir::Store, maildir::Error> {
        let home = self.auth.entry(user).and_then(|e| e.home);
        maildir::Store::open(&self.spec, user, home.as_deref())
    }
}

/// tokio's clock, so that `tokio::time::pause` moves the limiter too.
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}
