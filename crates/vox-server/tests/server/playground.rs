//! The chat playground's routes: the page and its files with their policy, what the page is
//! told at start, and `--no-playground`.

use crate::common::*;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use vox_server::ServerSettings;
use vox_server::auth::KeyRing;

#[tokio::test]
async fn the_page_is_served_at_the_root_and_under_playground_with_a_strict_policy() {
    let server = server();
    for path in ["/", "/playground/"] {
        let reply = server.get(path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        let policy = reply.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(directive), "{path}: {policy}");
        }
        assert!(!policy.contains("unsafe"), "{policy}");
        assert_eq!(reply.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(
            reply
                .text
                .contains(r#"<script type="module" src="/playground/js/main.mjs">"#)
        );
    }
}

#[tokio::test]
async fn playground_without_a_slash_redirects_to_the_page() {
    let reply = server().get("/playground", None).await;
    assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(reply.headers[header::LOCATION], "/playground/");
}

#[tokio::test]
async fn every_file_the_page_loads_is_served_with_its_type() {
    let server = server();
    let page = server.get("/", None).await.text;
    for (path, content_type) in [
        ("/playground/playground.css", "text/css; charset=utf-8"),
        ("/playground/favicon.svg", "image/svg+xml"),
        ("/playground/js/main.mjs", "text/javascript; charset=utf-8"),
    ] {
        assert!(page.contains(path), "index.html does not load {path}");
        let reply = server.get(path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.headers[header::CONTENT_TYPE], content_type, "{path}");
    }
    // Every module main.mjs imports, as the browser asks for it.
    let main = server.get("/playground/js/main.mjs", None).await.text;
    let modules: Vec<&str> = main
        .lines()
        .filter_map(|line| line.split("from \"./").nth(1))
        .map(|rest| rest.trim_end_matches("\";"))
        .collect();
    assert!(modules.len() >= 10, "{modules:?}");
    for module in modules {
        let reply = server.get(&format!("/playground/js/{module}"), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{module}");
        assert_eq!(
            reply.headers[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
    }
}

#[tokio::test]
async fn the_page_needs_no_key_but_the_api_behind_it_does() {
    let server = server();
    assert_eq!(
        server.get("/playground/playground.css", None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        server.get("/v1/models", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let config = server.get("/playground/config.json", None).await;
    assert_eq!(config.body["key_required"], true);
    assert_eq!(config.body["max_audio_bytes"], settings().max_audio_bytes);
    assert_eq!(config.body["realtime_deployment"], "gpt-realtime");
}

#[tokio::test]
async fn an_open_server_tells_the_page_no_key_is_needed() {
    let open = server_with_settings(
        true,
        ServerSettings {
            keys: KeyRing::new::<&str>(&[]),
            ..settings()
        },
    );
    let config = open.get("/playground/config.json", None).await;
    assert_eq!(config.body["key_required"], false);
}

#[tokio::test]
async fn an_unknown_file_is_an_openai_style_404() {
    let reply = server().get("/playground/js/nothing.mjs", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.message(), "Invalid URL (GET /playground/js/nothing.mjs)");
    let traversal = server().get("/playground/../Cargo.toml", None).await;
    assert_eq!(traversal.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn no_playground_leaves_only_the_api() {
    let server = server_with_settings(
        true,
        ServerSettings {
            playground: false,
            ..settings()
        },
    );
    for path in [
        "/",
        "/playground/",
        "/playground/js/main.mjs",
        "/playground/config.json",
    ] {
        let reply = server.get(path, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            reply.message().starts_with("Invalid URL"),
            "{path}: {}",
            reply.text
        );
    }
    assert_eq!(server.get("/v1/models", Some(KEY)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_post_to_the_page_is_refused() {
    let request = Request::post("/").body(Body::empty()).unwrap();
    let reply = server().send(request).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
}
