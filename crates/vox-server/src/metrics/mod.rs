//! Prometheus metrics, owned by the server (no global registry, so tests can run many servers).

mod stages;

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::state::AppState;

pub use stages::StageMetrics;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// The route template (`/openai/deployments/{deployment}/...`), never the raw path.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: String,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Family<RouteLabels, Histogram>,
    connections_open: Gauge,
    connections_closed: Family<ReasonLabels, Counter>,
    realtime_sessions: Gauge,
    caller_requests: Family<CallerLabels, Counter>,
    pub stages: StageMetrics,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
pub struct CallerLabels {
    /// The key's name or the identity, never the key.
    pub caller: String,
    /// `admitted` or `limited`.
    pub outcome: String,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("vox");
        let requests = Family::<RequestLabels, Counter>::default();
        let request_seconds = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ])
        });
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time until the response head was sent",
            request_seconds.clone(),
        );
        let connections_open = Gauge::default();
        registry.register(
            "connections_open",
            "TCP connections open now",
            connections_open.clone(),
        );
        let connections_closed = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "connections_closed_by_server",
            "Connections the server closed or refused, by reason (header_timeout, idle_timeout, shed, refused)",
            connections_closed.clone(),
        );
        let realtime_sessions = Gauge::default();
        registry.register(
            "realtime_sessions",
            "Realtime WebSocket sessions open now",
            realtime_sessions.clone(),
        );
        let caller_requests = Family::<CallerLabels, Counter>::default();
        registry.register(
            "caller_requests",
            "API requests by caller (key name or identity) and outcome (admitted, limited)",
            caller_requests.clone(),
        );
        let stages = StageMetrics::register(&mut registry);
        Self {
            caller_requests,
            realtime_sessions,
            registry,
            stages,
            requests,
            request_seconds,
            connections_open,
            connections_closed,
        }
    }

    pub fn connection_closed(&self, reason: &str) {
        self.connections_closed
            .get_or_create(&ReasonLabels {
                reason: reason.to_string(),
            })
            .inc();
    }

    pub fn caller_request(&self, caller: &str, admitted: bool) {
        let labels = CallerLabels {
            caller: caller.to_string(),
            outcome: if admitted { "admitted" } else { "limited" }.to_string(),
        };
        self.caller_requests.get_or_create(&labels).inc();
    }

    /// A realtime session opened (+1) or ended (-1).
    pub fn realtime_session(&self, change: i64) {
        self.realtime_sessions.inc_by(change);
    }

    pub fn set_open_connections(&self, open: usize) {
        self.connections_open.set(open as i64);
    }

    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    fn observe(&self, labels: RequestLabels, seconds: f64) {
        self.request_seconds
            .get_or_create(&RouteLabels {
                route: labels.route.clone(),
            })
            .observe(seconds);
        self.requests.get_or_create(&labels).inc();
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Counts every request with its route template and status.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let response = next.run(request).await;
    let labels = RequestLabels {
        method,
        route,
        status: response.status().as_u16(),
    };
    state.metrics().observe(labels, started.elapsed().as_secs_f64());
    response
}
