//! The POP3 maildrop over the message store: users from a passwd-file,
//! maildrops at a `mail_location`, served by `pop3_proto`'s tokio driver.
//!
//! - A maildrop is the user's INBOX. Opening it takes an exclusive lock
//!   (`missive-pop3.lock` in the Maildir, an OS file lock), so a second
//!   session gets `-ERR [IN-USE]` (RFC 2449 section 8.1.2) while the first
//!   runs, in this process or another.
//! - UIDL values are the store's UID and UIDVALIDITY as Dovecot writes them
//!   by default (`%08Xu%08Xv`): stable across sessions, restarts and flag
//!   changes, and the same a Dovecot POP3 server would report for the
//!   folder.
//! - Sizes are the sizes on the wire (CRLF line ends): the store's virtual
//!   size (`,W=` in the file name) when there is one, otherwise counted
//!   once per process.
//! - RETR and TOP read the file on a blocking thread in 64 KiB chunks; a
//!   message is never held whole in memory.
//! - Deletions are applied (expunged from the store) only after QUIT.
//! - Passwords are checked through [`PasswordAuth`]: on the blocking pool,
//!   each failure delayed, and a client address that failed too often
//!   refused (`-ERR [AUTH]`) until its block ends. Give each connection
//!   its client's address with [`MaildirMaildrop::for_client`].

use crate::auth::{Attempt, AuthLimits, PasswordAuth, PlaintextAuth};
use crate::passwd::PasswdFile;
use crate::tls::ListenerTls;
use maildir::{Format, MailLocation, SnapshotCache, Store};
use pop3_proto::tokio::{LockedMaildrop, Maildrop, MessageReader, Options, Refusal};
use pop3_proto::{Credentials, MessageInfo, UniqueId};
use std::collections::HashMap;
use std::fs::{File, TryLockError};
use std::io::{self, Read};
use std::net::IpAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::mpsc;

const CHUNK: usize = 64 * 1024;

/// The POP3 backend: a passwd-file and a `mail_location` spec such as
/// `maildir:/var/mail/%u/Maildir` (`%u` is the user name, `~` the home
/// directory from the passwd-file).
///
/// # Examples
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use mta_core::{passwd::PasswdFile, pop3::MaildirMaildrop};
/// let users = PasswdFile::load("/etc/missive/passwd").expect("passwd-file");
/// let maildrop = MaildirMaildrop::new(users, "maildir:/var/mail/%u/Maildir");
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:10110").await?;
/// mta_core::pop3::run(listener, maildrop).await
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct MaildirMaildrop {
    auth: PasswordAuth,
    /// The client of this connection, for the failure limit.
    client: Option<IpAddr>,
    mail_location: Arc<str>,
    sizes: SizeCache,
    /// Folder snapshots shared by all sessions: a session on an unchanged
    /// maildrop does not list it again.
    snapshots: SnapshotCache,
}

/// Wire sizes already counted, by Maildir path and message base name: a
/// Maildir message never changes, so each is read for its size once per
/// process, not once per session.
type SizeCache = Arc<Mutex<HashMap<(PathBuf, String), u64>>>;

impl MaildirMaildrop {
    /// A backend over `users` with maildrops at `mail_location`, failures
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
        MaildirMaildrop {
            auth,
            client: None,
            mail_location: mail_location.into(),
            sizes: SizeCache::default(),
            snapshots: SnapshotCache::default(),
        }
    }

    /// Keeps folder snapshots in `cache` (shared with an IMAP listener,
    /// say, see [`crate::imap::MaildirBackend::with_snapshot_cache`])
    /// rather than in a cache of its own.
    #[must_use]
    pub fn with_snapshot_cache(mut self, cache: SnapshotCache) -> Self {
        self.snapshots = cache;
        self
    }

    /// This backend for one connection from `client`: its failures are
    /// counted against that address.
    #[must_use]
    pub fn for_client(&self, client: IpAddr) -> Self {
        MaildirMaildrop {
            client: Some(client),
            ..self.clone()
        }
    }

    /// Replaces the user database (for a reload on SIGHUP, say).
    pub fn set_users(&self, users: PasswdFile) {
        self.auth.set_users(users);
    }

    /// Whether APOP can work (some password is stored in plaintext).
    pub fn supports_apop(&self) -> bool {
        self.auth.supports_apop()
    }

    fn home(&self, user: &str) -> Option<PathBuf> {
        self.auth.entry(user)?.home
    }
}

/// A user name that may be put into a path by `%u`: no separators, no
/// leading dot, no control characters (path traversal).
fn safe_user(user: &str) -> bool {
    !user.is_empty()
        && !user.starts_with('.')
        && !user
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
}

#[async_trait::async_trait]
impl Maildrop for MaildirMaildrop {
    type Lock = MaildirLock;

    async fn authenticate(&self, credentials: &Credentials) -> Result<String, Refusal> {
        let (auth, client) = (&self.auth, self.client);
        let attempt = match credentials {
            Credentials::User { user, pass } | Credentials::Login { user, pass } => {
                auth.verify_password(client, user, pass.expose()).await
            }
            // No proxy authorization: an authzid must name the same user.
            Credentials::Plain {
                authzid,
                authcid,
                pass,
            } if authzid.is_empty() || authzid == authcid => {
                auth.verify_password(client, authcid, pass.expose()).await
            }
            Credentials::Apop {
                user,
                digest,
                timestamp,
            } => auth.verify_apop(client, user, timestamp, digest).await,
            // A proxy authorization (another authzid) is not offered.
            _ => auth.fail(client).await,
        };
        match attempt {
            Attempt::Success(entry) => Ok(entry.user),
            // A blocked address learns nothing more than a wrong password
            // tells it (RFC 3206 section 4: [AUTH]).
            Attempt::Failure | Attempt::Blocked { .. } => Err(Refusal::BadCredentials),
        }
    }

    async fn open(&self, user: &str) -> Result<MaildirLock, Refusal> {
        if !safe_user(user) {
            return Err(Refusal::Permanent);
        }
        let spec = self.mail_location.clone();
        let home = self.home(user);
        let user = user.to_string();
        let sizes = self.sizes.clone();
        let snapshots = self.snapshots.clone();
        tokio::task::spawn_blocking(move || open_blocking(&spec, &user, home, &sizes, snapshots))
            .await
            .map_err(|_| Refusal::Temporary)?
    }
}

fn open_blocking(
    spec: &str,
    user: &str,
    home: Option<PathBuf>,
    sizes: &SizeCache,
    snapshots: SnapshotCache,
) -> Result<MaildirLock, Refusal> {
    let location =
        MailLocation::parse(spec, user, home.as_deref()).map_err(|_| Refusal::Permanent)?;
    let lock_path = match location.format {
        Format::Maildir => location.path.join("missive-pop3.lock"),
        Format::Mbox => PathBuf::from(format!("{}.missive-pop3.lock", location.inbox.display())),
    };
    // mbox messages can be rewritten in place (Status headers), so only
    // Maildir sizes are cached.
    let cacheable = location.format == Format::Maildir;
    let store = Store::open_location(location, maildir::fs::os())
        .map_err(|e| refusal(&e))?
        .with_snapshot_cache(snapshots);
    let lock_file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|_| Refusal::Temporary)?;
    match lock_file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Err(Refusal::InUse),
        Err(TryLockError::Error(_)) => return Err(Refusal::Temporary),
    }
    let mut folder = store.open_folder("INBOX").map_err(|e| refusal(&e))?;
    let validity = folder.uid_validity();
    let mut listing = Vec::new();
    let mut uids = HashMap::new();
    let infos: Vec<maildir::MessageInfo> = folder.messages().to_vec();
    for m in infos {
        let uid = UniqueId::new(format!("{:08X}{:08X}", m.uid(), validity))
            .map_err(|_| Refusal::Temporary)?;
        let key = (lock_path.clone(), m.base().to_string());
        let cached = if cacheable {
            sizes.lock().ok().and_then(|c| c.get(&key).copied())
        } else {
            None
        };
        let size = match m.virtual_size().or(cached) {
            Some(w) => w,
            None => {
                let w = wire_size(&mut folder, m.uid()).map_err(|_| Refusal::Temporary)?;
                if cacheable && let Ok(mut c) = sizes.lock() {
                    c.insert(key, w);
                }
                w
            }
        };
        uids.insert(uid.clone(), m.uid());
        listing.push(MessageInfo { uid, size });
    }
    Ok(MaildirLock {
        folder: Some(Arc::new(Mutex::new(folder))),
        listing,
        uids,
        _lock: lock_file,
    })
}

fn refusal(e: &maildir::Error) -> Refusal {
    if e.is_temporary() {
        Refusal::Temporary
    } else {
        Refusal::Permanent
    }
}

/// The size of a message as POP3 sends it: each bare LF becomes CRLF and
/// a last line without a line end gets one.
fn wire_size(folder: &mut maildir::Folder, uid: u32) -> io::Result<u64> {
    let mut reader = folder.open_message(uid).map_err(io::Error::other)?;
    let mut buf = vec![0u8; CHUNK];
    let (mut size, mut prev) = (0u64, b'\n');
    loop {
        let n = reader.read(&mut buf)?;
        let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else {
            break;
        };
        for &b in chunk {
            if b == b'\n' && prev != b'\r' {
                size += 1;
            }
            prev = b;
        }
        size += n as u64;
    }
    if prev != b'\n' {
        size += 2;
    }
    Ok(size)
}

/// A user's INBOX held under the POP3 lock. Dropping it releases the
/// lock without deleting anything.
#[derive(Debug)]
pub struct MaildirLock {
    /// Always there until the lock is dropped.
    folder: Option<Arc<Mutex<maildir::Folder>>>,
    listing: Vec<MessageInfo>,
    uids: HashMap<UniqueId, u32>,
    _lock: File,
}

impl Drop for MaildirLock {
    /// The folder goes on the blocking pool: dropping it may write its
    /// snapshot index.
    fn drop(&mut self) {
        if let Some(folder) = self.folder.take() {
            crate::offload::drop_off_worker(folder);
        }
    }
}

#[async_trait::async_trait]
impl LockedMaildrop for MaildirLock {
    async fn list(&mut self) -> io::Result<Vec<MessageInfo>> {
        Ok(self.listing.clone())
    }

    async fn retrieve(&mut self, uid: &UniqueId) -> io::Result<MessageReader> {
        let store_uid = *self.uids.get(uid).ok_or(io::ErrorKind::NotFound)?;
        let folder = self.folder.clone().ok_or(io::ErrorKind::NotFound)?;
        let reader = tokio::task::spawn_blocking(move || {
            let mut folder = folder
                .lock()
                .map_err(|_| io::Error::other("folder lock poisoned"))?;
            folder.open_message(store_uid).map_err(io::Error::other)
        })
        .await
        .map_err(io::Error::other)??;
        Ok(Box::new(BlockingReader::spawn(reader)))
    }

    async fn commit(&mut self, deleted: &[UniqueId]) -> io::Result<()> {
        let uids: Vec<u32> = deleted
            .iter()
            .filter_map(|u| self.uids.get(u).copied())
            .collect();
        if uids.is_empty() {
            return Ok(());
        }
        let folder = self.folder.clone().ok_or(io::ErrorKind::NotFound)?;
        tokio::task::spawn_blocking(move || {
            let mut folder = folder
                .lock()
                .map_err(|_| io::Error::other("folder lock poisoned"))?;
            folder.expunge(&uids).map(|_| ()).map_err(io::Error::other)
        })
        .await
        .map_err(io::Error::other)?
    }
}

/// An `AsyncRead` over a blocking `Read`: a blocking thread reads chunks
/// and hands them over a channel of two, so at most a few chunks are in
/// memory at once.
struct BlockingReader {
    rx: mpsc::Receiver<io::Result<Vec<u8>>>,
    current: Vec<u8>,
    pos: usize,
}

impl BlockingReader {
    fn spawn(mut reader: impl Read + Send + 'static) -> Self {
        let (tx, rx) = mpsc::channel(2);
        tokio::task::spawn_blocking(move || {
            loop {
                let mut buf = vec![0u8; CHUNK];
                let item = match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        buf.truncate(n);
                        Ok(buf)
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => Err(e),
                };
                let failed = item.is_err();
                // The receiver is gone when the session ended early (TOP,
                // a dropped connection): stop reading.
                if tx.blocking_send(item).is_err() || failed {
                    break;
                }
            }
        });
        BlockingReader {
            rx,
            current: Vec::new(),
            pos: 0,
        }
    }
}

impl AsyncRead for BlockingReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            if let Some(rest) = self.current.get(self.pos..).filter(|r| !r.is_empty()) {
                let n = rest.len().min(buf.remaining());
                buf.put_slice(rest.get(..n).unwrap_or_default());
                self.pos += n;
                return Poll::Ready(Ok(()));
            }
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    self.current = chunk;
                    self.pos = 0;
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// Accepts POP3 connections on `listener` forever, one task each.
/// Plaintext passwords are allowed from loopback peers only (as Dovecot
/// treats them); APOP is offered when the passwd-file can verify it.
pub async fn run(listener: tokio::net::TcpListener, maildrop: MaildirMaildrop) -> io::Result<()> {
    serve_listener(
        listener,
        maildrop,
        ListenerTls::None,
        PlaintextAuth::default(),
    )
    .await
}

/// Accepts POP3 connections on `listener` until accepting fails, one task
/// each, offering TLS as `tls` says (STLS or POP3S). Before TLS,
/// `plaintext` decides per client whether USER/PASS and AUTH PLAIN are
/// allowed; over TLS they always are. APOP is offered when the
/// passwd-file can verify it. The sessions end with the returned future
/// (they are aborted when it is dropped).
pub async fn serve_listener(
    listener: tokio::net::TcpListener,
    maildrop: MaildirMaildrop,
    tls: ListenerTls,
    plaintext: PlaintextAuth,
) -> io::Result<()> {
    let host = listener
        .local_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|_| "localhost".into());
    let mut sessions = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = listener.accept().await?;
        // Each response is written whole when it is ready: Nagle's
        // algorithm would only hold the last part of it back.
        let _ = stream.set_nodelay(true);
        let (maildrop, tls) = (maildrop.for_client(peer.ip()), tls.clone());
        let mut options = Options::default();
        options.config.plaintext_auth = plaintext.allowed(peer.ip());
        options.config.implementation = Some("missive".into());
        if maildrop.supports_apop() {
            options.apop_hostname = Some(host.clone());
        }
        sessions.spawn(async move {
            let _ = match tls {
                ListenerTls::None => pop3_proto::tokio::serve(&maildrop, stream, options).await,
                ListenerTls::Upgrade(tls) => {
                    pop3_proto::tokio::serve_with_starttls(&maildrop, stream, options, &tls).await
                }
                ListenerTls::Implicit(tls) => match tls.accept(stream).await {
                    Ok(stream) => {
                        options.config.tls = true;
                        options.config.plaintext_auth = true;
                        pop3_proto::tokio::serve(&maildrop, stream, options).await
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
        assert!(safe_user("alice@example.org"));
        for bad in ["", "..", "../etc", "a/b", ".hidden", "a\0b"] {
            assert!(!safe_user(bad), "{bad:?}");
        }
    }
}
