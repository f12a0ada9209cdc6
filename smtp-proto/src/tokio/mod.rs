//! A tokio driver for the sessions (feature `tokio`).
//!
//! [`serve`] runs one server connection over any `AsyncRead + AsyncWrite`,
//! asking a [`Handler`] for every decision; [`send_message`] hands one
//! message to a server. The driver holds no protocol rules: it moves bytes,
//! sleeps until the session's deadline, and calls the handler.
//!
//! # Examples
//!
//! An SMTP server that takes every message, in one accept loop:
//!
//! ```no_run
//! use bytes::Bytes;
//! use smtp_proto::tokio::{serve, Handler, Options};
//! use smtp_proto::{server, ForwardPath, MailParameters, RcptParameters, Reply, ReversePath};
//!
//! struct Sink;
//!
//! #[async_trait::async_trait]
//! impl Handler for Sink {
//!     async fn mail(&mut self, _: &ReversePath, _: &MailParameters) -> Result<(), Reply> { Ok(()) }
//!     async fn rcpt(&mut self, _: &ForwardPath, _: &RcptParameters) -> Result<(), Reply> { Ok(()) }
//!     async fn data_end(&mut self, message: Option<Bytes>) -> Result<(), Reply> {
//!         println!("{} octets", message.map_or(0, |m| m.len()));
//!         Ok(())
//!     }
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! loop {
//!     let (socket, _) = listener.accept().await?;
//!     tokio::spawn(async move {
//!         let config = server::Config::new("mx.example");
//!         let _ = serve(socket, config, &mut Sink, Options::default()).await;
//!     });
//! }
//! # }
//! ```

mod client;

use ::tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use bytes::{Bytes, BytesMut};

pub use self::client::{TlsConnector, send_message};
use crate::error::DriverError;
use crate::server::{self, AbortReason, Event, HeloKind, Mode, Session};
use crate::types::{
    Credentials, ForwardPath, Host, MailParameters, RcptParameters, Reply, ReversePath,
};
/// The attribute that implementations of [`Handler`], [`TlsAcceptor`] and
/// [`TlsConnector`] need, re-exported so users need no extra dependency.
pub use async_trait::async_trait;

/// A connection the driver can run over: any tokio byte stream.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The server side of a TLS handshake, run after STARTTLS was accepted
/// (for example a `tokio_rustls::TlsAcceptor` wrapped in this trait).
#[async_trait::async_trait]
pub trait TlsAcceptor: Send + Sync {
    /// Runs the handshake over `io` and returns the encrypted stream.
    async fn accept(&self, io: Box<dyn Io>) -> std::io::Result<Box<dyn Io>>;
}

/// How the handler wants message content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataMode {
    /// Chunk by chunk through [`Handler::data_chunk`], for writing straight
    /// into a queue file; [`Handler::data_end`] gets `None`.
    Stream,
    /// Collected by the driver (bounded by the session's SIZE limit) and
    /// passed whole to [`Handler::data_end`].
    #[default]
    Whole,
}

/// The decisions of an SMTP or LMTP server. Every method returning
/// `Result<_, Reply>` accepts with `Ok` (the session sends the usual
/// positive reply) or refuses with the reply to send.
#[async_trait::async_trait]
pub trait Handler: Send {
    /// A client connected; `Err` sends the reply (for example 554) instead
    /// of the 220 greeting (RFC 5321 3.1).
    async fn connect(&mut self) -> Result<(), Reply> {
        Ok(())
    }

    /// EHLO, HELO or LHLO.
    async fn helo(&mut self, host: &Host, kind: HeloKind) -> Result<(), Reply> {
        let _ = (host, kind);
        Ok(())
    }

    /// MAIL FROM. Parameters are already checked against the extensions.
    async fn mail(
        &mut self,
        reverse_path: &ReversePath,
        parameters: &MailParameters,
    ) -> Result<(), Reply>;

    /// RCPT TO: decide per recipient (relay policy, mailbox exists, quota).
    async fn rcpt(
        &mut self,
        forward_path: &ForwardPath,
        parameters: &RcptParameters,
    ) -> Result<(), Reply>;

    /// DATA or the first BDAT chunk: choose how to receive the content.
    async fn data_start(&mut self) -> Result<DataMode, Reply> {
        Ok(DataMode::Whole)
    }

    /// A chunk of content in [`DataMode::Stream`]. `Err` gives up the
    /// message: the rest is read and discarded and the reply answers the end
    /// of data.
    async fn data_chunk(&mut self, chunk: Bytes) -> Result<(), Reply> {
        let _ = chunk;
        Ok(())
    }

    /// The message is complete (`message` is `Some` in [`DataMode::Whole`]).
    /// Store it durably before returning `Ok`: `Ok` sends 250.
    async fn data_end(&mut self, message: Option<Bytes>) -> Result<(), Reply>;

    /// LMTP's end of data: one reply per accepted recipient, in order
    /// (RFC 2033 4.2). By default [`Handler::data_end`] decides for all.
    async fn lmtp_data_end(
        &mut self,
        message: Option<Bytes>,
        recipients: &[ForwardPath],
    ) -> Vec<Reply> {
        let reply = match self.data_end(message).await {
            Ok(()) => Reply::fixed(250, Some((2, 0, 0)), "OK: delivered"),
            Err(r) => r,
        };
        vec![reply; recipients.len()]
    }

    /// The message was given up while arriving (too large, a line too long,
    /// bare line ends); discard what was received.
    async fn data_abort(&mut self, reason: AbortReason) {
        let _ = reason;
    }

    /// The open transaction was dropped (RSET, new EHLO, STARTTLS, QUIT, a
    /// timeout).
    async fn reset(&mut self) {}

    /// VRFY: `None` gives 252 (RFC 5321 3.5.3).
    async fn vrfy(&mut self, argument: &str) -> Option<Reply> {
        let _ = argument;
        None
    }

    /// EXPN: `None` gives 502 (RFC 5321 7.3).
    async fn expn(&mut self, argument: &str) -> Option<Reply> {
        let _ = argument;
        None
    }

    /// STARTTLS was asked for; `Err` refuses it (for example 454 4.7.0).
    async fn starttls(&mut self) -> Result<(), Reply> {
        Ok(())
    }

    /// The TLS handshake finished; the client will greet again.
    async fn tls_established(&mut self) {}

    /// AUTH PLAIN or LOGIN credentials to check. The default refuses.
    async fn auth(&mut self, credentials: &Credentials) -> Result<(), Reply> {
        let _ = credentials;
        Err(Reply::fixed(
            535,
            Some((5, 7, 8)),
            "Authentication credentials invalid",
        ))
    }
}

/// Options of [`serve`].
#[derive(Default, Clone, Copy)]
pub struct Options<'a> {
    /// Runs the TLS handshake after STARTTLS. Without it STARTTLS is not
    /// offered, whatever the configuration says.
    pub tls: Option<&'a dyn TlsAcceptor>,
    /// The connection is already encrypted (implicit TLS, RFC 8314 3.3):
    /// STARTTLS is not offered and AUTH is.
    pub implicit_tls: bool,
    /// Turns `true` when the server shuts down: the session then finishes
    /// the command or message in progress and closes with `421 4.3.2`
    /// ([`Session::shut_down`]).
    pub shutdown: Option<&'a ::tokio::sync::watch::Receiver<bool>>,
}

/// Serves one SMTP or LMTP connection until the client quits, the session
/// closes it (421, too many errors, a timeout) or the connection drops.
pub async fn serve<S, H>(
    io: S,
    mut config: server::Config,
    handler: &mut H,
    options: Options<'_>,
) -> Result<(), DriverError>
where
    S: Io + 'static,
    H: Handler + ?Sized,
{
    if options.tls.is_none() || options.implicit_tls {
        config.starttls = false;
    }
    let handshake_timeout = config.limits.command_timeout;
    let mut io: Box<dyn Io> = Box::new(io);
    let mut session = Session::new(config, now());
    if options.implicit_tls {
        session.assume_tls();
    }
    let mut stop = options.shutdown.cloned();
    if stop.as_ref().is_some_and(|s| *s.borrow()) {
        session.shut_down();
        stop = None;
    }
    let mut read_buf = vec![0u8; 16 * 1024];
    let mut mode = DataMode::Whole;
    let mut whole = BytesMut::new();
    loop {
        let mut upgrade = false;
        while let Some(event) = session.poll_event() {
            match event {
                Event::Connect => answer(&mut session, handler.connect().await)?,
                Event::Helo { host, kind } => {
                    answer(&mut session, handler.helo(&host, kind).await)?
                }
                Event::Mail {
                    reverse_path,
                    parameters,
                } => answer(&mut session, handler.mail(&reverse_path, &parameters).await)?,
                Event::Rcpt {
                    forward_path,
                    parameters,
                } => answer(&mut session, handler.rcpt(&forward_path, &parameters).await)?,
                Event::DataStart { .. } => {
                    whole.clear();
                    match handler.data_start().await {
                        Ok(m) => {
                            mode = m;
                            session.accept()?;
                        }
                        Err(r) => session.reject(r)?,
                    }
                }
                Event::MessageData(chunk) => match mode {
                    DataMode::Whole => whole.extend_from_slice(&chunk),
                    DataMode::Stream => {
                        if let Err(r) = handler.data_chunk(chunk).await {
                            session.reject_message(r)?;
                        }
                    }
                },
                Event::MessageEnd => {
                    let message = (mode == DataMode::Whole).then(|| whole.split().freeze());
                    if session.config().mode == Mode::Lmtp {
                        let recipients = session.recipients().to_vec();
                        let replies = handler.lmtp_data_end(message, &recipients).await;
                        session.respond_recipients(replies)?;
                    } else {
                        answer(&mut session, handler.data_end(message).await)?;
                    }
                }
                Event::MessageAborted(reason) => {
                    whole.clear();
                    handler.data_abort(reason).await;
                }
                Event::Reset => {
                    whole.clear();
                    handler.reset().await;
                }
                Event::StartTls => match handler.starttls().await {
                    Ok(()) => {
                        session.accept()?;
                        upgrade = true;
                    }
                    Err(r) => session.reject(r)?,
                },
                Event::Auth(credentials) => answer(&mut session, handler.auth(&credentials).await)?,
                Event::Vrfy(arg) => respond(&mut session, handler.vrfy(&arg).await)?,
                Event::Expn(arg) => respond(&mut session, handler.expn(&arg).await)?,
            }
        }
        while let Some(bytes) = session.poll_transmit() {
            io.write_all(&bytes).await?;
        }
        io.flush().await?;
        if upgrade {
            // The 220 is out; everything else the client sent in plaintext
            // is dropped by the session (RFC 3207 4.2).
            let Some(tls) = options.tls else {
                return Err(DriverError::Tls(std::io::Error::other("no TLS acceptor")));
            };
            io = match ::tokio::time::timeout(handshake_timeout, tls.accept(io)).await {
                Ok(Ok(io)) => io,
                Ok(Err(e)) => return Err(DriverError::Tls(e)),
                Err(_) => return Err(DriverError::Timeout),
            };
            session.tls_established(now());
            handler.tls_established().await;
            continue;
        }
        if session.is_closed() {
            let _ = io.shutdown().await;
            return Ok(());
        }
        let deadline = session.poll_timeout();
        let sleep = async {
            match deadline {
                Some(d) => ::tokio::time::sleep_until(d.into()).await,
                None => std::future::pending().await,
            }
        };
        let stopping = async {
            match stop.as_mut() {
                Some(s) => loop {
                    if s.changed().await.is_err() {
                        break false;
                    }
                    if *s.borrow() {
                        break true;
                    }
                },
                None => std::future::pending().await,
            }
        };
        ::tokio::select! {
            read = io.read(&mut read_buf) => {
                let n = read?;
                if n == 0 {
                    return Ok(());
                }
                session.receive(now(), &read_buf[..n]);
            }
            () = sleep => session.handle_timeout(now()),
            stopped = stopping => {
                // Either way this receiver has said all it will.
                stop = None;
                if stopped {
                    session.shut_down();
                }
            }
        }
    }
}

fn answer(session: &mut Session, decision: Result<(), Reply>) -> Result<(), DriverError> {
    match decision {
        Ok(()) => session.accept()?,
        Err(r) => session.reject(r)?,
    }
    Ok(())
}

fn respond(session: &mut Session, decision: Option<Reply>) -> Result<(), DriverError> {
    match decision {
        None => session.accept()?,
        Some(r) => session.respond(r)?,
    }
    Ok(())
}

/// The current time from tokio's clock, so that a paused test clock
/// (`tokio::time::pause`) drives the sessions' timers too.
fn now() -> std::time::Instant {
    ::tokio::time::Instant::now().into_std()
}
