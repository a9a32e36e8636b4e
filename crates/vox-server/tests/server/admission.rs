//! Admission by expected wait: a request the engines' queues would hold past the bound is
//! refused at once with 429 and a Retry-After from the estimate; below it, it is served.

use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use axum::http::StatusCode;
use serde_json::json;
use tower::ServiceExt;
use vox_engine::EngineSet;
use vox_scripted::{ScriptedChat, ScriptedTranscriber, ToneVoice};
use vox_server::ServerSettings;

/// Engines that report a fixed queue and answer at once.
fn queued_server(wait: Duration) -> TestServer {
    let engines = EngineSet {
        transcriber: Some(Arc::new(ScriptedTranscriber::hearing("heard", "en").queued(wait))),
        chat: Some(Arc::new(ScriptedChat::saying("Yes.").queued(wait))),
        synthesizer: None,
        vad: None,
        turn_end: None,
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

/// The first answer's audio comes after this: it measures what an answer costs.
const FIRST_AUDIO: Duration = Duration::from_millis(400);

fn spoken_server(bound: Duration) -> TestServer {
    let engines = EngineSet {
        transcriber: None,
        chat: Some(Arc::new(ScriptedChat::saying("Yes."))),
        // Later answers never speak: they stay in flight until dropped. The voice's own queue
        // is reported empty, so only the answers in flight can refuse.
        synthesizer: Some(Arc::new(ToneVoice::hanging_from(1).with_delay(FIRST_AUDIO))),
        vad: None,
        turn_end: None,
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

#[tokio::test]
async fn a_slow_answer_does_not_close_an_idle_servers_door() {
    // One answer alone took ~0.4 s to its first audio, past a 0.2 s bound: with nothing in
    // flight the next is still admitted (refusing it would help no one, and only admitted
    // answers measure the cost again).
    let server = spoken_server(Duration::from_millis(200));
    let alone = server
        .post_json("/v1/chat/completions", Some(KEY), &spoken_request())
        .await;
    assert_eq!(alone.status, StatusCode::OK, "{}", alone.text);
    // The next one is admitted: it counts in flight (this voice never finishes it).
    let next = hanging_answer(&server);
    wait_for_answers(&server, 1).await;
    next.abort();
}
