//! Per-caller limits at the door: the headers on every answer, the 429 with Retry-After for a
//! caller over its rate, and another caller untouched.

use axum::http::StatusCode;
use vox_server::auth::limits::CallerLimits;

use crate::common::{KEY, OTHER_KEY, server_with_settings, settings};

#[tokio::test]
async fn a_caller_over_its_rate_gets_429_and_another_caller_does_not() {
    let mut settings = settings();
    settings.caller_limits = CallerLimits {
        requests_per_minute: Some(20),
        ..CallerLimits::default()
    };
    let server = server_with_settings(true, settings);
    let first = server.get("/v1/models", Some(KEY)).await;
    assert_eq!(first.status, StatusCode::OK);
    // A burst may take a tenth of the minute's 20.
    assert_eq!(first.headers["x-ratelimit-limit-requests"], "20");
    assert_eq!(first.headers["x-ratelimit-remaining-requests"], "1");
    assert_eq!(server.get("/v1/models", Some(KEY)).await.status, StatusCode::OK);
    let refused = server.get("/v1/models", Some(KEY)).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.text);
    assert_eq!(refused.code(), Some("rate_limit_exceeded"));
    assert_eq!(refused.headers["x-ratelimit-remaining-requests"], "0");
    let retry: u64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    assert!(refused.headers.contains_key("x-ratelimit-reset-requests"));
    assert!(!refused.text.contains(KEY));
    assert_eq!(
        server.get("/v1/models", Some(OTHER_KEY)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn no_limits_means_no_rate_headers() {
    let server = server_with_settings(true, settings());
    let reply = server.get("/v1/models", Some(KEY)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(!reply.headers.contains_key("x-ratelimit-limit-requests"));
}
