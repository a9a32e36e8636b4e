//! Liveness, readiness, metrics and the API description: never behind a key.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Status {
    /// `ok`, `ready` or `loading`.
    status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Status)))]
pub async fn healthz() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// 200 once every engine has loaded and warmed up, 503 before, and 503 `stopped` once an
/// engine's thread has died (a load balancer then sends callers elsewhere).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses((status = 200, body = Status), (status = 503, body = Status))
)]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let status = match (state.has_started(), state.engines_working()) {
        (true, true) => return Json(Status { status: "ready" }).into_response(),
        (false, _) => "loading",
        (true, false) => "stopped",
    };
    (StatusCode::SERVICE_UNAVAILABLE, Json(Status { status })).into_response()
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], state.metrics().render()).into_response()
}

pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::openapi_json(),
    )
        .into_response()
}
