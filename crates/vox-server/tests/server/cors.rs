//! Browsers on other origins: preflights on every route family, only for configured origins.

use crate::common::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use vox_server::ServerSettings;
use vox_server::cors::CorsOrigins;

const PAGE: &str = "https://app.example.com";

fn preflight(uri: &str, origin: &str) -> Request<Body> {
    Request::options(uri)
        .header("host", "vox.local:8000")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, x-stainless-os, api-key",
        )
        .body(Body::empty())
        .unwrap()
}

fn allowing(origins: CorsOrigins) -> TestServer {
    server_with_settings(
        true,
        ServerSettings {
            cors: origins,
            ..settings()
        },
    )
}

const ROUTES: [&str; 5] = [
    "/v1/chat/completions",
    "/v1/audio/speech",
    "/openai/deployments/gpt-4o-audio-preview/chat/completions?api-version=2025-01-01-preview",
    "/openai/v1/audio/transcriptions",
    "/v1/realtime?model=gpt-realtime",
];

#[tokio::test]
async fn a_configured_origin_gets_its_preflight_on_every_route_family() {
    let server = allowing(CorsOrigins::List(vec![PAGE.into()]));
    for route in ROUTES {
        let reply = server.send(preflight(route, PAGE)).await;
        assert_eq!(reply.status, StatusCode::OK, "{route}: {}", reply.text);
        let header = |name: &str| reply.headers.get(name).map(|v| v.to_str().unwrap().to_string());
        assert_eq!(
            header("access-control-allow-origin").as_deref(),
            Some(PAGE),
            "{route}"
        );
        let methods = header("access-control-allow-methods").unwrap_or_default();
        assert!(methods.contains("POST"), "{route}: {methods}");
        let headers = header("access-control-allow-headers")
            .unwrap_or_default()
            .to_lowercase();
        assert!(
            headers.contains("authorization") && headers.contains("api-key"),
            "{headers}"
        );
        assert_eq!(header("access-control-allow-credentials"), None);
    }
}

#[tokio::test]
async fn other_origins_are_not_allowed_by_default_or_when_unlisted() {
    for server in [
        allowing(CorsOrigins::SameOrigin),
        allowing(CorsOrigins::List(vec![PAGE.into()])),
    ] {
        let reply = server
            .send(preflight("/v1/chat/completions", "https://evil.example"))
            .await;
        assert!(
            reply.headers.get("access-control-allow-origin").is_none(),
            "{:?}",
            reply.headers
        );
    }
}

#[tokio::test]
async fn the_servers_own_origin_is_always_allowed() {
    let server = allowing(CorsOrigins::SameOrigin);
    let reply = server
        .send(preflight("/v1/chat/completions", "http://vox.local:8000"))
        .await;
    assert_eq!(
        reply.headers.get("access-control-allow-origin").unwrap(),
        "http://vox.local:8000"
    );
}

#[tokio::test]
async fn a_star_allows_any_origin_without_credentials() {
    let server = allowing(CorsOrigins::Any);
    let reply = server
        .send(preflight("/v1/audio/speech", "https://anyone.example"))
        .await;
    assert_eq!(reply.headers.get("access-control-allow-origin").unwrap(), "*");
    assert!(reply.headers.get("access-control-allow-credentials").is_none());
}

#[tokio::test]
async fn an_allowed_origins_real_request_can_read_errors_and_retry_headers() {
    let server = allowing(CorsOrigins::List(vec![PAGE.into()]));
    let request = Request::get("/v1/models")
        .header("origin", PAGE)
        .body(Body::empty())
        .unwrap();
    let reply = server.send(request).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.headers.get("access-control-allow-origin").unwrap(), PAGE);
    let exposed = reply
        .headers
        .get("access-control-expose-headers")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        exposed.contains("retry-after") && exposed.contains("x-request-id"),
        "{exposed}"
    );
}
