//! A tokio driver: serves one IMAP connection from a [`Backend`].
//!
//! The driver owns the socket and the clock, feeds the Sans-IO
//! [`Session`], and turns each command into
//! backend calls (in UIDs; the session's view maps sequence numbers).
//! While IDLE it asks the backend for changes every
//! [`Options::idle_poll`]. A whole server is an accept loop:
//!
//! ```no_run
//! # async fn run<B: imap_proto::tokio::Backend + Clone + 'static>(backend: B) -> std::io::Result<()> {
//! use imap_proto::tokio::{serve, Options};
//! let listener = ::tokio::net::TcpListener::bind("127.0.0.1:10143").await?;
//! loop {
//!     let (stream, peer) = listener.accept().await?;
//!     let backend = backend.clone();
//!     let mut options = Options::default();
//!     // Loopback counts as a secure link for plaintext passwords.
//!     options.config.plaintext_auth = peer.ip().is_loopback();
//!     ::tokio::spawn(async move { serve(&backend, stream, options).await });
//!     // With a TLS acceptor, serve_with_starttls offers STARTTLS.
//! }
//! # }
//! ```

mod append;
mod backend;
mod exec;
mod fetch;
mod qresync;
mod search;

pub use backend::{
    AppendSink, Backend, BackendError, BackendResult, Change, CopyInfo, MailboxInfo, MailboxStatus,
    Mailboxes, MessageMeta, StoreOutcome,
};

use std::io;
use std::time::{Duration, Instant};

use ::tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use ::tokio::time::Instant as TokioInstant;

use crate::server::{Config, Event, Session};

/// How [`serve`] runs a connection.
#[derive(Debug, Clone)]
pub struct Options {
    /// The session's configuration.
    pub config: Config,
    /// The hierarchy delimiter of mailbox names.
    pub delimiter: char,
    /// How often the backend is asked for changes while IDLE.
    pub idle_poll: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            config: Config::default(),
            delimiter: '/',
            idle_poll: Duration::from_millis(500),
        }
    }
}

fn now() -> Instant {
    TokioInstant::now().into_std()
}

fn owner_error(e: crate::server::SessionError) -> io::Error {
    io::Error::other(e)
}

/// Serves one connection until LOGOUT, autologout, too many errors, or
/// the peer hanging up.
///
/// STARTTLS is not offered here (set `config.tls` for a connection that
/// is already TLS); [`serve_with_starttls`] offers it.
pub async fn serve<B, S>(backend: &B, mut stream: S, options: Options) -> io::Result<()>
where
    B: Backend,
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut conn = Connection::new(backend, options, false);
    let r = conn.drive(&mut stream, false).await.map(|_| ());
    conn.end().await;
    r
}

/// Upgrades a connection to TLS after STARTTLS (RFC 3501 section 6.2.1),
/// for example with tokio-rustls' `TlsAcceptor`.
#[async_trait::async_trait]
pub trait StartTls<S>: Send + Sync {
    /// The stream after the handshake.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send;

    /// Runs the server side of the TLS handshake on `stream`.
    async fn upgrade(&self, stream: S) -> io::Result<Self::Stream>;
}

/// Like [`serve`], and offers STARTTLS while the connection is not TLS:
/// on the client's STARTTLS the driver sends the tagged OK, hands the
/// stream to `tls` for the handshake and goes on over TLS. Bytes the
/// client pipelined after STARTTLS are discarded (RFC 3501 section 6.2.1,
/// CVE-2011-0411); afterwards CAPABILITY no longer lists STARTTLS nor
/// LOGINDISABLED, and LOGIN and AUTHENTICATE PLAIN are allowed.
pub async fn serve_with_starttls<B, S, T>(
    backend: &B,
    mut stream: S,
    options: Options,
    tls: &T,
) -> io::Result<()>
where
    B: Backend,
    S: AsyncRead + AsyncWrite + Unpin + Send,
    T: StartTls<S>,
{
    // A handshake that never finishes must not hold the connection
    // forever: it gets the time allowed before login.
    let limit = options.config.login_timeout;
    let mut conn = Connection::new(backend, options, true);
    let r = match conn.drive(&mut stream, true).await {
        Ok(Flow::StartTls) => match ::tokio::time::timeout(limit, tls.upgrade(stream)).await {
            Ok(Ok(mut stream)) => match conn.session.tls_established(now()) {
                Ok(()) => conn.drive(&mut stream, false).await.map(|_| ()),
                Err(e) => Err(owner_error(e)),
            },
            Ok(Err(e)) => Err(e),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "TLS handshake timed out",
            )),
        },
        Ok(Flow::Done) => Ok(()),
        Err(e) => Err(e),
    };
    conn.end().await;
    r
}

/// How [`Connection::drive`] ended.
enum Flow {
    /// The session is over (or the peer left).
    Done,
    /// STARTTLS was accepted: the handshake comes next.
    StartTls,
}

pub(crate) struct Connection<'a, B: Backend> {
    pub(crate) backend: &'a B,
    pub(crate) session: Session,
    pub(crate) mailboxes: Option<B::Mailboxes>,
    pub(crate) options: Options,
    pub(crate) idling: bool,
    pub(crate) upload: Option<append::Upload>,
    /// UIDNEXT of the selected mailbox when it was selected.
    pub(crate) uid_next: u32,
}

pub(crate) async fn flush<S: AsyncWrite + Unpin>(
    session: &mut Session,
    stream: &mut S,
) -> io::Result<()> {
    if !stream.is_write_vectored() {
        while let Some(b) = session.poll_transmit() {
            stream.write_all(&b).await?;
        }
        return Ok(());
    }
    let mut chunks: std::collections::VecDeque<bytes::Bytes> = std::collections::VecDeque::new();
    while let Some(b) = session.poll_transmit() {
        chunks.push_back(b);
    }
    write_chunks(stream, &mut chunks).await
}

/// Chunks written in one vectored write, at most.
const WRITE_CHUNKS: usize = 64;

/// Writes `chunks` in order with vectored writes (a FETCH of large bodies
/// queues each body as a chunk of its own, see [`Session::poll_transmit`]).
async fn write_chunks<S: AsyncWrite + Unpin>(
    stream: &mut S,
    chunks: &mut std::collections::VecDeque<bytes::Bytes>,
) -> io::Result<()> {
    use bytes::Buf;
    // An empty chunk would make a vectored write of nothing look like a
    // closed stream.
    chunks.retain(|c| !c.is_empty());
    while !chunks.is_empty() {
        let slices: Vec<io::IoSlice<'_>> = chunks
            .iter()
            .take(WRITE_CHUNKS)
            .map(|c| io::IoSlice::new(c))
            .collect();
        let mut n = stream.write_vectored(&slices).await?;
        drop(slices);
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        while n > 0 {
            let Some(front) = chunks.front_mut() else {
                break;
            };
            if n >= front.len() {
                n -= front.len();
                chunks.pop_front();
            } else {
                front.advance(n);
                n = 0;
            }
        }
    }
    Ok(())
}

impl<'a, B: Backend> Connection<'a, B> {
    fn new(backend: &'a B, options: Options, starttls: bool) -> Self {
        let mut config = options.config.clone();
        config.starttls = starttls && !config.tls;
        Connection {
            backend,
            session: Session::new(config, now()),
            mailboxes: None,
            options,
            idling: false,
            upload: None,
            uid_next: 0,
        }
    }

    /// Releases what the connection holds once it is over.
    async fn end(&mut self) {
        // A streamed APPEND cut off by the connection's end leaves nothing.
        self.append_abort().await;
        if let Some(mb) = self.mailboxes.as_mut() {
            let _ = mb.unselect(false).await;
        }
    }
}

/// The read buffer of a connection waiting for commands.
const READ_SMALL: usize = 1024;
/// The read buffer while a client sends a lot (APPEND).
const READ_LARGE: usize = 16 * 1024;

impl<B: Backend> Connection<'_, B> {
    /// Runs the session over `stream` until it ends, or until STARTTLS
    /// was accepted when `upgrade` is allowed.
    async fn drive<S>(&mut self, stream: &mut S, upgrade: bool) -> io::Result<Flow>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        // An idle connection waits with a small buffer; one read that
        // fills it (an upload) moves to a large one until reads are
        // small again.
        let mut buf = vec![0u8; READ_SMALL];
        loop {
            // The events of what was read are handled before anything is
            // written: a command's responses (SELECT's `[CLOSED]` and the
            // rest) leave in one write, not a small one first that Nagle's
            // algorithm holds back for the client's delayed ACK.
            if let Some(event) = self.session.poll_event() {
                if event == Event::StartTls {
                    if !upgrade {
                        // The session offers STARTTLS only when asked to.
                        return Err(io::Error::other("STARTTLS without a TLS acceptor"));
                    }
                    // The tagged OK goes out in the clear, then nothing
                    // more is read before the handshake.
                    flush(&mut self.session, stream).await?;
                    stream.flush().await?;
                    return Ok(Flow::StartTls);
                }
                self.handle(event, stream).await?;
                continue;
            }
            flush(&mut self.session, stream).await?;
            if self.session.is_closed() {
                stream.flush().await?;
                let _ = stream.shutdown().await;
                return Ok(Flow::Done);
            }
            stream.flush().await?;
            let deadline = self
                .session
                .poll_timeout()
                .map(TokioInstant::from_std)
                .unwrap_or_else(|| TokioInstant::now() + Duration::from_secs(3600));
            let poll = self.options.idle_poll;
            ::tokio::select! {
                r = stream.read(&mut buf) => {
                    let n = r?;
                    if n == 0 {
                        return Ok(Flow::Done);
                    }
                    self.session.receive(now(), buf.get(..n).unwrap_or_default());
                    if n == buf.len() && n < READ_LARGE {
                        buf = vec![0u8; READ_LARGE];
                    } else if n < READ_SMALL && buf.len() > READ_SMALL {
                        buf = vec![0u8; READ_SMALL];
                    }
                }
                _ = ::tokio::time::sleep_until(deadline) => {
                    self.session.handle_timeout(now());
                }
                _ = ::tokio::time::sleep(poll), if self.idling => {
                    self.apply_changes().await;
                    self.session.flush_updates();
                }
            }
        }
    }

    async fn handle<S>(&mut self, event: Event, stream: &mut S) -> io::Result<()>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        match event {
            Event::Login {
                username, password, ..
            } => {
                match self
                    .backend
                    .login_checked(&username, password.expose())
                    .await
                {
                    Ok(mb) => {
                        let ok = mb.is_some();
                        self.mailboxes = mb;
                        self.session.login_complete(now(), ok)
                    }
                    Err(text) => self.session.login_unavailable(now(), &text),
                }
                .map_err(owner_error)?;
            }
            // Taken care of in `drive`.
            Event::StartTls => {}
            Event::Command(c) => self.execute(c, stream).await?,
            Event::Idle => {
                self.idling = true;
                self.apply_changes().await;
                self.session.flush_updates();
            }
            Event::IdleDone => self.idling = false,
            Event::AppendStart {
                mailbox,
                flags,
                date,
                length,
                ..
            } => self.append_start(&mailbox, flags, date, length).await?,
            Event::AppendData(octets) => self.append_data(octets).await,
            Event::AppendEnd => self.append_end().await?,
            Event::AppendAbort => self.append_abort().await,
            Event::Closed => {
                self.idling = false;
                self.append_abort().await;
            }
        }
        Ok(())
    }

    /// Asks the backend what others changed and records it in the view.
    pub(crate) async fn apply_changes(&mut self) {
        let (Some(mb), Some(_)) = (self.mailboxes.as_mut(), self.session.view()) else {
            return;
        };
        let Ok(changes) = mb.changes().await else {
            return;
        };
        let lost = self.record_changes(changes);
        if lost {
            // RFC 3501 section 2.3.1.1: UIDs are void; the client must
            // start over.
            self.session.shutdown();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::write_chunks;
    use std::collections::VecDeque;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// Takes at most `max` octets per write, vectored or not.
    struct Trickle {
        got: Vec<u8>,
        max: usize,
        writes: usize,
    }

    impl ::tokio::io::AsyncWrite for Trickle {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            let n = buf.len().min(self.max);
            self.got.extend_from_slice(&buf[..n]);
            self.writes += 1;
            Poll::Ready(Ok(n))
        }

        fn poll_write_vectored(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            bufs: &[std::io::IoSlice<'_>],
        ) -> Poll<std::io::Result<usize>> {
            let mut left = self.max;
            for b in bufs {
                let n = b.len().min(left);
                self.got.extend_from_slice(&b[..n]);
                left -= n;
            }
            self.writes += 1;
            Poll::Ready(Ok(self.max - left))
        }

        fn is_write_vectored(&self) -> bool {
            true
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    proptest::proptest! {
        /// Partial vectored writes, cut anywhere, write every chunk once
        /// and in order.
        #[test]
        fn chunks_go_out_whole_and_in_order(
            chunks in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..40), 0..150),
            max in 1usize..100,
        ) {
            let want: Vec<u8> = chunks.concat();
            let mut queue: VecDeque<bytes::Bytes> = chunks.into_iter().map(bytes::Bytes::from).collect();
            let mut w = Trickle { got: Vec::new(), max, writes: 0 };
            let rt = ::tokio::runtime::Builder::new_current_thread().build().unwrap();
            rt.block_on(write_chunks(&mut w, &mut queue)).unwrap();
            proptest::prop_assert_eq!(&w.got, &want);
            proptest::prop_assert!(queue.is_empty());
            // Whole writes when each can take everything offered.
            proptest::prop_assert!(w.writes >= want.len().div_ceil(max));
        }
    }
}
