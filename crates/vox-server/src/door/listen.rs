//! The accept loop: hyper connections under the registry's limits, with graceful shutdown.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

use super::connections::{Admission, Connection, Registry};
use crate::state::AppState;

/// Put in every request's extensions: the door marks it authenticated when its key is valid.
#[derive(Clone, Debug)]
pub struct ConnectionTag(pub Arc<Connection>);

/// Serves `app` until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
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
    app: Router,
    connection: Arc<Connection>,
    registry: Arc<Registry>,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(WatchedIo {
        inner: stream,
        connection: connection.clone(),
    });
    let service = {
        let connection = connection.clone();
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
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new());
    let served = builder.serve_connection(io, service).with_upgrades();
    tokio::pin!(served);
    let mut draining = false;
    loop {
        tokio::select! {
            result = served.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%err, "connection ended with an error");
                }
                break;
            }
            _ = connection.closed() => break,
            _ = stopped(&mut stop), if !draining => {
                draining = true;
                served.as_mut().graceful_shutdown();
            }
        }
    }
    registry.remove(&connection);
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
