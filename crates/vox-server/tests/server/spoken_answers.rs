//! Spoken answers through the real router with scripted engines (`vox-scripted`): the stream's
//! chunk order, a client leaving mid-answer, a busy model, a voice refusing mid-answer, tool
//! calls beside audio, the next turn by audio id, a deployment on another profile, the spoken
//! style the model is told of, and markdown kept from the voice but not from the transcript.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::common::*;
use axum::http::StatusCode;
use base64::Engine as _;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use vox_engine::EngineSet;
use vox_engine::chat::{ChatRole, ToolCall};
use vox_scripted::{ScriptedChat, ToneVoice};
use vox_server::ServerSettings;

const SAID: &str = "Yes, golden retrievers are gentle. They love children and learn fast.";

fn server_speaking(chat: ScriptedChat, voice: Arc<ToneVoice>) -> TestServer {
    let engines = EngineSet {
        transcriber: None,
        chat: Some(Arc::new(chat)),
        synthesizer: Some(voice),
        vad: None,
        turn_end: None,
    };
    server_with_engines(true, settings(), engines)
}

fn streamed(mut request: Value) -> Value {
    request["stream"] = json!(true);
    request["stream_options"] = json!({"include_usage": true});
    request["audio"]["format"] = json!("pcm16");
    request
}

/// The `data:` payloads of an SSE body, `[DONE]` included.
fn events(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .map(str::to_string)
        .collect()
}

/// Each event in a word: which part of the sequence it is.
fn shape(event: &str) -> String {
    if event == "[DONE]" {
        return "done".into();
    }
    let value: Value = serde_json::from_str(event).unwrap();
    if value.get("error").is_some() {
        return "error".into();
    }
    if value["usage"].is_object() {
        return "usage".into();
    }
    let choice = &value["choices"][0];
    if choice["finish_reason"].is_string() {
        return format!("finish:{}", choice["finish_reason"].as_str().unwrap());
    }
    let delta = &choice["delta"];
    let audio = &delta["audio"];
    match () {
        _ if delta["role"].is_string() => "role".into(),
        _ if delta["tool_calls"].is_array() => "tool".into(),
        _ if audio["id"].is_string() => "audio-id".into(),
        _ if audio["data"].is_string() => "pcm".into(),
        _ if audio["expires_at"].is_number() => "expires".into(),
        _ if audio["transcript"].is_string() => "said".into(),
        _ => format!("other:{event}"),
    }
}

/// The shapes with runs of the same one folded: ["said", "pcm", "pcm"] -> ["said", "pcm"].
fn folded(body: &str) -> Vec<String> {
    let mut shapes: Vec<String> = events(body).iter().map(|e| shape(e)).collect();
    shapes.dedup();
    shapes
}

#[tokio::test]
async fn a_streamed_answer_says_each_clause_before_its_audio_in_openai_order() {
    let voice = Arc::new(ToneVoice::default());
    let server = server_speaking(ScriptedChat::saying(SAID), voice);
    let reply = server
        .post_json("/v1/chat/completions", Some(KEY), &streamed(spoken_request()))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let shapes = folded(&reply.text);
    let (head, tail) = shapes.split_at(2);
    assert_eq!(head, ["role", "audio-id"]);
    assert_eq!(
        &tail[tail.len() - 4..],
        ["expires", "finish:stop", "usage", "done"]
    );
    let middle = &tail[..tail.len() - 4];
    assert!(middle.len() >= 4, "{middle:?}");
    assert!(middle.chunks(2).all(|pair| pair == ["said", "pcm"]), "{middle:?}");

    let mut transcript = String::new();
    let mut pcm = Vec::new();
    for event in events(&reply.text).iter().filter(|e| e.starts_with('{')) {
        let value: Value = serde_json::from_str(event).unwrap();
        let audio = &value["choices"][0]["delta"]["audio"];
        transcript.push_str(audio["transcript"].as_str().unwrap_or_default());
        if let Some(data) = audio["data"].as_str() {
            pcm.extend(base64::engine::general_purpose::STANDARD.decode(data).unwrap());
        }
    }
    assert_eq!(transcript, SAID);
    let secs = pcm.len() as f64 / 2.0 / 24_000.0;
    let expected = SAID.chars().count() as f64 * 0.05;
    assert!(
        (secs - expected).abs() < 0.05,
        "{secs} s of audio, expected {expected}"
    );
}

#[tokio::test]
async fn a_client_leaving_mid_answer_stops_the_voice() {
    let voice = Arc::new(ToneVoice::default().with_delay(Duration::from_millis(50)));
    let chat = ScriptedChat::saying(&SAID.repeat(6)).with_delay(Duration::from_millis(20));
    let server = server_speaking(chat, voice.clone());
    let request = post(
        "/v1/chat/completions",
        Some(KEY),
        "application/json",
        streamed(spoken_request()).to_string().into_bytes(),
    );
    let response = server.router.clone().oneshot(request).await.unwrap();
    let mut body = response.into_body();
    let mut seen = String::new();
    while !seen.contains("\"data\"") {
        let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .expect("audio comes")
            .unwrap()
            .unwrap();
        if let Some(bytes) = frame.data_ref() {
            seen.push_str(&String::from_utf8_lossy(bytes));
        }
    }
    drop(body);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let jobs = voice.jobs.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        voice.jobs.load(Ordering::SeqCst),
        jobs,
        "the voice kept speaking for nobody"
    );
    assert!(
        jobs < 10,
        "{jobs} clauses spoken for a client that left after the first"
    );
    assert_eq!(server.state.spoken_answers().answers(), 0);
    let metrics = server.get("/metrics", None).await.text;
    let counted = "vox_answers_cancelled_total{reason=\"client_left\"} 1";
    assert!(metrics.contains(counted), "{metrics}");
}

#[tokio::test]
async fn a_busy_model_is_429_with_retry_after_before_any_chunk() {
    let server = server_speaking(
        ScriptedChat::busy(Duration::from_secs(7)),
        Arc::new(ToneVoice::default()),
    );
    for request in [spoken_request(), streamed(spoken_request())] {
        let reply = server
            .post_json("/v1/chat/completions", Some(KEY), &request)
            .await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{}", reply.text);
        assert_eq!(reply.headers.get("retry-after").unwrap(), "7");
        assert_eq!(reply.code(), Some("rate_limit_exceeded"));
    }
}

#[tokio::test]
async fn a_full_synthesis_queue_mid_answer_ends_the_stream_with_an_error_event() {
    let server = server_speaking(ScriptedChat::saying(SAID), Arc::new(ToneVoice::busy_at(1)));
    let reply = server
        .post_json("/v1/chat/completions", Some(KEY), &streamed(spoken_request()))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let shapes = folded(&reply.text);
    assert_eq!(
        shapes,
        ["role", "audio-id", "said", "pcm", "said", "error"],
        "{}",
        reply.text
    );
    let last: Value = serde_json::from_str(events(&reply.text).last().unwrap()).unwrap();
    assert_eq!(last["error"]["code"], "rate_limit_exceeded", "{last}");

    // A whole answer has sent nothing yet: the same refusal is a plain 429.
    let server = server_speaking(ScriptedChat::saying(SAID), Arc::new(ToneVoice::busy_at(1)));
    let whole = server
        .post_json("/v1/chat/completions", Some(KEY), &spoken_request())
        .await;
    assert_eq!(whole.status, StatusCode::TOO_MANY_REQUESTS, "{}", whole.text);
}

#[tokio::test]
async fn tool_calls_come_with_the_spoken_preamble_and_finish_as_tool_calls() {
    let call = ToolCall {
        id: "call_7".into(),
        name: "get_weather".into(),
        arguments: r#"{"city":"Paris"}"#.into(),
    };
    let chat = ScriptedChat::saying("Let me check.").calling(call);
    let server = server_speaking(chat, Arc::new(ToneVoice::default()));
    let mut request = spoken_request();
    request["tools"] = json!([{"type": "function", "function": {"name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]);
    let reply = server
        .post_json("/v1/chat/completions", Some(KEY), &streamed(request.clone()))
        .await;
    assert_eq!(
        folded(&reply.text),
        [
            "role",
            "audio-id",
            "said",
            "pcm",
            "tool",
            "expires",
            "finish:tool_calls",
            "usage",
            "done"
        ],
    );
    let whole = server
        .post_json("/v1/chat/completions", Some(KEY), &request)
        .await;
    let message = &whole.body["choices"][0]["message"];
    assert_eq!(whole.body["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(message["tool_calls"][0]["function"]["name"], "get_weather");
    assert_eq!(message["tool_calls"][0]["id"], "call_7");
}

#[tokio::test]
async fn the_next_turn_refers_to_the_answer_by_its_audio_id() {
    let chat = Arc::new(ScriptedChat::saying(SAID));
    let engines = EngineSet {
        transcriber: None,
        chat: Some(chat.clone()),
        synthesizer: Some(Arc::new(ToneVoice::default())),
        vad: None,
        turn_end: None,
    };
    let server = server_with_engines(true, settings(), engines);
    let first = server
        .post_json("/v1/chat/completions", Some(KEY), &spoken_request())
        .await;
    let audio = &first.body["choices"][0]["message"]["audio"];
    assert_eq!(audio["transcript"], SAID);
    let mut next = spoken_request();
    next["messages"] = json!([
        {"role": "user", "content": "Is a golden retriever a good family dog?"},
        {"role": "assistant", "audio": {"id": audio["id"]}},
        {"role": "user", "content": "And for a flat?"},
    ]);
    let second = server.post_json("/v1/chat/completions", Some(KEY), &next).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let jobs = chat.jobs.lock().unwrap();
    let assistant = jobs[1]
        .turns
        .iter()
        .find(|turn| turn.role == vox_engine::chat::ChatRole::Assistant)
        .expect("the earlier answer is in the prompt");
    assert_eq!(
        assistant.text, SAID,
        "the stored transcript stands in for the audio"
    );
}

#[tokio::test]
async fn a_deployment_on_another_profile_answers_with_its_own_engines() {
    let engines_saying = |text: &str| EngineSet {
        transcriber: None,
        chat: Some(Arc::new(ScriptedChat::saying(text))),
        synthesizer: Some(Arc::new(ToneVoice::default())),
        vad: None,
        turn_end: None,
    };
    let engines = vox_server::ProfileEngines::default()
        .with("default", engines_saying("From the default models."))
        .with("fast", engines_saying("From the fast models."));
    let on_profile = |name: &str, profile: &str| vox_server::Deployment {
        name: name.into(),
        profile: profile.into(),
        ..text_deployment()
    };
    let deployments = vec![
        vox_server::Deployment::default_deployment(),
        on_profile("vox-fast", "fast"),
        on_profile("vox-nothing", "not-loaded"),
    ];
    let settings = vox_server::ServerSettings {
        deployments,
        ..settings()
    };
    let server = server_with_engines(true, settings, engines);
    let ask = |model: &str| json!({"model": model, "messages": [{"role": "user", "content": "Hi"}]});

    let fast = server
        .post_json("/v1/chat/completions", Some(KEY), &ask("vox-fast"))
        .await;
    assert_eq!(fast.status, StatusCode::OK, "{}", fast.text);
    assert_eq!(
        fast.body["choices"][0]["message"]["content"],
        "From the fast models."
    );
    assert_eq!(fast.body["model"], "vox-fast");

    let mut spoken = spoken_request();
    spoken["messages"] = ask("x")["messages"].clone();
    let default = server.post_json("/v1/chat/completions", Some(KEY), &spoken).await;
    assert_eq!(default.status, StatusCode::OK, "{}", default.text);
    let said = &default.body["choices"][0]["message"]["audio"]["transcript"];
    assert_eq!(said, "From the default models.");

    let nothing = server
        .post_json("/v1/chat/completions", Some(KEY), &ask("vox-nothing"))
        .await;
    assert_needs_engine(&nothing, "language model");
}

#[tokio::test]
async fn a_stopped_language_model_turns_readiness_off_and_only_its_requests_away() {
    let server = server_speaking(ScriptedChat::stopped(), Arc::new(ToneVoice::default()));
    let ready = server.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "{}", ready.text);
    assert_eq!(ready.body["status"], "stopped");

    let chat = server
        .post_json("/v1/chat/completions", Some(KEY), &spoken_request())
        .await;
    assert_eq!(chat.status, StatusCode::SERVICE_UNAVAILABLE, "{}", chat.text);
    assert_eq!(chat.code(), Some("engine_unavailable"));
    assert!(chat.message().contains("stopped"), "{}", chat.message());

    let speech = server
        .post_json("/v1/audio/speech", Some(KEY), &speech_request())
        .await;
    assert_eq!(speech.status, StatusCode::OK, "{}", speech.text);
}

#[tokio::test]
async fn a_spoken_answer_is_measured_stage_by_stage_on_metrics() {
    let server = server_speaking(ScriptedChat::saying(SAID), Arc::new(ToneVoice::default()));
    let reply = server
        .post_json("/v1/chat/completions", Some(KEY), &streamed(spoken_request()))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let metrics = server.get("/metrics", None).await.text;
    for counted in [
        "vox_first_token_seconds_count{output=\"audio\"} 1",
        "vox_first_audio_seconds_count 1",
        "vox_synthesis_real_time_factor_count 1",
    ] {
        assert!(metrics.contains(counted), "no `{counted}` in\n{metrics}");
    }
    assert!(!metrics.contains("vox_answers_cancelled_total{"), "{metrics}");
}

fn server_with_chat(
    chat: Arc<ScriptedChat>,
    voice: Arc<ToneVoice>,
    deployments: Vec<vox_server::Deployment>,
) -> TestServer {
    let engines = EngineSet {
        transcriber: None,
        chat: Some(chat),
        synthesizer: Some(voice),
        vad: None,
        turn_end: None,
    };
    server_with_engines(
        true,
        ServerSettings {
            deployments,
            ..settings()
        },
        engines,
    )
}

/// The system text of the first job the model was given ("" without one).
fn system_text(chat: &ScriptedChat) -> String {
    let jobs = chat.jobs.lock().unwrap();
    let first = &jobs.last().expect("a job").turns[0];
    match first.role {
        ChatRole::System => first.text.clone(),
        _ => String::new(),
    }
}

#[tokio::test]
async fn a_spoken_answer_is_told_it_is_heard_and_the_callers_system_message_comes_last() {
    let chat = Arc::new(ScriptedChat::saying(SAID));
    let server = server_with_chat(
        chat.clone(),
        Arc::new(ToneVoice::default()),
        settings().deployments,
    );
    let plain = server
        .post_json("/v1/chat/completions", Some(KEY), &spoken_request())
        .await;
    assert_eq!(plain.status, StatusCode::OK, "{}", plain.text);
    assert_eq!(system_text(&chat), vox_pipeline::DEFAULT_SPOKEN_STYLE);

    let mut theirs = spoken_request();
    theirs["messages"] = json!([
        {"role": "developer", "content": "Answer with a numbered list."},
        {"role": "user", "content": "Name three dogs."},
    ]);
    server.post_json("/v1/chat/completions", Some(KEY), &theirs).await;
    let system = system_text(&chat);
    assert!(system.starts_with(vox_pipeline::DEFAULT_SPOKEN_STYLE), "{system}");
    assert!(system.ends_with("Answer with a numbered list."), "{system}");

    let text_only = json!({"model": "vox-text", "messages": [{"role": "user", "content": "Hi"}]});
    let answered = server
        .post_json("/v1/chat/completions", Some(KEY), &text_only)
        .await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.text);
    assert_eq!(system_text(&chat), "", "a written answer is not told to speak");
}

#[tokio::test]
async fn a_deployment_replaces_the_spoken_style_or_turns_it_off() {
    let chat = Arc::new(ScriptedChat::saying(SAID));
    let with_style = |name: &str, style: &str| vox_server::Deployment {
        name: name.into(),
        aliases: vec![],
        spoken_style: Some(style.into()),
        ..vox_server::Deployment::default_deployment()
    };
    let deployments = vec![
        with_style("pirate", "Talk like a pirate."),
        with_style("plain", ""),
    ];
    let server = server_with_chat(chat.clone(), Arc::new(ToneVoice::default()), deployments);
    let mut request = spoken_request();
    request["model"] = json!("pirate");
    server
        .post_json("/v1/chat/completions", Some(KEY), &request)
        .await;
    assert_eq!(system_text(&chat), "Talk like a pirate.");
    request["model"] = json!("plain");
    let answered = server
        .post_json("/v1/chat/completions", Some(KEY), &request)
        .await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.text);
    assert_eq!(system_text(&chat), "");
}

#[tokio::test]
async fn markdown_is_in_the_transcript_but_never_reaches_the_voice() {
    let written = "**Yes!** Three reasons:\n\n1. They are *gentle*.\n2. They learn fast\n- See https://www.akc.org/dogs 🐶\n";
    let voice = Arc::new(ToneVoice::default());
    let chat = Arc::new(ScriptedChat::saying(written));
    let server = server_with_chat(chat, voice.clone(), settings().deployments);
    let answer = server
        .post_json("/v1/chat/completions", Some(KEY), &spoken_request())
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(
        answer.body["choices"][0]["message"]["audio"]["transcript"],
        written
    );
    let heard: Vec<String> = voice
        .spoken
        .lock()
        .unwrap()
        .iter()
        .map(|job| job.text.clone())
        .collect();
    let heard = heard.join(" ");
    for mark in ["*", "1.", "2.", "- ", "https", "www", "/", "🐶"] {
        assert!(!heard.contains(mark), "the voice was given {mark:?}: {heard:?}");
    }
    for words in [
        "Yes!",
        "They are gentle.",
        "They learn fast.",
        "akc dot org slash dogs",
    ] {
        assert!(
            heard.contains(words),
            "the voice did not say {words:?}: {heard:?}"
        );
    }
}
