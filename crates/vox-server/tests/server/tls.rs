//! TLS on the listener over real sockets: HTTP/1.1 and HTTP/2 (by ALPN) with a self-signed
//! certificate, a new certificate after `reload` while the old connections go on, plain HTTP
//! on the TLS port closed rather than hung, and bad files refused with the file named.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use vox_server::door::{Tls, TlsError, TlsFiles};

const NEVER: Duration = Duration::from_secs(20);

/// A self-signed certificate for localhost and 127.0.0.1: (its DER, cert PEM, key PEM).
fn certificate() -> (CertificateDer<'static>, String, String) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    (
        made.cert.der().clone(),
        made.cert.pem(),
        made.key_pair.serialize_pem(),
    )
}

fn write_files(dir: &Path, cert: &str, key: &str) -> TlsFiles {
    let files = TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    std::fs::write(&files.cert, cert).unwrap();
    std::fs::write(&files.key, key).unwrap();
    files
}

async fn listen(tls: Arc<Tls>) -> (SocketAddr, TestServer) {
    let test = server();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(vox_server::serve_tls(
        listener,
        tls,
        test.state.clone(),
        std::future::pending(),
    ));
    (addr, test)
}

async fn connect(
    addr: SocketAddr,
    trusted: &[CertificateDer<'static>],
    alpn: &[&[u8]],
) -> TlsStream<TcpStream> {
    let mut roots = RootCertStore::empty();
    for cert in trusted {
        roots.add(cert.clone()).unwrap();
    }
    let mut config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    tokio::time::timeout(NEVER, TlsConnector::from(Arc::new(config)).connect(name, tcp))
        .await
        .unwrap()
        .unwrap()
}

async fn http1_get(stream: &mut TlsStream<TcpStream>, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let _ = tokio::time::timeout(NEVER, stream.read_to_end(&mut received))
        .await
        .unwrap();
    String::from_utf8_lossy(&received).into()
}

fn peer_certificate(stream: &TlsStream<TcpStream>) -> CertificateDer<'static> {
    stream.get_ref().1.peer_certificates().unwrap()[0]
        .clone()
        .into_owned()
}

#[tokio::test]
async fn https_speaks_http1_and_http2_as_the_client_asks() {
    let dir = tempfile::tempdir().unwrap();
    let (der, cert, key) = certificate();
    let (addr, _test) = listen(Tls::load(write_files(dir.path(), &cert, &key)).unwrap()).await;

    let mut http1 = connect(addr, std::slice::from_ref(&der), &[b"http/1.1"]).await;
    assert_eq!(http1.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let reply = http1_get(&mut http1, "/healthz").await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");

    let h2 = connect(addr, &[der], &[b"h2", b"http/1.1"]).await;
    assert_eq!(h2.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(h2))
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = hyper::Request::get("https://localhost/healthz")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.version(), hyper::Version::HTTP_2);
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(!body.is_empty());
}

#[tokio::test]
async fn a_reload_serves_the_new_certificate_to_new_connections() {
    let dir = tempfile::tempdir().unwrap();
    let (first, cert, key) = certificate();
    let files = write_files(dir.path(), &cert, &key);
    let tls = Tls::load(files.clone()).unwrap();
    let (addr, _test) = listen(tls.clone()).await;
    let trusted = {
        let (second, cert, key) = certificate();
        write_files(dir.path(), &cert, &key);
        [first.clone(), second]
    };
    let mut before = connect(addr, &trusted, &[b"http/1.1"]).await;
    assert_eq!(peer_certificate(&before), first);

    tls.reload().unwrap();
    let mut after = connect(addr, &trusted, &[b"http/1.1"]).await;
    assert_eq!(peer_certificate(&after), trusted[1]);
    // The connection made before the reload is served as it was.
    assert!(
        http1_get(&mut before, "/healthz")
            .await
            .starts_with("HTTP/1.1 200")
    );
    assert!(
        http1_get(&mut after, "/healthz")
            .await
            .starts_with("HTTP/1.1 200")
    );

    // A broken file on reload keeps the certificate in use.
    std::fs::write(&files.key, "not a key").unwrap();
    assert!(matches!(tls.reload(), Err(TlsError::Key { .. })));
    let still = connect(addr, &trusted, &[b"http/1.1"]).await;
    assert_eq!(peer_certificate(&still), trusted[1]);
}

#[tokio::test]
async fn plain_http_on_the_tls_port_is_closed_not_hung() {
    let dir = tempfile::tempdir().unwrap();
    let (der, cert, key) = certificate();
    let (addr, _test) = listen(Tls::load(write_files(dir.path(), &cert, &key)).unwrap()).await;
    let mut plain = TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut received = Vec::new();
    let read = tokio::time::timeout(NEVER, plain.read_to_end(&mut received)).await;
    assert!(read.is_ok(), "the server kept a plain-HTTP connection open");
    assert!(!String::from_utf8_lossy(&received).contains("200 OK"));
    // The listener goes on serving TLS.
    let mut tls = connect(addr, &[der], &[b"http/1.1"]).await;
    assert!(http1_get(&mut tls, "/healthz").await.starts_with("HTTP/1.1 200"));
}

#[test]
fn bad_files_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_, cert, key) = certificate();
    let (_, _, other_key) = certificate();

    let missing = TlsFiles {
        cert: dir.path().join("absent.pem"),
        key: dir.path().join("absent-key.pem"),
    };
    let error = Tls::load(missing).err().unwrap();
    assert!(
        matches!(error, TlsError::Certificate { .. }) && error.to_string().contains("absent.pem"),
        "{error}"
    );

    let no_certificate = write_files(dir.path(), &key, &key);
    let error = Tls::load(no_certificate).err().unwrap();
    assert!(matches!(error, TlsError::Certificate { .. }), "{error}");

    let garbage_key = write_files(
        dir.path(),
        &cert,
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    assert!(Tls::load(garbage_key).is_err());

    let mismatched = write_files(dir.path(), &cert, &other_key);
    let error = Tls::load(mismatched).err().unwrap();
    assert!(matches!(error, TlsError::Mismatch(_)), "{error}");
}
