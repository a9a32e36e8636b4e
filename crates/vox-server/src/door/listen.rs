//! The accept loop: hyper connections under the registry's limits, with graceful shutdown;
//! plain HTTP/1.1, or TLS with HTTP/2 or HTTP/1.1 as the client chooses.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

use super::connections::{Admission, Connection, Registry};
use super::tls::Tls;
use crate::state::AppState;

/// How often a draining connection looks whether its last request is through.
const DRAIN_CHECK: std::time::Duration = std::time::Duration::from_millis(100);

/// Put in every request's extensions: the door marks it authenticated when its key is valid.
#[derive(Clone, Debug)]
pub struct ConnectionTag(pub Arc<Connection>);

/// Serves `app` (over TLS when `tls` is given) until `shutdown` completes, then lets requests in
/// flight finish.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<Tls>>,
    app: Router,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        stop_tx.send_replace(true);
    });
    let registry = Registry::new(state.settings().connections);
    let sweeper = tokio::spawn(sweep(registry.clone(), state.clone()));
    let mut stopping = stop_rx.clone();
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors or a reset before accept: wait a little, go on.
                    tracing::warn!(%err, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut stopping) => break,
        };
        let (admission, shed) = registry.admit();
        if let Some(reason) = shed {
            state.metrics().connection_closed(reason.label());
        }
        match admission {
            Admission::Admitted(connection) => {
                tokio::spawn(serve_connection(
                    stream,
                    tls.clone(),
                    app.clone(),
                    connection,
                    registry.clone(),
                    stop_rx.clone(),
                ));
            }
            Admission::Refused => {
                state.metrics().connection_closed("refused");
                drop(stream);
            }
        }
        state.metrics().set_open_connections(registry.open_count());
    }
    drop(listener);
    registry.drained().await;
    sweeper.abort();
    Ok(())
}

/// Resolves once shutdown has begun (the guard `wait_for` returns is not `Send`).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await.map(|_| ());
}

async fn sweep(registry: Arc<Registry>, state: AppState) {
    let mut ticks = tokio::time::interval(registry.sweep_interval());
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        for reason in registry.sweep() {
            tracing::debug!(reason = reason.label(), "connection closed by its limits");
            state.metrics().connection_closed(reason.label());
        }
        state.metrics().set_open_connections(registry.open_count());
    }
}

async fn serve_connection(
    stream: TcpStream,
    tls: Option<Arc<Tls>>,
    app: Router,
    connection: Arc<Connection>,
    registry: Arc<Registry>,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let watched = WatchedIo {
        inner: stream,
        connection: connection.clone(),
    };
    match tls {
        None => serve_http1(TokioIo::new(watched), app, &connection, &mut stop).await,
        Some(tls) => {
            // The handshake is bytes before a request head: the door's header limit applies.
            let accepted = tokio::select! {
                accepted = tls.acceptor().accept(watched) => accepted,
                _ = connection.closed() => Err(std::io::ErrorKind::TimedOut.into()),
                _ = stopped(&mut stop) => Err(std::io::ErrorKind::Interrupted.into()),
            };
            match accepted {
                Ok(stream) => serve_http1_or_2(TokioIo::new(stream), app, &connection, &mut stop).await,
                Err(err) => tracing::debug!(%err, "TLS handshake failed"),
            }
        }
    }
    registry.remove(&connection);
}

async fn serve_http1(
    io: TokioIo<WatchedIo>,
    app: Router,
    connection: &Arc<Connection>,
    stop: &mut watch::Receiver<bool>,
) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new());
    let served = builder
        .serve_connection(io, request_service(app, connection.clone()))
        .with_upgrades();
    tokio::pin!(served);
    drive(served, |served| served.graceful_shutdown(), connection, stop).await;
}

/// Over TLS: HTTP/2 when the client asked for it by ALPN (or opens with its preface).
async fn serve_http1_or_2<I>(
    io: TokioIo<I>,
    app: Router,
    connection: &Arc<Connection>,
    stop: &mut watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new());
    builder.http2().timer(TokioTimer::new());
    let served = builder.serve_connection_with_upgrades(io, request_service(app, connection.clone()));
    tokio::pin!(served);
    drive(served, |served| served.graceful_shutdown(), connection, stop).await;
}

/// Runs a connection until it ends, its limits close it, or shutdown drains it.
async fn drive<F, E>(
    mut served: Pin<&mut F>,
    graceful_shutdown: impl Fn(Pin<&mut F>),
    connection: &Connection,
    stop: &mut watch::Receiver<bool>,
) where
    F: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut draining = false;
    let mut drain_checks = tokio::time::interval(DRAIN_CHECK);
    loop {
        tokio::select! {
            result = served.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%err, "connection ended with an error");
                }
                break;
            }
            _ = connection.closed() => break,
            _ = stopped(stop), if !draining => {
                draining = true;
                graceful_shutdown(served.as_mut());
            }
            // An idle HTTP/2 client may never read the GOAWAY's ping (httpx reads only while
            // a request is open), and hyper waits for its answer: once nothing is in flight,
            // the connection is done.
            _ = drain_checks.tick(), if draining => {
                if !connection.has_requests_in_flight() {
                    break;
                }
            }
        }
    }
}

/// Each request carries its connection (for the door's checks) and keeps it in flight until
/// its response body is done.
fn request_service(
    app: Router,
    connection: Arc<Connection>,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = hyper::Response<Body>,
    Error = std::convert::Infallible,
    Future = impl Future<Output = Result<hyper::Response<Body>, std::convert::Infallible>> + Send,
> {
    hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let in_flight = connection.request_started();
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectionTag(connection.clone()));
        let app = app.clone();
        async move {
            let response = app.oneshot(request).await?;
            // The request stays in flight until its (maybe streamed) body is done.
            Ok::<_, std::convert::Infallible>(response.map(|body| {
                Body::new(body.map_frame(move |frame| {
                    let _ = &in_flight;
                    frame
                }))
            }))
        }
    })
}

/// The socket, telling its connection when bytes arrive (the start of a request head).
struct WatchedIo {
    inner: TcpStream,
    connection: Arc<Connection>,
}

impl AsyncRead for WatchedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.connection.on_bytes_read();
        }
        polled
    }
}

impl AsyncWrite for WatchedIo {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
