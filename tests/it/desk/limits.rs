//! The desk server's own limits, on a real socket: connections beyond the
//! cap are answered 503 and closed at once (and served again once one
//! closes), and a request whose headers exceed the cap gets 431. (Bodies
//! over the limit: `security::bodies_over_the_limit_get_413_on_every_route`.)

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use placewatch::web::{MAX_HEADER_BYTES, serve_at_most};

/// A server of one route holding at most `max` connections.
async fn server(max: usize) -> (std::net::SocketAddr, CancellationToken) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let router = Router::new().route("/", get(|| async { "ok" }));
    tokio::spawn(serve_at_most(listener, router, stop.clone(), None, max));
    (addr, stop)
}

/// Sends `request` on a new connection and reads the whole answer.
async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The server may answer (and close) before reading everything.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

const GET: &[u8] = b"GET / HTTP/1.1\r\nhost: desk\r\nconnection: close\r\n\r\n";

#[tokio::test]
async fn a_connection_over_the_cap_is_told_to_come_back_and_served_once_one_closes() {
    let (addr, stop) = server(2).await;
    // Two idle connections, each served once so the server holds both.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nhost: desk\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 512];
        let n = s.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        held.push(s);
    }
    let busy = exchange(addr, GET).await;
    assert!(busy.starts_with("HTTP/1.1 503 "), "{busy}");
    assert!(busy.contains("retry-after: 5"), "{busy}");
    assert!(busy.ends_with("try again in a moment.\n"), "{busy}");

    // One leaves: a place frees up (as soon as the server sees it go).
    drop(held.pop());
    let mut answer = String::new();
    for _ in 0..600 {
        answer = exchange(addr, GET).await;
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok"), "{answer}");
    stop.cancel();
}

#[tokio::test]
async fn headers_over_the_cap_get_431() {
    let (addr, stop) = server(8).await;
    let mut request = b"GET / HTTP/1.1\r\nhost: desk\r\n".to_vec();
    let filler = "x".repeat(1000);
    for i in 0..(MAX_HEADER_BYTES / 1000 + 2) {
        request.extend_from_slice(format!("x-filler-{i}: {filler}\r\n").as_bytes());
    }
    request.extend_from_slice(b"connection: close\r\n\r\n");
    let answer = exchange(addr, &request).await;
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
    // Within the cap, the same request is served.
    let mut small = b"GET / HTTP/1.1\r\nhost: desk\r\n".to_vec();
    small.extend_from_slice(format!("x-filler: {filler}\r\nconnection: close\r\n\r\n").as_bytes());
    assert!(exchange(addr, &small).await.starts_with("HTTP/1.1 200"));
    stop.cancel();
}
