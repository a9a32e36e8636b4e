//! A caller's limits on the wire: OpenAI's `x-ratelimit-*-requests` headers on every answer,
//! and the 429 that refuses a caller over a limit, with `Retry-After`.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use super::limits::{Held, RateHeaders, Refusal, reset_text};
use crate::error::{ApiError, ErrorShape};

/// The answer, carrying the rate headers and holding the caller's place until its body (a
/// stream, maybe) is done.
pub fn holding(response: Response, held: Held, rate: Option<RateHeaders>) -> Response {
    let mut response = response.map(|body| {
        Body::new(body.map_frame(move |frame| {
            let _ = &held;
            frame
        }))
    });
    if let Some(rate) = rate {
        insert(response.headers_mut(), rate);
    }
    response
}

pub fn refused(shape: ErrorShape, refusal: &Refusal) -> Response {
    let (error, rate) = error(refusal);
    let mut response = error.shaped(shape).into_response();
    if let Some(rate) = rate {
        insert(response.headers_mut(), rate);
    }
    response
}

/// The 429 a refusal is, and the rate headers it carries.
pub fn error(refusal: &Refusal) -> (ApiError, Option<RateHeaders>) {
    match refusal {
        Refusal::Rate { headers, retry_after } => {
            let secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
            let message = format!(
                "Rate limit reached for requests per min (RPM): Limit {}, Remaining {}. Please try again in {secs}s.",
                headers.limit, headers.remaining
            );
            (ApiError::caller_limited(message, secs), Some(*headers))
        }
        Refusal::Concurrent { limit } => {
            let message = format!("Too many requests in flight: this caller may have {limit} at once.");
            (ApiError::caller_limited(message, 1), None)
        }
        Refusal::Sessions { limit } => {
            let message = format!("Too many realtime sessions open: this caller may have {limit} at once.");
            (ApiError::caller_limited(message, 1), None)
        }
    }
}

fn insert(headers: &mut HeaderMap, rate: RateHeaders) {
    headers.insert("x-ratelimit-limit-requests", HeaderValue::from(rate.limit));
    headers.insert(
        "x-ratelimit-remaining-requests",
        HeaderValue::from(rate.remaining),
    );
    if let Ok(reset) = HeaderValue::from_str(&reset_text(rate.reset)) {
        headers.insert("x-ratelimit-reset-requests", reset);
    }
}
