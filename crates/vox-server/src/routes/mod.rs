//! The route table: the same API under OpenAI's and Azure's three path shapes.

pub(crate) mod chat;
pub(crate) mod health;
pub(crate) mod models;
pub(crate) mod speech;
pub(crate) mod transcriptions;
pub(crate) mod voices;

use axum::Router;
use axum::extract::{DefaultBodyLimit, OriginalUri};
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::context::{azure_deployment_door, azure_v1_door, azure_versioned_door, openai_door};
use crate::error::ApiError;
use crate::state::AppState;

/// Routes that act on a deployment: under `/openai/deployments/{deployment}` the path names it.
fn deployment_routes() -> Router<AppState> {
    Router::new()
        .route("/chat/completions", post(chat::create))
        .route("/audio/speech", post(speech::create))
        .route("/audio/transcriptions", post(transcriptions::transcribe))
        .route("/audio/translations", post(transcriptions::translate))
}

/// OpenAI-style routes, where the body's `model` names the deployment.
fn model_routes() -> Router<AppState> {
    deployment_routes()
        .route("/audio/voices", get(voices::list))
        .route("/models", get(models::list))
        .route("/models/{model}", get(models::retrieve))
        .route("/realtime/client_secrets", post(crate::realtime::client_secret))
        .route("/realtime/sessions", post(crate::realtime::beta_session))
}

pub fn router(state: AppState) -> Router {
    let openai = model_routes().route_layer(from_fn_with_state(state.clone(), openai_door));
    let azure_v1 = model_routes().route_layer(from_fn_with_state(state.clone(), azure_v1_door));
    let azure_deployment = deployment_routes()
        .route("/audio/voices", get(voices::list))
        .route_layer(from_fn_with_state(state.clone(), azure_deployment_door));
    let azure_listing = Router::new()
        .route("/openai/models", get(models::list))
        .route("/openai/models/{model}", get(models::retrieve))
        .route("/openai/deployments", get(models::list))
        .route("/openai/audio/voices", get(voices::list))
        .route_layer(from_fn_with_state(state.clone(), azure_versioned_door));
    let playground = if state.settings().playground {
        crate::playground::routes()
    } else {
        Router::new()
    };
    Router::new()
        .merge(playground)
        .nest("/v1", openai)
        .nest("/openai/v1", azure_v1)
        .nest("/openai/deployments/{deployment}", azure_deployment)
        .merge(azure_listing)
        // Realtime sessions check their key themselves: browsers send it as a subprotocol.
        .route("/v1/realtime", get(crate::realtime::openai))
        .route("/openai/v1/realtime", get(crate::realtime::azure_v1))
        .route("/openai/realtime", get(crate::realtime::azure_preview))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(health::openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(wrong_method)
        .route_layer(from_fn_with_state(state.clone(), crate::metrics::track))
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

async fn not_found(method: Method, OriginalUri(uri): OriginalUri) -> Response {
    if uri.path().starts_with("/openai/") {
        return ApiError::azure_resource_not_found().into_response();
    }
    ApiError::route_not_found(method.as_str(), uri.path()).into_response()
}

async fn wrong_method(method: Method, OriginalUri(uri): OriginalUri) -> Response {
    ApiError::method_not_allowed(method.as_str(), uri.path()).into_response()
}
