//! The stream under every test-server connection: it records what passes
//! into the connection's transcript and applies the stream faults.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use super::fault::StreamPlan;
use super::record::Recorder;
use super::transcript::{FaultEvent, Transcript};

/// What a connection's stream and its protocol handler share.
#[derive(Debug)]
pub(crate) struct Conn {
    recorder: Mutex<Recorder>,
    /// Set by a fault: reads end, writes fail, so the driver returns and
    /// the socket is dropped.
    killed: AtomicBool,
}

impl Conn {
    pub(crate) fn new(recorder: Recorder) -> Arc<Self> {
        Arc::new(Conn {
            recorder: Mutex::new(recorder),
            killed: AtomicBool::new(false),
        })
    }

    pub(crate) fn record<T>(&self, f: impl FnOnce(&mut Recorder) -> T) -> Option<T> {
        self.recorder.lock().ok().map(|mut r| f(&mut r))
    }

    pub(crate) fn transcript(&self) -> Option<Transcript> {
        self.record(|r| r.transcript.clone())
    }

    /// Closes the connection from the server's side.
    pub(crate) fn kill(&self) {
        if !self.killed.swap(true, Ordering::SeqCst) {
            self.record(|r| r.fault(FaultEvent::Disconnected));
        }
    }

    fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }
}

/// A recording, fault-injecting wrapper around the server's socket.
pub(crate) struct FaultStream<S> {
    inner: S,
    conn: Arc<Conn>,
    plan: StreamPlan,
    written: u64,
    read: u64,
    stalled: bool,
    /// The delay before the current write, once started.
    sleep: Option<Pin<Box<Sleep>>>,
    /// The delay before the current write is over.
    slept: bool,
    /// The write side was shut down after a kill.
    shut: bool,
}

impl<S> FaultStream<S> {
    pub(crate) fn new(inner: S, conn: Arc<Conn>, plan: StreamPlan) -> Self {
        FaultStream {
            inner,
            conn,
            plan,
            written: 0,
            read: 0,
            stalled: false,
            sleep: None,
            slept: false,
            shut: false,
        }
    }

    fn stall(&mut self) {
        if !self.stalled {
            self.stalled = true;
            self.conn.record(|r| r.fault(FaultEvent::Stalled));
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> FaultStream<S> {
    /// After a kill: send FIN before the driver drops the socket, so the
    /// client reads what was sent and then the end, not a reset.
    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.shut {
            self.conn.record(Recorder::close);
            let _ = ready!(Pin::new(&mut self.inner).poll_shutdown(cx));
            self.shut = true;
        }
        Poll::Ready(())
    }
}

fn killed() -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        "connection closed by fault injection",
    )
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for FaultStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.conn.is_killed() {
            ready!(this.poll_close(cx));
            return Poll::Ready(Ok(()));
        }
        if this.stalled {
            return Poll::Pending;
        }
        let mut max = buf.remaining();
        if let Some(limit) = this.plan.disconnect_read {
            let left = limit.saturating_sub(this.read);
            if left == 0 {
                this.conn.kill();
                ready!(this.poll_close(cx));
                return Poll::Ready(Ok(()));
            }
            max = max.min(usize::try_from(left).unwrap_or(usize::MAX));
        }
        let dst = buf.initialize_unfilled_to(max);
        let mut sub = ReadBuf::new(dst);
        ready!(Pin::new(&mut this.inner).poll_read(cx, &mut sub))?;
        let got = sub.filled();
        let n = got.len();
        this.read += n as u64;
        if n > 0 && this.plan.watches_commands() {
            let names = this
                .conn
                .record(|r| r.client_commands(got))
                .unwrap_or_default();
            let hit = |list: &[String]| names.iter().any(|n| list.contains(n));
            // The server never sees the command (nor what came with it).
            if hit(&this.plan.disconnect_at) {
                this.conn.kill();
                ready!(this.poll_close(cx));
                return Poll::Ready(Ok(()));
            }
            if hit(&this.plan.stall_at) {
                this.stall();
                return Poll::Pending;
            }
        } else if n > 0 {
            this.conn.record(|r| r.client(got));
        }
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for FaultStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.conn.is_killed() {
            return Poll::Ready(Err(killed()));
        }
        if this.stalled {
            return Poll::Pending;
        }
        if let Some(delay) = this.plan.delay
            && !this.slept
        {
            let sleep = this
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(delay)));
            ready!(sleep.as_mut().poll(cx));
            this.sleep = None;
            this.slept = true;
            this.conn.record(|r| r.fault(FaultEvent::Delayed(delay)));
        }
        let mut allowed = buf.len();
        if let Some(limit) = this.plan.stall_write {
            let left = limit.saturating_sub(this.written);
            if left == 0 {
                this.stall();
                return Poll::Pending;
            }
            allowed = allowed.min(usize::try_from(left).unwrap_or(usize::MAX));
        }
        if let Some(limit) = this.plan.disconnect_write {
            let left = limit.saturating_sub(this.written);
            if left == 0 {
                this.conn.kill();
                return Poll::Ready(Err(killed()));
            }
            allowed = allowed.min(usize::try_from(left).unwrap_or(usize::MAX));
        }
        let out = buf.get(..allowed).unwrap_or(buf);
        let n = ready!(Pin::new(&mut this.inner).poll_write(cx, out))?;
        this.slept = false;
        if let Some(sent) = out.get(..n).filter(|s| !s.is_empty()) {
            this.conn.record(|r| r.server(sent));
        }
        this.written += n as u64;
        // At the mark: act now, not at the next write, which may never
        // come while the driver waits for the client.
        if this.plan.disconnect_write == Some(this.written) {
            this.conn.kill();
        }
        if this.plan.stall_write == Some(this.written) {
            this.stall();
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.stalled {
            return Poll::Pending;
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.stalled {
            return Poll::Pending;
        }
        // Closed once the server has said so: before the client can see
        // the end of the stream.
        self.conn.record(Recorder::close);
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<S> Drop for FaultStream<S> {
    fn drop(&mut self) {
        self.conn.record(Recorder::close);
    }
}
