//! One router for fuzzing request bodies and for replaying what fuzzing found: arbitrary bytes
//! to a route must never panic and never be a server error, except "no engine loaded" (503),
//! where a valid request ends on this engine-less router.
//!
//! Audio in containers is "decoded" by a shell that reads its input and fails: the decoders
//! have their own fuzzer, and this one is about JSON and multipart. WAV stays on Vox's own
//! parser.

use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use vox_engine::EngineSet;
use vox_server::auth::KeyRing;
use vox_server::{AppState, Deployment, ServerSettings, app};
use vox_store::EmbeddedStore;

pub const JSON_ROUTES: [&str; 4] = [
    "/v1/chat/completions",
    "/v1/audio/speech",
    "/openai/deployments/gpt-4o-audio-preview/chat/completions?api-version=2025-01-01-preview",
    "/openai/v1/audio/speech",
];
pub const MULTIPART_ROUTES: [&str; 2] = [
    "/v1/audio/transcriptions",
    "/openai/deployments/gpt-4o-audio-preview/audio/translations?api-version=2025-01-01-preview",
];
pub const MULTIPART_TYPE: &str = "multipart/form-data; boundary=voxfuzz";
const KEY: &str = "sk-fuzz";

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: Router,
    _dir: tempfile::TempDir,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(EmbeddedStore::open(&dir.path().join("audio.redb")).unwrap());
        let settings = ServerSettings {
            keys: KeyRing::new(&[KEY]),
            issuers: Default::default(),
            caller_limits: Default::default(),
            deployments: vec![Deployment::default_deployment(), Deployment::text_deployment()],
            max_audio_bytes: 16 * 1024,
            max_audio_duration: Duration::from_secs(60),
            audio_ttl: Duration::from_secs(3600),
            decode_place: vox_audio::DecodePlace::Isolated {
                program: "sh".into(),
                args: vec!["-c".into(), "cat >/dev/null; exit 1".into()],
            },
            connections: vox_server::door::ConnectionLimits::default(),
            cors: vox_server::cors::CorsOrigins::default(),
            max_wait: Duration::from_secs(10),
            playground: true,
        };
        let (_ready, ready) = tokio::sync::watch::channel(true);
        let router = app(AppState::new(settings, EngineSet::default(), store, ready));
        Harness {
            runtime,
            router,
            _dir: dir,
        }
    })
}

/// Sends `body` to `path`; panics on a server error other than 503.
pub fn check(path: &str, content_type: &str, body: &[u8]) {
    let harness = harness();
    let request = Request::post(path)
        .header("content-type", content_type)
        .header("authorization", format!("Bearer {KEY}"))
        .body(Body::from(body.to_vec()))
        .unwrap();
    let status = harness
        .runtime
        .block_on(harness.router.clone().oneshot(request))
        .unwrap()
        .status();
    assert!(
        !status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE,
        "{status} for {path}"
    );
}
