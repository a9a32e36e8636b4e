//! A real router over a real store, driven in-process with `oneshot`.

#![allow(dead_code)]

pub mod fuzz_harness;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use vox_engine::EngineSet;
use vox_server::auth::KeyRing;
use vox_server::{AppState, Deployment, ServerSettings, app};
use vox_store::EmbeddedStore;

pub const KEY: &str = "sk-test-key-one";
pub const OTHER_KEY: &str = "sk-test-key-two";
pub const AZURE_CHAT: &str =
    "/openai/deployments/gpt-4o-audio-preview/chat/completions?api-version=2025-01-01-preview";
pub const MAX_AUDIO: usize = 64 * 1024;

pub struct TestServer {
    pub router: Router,
    pub state: AppState,
    pub store: Arc<EmbeddedStore>,
    _dir: tempfile::TempDir,
    _ready: tokio::sync::watch::Sender<bool>,
}

pub fn server() -> TestServer {
    server_with(true, vec![Deployment::default_deployment(), text_deployment()])
}

/// A deployment that also takes text-only requests.
pub fn text_deployment() -> Deployment {
    Deployment {
        name: "vox-text".into(),
        require_audio: false,
        aliases: vec![],
        ..Deployment::default_deployment()
    }
}

pub fn server_with(ready: bool, deployments: Vec<Deployment>) -> TestServer {
    server_with_settings(
        ready,
        ServerSettings {
            deployments,
            ..settings()
        },
    )
}

/// The settings every test server starts from: two keys, small audio limits.
pub fn settings() -> ServerSettings {
    ServerSettings {
        keys: KeyRing::new(&[KEY, OTHER_KEY]),
        issuers: Default::default(),
        caller_limits: Default::default(),
        deployments: vec![Deployment::default_deployment(), text_deployment()],
        max_audio_bytes: MAX_AUDIO,
        max_audio_duration: Duration::from_secs(60),
        audio_ttl: Duration::from_secs(3600),
        decode_place: vox_audio::DecodePlace::InProcess,
        connections: vox_server::door::ConnectionLimits::default(),
        cors: vox_server::cors::CorsOrigins::default(),
        max_wait: Duration::from_secs(10),
        playground: true,
    }
}

pub fn server_with_settings(ready: bool, settings: ServerSettings) -> TestServer {
    server_with_engines(ready, settings, EngineSet::default())
}

pub fn server_with_engines(
    ready: bool,
    settings: ServerSettings,
    engines: impl Into<vox_server::ProfileEngines>,
) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(&dir.path().join("audio.redb")).unwrap());
    let (ready_tx, ready_rx) = tokio::sync::watch::channel(ready);
    let state = AppState::new(settings, engines, store.clone(), ready_rx);
    TestServer {
        router: app(state.clone()),
        state,
        store,
        _dir: dir,
        _ready: ready_tx,
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn error(&self) -> &Value {
        &self.body["error"]
    }

    pub fn param(&self) -> Option<&str> {
        self.error()["param"].as_str()
    }

    pub fn code(&self) -> Option<&str> {
        self.error()["code"].as_str()
    }

    pub fn message(&self) -> &str {
        self.error()["message"].as_str().unwrap_or_default()
    }
}

impl TestServer {
    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn post_json(&self, uri: &str, key: Option<&str>, body: &Value) -> Reply {
        self.send(post(uri, key, "application/json", body.to_string().into_bytes()))
            .await
    }

    pub async fn get(&self, uri: &str, key: Option<&str>) -> Reply {
        let mut builder = Request::get(uri);
        if let Some(key) = key {
            builder = builder.header("authorization", format!("Bearer {key}"));
        }
        self.send(builder.body(Body::empty()).unwrap()).await
    }
}

pub fn post(uri: &str, key: Option<&str>, content_type: &str, body: Vec<u8>) -> Request<Body> {
    let mut builder = Request::post(uri).header("content-type", content_type);
    if let Some(key) = key {
        builder = builder.header("authorization", format!("Bearer {key}"));
    }
    builder.body(Body::from(body)).unwrap()
}

/// A valid spoken-answer request.
pub fn spoken_request() -> Value {
    serde_json::json!({
        "model": "gpt-4o-audio-preview",
        "modalities": ["text", "audio"],
        "audio": {"voice": "alloy", "format": "wav"},
        "messages": [{"role": "user", "content": "Is a golden retriever a good family dog?"}],
    })
}

pub fn speech_request() -> Value {
    serde_json::json!({"model": "tts-1", "input": "Hello there.", "voice": "alloy"})
}

/// A multipart form with a file and a model, as the SDKs send it.
pub fn transcription_form(model: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "voxtestboundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n{model}\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\
             Content-Type: audio/wav\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A real 24 kHz WAV of a second of a tone.
pub fn wav_file() -> Vec<u8> {
    let tone: Vec<f32> = (0..24_000).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
    vox_audio::encode(vox_audio::OutputFormat::Wav, &tone).unwrap()
}

pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The engine a request got as far as needing.
pub fn assert_needs_engine(reply: &Reply, engine_words: &str) {
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{}", reply.text);
    assert_eq!(reply.code(), Some("engine_unavailable"));
    assert!(reply.message().contains(engine_words), "{}", reply.message());
}
