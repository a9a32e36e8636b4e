//! The remote engines against small HTTP upstreams on port 0 that misbehave on purpose: each
//! failure becomes the engine error the server maps to a clear status, never a hang, and a
//! dropped stream closes the upstream request.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures::StreamExt;
use vox_engine::EngineError;
use vox_engine::chat::{ChatEvent, ChatJob, ChatModel, ChatRole, ChatTurn, SamplingParams, ToolPolicy};
use vox_remote_openai::{Endpoint, RemoteChat};

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}/v1")
}

fn chat(base_url: &str, timeout: Duration) -> RemoteChat {
    RemoteChat::new(Endpoint {
        base_url: base_url.to_string(),
        model: "upstream-model".into(),
        api_key: Some("sk-upstream-secret".into()),
        timeout,
    })
    .unwrap()
}

fn job() -> ChatJob {
    ChatJob {
        turns: vec![ChatTurn {
            role: ChatRole::User,
            text: "Hello?".into(),
            tool_calls: vec![],
            tool_call_id: None,
        }],
        sampling: SamplingParams::default(),
        tools: vec![],
        tool_policy: ToolPolicy::Auto,
    }
}

/// Every event of a generation, stopping at the first error.
async fn run(chat: &RemoteChat) -> (Vec<ChatEvent>, Option<EngineError>) {
    let mut events = Vec::new();
    let mut stream = chat.generate(job());
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => events.push(event),
            Err(err) => return (events, Some(err)),
        }
    }
    (events, None)
}

fn sse(lines: &[&str]) -> Response {
    let body: String = lines.iter().map(|l| format!("data: {l}\n\n")).collect();
    ([("content-type", "text/event-stream")], body).into_response()
}

#[tokio::test]
async fn a_good_upstream_streams_text_and_its_usage_and_gets_the_key() {
    let router = Router::new().route(
        "/v1/chat/completions",
        post(|headers: axum::http::HeaderMap| async move {
            assert_eq!(headers["authorization"], "Bearer sk-upstream-secret");
            sse(&[
                r#"{"choices":[{"delta":{"content":"Hi"}}]}"#,
                r#"{"choices":[{"delta":{"content":"!"},"finish_reason":"stop"}]}"#,
                r#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#,
                "[DONE]",
            ])
        }),
    );
    let (events, error) = run(&chat(&serve(router).await, Duration::from_secs(5))).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(events.len(), 3);
    assert!(matches!(
        events[2],
        ChatEvent::Finished {
            prompt_tokens: 5,
            completion_tokens: 2,
            ..
        }
    ));
}

#[tokio::test]
async fn nothing_listening_is_unavailable_and_names_the_engine_not_the_key() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let chat = chat(&format!("http://127.0.0.1:{port}/v1"), Duration::from_secs(5));
    let (_, error) = run(&chat).await;
    let error = error.unwrap();
    assert!(
        matches!(error, EngineError::UpstreamUnavailable { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.contains("upstream-model") && text.contains(&port.to_string()),
        "{text}"
    );
    assert!(!text.contains("sk-upstream-secret"));
}

#[tokio::test]
async fn a_429_keeps_its_retry_after() {
    let router = Router::new().route(
        "/v1/chat/completions",
        post(|| async {
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                r#"{"error":{"message":"slow down"}}"#,
            )
                .into_response();
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from_static("9"));
            response
        }),
    );
    let (_, error) = run(&chat(&serve(router).await, Duration::from_secs(5))).await;
    assert!(
        matches!(error, Some(EngineError::Busy { retry_after }) if retry_after == Duration::from_secs(9))
    );
}

#[tokio::test]
async fn a_5xx_and_a_wrong_key_are_unavailable_a_400_is_the_callers() {
    for (status, expect) in [
        (500, "answered 500"),
        (401, "credentials"),
        (404, "does not serve"),
    ] {
        let router = Router::new().route(
            "/v1/chat/completions",
            post(move || async move { (StatusCode::from_u16(status).unwrap(), "{}").into_response() }),
        );
        let (_, error) = run(&chat(&serve(router).await, Duration::from_secs(5))).await;
        let text = error.unwrap().to_string();
        assert!(text.contains(expect), "{status}: {text}");
    }
    let router = Router::new().route(
        "/v1/chat/completions",
        post(|| async {
            (
                StatusCode::BAD_REQUEST,
                r#"{"error":{"message":"prompt too long"}}"#,
            )
                .into_response()
        }),
    );
    let (_, error) = run(&chat(&serve(router).await, Duration::from_secs(5))).await;
    assert!(matches!(error, Some(EngineError::InvalidInput(m)) if m == "prompt too long"));
}

#[tokio::test]
async fn a_silent_upstream_times_out_in_time() {
    let router = Router::new().route(
        "/v1/chat/completions",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late"
        }),
    );
    let started = Instant::now();
    let (_, error) = run(&chat(&serve(router).await, Duration::from_secs(1))).await;
    assert!(
        matches!(error, Some(EngineError::UpstreamTimeout { .. })),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// `data:` events of `pieces` words, one every `every`, after `pause_before_last` before the last.
fn steady_sse(pieces: usize, every: Duration, pause_before_last: Duration) -> Response {
    let events = futures::stream::unfold(0, move |sent| async move {
        if sent == pieces {
            return None;
        }
        let last = sent + 1 == pieces;
        tokio::time::sleep(if last { pause_before_last } else { every }).await;
        let piece = if last {
            "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n".to_string()
        } else {
            "data: {\"choices\":[{\"delta\":{\"content\":\"la \"}}]}\n\n".to_string()
        };
        Some((Ok::<_, std::io::Error>(piece), sent + 1))
    });
    ([("content-type", "text/event-stream")], Body::from_stream(events)).into_response()
}

#[tokio::test]
async fn a_long_answer_that_keeps_coming_outlasts_the_timeout() {
    let router = Router::new().route(
        "/v1/chat/completions",
        post(|| async { steady_sse(12, Duration::from_millis(250), Duration::from_millis(250)) }),
    );
    // 3 s of answer against a 1 s timeout: never silent for 1 s, so never cut.
    let (events, error) = run(&chat(&serve(router).await, Duration::from_secs(1))).await;
    assert!(error.is_none(), "{error:?}");
    let words = events
        .iter()
        .filter(|e| matches!(e, ChatEvent::Text(t) if t == "la "))
        .count();
    assert_eq!(words, 11);
}

#[tokio::test]
async fn an_upstream_that_goes_silent_mid_answer_times_out_after_its_text() {
    let router = Router::new().route(
        "/v1/chat/completions",
        post(|| async { steady_sse(4, Duration::from_millis(100), Duration::from_secs(30)) }),
    );
    let started = Instant::now();
    let (events, error) = run(&chat(&serve(router).await, Duration::from_secs(1))).await;
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(
        matches!(error, Some(EngineError::UpstreamTimeout { .. })),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn malformed_output_is_named_as_such() {
    let router = Router::new().route(
        "/v1/chat/completions",
        post(|| async { sse(&["<html>oops</html>"]) }),
    );
    let (_, error) = run(&chat(&serve(router).await, Duration::from_secs(5))).await;
    assert!(
        matches!(error, Some(EngineError::UpstreamMalformed { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_stream_cut_off_mid_answer_ends_in_an_error_after_its_text() {
    let router = Router::new().route(
        "/v1/chat/completions",
        post(|| async {
            let pieces = futures::stream::iter([Ok::<_, std::io::Error>(
                "data: {\"choices\":[{\"delta\":{\"content\":\"Once\"}}]}\n\n".to_string(),
            )]);
            ([("content-type", "text/event-stream")], Body::from_stream(pieces)).into_response()
        }),
    );
    let (events, error) = run(&chat(&serve(router).await, Duration::from_secs(5))).await;
    assert_eq!(events, vec![ChatEvent::Text("Once".into())]);
    assert!(
        matches!(error, Some(EngineError::UpstreamUnavailable { detail, .. }) if detail.contains("ended before"))
    );
}

#[tokio::test]
async fn dropping_the_stream_closes_the_upstream_request() {
    let closed = Arc::new(AtomicBool::new(false));
    let seen = closed.clone();
    let router = Router::new().route(
        "/v1/chat/completions",
        post(move || {
            let closed = closed.clone();
            async move {
                // An endless answer; the body stream is dropped when the client goes away.
                struct OnDrop(Arc<AtomicBool>);
                impl Drop for OnDrop {
                    fn drop(&mut self) {
                        self.0.store(true, Ordering::SeqCst);
                    }
                }
                let guard = OnDrop(closed);
                let pieces = futures::stream::unfold(guard, |guard| async move {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    let piece = "data: {\"choices\":[{\"delta\":{\"content\":\"la \"}}]}\n\n".to_string();
                    Some((Ok::<_, std::io::Error>(piece), guard))
                });
                ([("content-type", "text/event-stream")], Body::from_stream(pieces)).into_response()
            }
        }),
    );
    let chat = chat(&serve(router).await, Duration::from_secs(30));
    let mut stream = chat.generate(job());
    for _ in 0..3 {
        assert!(matches!(stream.next().await, Some(Ok(ChatEvent::Text(_)))));
    }
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !seen.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "the upstream kept streaming to nobody");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
