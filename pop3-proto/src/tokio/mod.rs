//! A tokio driver: serves one POP3 connection from a [`Maildrop`].
//!
//! The driver owns the socket and the clock, feeds the Sans-IO
//! [`Session`] and calls the backend for each event. It holds no protocol
//! rules of its own. A whole server is an accept loop around [`serve`]:
//!
//! ```no_run
//! # async fn run(maildrop: impl pop3_proto::tokio::Maildrop + Clone + 'static) -> std::io::Result<()> {
//! use pop3_proto::tokio::{serve, Options};
//! let listener = ::tokio::net::TcpListener::bind("127.0.0.1:10110").await?;
//! loop {
//!     let (stream, peer) = listener.accept().await?;
//!     let maildrop = maildrop.clone();
//!     // Loopback counts as a secure link for plaintext passwords.
//!     let mut options = Options::default();
//!     options.config.plaintext_auth = peer.ip().is_loopback();
//!     ::tokio::spawn(async move { serve(&maildrop, stream, options).await });
//! }
//! # }
//! ```

use crate::server::{Config, Event, Session};
use crate::types::{Credentials, MessageInfo, RespCode, Response, UniqueId};
use ::tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use ::tokio::time::Instant as TokioInstant;
use async_trait::async_trait;
use std::io;
use std::time::Instant;

/// Why a backend refused to authenticate or open a maildrop. The driver
/// turns each into the `-ERR` response with the RFC 2449 / RFC 3206 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// Wrong user name or password: `-ERR [AUTH]`.
    BadCredentials,
    /// The maildrop is locked by another session: `-ERR [IN-USE]`.
    InUse,
    /// The user logged in too recently: `-ERR [LOGIN-DELAY]`.
    LoginDelay,
    /// A temporary failure (disk, lock file): `-ERR [SYS/TEMP]`.
    Temporary,
    /// A permanent failure (no maildrop): `-ERR [SYS/PERM]`.
    Permanent,
}

impl Refusal {
    /// The response the server sends for this refusal.
    pub fn response(self) -> Response {
        let (code, text) = match self {
            Refusal::BadCredentials => (RespCode::AUTH, "authentication failed"),
            Refusal::InUse => (RespCode::IN_USE, "maildrop is locked by another session"),
            Refusal::LoginDelay => (RespCode::LOGIN_DELAY, "logged in too recently"),
            Refusal::Temporary => (RespCode::SYS_TEMP, "temporary failure, try again later"),
            Refusal::Permanent => (RespCode::SYS_PERM, "maildrop unavailable"),
        };
        Response::err(text)
            .map(|r| r.with_code(code))
            .unwrap_or_else(|_| unreachable_response())
    }
}

fn unreachable_response() -> Response {
    // The texts above are valid; keep a fallback anyway instead of a panic.
    Response::from_parts(crate::Status::Err, None, String::new())
}

/// A message being read, streamed in chunks.
pub type MessageReader = Box<dyn AsyncRead + Send + Unpin>;

/// The store behind a POP3 server: checks credentials and locks maildrops.
#[async_trait]
pub trait Maildrop: Send + Sync {
    /// A maildrop held under an exclusive-access lock (RFC 1939 section 4),
    /// released when dropped.
    type Lock: LockedMaildrop;

    /// Checks credentials. Returns the maildrop's user name.
    async fn authenticate(&self, credentials: &Credentials) -> Result<String, Refusal>;

    /// Opens and locks `user`'s maildrop; [`Refusal::InUse`] when another
    /// session holds it.
    async fn open(&self, user: &str) -> Result<Self::Lock, Refusal>;
}

/// A locked maildrop for the length of one session.
#[async_trait]
pub trait LockedMaildrop: Send {
    /// The messages, in message-number order, with stable unique-ids and
    /// sizes as sent (CRLF line ends).
    async fn list(&mut self) -> io::Result<Vec<MessageInfo>>;

    /// Opens a message for reading. The driver reads it in chunks, so a
    /// large message is never held whole.
    async fn retrieve(&mut self, uid: &UniqueId) -> io::Result<MessageReader>;

    /// Opens a message for TOP. The session stops after the header and
    /// `lines` body lines; the default reads from [`retrieve`](Self::retrieve).
    async fn top(&mut self, uid: &UniqueId, lines: u32) -> io::Result<MessageReader> {
        let _ = lines;
        self.retrieve(uid).await
    }

    /// Removes the messages marked as deleted (the UPDATE state, RFC 1939
    /// section 6). Only called after QUIT.
    async fn commit(&mut self, deleted: &[UniqueId]) -> io::Result<()>;
}

/// How [`serve`] runs a connection.
#[derive(Debug, Clone)]
pub struct Options {
    /// The session's configuration.
    pub config: Config,
    /// When set, the greeting carries an APOP timestamp made from the
    /// process id, a counter, the clock and this host name.
    pub apop_hostname: Option<String>,
    /// Octets read from a message at a time.
    pub chunk_size: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            config: Config::default(),
            apop_hostname: None,
            chunk_size: 64 * 1024,
        }
    }
}

fn apop_timestamp(host: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("<{}.{n}.{clock}@{host}>", std::process::id())
}

fn now() -> Instant {
    TokioInstant::now().into_std()
}

/// Serves one connection until QUIT, autologout, too many errors, or the
/// peer hanging up. Deletions happen only after QUIT; any other end
/// releases the lock and deletes nothing.
///
/// STLS is not offered here (set `config.tls` for a connection that is
/// already TLS); [`serve_with_starttls`] offers it.
pub async fn serve<M, S>(maildrop: &M, mut stream: S, options: Options) -> io::Result<()>
where
    M: Maildrop,
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut conn = Connection::new(maildrop, options, false);
    conn.drive(&mut stream, false).await.map(|_| ())
}

/// Upgrades a connection to TLS after STLS (RFC 2595 section 4), for
/// example with tokio-rustls' `TlsAcceptor`.
#[async_trait]
pub trait StartTls<S>: Send + Sync {
    /// The stream after the handshake.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send;

    /// Runs the server side of the TLS handshake on `stream`.
    async fn upgrade(&self, stream: S) -> io::Result<Self::Stream>;
}

/// Like [`serve`], and offers STLS: on the client's STLS the driver
/// answers `+OK`, hands the stream to `tls` for the handshake and goes on
/// over TLS. Bytes the client pipelined after STLS are discarded
/// (CVE-2011-0411).
pub async fn serve_with_starttls<M, S, T>(
    maildrop: &M,
    mut stream: S,
    options: Options,
    tls: &T,
) -> io::Result<()>
where
    M: Maildrop,
    S: AsyncRead + AsyncWrite + Unpin + Send,
    T: StartTls<S>,
{
    let mut conn = Connection::new(maildrop, options, true);
    match conn.drive(&mut stream, true).await? {
        Flow::Done => Ok(()),
        Flow::StartTls => {
            // A handshake that never finishes must not hold the
            // connection forever: it gets the autologout time.
            let limit = conn.session.autologout();
            let mut stream = ::tokio::time::timeout(limit, tls.upgrade(stream))
                .await
                .map_err(|_| {
                    io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out")
                })??;
            conn.session.tls_established(now()).map_err(owner_error)?;
            conn.drive(&mut stream, false).await.map(|_| ())
        }
    }
}

enum Flow {
    Done,
    StartTls,
}

struct Connection<'a, M: Maildrop> {
    maildrop: &'a M,
    session: Session,
    lock: Option<M::Lock>,
    buf: Vec<u8>,
    chunk: Vec<u8>,
}

impl<'a, M: Maildrop> Connection<'a, M> {
    fn new(maildrop: &'a M, options: Options, stls: bool) -> Self {
        let mut config = options.config;
        config.stls = stls && !config.tls;
        if let Some(host) = &options.apop_hostname {
            config.apop_timestamp = Some(apop_timestamp(host));
        }
        Connection {
            maildrop,
            session: Session::new(config, now()),
            lock: None,
            buf: vec![0u8; 16 * 1024],
            chunk: vec![0u8; options.chunk_size.max(1)],
        }
    }

    /// Runs the session over `stream` until it ends, or until STLS was
    /// accepted when `upgrade` is allowed.
    async fn drive<S>(&mut self, stream: &mut S, upgrade: bool) -> io::Result<Flow>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        loop {
            flush(&mut self.session, stream).await?;
            if self.session.is_closed() {
                stream.flush().await?;
                let _ = stream.shutdown().await;
                return Ok(Flow::Done);
            }
            if let Some(event) = self.session.poll_event() {
                if event == Event::StartTls {
                    if upgrade {
                        self.session.accept().map_err(owner_error)?;
                        flush(&mut self.session, stream).await?;
                        stream.flush().await?;
                        return Ok(Flow::StartTls);
                    }
                    let r = Response::err("STLS not available")
                        .unwrap_or_else(|_| unreachable_response());
                    self.session.reject(r).map_err(owner_error)?;
                    continue;
                }
                handle(
                    self.maildrop,
                    &mut self.session,
                    &mut self.lock,
                    stream,
                    &mut self.chunk,
                    event,
                )
                .await?;
                continue;
            }
            let deadline = self.session.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(d) => ::tokio::time::sleep_until(TokioInstant::from_std(d)).await,
                    None => std::future::pending().await,
                }
            };
            ::tokio::select! {
                read = stream.read(&mut self.buf) => {
                    let n = read?;
                    if n == 0 {
                        // The client went away without QUIT: nothing is
                        // deleted, the lock goes with `self`.
                        return Ok(Flow::Done);
                    }
                    self.session.receive(now(), self.buf.get(..n).unwrap_or_default());
                }
                () = sleep => self.session.handle_timeout(now()),
            }
        }
    }
}

async fn flush<S: AsyncWrite + Unpin>(session: &mut Session, stream: &mut S) -> io::Result<()> {
    while let Some(bytes) = session.poll_transmit() {
        stream.write_all(&bytes).await?;
    }
    Ok(())
}

fn owner_error(e: crate::Error) -> io::Error {
    io::Error::other(e)
}

async fn handle<M, S>(
    maildrop: &M,
    session: &mut Session,
    lock: &mut Option<M::Lock>,
    stream: &mut S,
    chunk: &mut [u8],
    event: Event,
) -> io::Result<()>
where
    M: Maildrop,
    S: AsyncWrite + Unpin + Send,
{
    match event {
        Event::Authenticate(credentials) => {
            let opened = match maildrop.authenticate(&credentials).await {
                Ok(user) => maildrop.open(&user).await,
                Err(refusal) => Err(refusal),
            };
            let listed = match opened {
                Ok(mut l) => match l.list().await {
                    Ok(listing) => Ok((l, listing)),
                    Err(_) => Err(Refusal::Temporary),
                },
                Err(r) => Err(r),
            };
            match listed {
                Ok((l, listing)) => {
                    *lock = Some(l);
                    session.accept_maildrop(listing).map_err(owner_error)
                }
                Err(refusal) => session.reject(refusal.response()).map_err(owner_error),
            }
        }
        Event::Retrieve { uid, lines, .. } => {
            let Some(l) = lock.as_mut() else {
                return session
                    .reject(Refusal::Temporary.response())
                    .map_err(owner_error);
            };
            let reader = match lines {
                Some(n) => l.top(&uid, n).await,
                None => l.retrieve(&uid).await,
            };
            let mut reader = match reader {
                Ok(r) => r,
                Err(_) => {
                    return session
                        .reject(Refusal::Temporary.response())
                        .map_err(owner_error);
                }
            };
            session.accept().map_err(owner_error)?;
            loop {
                // A failure mid-message cannot be told in POP3: the error
                // ends the connection, and nothing is deleted.
                let n = reader.read(chunk).await?;
                if n == 0 {
                    break;
                }
                let more = session
                    .message_data(chunk.get(..n).unwrap_or_default())
                    .map_err(owner_error)?;
                flush(session, stream).await?;
                if !more {
                    break;
                }
            }
            session.end_message().map_err(owner_error)
        }
        Event::Update { deleted } => {
            let uids: Vec<UniqueId> = deleted.into_iter().map(|m| m.uid).collect();
            let result = match lock.as_mut() {
                Some(l) => l.commit(&uids).await,
                None => Ok(()),
            };
            // The lock goes with the UPDATE state (RFC 1939 section 6).
            *lock = None;
            match result {
                Ok(()) => session.accept().map_err(owner_error),
                Err(_) => {
                    let r = Response::err("some deleted messages not removed")
                        .map(|r| r.with_code(RespCode::SYS_TEMP))
                        .unwrap_or_else(|_| unreachable_response());
                    session.reject(r).map_err(owner_error)
                }
            }
        }
        Event::StartTls => {
            let r = Response::err("STLS not available").unwrap_or_else(|_| unreachable_response());
            session.reject(r).map_err(owner_error)
        }
    }
}
