//! Vox's HTTP server: OpenAI and Azure OpenAI routes in front of the engines.
//!
//! The server never names a concrete engine: it receives an [`vox_engine::EngineSet`] from the
//! binary, validates every request at the door (`vox-protocol`), and maps every failure to HTTP
//! in one place ([`error`]).

mod audio_input;
pub mod auth;
mod body;
mod chat;
mod context;
pub mod cors;
pub mod door;
mod engines;
mod error;
mod metrics;
mod openapi;
mod playground;
mod realtime;
mod routes;
mod settings;
mod speech_out;
mod state;
mod transcript_format;
mod usage_rules;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::Request;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use vox_store::AudioStore;

pub use settings::{Deployment, ServerSettings, defaults};
pub use state::{AppState, ProfileEngines, unix_now};

/// The whole application: routes, request ids (`x-request-id`, kept if the client sent one) and
/// a tracing span per request.
pub fn app(state: AppState) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
        let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
        tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
    });
    let trace = trace.on_response(log_response);
    let cors = cors::layer(&state.settings().cors);
    routes::router(state)
        .layer(cors)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(trace)
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// One line per answered request; a client that left (499) is routine, so only at debug.
fn log_response(response: &axum::response::Response, latency: Duration, _span: &tracing::Span) {
    let status = response.status().as_u16();
    let latency_ms = latency.as_millis() as u64;
    if response.status() == error::CLIENT_CLOSED_REQUEST {
        tracing::debug!(status, latency_ms, "client left before the answer");
    } else {
        tracing::info!(status, latency_ms, "finished processing request");
    }
}

/// Serves until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    door::serve(listener, None, app(state.clone()), state, shutdown).await
}

/// As `serve`, over TLS (`tls.reload()` swaps the certificate for new connections).
pub async fn serve_tls(
    listener: TcpListener,
    tls: Arc<door::Tls>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    door::serve(listener, Some(tls), app(state.clone()), state, shutdown).await
}

/// Sweeps expired audio records every `every` until the process ends.
pub fn spawn_store_janitor(store: Arc<dyn AudioStore>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            match store.purge_expired(state::unix_now()).await {
                Ok(0) => {}
                Ok(purged) => tracing::debug!(purged, "expired audio records removed"),
                Err(err) => tracing::warn!(%err, "purging expired audio records failed"),
            }
        }
    })
}
