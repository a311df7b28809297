//! A stream that notes when bytes last went out, so a stuck send can be
//! told from a slow one.
//!
//! A 48 MiB message over a slow link takes a while but keeps moving; the
//! same message to a server that stopped reading moves nothing once the
//! kernel's buffers are full. Only the second should end the connection,
//! so the send timeout counts from the last progress, not from the start.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// When bytes last left through a [`Metered`] stream.
#[derive(Debug)]
pub struct WriteProgress {
    base: Instant,
    /// Microseconds after `base`.
    last_write: AtomicU64,
}

impl WriteProgress {
    fn new() -> Self {
        Self {
            base: Instant::now(),
            last_write: AtomicU64::new(0),
        }
    }

    fn note(&self) {
        let micros = u64::try_from(self.base.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.last_write.store(micros, Ordering::Relaxed);
    }

    /// When bytes last went out (the stream's creation if none have yet).
    pub fn last_write(&self) -> Instant {
        self.base + Duration::from_micros(self.last_write.load(Ordering::Relaxed))
    }
}

/// `inner`, with its writes noted in a shared [`WriteProgress`].
#[derive(Debug)]
pub struct Metered<S> {
    inner: S,
    progress: Arc<WriteProgress>,
}

impl<S> Metered<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            progress: Arc::new(WriteProgress::new()),
        }
    }

    pub fn progress(&self) -> Arc<WriteProgress> {
        self.progress.clone()
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Metered<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Metered<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.progress.note();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.progress.note();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
