//! Request bodies: read under the size limit, parsed with errors in OpenAI's shape.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_LENGTH;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use vox_protocol::json::parse_body;

use crate::error::ApiError;
use crate::state::AppState;

/// A JSON body of type `T`; oversized bodies are 413, malformed ones 400 naming the parameter.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let bytes = read_limited(request, state.settings().max_body_bytes()).await?;
        Ok(Self(parse_body(&bytes)?))
    }
}

/// The body of a request, read whole, with the same limit and 413 as JSON bodies.
pub struct LimitedRequest(pub Request);

impl FromRequest<AppState> for LimitedRequest {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let bytes = read_limited(
            Request::from_parts(parts.clone(), body),
            state.settings().max_body_bytes(),
        )
        .await?;
        Ok(Self(Request::from_parts(parts, Body::from(bytes))))
    }
}

/// How much of an oversized body is read and discarded before answering 413, so that a client
/// still writing its body sees the answer instead of a reset connection.
const DRAIN_FACTOR: usize = 4;

async fn read_limited(request: Request, limit: usize) -> Result<Bytes, ApiError> {
    let drain_limit = limit.saturating_mul(DRAIN_FACTOR);
    if declared_length(&request).is_some_and(|len| len > drain_limit) {
        return Err(ApiError::body_too_large(limit));
    }
    let mut body = request.into_body();
    let mut collected = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::internal(format!("reading the request body: {e}")))?;
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

fn declared_length(request: &Request) -> Option<usize> {
    request.headers().get(CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}
