//! Admission by expected wait: a request the engines' queues would hold past the bound is
//! refused at once with 429 and a Retry-After from the estimate; below it, it is served.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use common::*;
use futures::StreamExt;
use futures::stream::BoxStream;
use serde_json::json;
use vox_engine::chat::{ChatEvent, ChatJob, ChatModel, StopReason};
use vox_engine::transcribe::{Transcriber, Transcript, TranscriptionJob};
use vox_engine::{EngineError, EngineSet};

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
