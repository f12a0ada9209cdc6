//! Sending one message with the client session.

use ::tokio::io::{AsyncReadExt, AsyncWriteExt};
use bytes::Bytes;

use super::{Io, now};
use crate::client::{self, Envelope, Event, Outcome, Session, TlsPolicy};
use crate::error::DriverError;

/// The client side of a TLS handshake, run after the server accepted
/// STARTTLS (for example a `tokio_rustls::TlsConnector` with the server name).
#[async_trait::async_trait]
pub trait TlsConnector: Send + Sync {
    /// Runs the handshake over `io` and returns the encrypted stream.
    async fn connect(&self, io: Box<dyn Io>) -> std::io::Result<Box<dyn Io>>;
}

/// Sends one message over `io` (a connected socket) and quits. Returns one
/// result per recipient; `Err` if the session failed before the
/// transaction (greeting, EHLO, TLS, AUTH) or the connection broke.
///
/// Without a `tls` connector STARTTLS is not attempted; with
/// [`TlsPolicy::Required`] that is an error.
///
/// # Examples
///
/// ```no_run
/// use bytes::Bytes;
/// use smtp_proto::client::{Config, Envelope};
/// use smtp_proto::{ForwardPath, Host, Mailbox, ReversePath};
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let socket = tokio::net::TcpStream::connect("127.0.0.1:10025").await?;
/// let envelope = Envelope {
///     reverse_path: ReversePath::Mailbox(Mailbox::parse("me@example.org")?),
///     parameters: Default::default(),
///     recipients: vec![(ForwardPath::Mailbox(Mailbox::parse("you@example.org")?), Default::default())],
/// };
/// let config = Config::new(Host::parse("client.example.org")?);
/// let outcome = smtp_proto::tokio::send_message(socket, config, envelope,
///     Bytes::from_static(b"Subject: hi\r\n\r\nhello\r\n"), None).await?;
/// assert!(outcome.recipients[0].is_delivered());
/// # Ok(()) }
/// ```
pub async fn send_message<S: Io + 'static>(
    io: S,
    mut config: client::Config,
    envelope: Envelope,
    message: Bytes,
    tls: Option<&dyn TlsConnector>,
) -> Result<Outcome, DriverError> {
    if tls.is_none() {
        if config.tls == TlsPolicy::Required {
            return Err(DriverError::Tls(std::io::Error::other(
                "TLS required but no connector given",
            )));
        }
        config.tls = TlsPolicy::Never;
    }
    let mut io: Box<dyn Io> = Box::new(io);
    let mut session = Session::new(config, now());
    let mut envelope = Some((envelope, message));
    let mut outcome = None;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let mut upgrade = false;
        while let Some(event) = session.poll_event() {
            match event {
                Event::StartTls => upgrade = true,
                Event::Ready(_) => match envelope.take() {
                    Some((env, msg)) => session.send_mail(env, msg)?,
                    None => session.quit()?,
                },
                Event::Delivered(o) => outcome = Some(o),
                Event::Failed(f) => {
                    while let Some(b) = session.poll_transmit() {
                        let _ = io.write_all(&b).await;
                    }
                    let _ = io.shutdown().await;
                    // A failure after the transaction (a lost QUIT reply)
                    // does not undo it.
                    return outcome.ok_or(DriverError::Failed(f));
                }
                Event::Closed => {
                    let _ = io.shutdown().await;
                    return outcome.ok_or(DriverError::Closed);
                }
            }
        }
        while let Some(b) = session.poll_transmit() {
            io.write_all(&b).await?;
        }
        io.flush().await?;
        if upgrade {
            let Some(connector) = tls else {
                return Err(DriverError::Tls(std::io::Error::other("no TLS connector")));
            };
            io = connector.connect(io).await.map_err(DriverError::Tls)?;
            session.tls_established(now());
            continue;
        }
        let deadline = session.poll_timeout();
        let sleep = async {
            match deadline {
                Some(d) => ::tokio::time::sleep_until(d.into()).await,
                None => std::future::pending().await,
            }
        };
        ::tokio::select! {
            read = io.read(&mut buf) => {
                let n = read?;
                if n == 0 {
                    return outcome.ok_or(DriverError::Closed);
                }
                session.receive(now(), &buf[..n]);
            }
            () = sleep => session.handle_timeout(now()),
        }
    }
}
