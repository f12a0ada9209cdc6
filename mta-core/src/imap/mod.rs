//! The IMAP backend over the message store: users from a passwd-file,
//! mailboxes at a `mail_location`, served by `imap_proto`'s tokio driver.
//!
//! - Mailboxes are the store's folders: INBOX and Maildir++ folders, with
//!   `/` as the hierarchy delimiter. `Sent`, `Trash`, `Drafts`, `Junk` and
//!   `Archive` are created (and subscribed) at first login and carry their
//!   RFC 6154 special-use attributes.
//! - UIDs and UIDVALIDITY are the store's (`dovecot-uidlist`), flags live in
//!   the file names and keywords in `dovecot-keywords`, so Dovecot, mutt
//!   and this server share the same Maildir. `$Forwarded` is the Maildir
//!   `P` flag, as Dovecot maps it.
//! - SELECT moves new mail from `new/` to `cur/`; those messages are
//!   `\Recent` for that session (RFC 3501 section 2.3.2).
//! - Sessions start from a snapshot shared through a
//!   [`maildir::SnapshotCache`] (a folder no one changed is not listed
//!   again; copied only when a session changes its own).
//! - Each session has its own snapshot of the selected folder; changes by
//!   other sessions and processes are found by a cheap `stat` check
//!   ([`maildir::Folder::has_changed`]) after every command and while
//!   IDLE.
//! - APPEND returns after the message is fsynced into the folder. A big
//!   message (over 256 KiB) is written into the folder's `tmp/` as it
//!   arrives, never held whole in memory; a missing folder is refused
//!   with `[TRYCREATE]` before the client sends it, and an APPEND broken
//!   off leaves no file behind. A message APPENDed to the selected
//!   folder is `\Recent` for the session that stored it.
//! - Every store call that may do real work runs off the async workers'
//!   way: in place with `block_in_place` on a multi-threaded runtime, on
//!   tokio's blocking pool otherwise. The cheap ones, a few `stat`s (the
//!   check for changes after each command, UNSELECT, a SELECT of the
//!   unchanged mailbox just selected), run on the worker.
//! - Mod-sequences (CONDSTORE) and expunges remembered with theirs
//!   (QRESYNC, RFC 7162) come from the store's `missive-modseq` log; an
//!   mbox folder answers NOMODSEQ.
//! - Passwords are checked through [`PasswordAuth`]: on the blocking pool,
//!   each failure delayed, and a client address that failed too often
//!   refused (`NO [UNAVAILABLE]`) until its block ends. Give each
//!   connection its client's address with [`MaildirBackend::for_client`].

mod append;
mod flags;
mod mailboxes;
mod messages;

pub use mailboxes::MaildirMailboxes;

use crate::auth::{Attempt, AuthLimits, PasswordAuth, PlaintextAuth};
use crate::passwd::PasswdFile;
use crate::tls::ListenerTls;
use imap_proto::tokio::{Backend, Options};
use maildir::{SnapshotCache, Store};
use std::io;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Streamed APPENDs one backend writes at once (each holds a thread of
/// tokio's blocking pool while its client sends); more wait their turn
/// before the client is told to send.
const CONCURRENT_APPENDS: usize = 64;

/// Folders created at first login, with their special-use attributes
/// (RFC 6154 section 2).
pub const SPECIAL_FOLDERS: [&str; 5] = ["Sent", "Trash", "Drafts", "Junk", "Archive"];

/// The IMAP backend: a passwd-file and a `mail_location` spec such as
/// `maildir:/var/mail/%u/Maildir`.
///
/// # Examples
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use mta_core::{passwd::PasswdFile, imap::MaildirBackend};
/// let users = PasswdFile::load("/etc/missive/passwd").expect("passwd-file");
/// let backend = MaildirBackend::new(users, "maildir:/var/mail/%u/Maildir");
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:10143").await?;
/// mta_core::imap::run(listener, backend).await
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct MaildirBackend {
    auth: PasswordAuth,
    /// The client of this connection, for the failure limit.
    client: Option<IpAddr>,
    mail_location: Arc<str>,
    appends: Arc<Semaphore>,
    /// Folder snapshots shared by all sessions: a new session selecting
    /// an unchanged folder does not list it again.
    snapshots: SnapshotCache,
}

impl MaildirBackend {
    /// A backend over `users` with mailboxes at `mail_location`, failures
    /// limited by [`AuthLimits::default`].
    pub fn new(users: PasswdFile, mail_location: &str) -> Self {
        Self::with_auth(
            PasswordAuth::new(users, AuthLimits::default()),
            mail_location,
        )
    }

    /// A backend checking passwords through `auth` (shared with the other
    /// listeners, so failures add up per client across protocols).
    pub fn with_auth(auth: PasswordAuth, mail_location: &str) -> Self {
        MaildirBackend {
            auth,
            client: None,
            mail_location: mail_location.into(),
            appends: Arc::new(Semaphore::new(CONCURRENT_APPENDS)),
            snapshots: SnapshotCache::default(),
        }
    }

    /// This backend for one connection from `client`: its failures are
    /// counted against that address.
    #[must_use]
    pub fn for_client(&self, client: IpAddr) -> Self {
        MaildirBackend {
            client: Some(client),
            ..self.clone()
        }
    }

    /// Replaces the user database.
    pub fn set_users(&self, users: PasswdFile) {
        self.auth.set_users(users);
    }

    /// Keeps folder snapshots in `cache` (shared with a POP3 listener,
    /// say, see [`crate::pop3::MaildirMaildrop::with_snapshot_cache`])
    /// rather than in a cache of its own.
    #[must_use]
    pub fn with_snapshot_cache(mut self, cache: SnapshotCache) -> Self {
        self.snapshots = cache;
        self
    }
}

/// A user name that may be put into a path by `%u` (no traversal).
fn safe_user(user: &str) -> bool {
    !user.is_empty()
        && !user.starts_with('.')
        && !user
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
}

fn open_store(
    spec: &str,
    user: &str,
    home: Option<PathBuf>,
    snapshots: SnapshotCache,
) -> maildir::Result<Store> {
    let store = Store::open(spec, user, home.as_deref())?.with_snapshot_cache(snapshots);
    for name in SPECIAL_FOLDERS {
        // Made and subscribed once: a user who unsubscribes one keeps it
        // so, and a login writes nothing when all are there.
        let made = store.folder_exists(name).and_then(|there| {
            if there {
                Ok(false)
            } else {
                store.create_folder(name).map(|()| true)
            }
        });
        match made {
            Ok(true) => store.subscribe(name)?,
            Ok(false) => {}
            // An mbox location of one file (`mbox:/var/mail/%u`) holds
            // INBOX alone: there is nowhere to make the others.
            Err(maildir::Error::Unsupported(_)) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(store)
}

#[async_trait::async_trait]
impl Backend for MaildirBackend {
    type Mailboxes = MaildirMailboxes;

    async fn login(&self, username: &str, password: &[u8]) -> Option<MaildirMailboxes> {
        self.login_checked(username, password).await.ok().flatten()
    }

    async fn login_checked(
        &self,
        username: &str,
        password: &[u8],
    ) -> Result<Option<MaildirMailboxes>, String> {
        let attempt = match std::str::from_utf8(password) {
            Ok(password) => {
                self.auth
                    .verify_password(self.client, username, password)
                    .await
            }
            // A password that is not UTF-8 matches nothing stored.
            Err(_) => self.auth.fail(self.client).await,
        };
        let home = match attempt {
            Attempt::Success(entry) => entry.home,
            // imap-proto answers NO [AUTHENTICATIONFAILED] (RFC 5530).
            Attempt::Failure => return Ok(None),
            // NO [UNAVAILABLE]: the right password does not help now.
            Attempt::Blocked { .. } => {
                return Err("Too many failed logins from this address; try again later".into());
            }
        };
        if !safe_user(username) {
            return Ok(None);
        }
        let spec = self.mail_location.clone();
        let user = username.to_owned();
        let snapshots = self.snapshots.clone();
        match tokio::task::spawn_blocking(move || open_store(&spec, &user, home, snapshots)).await {
            Ok(Ok(store)) => Ok(Some(MaildirMailboxes::with_appends(
                store,
                self.appends.clone(),
            ))),
            Ok(Err(e)) => {
                tracing::warn!(user = username, error = %e, "cannot open mail storage");
                Err("Mail storage unavailable".into())
            }
            Err(_) => Err("Mail storage unavailable".into()),
        }
    }
}

/// Serves IMAP on `listener` until it fails. Loopback clients may log in
/// with plaintext passwords; others see `LOGINDISABLED` (this server has
/// no TLS of its own: see [`run_with_starttls`]).
pub async fn run(listener: tokio::net::TcpListener, backend: MaildirBackend) -> io::Result<()> {
    serve_listener(
        listener,
        backend,
        ListenerTls::None,
        PlaintextAuth::default(),
    )
    .await
}

/// Like [`run`], offering STARTTLS (RFC 3501 section 6.2.1) with `tls`:
/// after the handshake any client may log in with a plaintext password.
pub async fn run_with_starttls(
    listener: tokio::net::TcpListener,
    backend: MaildirBackend,
    tls: crate::tls::Acceptor,
) -> io::Result<()> {
    serve_listener(
        listener,
        backend,
        ListenerTls::Upgrade(tls),
        PlaintextAuth::default(),
    )
    .await
}

/// Accepts IMAP connections on `listener` until accepting fails, one task
/// each, offering TLS as `tls` says. Before TLS, `plaintext` decides per
/// client whether LOGIN and AUTHENTICATE PLAIN are offered (otherwise
/// `LOGINDISABLED`); over TLS they always are. The sessions end with the
/// returned future (they are aborted when it is dropped).
pub async fn serve_listener(
    listener: tokio::net::TcpListener,
    backend: MaildirBackend,
    tls: ListenerTls,
    plaintext: PlaintextAuth,
) -> io::Result<()> {
    let mut sessions = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = listener.accept().await?;
        // Each response is written whole when it is ready: Nagle's
        // algorithm would only hold the last part of it back.
        let _ = stream.set_nodelay(true);
        let (backend, tls) = (backend.for_client(peer.ip()), tls.clone());
        let mut options = Options::default();
        options.config.plaintext_auth = plaintext.allowed(peer.ip());
        options.config.greeting = "missive IMAP ready".into();
        // Maildir folders keep a mod-sequence per message (mbox folders
        // answer NOMODSEQ) and remember their expunges: RFC 7162
        // CONDSTORE and QRESYNC.
        options.config.condstore = true;
        options.config.qresync = true;
        sessions.spawn(async move {
            let _ = match tls {
                ListenerTls::None => imap_proto::tokio::serve(&backend, stream, options).await,
                ListenerTls::Upgrade(tls) => {
                    imap_proto::tokio::serve_with_starttls(&backend, stream, options, &tls).await
                }
                ListenerTls::Implicit(tls) => match tls.accept(stream).await {
                    Ok(stream) => {
                        options.config.tls = true;
                        options.config.plaintext_auth = true;
                        imap_proto::tokio::serve(&backend, stream, options).await
                    }
                    Err(e) => Err(e),
                },
            };
        });
        while sessions.try_join_next().is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_cannot_traverse() {
        assert!(safe_user("alice"));
        for bad in ["", "..", ".x", "a/b", "a\\b", "a\nb"] {
            assert!(!safe_user(bad), "{bad:?}");
        }
    }
}
