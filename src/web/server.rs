//! Serving the desk over HTTP: an accept loop over hyper that gives a client
//! [`HEADER_READ_TIMEOUT`] to send its request's headers (so slow or idle
//! connections cannot pile up), hands handlers the peer's address
//! (`ConnectInfo`), and shuts down gracefully: at shutdown it stops
//! accepting, and open connections finish their request (live-update
//! streams end with the desk) within [`DRAIN_DEADLINE`].
//!
//! The desk's limits, all of them here or in `web` (documented in the
//! README): at most [`MAX_CONNECTIONS`] open connections (one more is
//! answered `503` and closed at once), [`MAX_HEADER_BYTES`] of request line
//! and headers (`431` beyond), 10 s to send the headers, a request body of
//! at most 256 KiB (`413`, `guard::MAX_FORM_BYTES`), and 60 s for a handler
//! to answer (`web::REQUEST_TIMEOUT`).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::Service;
use tracing::{debug, warn};

/// How long a client has to send a request's headers, from the moment it
/// connects or its previous response ends.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long open connections get to finish at shutdown.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(10);

/// The most connections the desk keeps open at once. A team's browsers hold
/// a few each (a live-update stream and requests); beyond this a client is
/// told to come back (`503`) rather than queued behind the others.
pub const MAX_CONNECTIONS: usize = 512;

/// The most bytes of a request's line and headers (hyper answers `431`).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// What a connection over [`MAX_CONNECTIONS`] is told before it is closed.
const BUSY: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
    retry-after: 5\r\nconnection: close\r\ncontent-length: 41\r\n\r\n\
    The desk is busy: try again in a moment.\n";

/// Serves `router` on `listener` until `shutdown`, then drains.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> io::Result<()> {
    serve_at_most(listener, router, shutdown, MAX_CONNECTIONS).await
}

/// [`serve`], holding at most `max_connections` open.
pub async fn serve_at_most(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    max_connections: usize,
) -> io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEADER_BYTES);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(MAX_HEADER_BYTES as u32);
    let open = Arc::new(Semaphore::new(max_connections));
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(connection) => connection,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    warn!(error = %e, "accepting a desk connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let Ok(slot) = open.clone().try_acquire_owned() else {
            tokio::spawn(turn_away(stream, peer, max_connections));
            continue;
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let mut request = request.map(Body::new);
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            router.clone().call(request)
        });
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                debug!(error = %e, client.address = %peer, "desk connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_DEADLINE, graceful.shutdown())
        .await
        .is_err()
    {
        warn!(
            "some desk connections were still open {} s after shutdown began; closing them",
            DRAIN_DEADLINE.as_secs()
        );
    }
    Ok(())
}

/// Answers a connection over the limit with [`BUSY`] and closes it.
async fn turn_away(mut stream: tokio::net::TcpStream, peer: SocketAddr, limit: usize) {
    use tokio::io::AsyncWriteExt;
    warn!(client.address = %peer, limit, "too many desk connections; turned one away");
    let _ = tokio::time::timeout(HEADER_READ_TIMEOUT, async {
        stream.write_all(BUSY).await?;
        stream.shutdown().await
    })
    .await;
}
