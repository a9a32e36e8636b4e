//! The listener over real sockets: slow and idle connections are closed, slow bodies get 408,
//! the connection cap sheds anonymous sockets before keyed callers, and a client that hangs up
//! mid-body is counted as 499, not as a server error.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vox_server::ServerSettings;
use vox_server::door::ConnectionLimits;

/// Far beyond any limit below: a test that reaches it has found a connection left open.
const NEVER: Duration = Duration::from_secs(20);

fn limits() -> ConnectionLimits {
    ConnectionLimits {
        header_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(3),
        body_timeout: Duration::from_secs(1),
        body_min_bytes_per_sec: 1000,
        max_connections: 64,
    }
}

async fn listen(connections: ConnectionLimits) -> (SocketAddr, TestServer) {
    let test = server_with_settings(
        true,
        ServerSettings {
            connections,
            ..settings()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(vox_server::serve(
        listener,
        test.state.clone(),
        std::future::pending(),
    ));
    (addr, test)
}

/// Reads until the server closes the socket; returns what it sent and when it closed.
async fn until_closed(stream: &mut TcpStream) -> (String, Instant) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout(NEVER, stream.read(&mut buffer)).await {
            Err(_) => panic!("the server kept the connection open"),
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&received).into(), Instant::now()),
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

/// Sends `bytes` one at a time, `every` apart, until the server stops taking them.
async fn trickle(mut writer: tokio::net::tcp::OwnedWriteHalf, bytes: Vec<u8>, every: Duration) {
    for byte in bytes {
        if writer.write_all(&[byte]).await.is_err() {
            return;
        }
        tokio::time::sleep(every).await;
    }
}

async fn one_request(stream: &mut TcpStream, request: &str) -> String {
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buffer = vec![0u8; 65536];
    let n = tokio::time::timeout(NEVER, stream.read(&mut buffer))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&buffer[..n]).into()
}

fn keyed_get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nhost: vox\r\nauthorization: Bearer {KEY}\r\n\r\n")
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_header_timeout() {
    let (addr, _server) = listen(limits()).await;
    let opened = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let (_, closed) = until_closed(&mut stream).await;
    assert!(closed - opened >= Duration::from_millis(900), "closed too early");
}

#[tokio::test]
async fn headers_trickling_in_are_cut_off_at_the_header_timeout() {
    let (addr, _server) = listen(limits()).await;
    let opened = Instant::now();
    let (mut reader, writer) = TcpStream::connect(addr).await.unwrap().into_split();
    let head = keyed_get("/v1/models").into_bytes();
    tokio::spawn(trickle(writer, head, Duration::from_millis(200)));
    let mut buffer = [0u8; 1024];
    let read = tokio::time::timeout(NEVER, reader.read(&mut buffer)).await;
    let elapsed = opened.elapsed();
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the trickled request was answered"
    );
    // The whole head needs ~14 s at this pace; the limit is 1 s.
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(10),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn a_kept_alive_connection_lives_until_the_idle_timeout() {
    let (addr, _server) = listen(limits()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    assert!(
        one_request(&mut stream, &keyed_get("/v1/models"))
            .await
            .starts_with("HTTP/1.1 200")
    );
    // Past the header timeout, within the idle one: the same connection still serves.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        one_request(&mut stream, &keyed_get("/v1/models"))
            .await
            .starts_with("HTTP/1.1 200")
    );
    let idle_from = Instant::now();
    let (_, closed) = until_closed(&mut stream).await;
    assert!(
        closed - idle_from >= Duration::from_millis(2900),
        "closed before the idle timeout"
    );
}

#[tokio::test]
async fn a_body_under_the_minimum_rate_gets_408() {
    let (addr, _server) = listen(limits()).await;
    let (mut reader, mut writer) = TcpStream::connect(addr).await.unwrap().into_split();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: vox\r\nauthorization: Bearer {KEY}\r\n\
         content-type: application/json\r\ncontent-length: 1000000\r\n\r\n"
    );
    writer.write_all(head.as_bytes()).await.unwrap();
    tokio::spawn(trickle(writer, vec![b' '; 1000], Duration::from_millis(300)));
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(NEVER, reader.read_to_end(&mut answer))
        .await
        .expect("no answer");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("request_timeout") && answer.contains("too slowly"),
        "{answer}"
    );
}

#[tokio::test]
async fn at_the_cap_anonymous_sockets_make_room_for_a_keyed_caller() {
    let connections = ConnectionLimits {
        header_timeout: Duration::from_secs(30),
        max_connections: 20,
        ..limits()
    };
    let (addr, server) = listen(connections).await;
    let mut anonymous = Vec::new();
    for _ in 0..40 {
        anonymous.push(TcpStream::connect(addr).await.unwrap());
    }
    // A keyed caller still gets in, and is answered.
    let mut keyed = TcpStream::connect(addr).await.unwrap();
    assert!(
        one_request(&mut keyed, &keyed_get("/v1/models"))
            .await
            .starts_with("HTTP/1.1 200")
    );
    // The oldest anonymous sockets were closed to make room; the cap held.
    let (_, _) = until_closed(&mut anonymous[0]).await;
    let metrics = server.get("/metrics", None).await.text;
    let shed = metrics
        .lines()
        .find(|l| l.starts_with("vox_connections_closed_by_server_total{reason=\"shed\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(shed >= 21, "shed {shed}\n{metrics}");
    let open = metrics
        .lines()
        .find(|l| l.starts_with("vox_connections_open "))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap();
    assert!(open <= 20, "{open} open");
}

#[tokio::test]
async fn a_client_that_hangs_up_mid_body_is_a_499_not_a_server_error() {
    let (addr, server) = listen(limits()).await;
    for _ in 0..5 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST /v1/chat/completions HTTP/1.1\r\nhost: vox\r\nauthorization: Bearer {KEY}\r\n\
             content-type: application/json\r\ncontent-length: 5000\r\n\r\n{{\"model\":"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(stream);
    }
    let counted = |metrics: &str, status: &str| {
        metrics
            .lines()
            .filter(|l| l.starts_with("vox_http_requests_total") && l.contains(status))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum::<u64>()
    };
    let started = Instant::now();
    let mut metrics = String::new();
    while started.elapsed() < NEVER {
        metrics = server.get("/metrics", None).await.text;
        if counted(&metrics, "status=\"499\"") + counted(&metrics, "status=\"500\"") >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(counted(&metrics, "status=\"499\""), 5, "{metrics}");
    assert_eq!(counted(&metrics, "status=\"500\""), 0, "{metrics}");
}
