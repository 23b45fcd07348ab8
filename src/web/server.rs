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
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tower::Service;
use tracing::{debug, warn};

use crate::config::DeskTls;

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

/// Serves `router` on `listener` until `shutdown`, then drains; over TLS
/// when `tls` is given (`desk.tls_cert_file`).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    tls: Option<TlsAcceptor>,
) -> io::Result<()> {
    serve_at_most(listener, router, shutdown, tls, MAX_CONNECTIONS).await
}

/// [`serve`], holding at most `max_connections` open.
pub async fn serve_at_most(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    tls: Option<TlsAcceptor>,
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
            warn!(client.address = %peer, limit = max_connections, "too many desk connections; turned one away");
            // Over TLS there is no plain answer to give: the client sees the
            // connection close.
            if tls.is_none() {
                tokio::spawn(turn_away(stream));
            }
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
        let (builder, watcher, tls) = (builder.clone(), graceful.watcher(), tls.clone());
        tokio::spawn(async move {
            let served = match tls {
                None => connection(&builder, watcher, stream, service).await,
                Some(acceptor) => {
                    // The handshake gets as long as headers do.
                    match tokio::time::timeout(HEADER_READ_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => connection(&builder, watcher, stream, service).await,
                        Ok(Err(e)) => Err(e.into()),
                        Err(_) => Err("the TLS handshake took too long".into()),
                    }
                }
            };
            if let Err(e) = served {
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

type ConnectionError = Box<dyn std::error::Error + Send + Sync>;

/// Serves one connection (plain or TLS) until it ends or the desk shuts down.
async fn connection<S, T>(
    builder: &auto::Builder<TokioExecutor>,
    watcher: hyper_util::server::graceful::Watcher,
    stream: T,
    service: S,
) -> Result<(), ConnectionError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<Request<Incoming>, Response = axum::response::Response>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<ConnectionError>,
{
    let served = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    watcher.watch(served.into_owned()).await
}

/// The desk's TLS from `desk.tls_cert_file` and `desk.tls_key_file`
/// (PEM): HTTP/2 and HTTP/1.1 offered by ALPN, rustls over ring.
pub fn tls_acceptor(tls: &DeskTls) -> Result<TlsAcceptor, TlsError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let cert_error = |reason: String| TlsError {
        key: "desk.tls_cert_file",
        path: tls.cert_file.clone(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(&tls.cert_file)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| cert_error(e.to_string()))?;
    if certs.is_empty() {
        return Err(cert_error("holds no PEM certificate".into()));
    }
    let key = PrivateKeyDer::from_pem_file(&tls.key_file).map_err(|e| TlsError {
        key: "desk.tls_key_file",
        path: tls.key_file.clone(),
        reason: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| cert_error(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| cert_error(format!("does not go with desk.tls_key_file: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A certificate or key the desk cannot use.
#[derive(Debug, thiserror::Error)]
#[error("{key} {}: {reason}", path.display())]
pub struct TlsError {
    pub key: &'static str,
    pub path: std::path::PathBuf,
    pub reason: String,
}

/// Answers a plain connection over the limit with [`BUSY`] and closes it.
async fn turn_away(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    let _ = tokio::time::timeout(HEADER_READ_TIMEOUT, async {
        stream.write_all(BUSY).await?;
        stream.shutdown().await
    })
    .await;
}
