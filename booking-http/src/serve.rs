//! [`serve`]: a router on a TCP listener, with the limits a server open to
//! anyone needs (`axum::serve` sets none).
//!
//! - **Header-read timeout:** a connection has this long to send a whole
//!   request head, counted from when it is ready for one: from the
//!   connection's start, and from the end of each answer. So it also bounds
//!   how long an idle keep-alive connection is kept (hyper counts the wait
//!   for the next request as reading its head).
//! - **Idle timeout:** a connection on which nothing was read or written
//!   for this long is closed: a client that stops reading its answer, or
//!   sends its body a byte a minute. The live stream writes a heartbeat
//!   more often than that, so it is never idle.
//! - **Connection cap:** at most this many connections at once. At the cap
//!   the server stops accepting; new connections wait in the kernel's
//!   queue until one closes, while those already open are served. The cap
//!   is kept below the process's file limit, so accepting never runs out
//!   of descriptors; if it does anyway (the database, a file), the server
//!   waits a moment and accepts again, and never stops for good.
//!
//! HTTP/1.1 only (no cleartext HTTP/2): browsers speak HTTP/2 to the TLS
//! proxy in front, which speaks HTTP/1.1 to us.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tower::ServiceExt;

/// The limits of [`serve`].
#[derive(Clone, Copy, Debug)]
pub struct ServeLimits {
    /// How long a connection has to send a request head (default 10 s).
    pub header_read_timeout: Duration,
    /// How long a connection may read and write nothing (default 60 s).
    pub idle_timeout: Duration,
    /// The most connections open at once (default 10,000).
    pub max_connections: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10_000,
        }
    }
}

/// How long to wait before accepting again after the process ran out of
/// descriptors (or another resource) while accepting.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `router` on `listener` within `limits` until `shutdown`
/// resolves, then lets the open connections finish their requests.
/// Requests carry the peer's address as [`ConnectInfo<SocketAddr>`].
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&listener, &permits) => accepted,
        };
        let Some((stream, peer, permit)) = accepted else {
            continue;
        };
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Watched {
            io: stream,
            activity: Arc::clone(&activity),
        });
        let service = router.clone().map_request(move |mut request: Request<_>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        });
        let connection =
            graceful.watch(http.serve_connection(io, TowerToHyperService::new(service)));
        let idle_timeout = limits.idle_timeout;
        tokio::spawn(async move {
            let _permit = permit;
            tokio::select! {
                result = connection => {
                    if let Err(error) = result {
                        tracing::debug!(%peer, %error, "connection ended with an error");
                    }
                }
                () = activity.idle_for(idle_timeout) => {
                    tracing::debug!(%peer, "closed an idle connection");
                }
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Waits for a free place under the cap, then for a connection. `None`
/// when accepting failed (it is logged, and retried by the caller).
async fn accept(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
) -> Option<(TcpStream, SocketAddr, tokio::sync::OwnedSemaphorePermit)> {
    let permit = Arc::clone(permits)
        .acquire_owned()
        .await
        .expect("the connection semaphore is never closed");
    match listener.accept().await {
        Ok((stream, peer)) => Some((stream, peer, permit)),
        // The client gave up before we took it: nothing to wait for.
        Err(error) if is_connection_error(&error) => None,
        Err(error) => {
            // Out of descriptors or memory: others will close; try again.
            tracing::warn!(%error, "cannot accept a connection; retrying");
            tokio::time::sleep(ACCEPT_BACKOFF).await;
            None
        }
    }
}

fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// When a connection last read or wrote a byte.
struct Activity {
    start: Instant,
    /// Milliseconds from `start` to the last read or write.
    last: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            last: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(now, Ordering::Relaxed);
    }

    /// Resolves once nothing was read or written for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let last = self.start + Duration::from_millis(self.last.load(Ordering::Relaxed));
            match limit.checked_sub(last.elapsed()) {
                Some(left) if !left.is_zero() => tokio::time::sleep(left).await,
                _ => return,
            }
        }
    }
}

/// A stream that records its reads and writes in an [`Activity`].
struct Watched<T> {
    io: T,
    activity: Arc<Activity>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn activity_puts_off_the_idle_end() {
        let activity = Arc::new(Activity::new());
        let idle = tokio::spawn({
            let activity = Arc::clone(&activity);
            async move { activity.idle_for(Duration::from_secs(60)).await }
        });
        tokio::time::sleep(Duration::from_secs(50)).await;
        activity.touch();
        tokio::time::sleep(Duration::from_secs(50)).await;
        assert!(!idle.is_finished(), "touched 50 s ago");
        tokio::time::sleep(Duration::from_secs(11)).await;
        assert!(idle.is_finished());
    }
}
