//! Every error of the door, in the shape each client family expects.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::json;
use vox_store::{AudioRecord, AudioStore, Owner, new_audio_id};

#[tokio::test]
async fn missing_and_wrong_keys_are_401_in_openai_shape() {
    let server = server();
    let missing = server
        .post_json("/v1/chat/completions", None, &spoken_request())
        .await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.code(), Some("missing_api_key"));
    assert_eq!(missing.error()["type"], "invalid_request_error");
    let wrong = server
        .post_json(
            "/v1/chat/completions",
            Some("sk-wrong-key-123456"),
            &spoken_request(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.code(), Some("invalid_api_key"));
    assert_eq!(wrong.message(), "Incorrect API key provided: sk-***3456.");
    assert!(wrong.error().as_object().unwrap().contains_key("param"));
}

#[tokio::test]
async fn wrong_keys_on_azure_routes_get_azures_shape() {
    let server = server();
    for uri in [
        AZURE_CHAT,
        "/openai/v1/chat/completions",
        "/openai/models?api-version=2025-01-01-preview",
    ] {
        let reply = server.post_json(uri, Some("wrong"), &spoken_request()).await;
        let reply = if reply.status == StatusCode::METHOD_NOT_ALLOWED {
            server.get(uri, Some("wrong")).await
        } else {
            reply
        };
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(reply.code(), Some("401"));
        assert!(
            reply
                .message()
                .starts_with("Access denied due to invalid subscription key")
        );
        assert_eq!(
            reply.error().as_object().unwrap().len(),
            2,
            "{uri}: {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn azure_routes_without_api_version_are_not_found() {
    let server = server();
    for uri in [
        "/openai/deployments/gpt-4o-audio-preview/chat/completions",
        "/openai/models",
    ] {
        let reply = server.post_json(uri, Some(KEY), &spoken_request()).await;
        let reply = if reply.status == StatusCode::METHOD_NOT_ALLOWED {
            server.get(uri, Some(KEY)).await
        } else {
            reply
        };
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(
            reply.body,
            json!({"error": {"code": "404", "message": "Resource not found"}})
        );
    }
}

#[tokio::test]
async fn unknown_deployment_and_unknown_model() {
    let server = server();
    let uri = "/openai/deployments/nope/chat/completions?api-version=2025-01-01-preview";
    let reply = server.post_json(uri, Some(KEY), &spoken_request()).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.code(), Some("DeploymentNotFound"));
    let mut body = spoken_request();
    body["model"] = json!("gpt-9");
    let reply = server.post_json("/v1/chat/completions", Some(KEY), &body).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.code(), Some("model_not_found"));
    body.as_object_mut().unwrap().remove("model");
    let reply = server.post_json("/v1/chat/completions", Some(KEY), &body).await;
    assert_eq!(
        (reply.status, reply.param()),
        (StatusCode::BAD_REQUEST, Some("model"))
    );
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let server = server();
    let reply = server.post_json("/v1/nothing/here", Some(KEY), &json!({})).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.message(), "Invalid URL (POST /v1/nothing/here)");
    let reply = server
        .get("/openai/nothing?api-version=2025-01-01-preview", Some(KEY))
        .await;
    assert_eq!(
        reply.body,
        json!({"error": {"code": "404", "message": "Resource not found"}})
    );
    let reply = server.get("/v1/chat/completions", Some(KEY)).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        reply.message(),
        "Invalid method for URL (GET /v1/chat/completions)"
    );
}

#[tokio::test]
async fn validation_errors_reach_the_client_with_their_param() {
    let server = server();
    let cases = [
        (
            json!({"audio": {"voice": "bogus", "format": "wav"}}),
            "audio.voice",
        ),
        (
            json!({"audio": {"voice": "alloy", "format": "ogg"}}),
            "audio.format",
        ),
        (json!({"stream": true}), "audio.format"),
        (json!({"n": 3}), "n"),
        (json!({"messages": []}), "messages"),
        (
            json!({"messages": [{"role": "user", "content": 7}]}),
            "messages[0].content",
        ),
        (
            json!({"messages": [{"role": "user", "content": [
                {"type": "input_audio", "input_audio": {"data": "data:audio/wav;base64,AAAA", "format": "wav"}}]}]}),
            "messages[0].content[0].input_audio.data",
        ),
        (
            json!({"messages": [{"role": "user", "content": [
                {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "aiff"}}]}]}),
            "messages[0].content[0].input_audio.format",
        ),
    ];
    for (change, param) in cases {
        let mut body = spoken_request();
        body.as_object_mut()
            .unwrap()
            .extend(change.as_object().unwrap().clone());
        let reply = server.post_json("/v1/chat/completions", Some(KEY), &body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{change}: {}", reply.text);
        assert_eq!(reply.param(), Some(param), "{change}");
        assert_eq!(reply.error()["type"], "invalid_request_error");
    }
    let reply = server
        .send(post(
            "/v1/chat/completions",
            Some(KEY),
            "application/json",
            b"{not json".to_vec(),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.message().contains("could not parse the JSON body"));
}

#[tokio::test]
async fn text_only_requests_need_a_deployment_that_takes_them() {
    let server = server();
    let text_only = json!({"model": "gpt-4o-audio-preview", "messages": [{"role": "user", "content": "Hi"}]});
    let reply = server
        .post_json("/v1/chat/completions", Some(KEY), &text_only)
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.message(),
        "This model requires that either input content or output modality contain audio."
    );
    let mut text_only = text_only;
    text_only["model"] = json!("vox-text");
    assert_needs_engine(
        &server
            .post_json("/v1/chat/completions", Some(KEY), &text_only)
            .await,
        "language model",
    );
}

#[tokio::test]
async fn oversized_bodies_and_audio_are_413() {
    let server = server();
    let too_much_audio = "A".repeat(MAX_AUDIO / 3 * 4 + 400);
    let mut body = spoken_request();
    body["messages"] = json!([{"role": "user", "content": [
        {"type": "input_audio", "input_audio": {"data": too_much_audio, "format": "wav"}}]}]);
    let reply = server.post_json("/v1/chat/completions", Some(KEY), &body).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", reply.text);
    assert_eq!(reply.param(), Some("messages[0].content[0].input_audio.data"));

    let huge = vec![b' '; MAX_AUDIO / 3 * 4 + 3 * 1024 * 1024];
    let reply = server
        .send(post("/v1/chat/completions", Some(KEY), "application/json", huge))
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.code(), Some("request_too_large"));

    let (content_type, form) = transcription_form("whisper-1", &vec![0u8; MAX_AUDIO + 1]);
    let reply = server
        .send(post("/v1/audio/transcriptions", Some(KEY), &content_type, form))
        .await;
    assert_eq!(
        (reply.status, reply.param()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("file"))
    );
}

fn with_history(audio_id: &str) -> serde_json::Value {
    let mut body = spoken_request();
    body["messages"] = json!([
        {"role": "user", "content": "Tell me about dogs."},
        {"role": "assistant", "audio": {"id": audio_id}},
        {"role": "user", "content": "And cats?"},
    ]);
    body
}

#[tokio::test]
async fn audio_ids_are_visible_only_to_the_key_that_made_them() {
    let server = server();
    let id = new_audio_id();
    let now = vox_server::unix_now();
    let record = AudioRecord {
        id: id.clone(),
        owner: Owner::from_api_key(KEY),
        transcript: "Dogs are loyal.".into(),
        created: now,
        expires_at: now + 3600,
    };
    server.store.insert(record).await.unwrap();

    let mine = server
        .post_json("/v1/chat/completions", Some(KEY), &with_history(&id))
        .await;
    assert_needs_engine(&mine, "language model");

    let theirs = server
        .post_json("/v1/chat/completions", Some(OTHER_KEY), &with_history(&id))
        .await;
    let unknown_id = new_audio_id();
    let unknown = server
        .post_json(
            "/v1/chat/completions",
            Some(OTHER_KEY),
            &with_history(&unknown_id),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::BAD_REQUEST);
    assert_eq!(theirs.code(), Some("audio_not_found"));
    assert_eq!(theirs.message(), format!("Assistant audio {id} not found."));
    assert_eq!(theirs.param(), Some("messages[1]"));
    assert_eq!(
        unknown.message(),
        format!("Assistant audio {unknown_id} not found.")
    );
    assert_eq!((unknown.status, unknown.code()), (theirs.status, theirs.code()));
}

#[tokio::test]
async fn expired_audio_ids_are_not_found() {
    let server = server();
    let id = new_audio_id();
    let record = AudioRecord {
        id: id.clone(),
        owner: Owner::from_api_key(KEY),
        transcript: "old".into(),
        created: 1,
        expires_at: 2,
    };
    server.store.insert(record).await.unwrap();
    let reply = server
        .post_json("/v1/chat/completions", Some(KEY), &with_history(&id))
        .await;
    assert_eq!(reply.code(), Some("audio_not_found"));
}

#[tokio::test]
async fn speech_validation_errors() {
    let server = server();
    let mut body = speech_request();
    body["voice"] = json!("bogus");
    let reply = server.post_json("/v1/audio/speech", Some(KEY), &body).await;
    assert_eq!(
        (reply.status, reply.param()),
        (StatusCode::BAD_REQUEST, Some("voice"))
    );
    body["voice"] = json!("alloy");
    body["input"] = json!("x".repeat(4097));
    let reply = server.post_json("/v1/audio/speech", Some(KEY), &body).await;
    assert_eq!(
        (reply.status, reply.param()),
        (StatusCode::BAD_REQUEST, Some("input"))
    );
}

fn with_input_audio(bytes: &[u8]) -> serde_json::Value {
    let mut body = spoken_request();
    body["messages"] = json!([{"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "input_audio", "input_audio": {"data": base64(bytes), "format": "wav"}}]}]);
    body
}

#[tokio::test]
async fn undecodable_audio_is_a_400_naming_the_part() {
    let server = server();
    let reply = server
        .post_json(
            "/v1/chat/completions",
            Some(KEY),
            &with_input_audio(b"RIFF but not really a wav"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(
        reply.message(),
        "The audio file could not be decoded or its format is not supported."
    );
    assert_eq!(reply.param(), Some("messages[0].content[1].input_audio.data"));

    let (content_type, form) = transcription_form("whisper-1", b"\x00\x01 not audio");
    let reply = server
        .send(post("/v1/audio/transcriptions", Some(KEY), &content_type, form))
        .await;
    assert_eq!(
        (reply.status, reply.param()),
        (StatusCode::BAD_REQUEST, Some("file"))
    );
    assert_eq!(
        reply.message(),
        "The audio file could not be decoded or its format is not supported."
    );
}

#[tokio::test]
async fn decodable_audio_goes_on_to_speech_recognition() {
    let server = server();
    let reply = server
        .post_json("/v1/chat/completions", Some(KEY), &with_input_audio(&wav_file()))
        .await;
    assert_needs_engine(&reply, "speech recognition");
}
