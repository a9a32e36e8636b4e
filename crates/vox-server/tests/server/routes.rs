//! Every route shape of the contract answers, and the operational endpoints work.

use crate::common::*;
use axum::http::StatusCode;

const SHAPES: [(&str, &str); 4] = [
    ("/v1", ""),
    ("/openai/v1", ""),
    (
        "/openai/deployments/gpt-4o-audio-preview",
        "?api-version=2025-01-01-preview",
    ),
    (
        "/openai/deployments/gpt-4o-audio-preview",
        "?api-version=2025-04-01-preview",
    ),
];

#[tokio::test]
async fn chat_completions_pass_the_door_on_every_route_shape() {
    let server = server();
    for (prefix, query) in SHAPES {
        let reply = server
            .post_json(
                &format!("{prefix}/chat/completions{query}"),
                Some(KEY),
                &spoken_request(),
            )
            .await;
        assert_needs_engine(&reply, "language model");
    }
}

#[tokio::test]
async fn azure_clients_may_use_the_api_key_header_and_omit_model() {
    let server = server();
    let mut body = spoken_request();
    body.as_object_mut().unwrap().remove("model");
    let request = axum::http::Request::post(AZURE_CHAT)
        .header("api-key", KEY)
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    assert_needs_engine(&server.send(request).await, "language model");
}

#[tokio::test]
async fn speech_passes_the_door_on_every_route_shape() {
    let server = server();
    for (prefix, query) in SHAPES {
        let reply = server
            .post_json(
                &format!("{prefix}/audio/speech{query}"),
                Some(KEY),
                &speech_request(),
            )
            .await;
        assert_needs_engine(&reply, "speech synthesis");
    }
}

#[tokio::test]
async fn transcriptions_and_translations_pass_the_door_on_every_route_shape() {
    let server = server();
    for (prefix, query) in SHAPES {
        for endpoint in ["transcriptions", "translations"] {
            let (content_type, body) = transcription_form("whisper-1", &wav_file());
            let uri = format!("{prefix}/audio/{endpoint}{query}");
            let reply = server.send(post(&uri, Some(KEY), &content_type, body)).await;
            assert_needs_engine(&reply, "speech recognition");
        }
    }
}

#[tokio::test]
async fn a_transcription_without_a_file_is_refused() {
    let server = server();
    let boundary = "b";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--{boundary}--\r\n"
    );
    let reply = server
        .send(post(
            "/v1/audio/transcriptions",
            Some(KEY),
            "multipart/form-data; boundary=b",
            body.into_bytes(),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.message(), "Missing required parameter: 'file'.");
    let reply = server
        .post_json("/v1/audio/transcriptions", Some(KEY), &serde_json::json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.param(), Some("file"));
}

#[tokio::test]
async fn voices_need_the_synthesizer() {
    let server = server();
    assert_needs_engine(
        &server.get("/v1/audio/voices", Some(KEY)).await,
        "speech synthesis",
    );
}

#[tokio::test]
async fn models_and_deployments_are_listed() {
    let server = server();
    for uri in [
        "/v1/models",
        "/openai/v1/models",
        "/openai/models?api-version=2025-01-01-preview",
        "/openai/deployments?api-version=2025-01-01-preview",
    ] {
        let reply = server.get(uri, Some(KEY)).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.text);
        assert_eq!(reply.body["object"], "list");
        let ids: Vec<&str> = reply.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&"gpt-4o-audio-preview"), "{uri}: {ids:?}");
        assert!(ids.contains(&"vox-text"));
        assert!(ids.contains(&"whisper-1"));
        assert_eq!(reply.body["data"][0]["object"], "model");
    }
    let one = server.get("/v1/models/gpt-4o-audio-preview", Some(KEY)).await;
    assert_eq!(one.body["id"], "gpt-4o-audio-preview");
    let missing = server.get("/v1/models/gpt-5", Some(KEY)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), Some("model_not_found"));
}

#[tokio::test]
async fn health_readiness_and_metrics_need_no_key() {
    let server = server();
    assert_eq!(server.get("/healthz", None).await.status, StatusCode::OK);
    let ready = server.get("/readyz", None).await;
    assert_eq!(
        (ready.status, ready.body["status"].as_str()),
        (StatusCode::OK, Some("ready"))
    );
    server.get("/v1/models", Some(KEY)).await;
    let metrics = server.get("/metrics", None).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics
            .text
            .contains(r#"vox_http_requests_total{method="GET",route="/v1/models",status="200"} 1"#),
        "{}",
        metrics.text
    );
    assert!(metrics.text.contains("vox_http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn metrics_label_azure_routes_by_template_not_by_deployment() {
    let server = server();
    server.post_json(AZURE_CHAT, Some(KEY), &spoken_request()).await;
    let metrics = server.get("/metrics", None).await.text;
    assert!(
        metrics.contains(r#"route="/openai/deployments/{deployment}/chat/completions""#),
        "{metrics}"
    );
}

#[tokio::test]
async fn until_engines_are_loaded_the_server_is_not_ready() {
    let server = server_with(false, vec![vox_server::Deployment::default_deployment()]);
    let ready = server.get("/readyz", None).await;
    assert_eq!(
        (ready.status, ready.body["status"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("loading"))
    );
    assert_eq!(server.get("/healthz", None).await.status, StatusCode::OK);
    let reply = server
        .post_json("/v1/chat/completions", Some(KEY), &spoken_request())
        .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.code(), Some("not_ready"));
    assert_eq!(reply.headers["retry-after"], "5");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let server = server();
    let reply = server.get("/healthz", None).await;
    let id = reply.headers["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let request = axum::http::Request::get("/v1/models")
        .header("x-request-id", "client-chosen-id")
        .header("api-key", KEY)
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(
        server.send(request).await.headers["x-request-id"],
        "client-chosen-id"
    );
}

#[tokio::test]
async fn the_served_openapi_matches_the_committed_one() {
    let server = server();
    let served = server.get("/openapi.json", None).await.text;
    let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    if std::env::var_os("VOX_UPDATE_OPENAPI").is_some() {
        std::fs::write(committed_path, &served).unwrap();
    }
    let committed = std::fs::read_to_string(committed_path).unwrap_or_default();
    assert!(
        served == committed,
        "docs/openapi.json is stale: run `VOX_UPDATE_OPENAPI=1 cargo test --release -p vox-server --test server routes` and commit it"
    );
    let doc: serde_json::Value = serde_json::from_str(&served).unwrap();
    for path in [
        "/v1/chat/completions",
        "/v1/audio/speech",
        "/v1/audio/transcriptions",
        "/v1/models",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} undocumented");
    }
    assert!(doc["components"]["schemas"]["ChatCompletionRequest"].is_object());
}
