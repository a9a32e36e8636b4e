//! Admission by expected wait: a request the engines' queues would hold past the bound is
//! refused at once with 429 and a Retry-After from the estimate; below it, it is served.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use common::*;
use futures::StreamExt;
use futures::stream::BoxStream;
use serde_json::json;
use tower::ServiceExt;
use vox_engine::audio::AudioBuffer;
use vox_engine::chat::{ChatEvent, ChatJob, ChatModel, StopReason};
use vox_engine::speech::{SpeechJob, Synthesizer};
use vox_engine::transcribe::{Transcriber, Transcript, TranscriptionJob};
use vox_engine::voices::{VoiceCatalog, VoiceProfile};
use vox_engine::{EngineError, EngineSet};
use vox_server::ServerSettings;

/// An engine that reports a fixed queue and answers at once.
struct Queued(Duration);

#[async_trait::async_trait]
impl Transcriber for Queued {
    fn sample_rate(&self) -> u32 {
        16_000
    }

    async fn transcribe(&self, job: TranscriptionJob) -> Result<Transcript, EngineError> {
        Ok(Transcript {
            text: "heard".into(),
            language: "en".into(),
            duration_secs: job.audio.samples.len() as f64 / 16_000.0,
            segments: vec![],
        })
    }

    fn expected_wait(&self) -> Duration {
        self.0
    }
}

impl ChatModel for Queued {
    fn generate(&self, _job: ChatJob) -> BoxStream<'static, Result<ChatEvent, EngineError>> {
        let events = vec![
            Ok(ChatEvent::Text("Yes.".into())),
            Ok(ChatEvent::Finished {
                reason: StopReason::Stop,
                prompt_tokens: 3,
                completion_tokens: 1,
            }),
        ];
        futures::stream::iter(events).boxed()
    }

    fn expected_wait(&self) -> Duration {
        self.0
    }
}

fn queued_server(wait: Duration) -> TestServer {
    let engine = Arc::new(Queued(wait));
    let engines = EngineSet {
        transcriber: Some(engine.clone()),
        chat: Some(engine),
        synthesizer: None,
    };
    // The test servers' bound is 10 s.
    server_with_engines(true, settings(), engines)
}

async fn transcribe(server: &TestServer) -> Reply {
    let (content_type, body) = transcription_form("whisper-1", &wav_file());
    server
        .send(post("/v1/audio/transcriptions", Some(KEY), &content_type, body))
        .await
}

#[tokio::test]
async fn a_queue_past_the_bound_is_a_prompt_429_with_retry_after() {
    let server = queued_server(Duration::from_secs(25));
    let reply = transcribe(&server).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{}", reply.text);
    assert_eq!(reply.code(), Some("rate_limit_exceeded"));
    assert_eq!(reply.headers.get("retry-after").unwrap(), "15");
    assert!(reply.message().contains("about 25 s"), "{}", reply.message());

    let chat = json!({"model": "vox-text", "messages": [{"role": "user", "content": "Hi"}]});
    let reply = server.post_json("/v1/chat/completions", Some(KEY), &chat).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{}", reply.text);
}

#[tokio::test]
async fn a_queue_within_the_bound_is_served() {
    let server = queued_server(Duration::from_secs(3));
    let reply = transcribe(&server).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["text"], "heard");
    let chat = json!({"model": "vox-text", "messages": [{"role": "user", "content": "Hi"}]});
    let reply = server.post_json("/v1/chat/completions", Some(KEY), &chat).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["choices"][0]["message"]["content"], "Yes.");
}

#[tokio::test]
async fn the_waits_of_a_requests_engines_add_up() {
    // 6 s of recognition queue and 6 s of language model queue: 12 s, past 10.
    let server = queued_server(Duration::from_secs(6));
    let body = json!({
        "model": "vox-text",
        "messages": [{"role": "user", "content": [
            {"type": "input_audio", "input_audio": {"data": base64(&wav_file()), "format": "wav"}}
        ]}],
    });
    let reply = server.post_json("/v1/chat/completions", Some(KEY), &body).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{}", reply.text);
    assert_eq!(reply.headers.get("retry-after").unwrap(), "2");
}

/// A voice whose first job speaks after `FIRST_AUDIO` and whose later jobs never speak: the
/// first answer measures what an answer costs, the later ones stay in flight until dropped.
/// Its own queue is always reported empty, so only the answers in flight can refuse.
struct FirstSpeaksOthersHang {
    jobs: AtomicUsize,
}

const FIRST_AUDIO: Duration = Duration::from_millis(400);

impl VoiceCatalog for FirstSpeaksOthersHang {
    fn list(&self) -> Vec<VoiceProfile> {
        vec![VoiceProfile {
            id: "alloy".into(),
            model: "tone".into(),
            speaker: "tone".into(),
            speed: 1.0,
            description: None,
            language: None,
            gender: None,
        }]
    }
}

impl Synthesizer for FirstSpeaksOthersHang {
    fn voices(&self) -> &dyn VoiceCatalog {
        self
    }

    fn synthesize(&self, _job: SpeechJob) -> BoxStream<'static, Result<AudioBuffer, EngineError>> {
        if self.jobs.fetch_add(1, Ordering::SeqCst) > 0 {
            return futures::stream::pending().boxed();
        }
        futures::stream::once(async {
            tokio::time::sleep(FIRST_AUDIO).await;
            Ok(AudioBuffer {
                samples: vec![0.0; 2400],
                sample_rate: 24_000,
            })
        })
        .boxed()
    }
}

fn spoken_server(bound: Duration) -> TestServer {
    let engines = EngineSet {
        transcriber: None,
        chat: Some(Arc::new(Queued(Duration::ZERO))),
        synthesizer: Some(Arc::new(FirstSpeaksOthersHang {
            jobs: AtomicUsize::new(0),
        })),
    };
    server_with_engines(
        true,
        ServerSettings {
            max_wait: bound,
            ..settings()
        },
        engines,
    )
}

/// Starts a spoken answer that stays in flight until the returned task is aborted.
fn hanging_answer(server: &TestServer) -> tokio::task::JoinHandle<()> {
    let router = server.router.clone();
    let request = post(
        "/v1/chat/completions",
        Some(KEY),
        "application/json",
        spoken_request().to_string().into_bytes(),
    );
    tokio::spawn(async move {
        let _ = router.oneshot(request).await;
        futures::future::pending::<()>().await;
    })
}

#[tokio::test]
async fn spoken_answers_in_flight_count_toward_the_wait() {
    // Every engine reports an empty queue; the answers in flight are what would make a new
    // one wait: one answer alone took ~0.4 s to its first audio, so with n in flight the
    // next expects ~0.4 s x (n + 1), past a 1 s bound from two in flight.
    let server = spoken_server(Duration::from_secs(1));
    let alone = server
        .post_json("/v1/chat/completions", Some(KEY), &spoken_request())
        .await;
    assert_eq!(alone.status, StatusCode::OK, "{}", alone.text);

    let first = hanging_answer(&server);
    wait_for_answers(&server, 1).await;
    let second = hanging_answer(&server);
    wait_for_answers(&server, 2).await;
    let request = spoken_request();
    let third = server.post_json("/v1/chat/completions", Some(KEY), &request);
    // Admitted, it would hang with the others: bounded, so a wrong admission fails, not stalls.
    let refused = tokio::time::timeout(Duration::from_secs(5), third)
        .await
        .expect("a third answer was admitted past the bound");
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.text);
    assert!(refused.headers.get("retry-after").is_some());

    // The callers that hung up free their share: the next answer is admitted again.
    first.abort();
    second.abort();
    wait_for_answers(&server, 0).await;
    let hanging = hanging_answer(&server);
    wait_for_answers(&server, 1).await;
    hanging.abort();
}

/// Waits (bounded) until the server counts `n` spoken answers in flight.
async fn wait_for_answers(server: &TestServer, n: usize) {
    for _ in 0..200 {
        if server.state.spoken_answers().answers() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "{} spoken answers in flight, expected {n}",
        server.state.spoken_answers().answers()
    );
}
