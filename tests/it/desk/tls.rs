//! The desk's own HTTPS (`desk.tls_cert_file`, `desk.tls_key_file`), for a
//! council without a reverse proxy: a real TLS handshake with a certificate
//! made for the test, HTTP/2 offered by ALPN, plain HTTP refused, and a
//! certificate and key that do not go together refused at start with the
//! keys and files named.

use axum::Router;
use axum::routing::get;
use placewatch::config::DeskTls;
use placewatch::web::{serve_at_most, tls_acceptor};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// A self-signed certificate for `localhost`, written as PEM files in `dir`.
fn certificate(dir: &std::path::Path, name: &str) -> (DeskTls, String) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let tls = DeskTls {
        cert_file: dir.join(format!("{name}.crt")),
        key_file: dir.join(format!("{name}.key")),
    };
    std::fs::write(&tls.cert_file, made.cert.pem()).unwrap();
    std::fs::write(&tls.key_file, made.signing_key.serialize_pem()).unwrap();
    (tls, made.cert.pem())
}

#[tokio::test]
async fn the_desk_speaks_https_with_its_certificate_and_refuses_plain_http() {
    let dir = tempfile::tempdir().unwrap();
    let (tls, pem) = certificate(dir.path(), "desk");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = CancellationToken::new();
    let router = Router::new().route("/", get(|| async { "ok" }));
    let acceptor = tls_acceptor(&tls).unwrap();
    tokio::spawn(serve_at_most(
        listener,
        router,
        stop.clone(),
        Some(acceptor),
        8,
    ));

    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .build()
        .unwrap();
    let r = client
        .get(format!("https://localhost:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.version(), reqwest::Version::HTTP_2, "h2 by ALPN");
    assert_eq!(r.text().await.unwrap(), "ok");

    // A client that does not trust the certificate gets no page.
    let stranger = reqwest::Client::builder()
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .build()
        .unwrap();
    assert!(
        stranger
            .get(format!("https://localhost:{port}/"))
            .send()
            .await
            .is_err()
    );
    // Nor does plain HTTP.
    assert!(
        reqwest::get(format!("http://127.0.0.1:{port}/"))
            .await
            .is_err()
    );
    stop.cancel();
}

#[test]
fn a_key_that_does_not_go_with_the_certificate_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (mut tls, _) = certificate(dir.path(), "desk");
    let (other, _) = certificate(dir.path(), "other");
    tls.key_file = other.key_file;
    let e = tls_acceptor(&tls).err().expect("refused").to_string();
    assert!(e.starts_with("desk.tls_cert_file "), "{e}");
    assert!(e.contains("does not go with desk.tls_key_file"), "{e}");

    let missing = DeskTls {
        cert_file: dir.path().join("desk.crt"),
        key_file: dir.path().join("nowhere.key"),
    };
    let e = tls_acceptor(&missing).err().expect("refused").to_string();
    assert!(e.starts_with("desk.tls_key_file "), "{e}");
    assert!(e.contains("nowhere.key"), "{e}");
}
