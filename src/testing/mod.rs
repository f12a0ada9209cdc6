//! An embeddable mail server for tests (feature `testing`, on by default).
//!
//! [`TestServer`] runs SMTP, IMAP and POP3 on 127.0.0.1 ephemeral ports
//! over Maildirs in a temporary directory it owns, the way GreenMail or
//! Mailpit serve tests in other languages: start it in one line, point
//! the code under test at it, then assert on what arrived.
//!
//! - SMTP takes mail for any domain; a recipient must be a user
//!   ([`TestServer::add_user`]) unless the server creates mailboxes on
//!   first delivery; others get `550 5.1.1`. Each message is fsynced into
//!   the recipients' INBOX before the `250`, and kept with its envelope
//!   for [`TestServer::messages`].
//! - IMAP and POP3 serve the same Maildirs (mta-core's backends), with
//!   plaintext LOGIN / USER-PASS / AUTH PLAIN allowed (loopback).
//! - Every connection is recorded: [`TestServer::transcripts`] gives each
//!   exchange in order, client commands parsed by the protocol crates.
//! - Faults are scripted: a reply per SMTP command or recipient
//!   ([`SmtpFault`]), a disconnect after N octets, a slow or a stalled
//!   peer ([`ConnectionFault`]), so an application's error paths can be
//!   tested deterministically.
//!
//! It is made for tests, not for service: no TLS (STARTTLS is not
//! offered), any domain accepted, and transcripts kept in memory whole
//! until [`TestServer::reset`] or drop.
//!
//! # Examples
//!
//! ```
//! use missive::testing::TestServer;
//! use missive::smtp::{client, ForwardPath, Host, Mailbox, ReversePath};
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = TestServer::builder().user("alice@localhost", "pw").start().await?;
//!
//! // The code under test sends a message...
//! let socket = tokio::net::TcpStream::connect(server.smtp_addr()).await?;
//! let envelope = client::Envelope {
//!     reverse_path: ReversePath::Mailbox(Mailbox::parse("app@example.org")?),
//!     parameters: Default::default(),
//!     recipients: vec![(ForwardPath::Mailbox(Mailbox::parse("alice@localhost")?), Default::default())],
//! };
//! let config = client::Config::new(Host::parse("app.example.org")?);
//! let message = bytes::Bytes::from_static(b"Subject: Welcome\r\n\r\nHello Alice\r\n");
//! missive::smtp::tokio::send_message(socket, config, envelope, message, None).await?;
//!
//! // ...and the test asserts on what arrived, envelope included.
//! server.wait_for_messages(1, Duration::from_secs(5)).await?;
//! let inbox = server.messages_for("alice@localhost");
//! assert_eq!(inbox[0].subject(), Some("Welcome"));
//! assert_eq!(inbox[0].mail_from(), "<app@example.org>");
//! assert_eq!(inbox[0].rcpt_to(), ["<alice@localhost>"]);
//!
//! // The SMTP conversation, with each command parsed.
//! let transcript = server.transcript(inbox[0].envelope.connection).unwrap();
//! assert!(transcript.to_string().contains("C: MAIL FROM:<app@example.org>"));
//! # Ok(())
//! # }
//! ```

mod access;
mod fault;
mod message;
mod record;
mod smtp;
mod stream;
mod transcript;

pub use fault::{ConnectionFault, ConnectionFaultKind, SmtpAction, SmtpCommand, SmtpFault};
pub use message::{Envelope, ReceivedMessage};
pub use transcript::{
    Command, ConnectionId, Direction, Entry, EntryKind, FaultEvent, Protocol, Transcript,
};

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use access::{Accounts, ImapBackend, Pop3Maildrop};
use fault::StreamPlan;
use record::Recorder;
use stream::{Conn, FaultStream};

/// How a [`TestServer`] starts: users, and how strict it is.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let server = missive::testing::TestServer::builder()
///     .user("alice@localhost", "pw")
///     .accept_any_password(true)
///     .create_mailboxes_on_delivery(true)
///     .start()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Builder {
    users: Vec<(String, String)>,
    accept_any_password: bool,
    create_mailboxes_on_delivery: bool,
    hostname: String,
}

impl Builder {
    /// Adds a user: an address that receives mail and logs in to IMAP,
    /// POP3 and SMTP AUTH with `password`.
    pub fn user(mut self, address: &str, password: &str) -> Self {
        self.users.push((address.to_owned(), password.to_owned()));
        self
    }

    /// Lets any user name and password log in (IMAP, POP3, SMTP AUTH).
    /// Off by default.
    pub fn accept_any_password(mut self, yes: bool) -> Self {
        self.accept_any_password = yes;
        self
    }

    /// Accepts mail for unknown recipients and creates their mailbox (and
    /// a user whose password is the address). Off by default: unknown
    /// recipients get `550 5.1.1`.
    pub fn create_mailboxes_on_delivery(mut self, yes: bool) -> Self {
        self.create_mailboxes_on_delivery = yes;
        self
    }

    /// The host name in greetings (default `localhost`).
    pub fn hostname(mut self, name: &str) -> Self {
        self.hostname = name.to_owned();
        self
    }

    /// Binds the three listeners on 127.0.0.1 and starts serving.
    pub async fn start(self) -> io::Result<TestServer> {
        let dir = tempfile::Builder::new().prefix("missive-test").tempdir()?;
        let root = dir.path().join("mail");
        std::fs::create_dir_all(&root)?;
        let accounts = Arc::new(Accounts::new(
            root,
            self.accept_any_password,
            self.create_mailboxes_on_delivery,
        ));
        for (user, password) in &self.users {
            accounts.add(user, password);
        }
        let (count, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            accounts,
            hostname: self.hostname,
            received: Mutex::default(),
            count,
            connections: Mutex::default(),
            next_id: AtomicU64::new(1),
            smtp_faults: Mutex::default(),
            connection_faults: Mutex::default(),
        });
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let smtp = TcpListener::bind(loopback).await?;
        let imap = TcpListener::bind(loopback).await?;
        let pop3 = TcpListener::bind(loopback).await?;
        let (smtp_addr, imap_addr, pop3_addr) =
            (smtp.local_addr()?, imap.local_addr()?, pop3.local_addr()?);
        let tasks = vec![
            tokio::spawn(accept_loop(smtp, shared.clone(), Protocol::Smtp)),
            tokio::spawn(accept_loop(imap, shared.clone(), Protocol::Imap)),
            tokio::spawn(accept_loop(pop3, shared.clone(), Protocol::Pop3)),
        ];
        Ok(TestServer {
            shared,
            smtp_addr,
            imap_addr,
            pop3_addr,
            tasks,
            dir,
        })
    }
}

/// A mail server for one test: SMTP, IMAP and POP3 on ephemeral loopback
/// ports, data in a temporary directory removed on drop. Dropping it
/// stops every listener and connection. See [the module](self).
#[derive(Debug)]
pub struct TestServer {
    shared: Arc<Shared>,
    smtp_addr: SocketAddr,
    imap_addr: SocketAddr,
    pop3_addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
    dir: tempfile::TempDir,
}

/// [`TestServer::wait_for_messages`] gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitTimeout {
    /// The number waited for.
    pub expected: usize,
    /// The number received when the time ran out.
    pub received: usize,
}

impl std::error::Error for WaitTimeout {}

impl std::fmt::Display for WaitTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "timed out waiting for {} messages ({} received)",
            self.expected, self.received
        )
    }
}

impl TestServer {
    /// Starts a server with no users and the default options (see
    /// [`Builder`]).
    pub async fn start() -> io::Result<TestServer> {
        Self::builder().start().await
    }

    /// A builder, to add users and options before starting.
    pub fn builder() -> Builder {
        Builder {
            users: Vec::new(),
            accept_any_password: false,
            create_mailboxes_on_delivery: false,
            hostname: "localhost".to_owned(),
        }
    }

    /// The SMTP listener's address.
    pub fn smtp_addr(&self) -> SocketAddr {
        self.smtp_addr
    }

    /// The IMAP listener's address.
    pub fn imap_addr(&self) -> SocketAddr {
        self.imap_addr
    }

    /// The POP3 listener's address.
    pub fn pop3_addr(&self) -> SocketAddr {
        self.pop3_addr
    }

    /// The directory holding the users' Maildirs (`<dir>/<address>`).
    pub fn mail_dir(&self) -> &std::path::Path {
        &self.shared.accounts.root
    }

    /// Adds a user (or changes a password) while the server runs.
    pub fn add_user(&self, address: &str, password: &str) {
        self.shared.accounts.add(address, password);
    }

    /// Every message received over SMTP since the start or the last
    /// [`reset`](Self::reset), in the order they were accepted.
    pub fn messages(&self) -> Vec<ReceivedMessage> {
        self.shared
            .received
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// The messages delivered to `address` (without regard to case).
    pub fn messages_for(&self, address: &str) -> Vec<ReceivedMessage> {
        let key = access::user_key(address);
        self.messages()
            .into_iter()
            .filter(|m| m.delivered_to.contains(&key))
            .collect()
    }

    /// Waits until at least `n` messages have been received (one per
    /// accepted SMTP transaction, however many recipients), or `timeout`
    /// passes; returns all of them.
    pub async fn wait_for_messages(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<ReceivedMessage>, WaitTimeout> {
        let mut rx = self.shared.count.subscribe();
        let reached = tokio::time::timeout(timeout, rx.wait_for(|c| *c >= n))
            .await
            .is_ok_and(|r| r.is_ok());
        if reached {
            return Ok(self.messages());
        }
        Err(WaitTimeout {
            expected: n,
            received: *rx.borrow(),
        })
    }

    /// Purges all mail (every Maildir and the received list), the
    /// transcripts and the faults; users stay. Call it between tests, with
    /// no IMAP or POP3 session open.
    pub async fn reset(&self) -> io::Result<()> {
        self.clear_faults();
        if let Ok(mut c) = self.shared.connections.lock() {
            c.clear();
        }
        if let Ok(mut r) = self.shared.received.lock() {
            r.clear();
            self.shared.count.send_replace(0);
        }
        let root = self.shared.accounts.root.clone();
        tokio::task::spawn_blocking(move || {
            std::fs::remove_dir_all(&root)?;
            std::fs::create_dir_all(&root)
        })
        .await
        .map_err(io::Error::other)?
    }

    /// The transcripts of every connection since the start or the last
    /// [`reset`](Self::reset), in accept order (open ones so far).
    pub fn transcripts(&self) -> Vec<Transcript> {
        let conns: Vec<Arc<Conn>> = self
            .shared
            .connections
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default();
        conns.iter().filter_map(|c| c.transcript()).collect()
    }

    /// The transcript of one connection.
    pub fn transcript(&self, id: ConnectionId) -> Option<Transcript> {
        self.transcripts().into_iter().find(|t| t.id == id)
    }

    /// The transcript of the connection from a client address (what the
    /// client's socket calls its local address).
    pub fn transcript_for(&self, client: SocketAddr) -> Option<Transcript> {
        self.transcripts().into_iter().find(|t| t.peer == client)
    }

    /// Adds a scripted SMTP fault. Faults are tried in the order added;
    /// the first that matches acts.
    pub fn inject_smtp(&self, fault: SmtpFault) {
        if let Ok(mut f) = self.shared.smtp_faults.lock() {
            f.push(fault);
        }
    }

    /// Adds a connection fault for the next connections of its protocol.
    pub fn inject_connection(&self, fault: ConnectionFault) {
        if let Ok(mut f) = self.shared.connection_faults.lock() {
            f.push(fault);
        }
    }

    /// Removes every fault not yet used up.
    pub fn clear_faults(&self) {
        if let Ok(mut f) = self.shared.smtp_faults.lock() {
            f.clear();
        }
        if let Ok(mut f) = self.shared.connection_faults.lock() {
            f.clear();
        }
    }

    /// The temporary directory the server owns.
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // The accept loops own their connections (a JoinSet each):
        // aborting a loop drops and aborts them too.
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// What the listeners, connections and the [`TestServer`] share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) accounts: Arc<Accounts>,
    pub(crate) hostname: String,
    received: Mutex<Vec<ReceivedMessage>>,
    count: watch::Sender<usize>,
    connections: Mutex<Vec<Arc<Conn>>>,
    next_id: AtomicU64,
    smtp_faults: Mutex<Vec<SmtpFault>>,
    connection_faults: Mutex<Vec<ConnectionFault>>,
}

impl Shared {
    /// The action of the first SMTP fault that matches, counted as used.
    pub(crate) fn smtp_fault(
        &self,
        command: SmtpCommand,
        recipient: Option<&str>,
    ) -> Option<SmtpAction> {
        let mut faults = self.smtp_faults.lock().ok()?;
        faults
            .iter_mut()
            .find_map(|f| f.take(command, recipient).then(|| f.action.clone()))
    }

    pub(crate) fn received(&self, message: ReceivedMessage) {
        if let Ok(mut r) = self.received.lock() {
            r.push(message);
            self.count.send_replace(r.len());
        }
    }

    /// Registers a new connection: its transcript and its stream faults.
    fn open(&self, stream: TcpStream, peer: SocketAddr, protocol: Protocol) -> Opened {
        let id = ConnectionId(self.next_id.fetch_add(1, Ordering::Relaxed));
        let conn = Conn::new(Recorder::new(id, protocol, peer));
        if let Ok(mut c) = self.connections.lock() {
            c.push(conn.clone());
        }
        let mut plan = StreamPlan::default();
        if let Ok(mut faults) = self.connection_faults.lock() {
            for f in faults.iter_mut() {
                if let Some(kind) = f.take(protocol) {
                    plan.add(kind);
                }
            }
        }
        Opened {
            id,
            io: FaultStream::new(stream, conn.clone(), plan),
            conn,
        }
    }
}

struct Opened {
    id: ConnectionId,
    io: FaultStream<TcpStream>,
    conn: Arc<Conn>,
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, protocol: Protocol) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(_) => {
                        // Out of descriptors, say: do not spin.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let opened = shared.open(stream, peer, protocol);
                connections.spawn(serve(opened, shared.clone(), protocol));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve(opened: Opened, shared: Arc<Shared>, protocol: Protocol) {
    let Opened { id, io, conn } = opened;
    match protocol {
        Protocol::Smtp => smtp::serve(io, shared, conn, id).await,
        Protocol::Imap => {
            let backend = ImapBackend {
                accounts: shared.accounts.clone(),
            };
            let mut options = imap_proto::tokio::Options::default();
            options.config.plaintext_auth = true;
            // The same Maildir store as full_server: mod-sequences and
            // remembered expunges (RFC 7162).
            options.config.condstore = true;
            options.config.qresync = true;
            options.config.greeting = format!("{} missive test IMAP ready", shared.hostname);
            let _ = imap_proto::tokio::serve(&backend, io, options).await;
        }
        Protocol::Pop3 => {
            let maildrop = Pop3Maildrop::new(shared.accounts.clone());
            let mut options = pop3_proto::tokio::Options::default();
            options.config.plaintext_auth = true;
            options.config.implementation = Some("missive test server".into());
            let _ = pop3_proto::tokio::serve(&maildrop, io, options).await;
        }
    }
}
