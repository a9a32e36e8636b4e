//! Request bodies: read under the size limit, parsed with errors in OpenAI's shape.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_LENGTH;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use std::time::Instant;
use vox_protocol::json::parse_body;

use crate::error::ApiError;
use crate::state::AppState;

/// A JSON body of type `T`; oversized bodies are 413, malformed ones 400 naming the parameter.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let bytes = read_limited(request, state).await?;
        Ok(Self(parse_body(&bytes)?))
    }
}

/// As [`JsonBody`], with the body's size in bytes: a route may hold a body that turns out to
/// carry no audio to a smaller limit.
pub struct SizedJsonBody<T> {
    pub value: T,
    pub bytes: usize,
}

impl<T: DeserializeOwned> FromRequest<AppState> for SizedJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let bytes = read_limited(request, state).await?;
        Ok(Self {
            value: parse_body(&bytes)?,
            bytes: bytes.len(),
        })
    }
}

/// The body of a request, read whole, with the same limit and 413 as JSON bodies.
pub struct LimitedRequest(pub Request);

impl FromRequest<AppState> for LimitedRequest {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let bytes = read_limited(Request::from_parts(parts.clone(), body), state).await?;
        Ok(Self(Request::from_parts(parts, Body::from(bytes))))
    }
}

/// How much of an oversized body is read and discarded before answering 413, so that a client
/// still writing its body sees the answer instead of a reset connection.
const DRAIN_FACTOR: usize = 4;

/// Reads the body under the size limit and the connection limits' pace: a body that pauses too
/// long or falls under the minimum rate is answered 408 instead of holding its connection.
async fn read_limited(request: Request, state: &AppState) -> Result<Bytes, ApiError> {
    let limit = state.settings().max_body_bytes();
    let pace = state.settings().connections;
    let drain_limit = limit.saturating_mul(DRAIN_FACTOR);
    if declared_length(&request).is_some_and(|len| len > drain_limit) {
        return Err(ApiError::body_too_large(limit));
    }
    let mut body = request.into_body();
    let mut collected = Vec::new();
    let mut seen = 0usize;
    let started = Instant::now();
    loop {
        let wait = pace.next_body_deadline(seen as u64, started.elapsed());
        let frame = match tokio::time::timeout(wait, body.frame()).await {
            Err(_) => return Err(ApiError::body_too_slow(&pace)),
            Ok(None) => break,
            Ok(Some(frame)) => frame.map_err(body_read_failure)?,
        };
        let Ok(chunk) = frame.into_data() else { continue };
        seen = seen.saturating_add(chunk.len());
        if seen > drain_limit {
            break;
        }
        if seen <= limit {
            collected.extend_from_slice(&chunk);
        }
    }
    if seen > limit {
        return Err(ApiError::body_too_large(limit));
    }
    Ok(Bytes::from(collected))
}

/// A client that hangs up or breaks its own framing mid-body is not a failure of the server.
fn body_read_failure(err: axum::Error) -> ApiError {
    let hyper_error = std::error::Error::source(&err).and_then(|e| e.downcast_ref::<hyper::Error>());
    match hyper_error {
        Some(e) if e.is_parse() || e.is_parse_status() => ApiError::malformed_body(),
        _ => ApiError::client_gone(format!("reading the request body: {err}")),
    }
}

fn declared_length(request: &Request) -> Option<usize> {
    request.headers().get(CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}
