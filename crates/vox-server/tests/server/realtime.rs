//! Realtime sessions over a real socket with scripted engines: server turn detection, barge-in,
//! a full engine queue, and a socket that closes mid-answer.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use vox_engine::EngineSet;
use vox_scripted::{LoudnessVad, ScriptedChat, ScriptedTranscriber, ScriptedTurnEnd, ToneVoice};

use crate::common::{KEY, settings};

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) struct Running {
    pub(crate) url: String,
    voice: Arc<ToneVoice>,
    chat: Arc<ScriptedChat>,
    _server: tokio::task::JoinHandle<()>,
}

pub(crate) async fn start(chat: ScriptedChat, voice: ToneVoice) -> Running {
    start_judging(chat, voice, "What time is it?", None).await
}

/// Hearing `heard` in every turn, with an end-of-turn model for `semantic_vad`.
pub(crate) async fn start_judging(
    chat: ScriptedChat,
    voice: ToneVoice,
    heard: &str,
    turn_end: Option<Arc<ScriptedTurnEnd>>,
) -> Running {
    let voice = Arc::new(voice);
    let chat = Arc::new(chat);
    let engines = EngineSet {
        transcriber: Some(Arc::new(ScriptedTranscriber::hearing(heard, "en"))),
        chat: Some(chat.clone()),
        synthesizer: Some(voice.clone()),
        vad: Some(Arc::new(LoudnessVad)),
        turn_end: turn_end.map(|t| t as Arc<dyn vox_engine::vad::TurnEnd>),
    };
    let mut settings = settings();
    settings
        .deployments
        .push(vox_server::Deployment::realtime_deployment());
    let server = crate::common::server_with_engines(true, settings, engines);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "ws://{}/v1/realtime?model=gpt-realtime",
        listener.local_addr().unwrap()
    );
    let state = server.state.clone();
    let task = tokio::spawn(async move {
        let _keep = server;
        let _ = vox_server::serve(listener, state, std::future::pending()).await;
    });
    Running {
        url,
        voice,
        chat,
        _server: task,
    }
}

pub(crate) async fn connect(url: &str) -> Socket {
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {KEY}").parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket
}

pub(crate) async fn send(socket: &mut Socket, event: Value) {
    socket
        .send(Message::Text(event.to_string().into()))
        .await
        .unwrap();
}

/// The next event, with the time it arrived.
pub(crate) async fn next(socket: &mut Socket) -> (Instant, Value) {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .expect("an event within 20 s")
            .expect("the socket stays open")
            .unwrap();
        if let Message::Text(text) = message {
            return (Instant::now(), serde_json::from_str(&text).unwrap());
        }
    }
}

pub(crate) async fn until(socket: &mut Socket, kind: &str) -> Vec<(Instant, Value)> {
    let mut seen = Vec::new();
    loop {
        let event = next(socket).await;
        let done = event.1["type"] == kind;
        seen.push(event);
        if done {
            return seen;
        }
    }
}

/// 24 kHz pcm16: a loud tone (speech to the loudness detector) or silence.
pub(crate) fn audio(secs: f64, loud: bool) -> String {
    let samples = (24_000.0 * secs) as usize;
    let bytes: Vec<u8> = (0..samples)
        .flat_map(|i| {
            let level = if loud { (i as f32 * 0.07).sin() * 0.3 } else { 0.0 };
            ((level * 32767.0) as i16).to_le_bytes()
        })
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) async fn speak(socket: &mut Socket, secs: f64, loud: bool) {
    // 100 ms chunks, faster than real time: turn detection reads the audio's clock, not the wall's.
    for _ in 0..(secs * 10.0) as usize {
        send(
            socket,
            json!({"type": "input_audio_buffer.append", "audio": audio(0.1, loud)}),
        )
        .await;
    }
}

fn types(events: &[(Instant, Value)]) -> Vec<String> {
    events
        .iter()
        .map(|(_, e)| e["type"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoken_turn_is_detected_recognised_and_answered() {
    let server = start(
        ScriptedChat::saying("It is noon. Time for lunch."),
        ToneVoice::default(),
    )
    .await;
    let mut socket = connect(&server.url).await;
    assert_eq!(next(&mut socket).await.1["type"], "session.created");
    speak(&mut socket, 1.0, true).await;
    speak(&mut socket, 1.0, false).await;
    let events = until(&mut socket, "response.done").await;
    let kinds = types(&events);
    let position = |kind: &str| {
        kinds
            .iter()
            .position(|k| k == kind)
            .unwrap_or_else(|| panic!("{kind} in {kinds:?}"))
    };
    assert!(position("input_audio_buffer.speech_started") < position("input_audio_buffer.speech_stopped"));
    assert!(
        position("input_audio_buffer.committed")
            < position("conversation.item.input_audio_transcription.completed")
    );
    assert!(position("conversation.item.input_audio_transcription.completed") < position("response.created"));
    let stopped = &events[position("input_audio_buffer.speech_stopped")].1;
    // The tone ended at 1000 ms: within a frame or two of it.
    let end = stopped["audio_end_ms"].as_u64().unwrap();
    assert!((950..=1100).contains(&end), "{end}");
    let heard = &events[position("conversation.item.input_audio_transcription.completed")].1;
    assert_eq!(heard["transcript"], "What time is it?");
    let done = &events.last().unwrap().1["response"];
    assert_eq!(done["status"], "completed");
    assert_eq!(
        done["output"][0]["content"][0]["transcript"],
        "It is noon. Time for lunch."
    );
}

/// A session writing a long answer (30 sentences, a slow voice): its text, its server, its socket.
async fn start_a_long_answer() -> (String, Running, Socket) {
    let long = "One sentence after another keeps this answer going. ".repeat(30);
    let voice = ToneVoice::default().with_delay(Duration::from_millis(30));
    let server = start(ScriptedChat::saying(&long), voice).await;
    let mut socket = connect(&server.url).await;
    send(
        &mut socket,
        json!({"type": "conversation.item.create", "item": {"type": "message", "role": "user",
        "content": [{"type": "input_text", "text": "Talk."}]}}),
    )
    .await;
    send(&mut socket, json!({"type": "response.create"})).await;
    (long, server, socket)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speech_over_an_answer_stops_its_audio_at_once() {
    let (long, _server, mut socket) = start_a_long_answer().await;
    let mut seen = until(&mut socket, "response.output_audio.delta").await;
    speak(&mut socket, 0.5, true).await;
    seen.extend(until(&mut socket, "response.done").await);
    let started = seen
        .iter()
        .find(|(_, e)| e["type"] == "input_audio_buffer.speech_started")
        .map(|(at, _)| *at)
        .expect("speech_started");
    let late: Vec<_> = seen
        .iter()
        .filter(|(at, e)| {
            e["type"] == "response.output_audio.delta" && *at > started + Duration::from_millis(100)
        })
        .collect();
    assert!(
        late.is_empty(),
        "{} audio deltas more than 100 ms after speech_started",
        late.len()
    );
    let done = &seen.last().unwrap().1["response"];
    assert_eq!(done["status"], "cancelled");
    assert_eq!(done["status_details"]["reason"], "turn_detected");
    let sent: String = seen
        .iter()
        .filter(|(_, e)| e["type"] == "response.output_audio_transcript.delta")
        .map(|(_, e)| e["delta"].as_str().unwrap())
        .collect();
    assert!(!sent.is_empty() && sent.len() < long.len());
    assert_eq!(done["output"][0]["content"][0]["transcript"], sent.as_str());
    assert_eq!(done["output"][0]["status"], "incomplete");
}

/// A client that hears the caller speak over an answer truncates it at once, often while the
/// server is still writing it: the answer is ended first, then cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncating_an_answer_still_being_written_ends_it_then_cuts_it() {
    let (long, _server, mut socket) = start_a_long_answer().await;
    let first = until(&mut socket, "response.output_audio.delta").await;
    let item_id = first.last().unwrap().1["item_id"].as_str().unwrap().to_string();
    send(
        &mut socket,
        json!({"type": "conversation.item.truncate", "item_id": item_id, "content_index": 0, "audio_end_ms": 20}),
    )
    .await;
    let seen = until(&mut socket, "conversation.item.truncated").await;
    let kinds = types(&seen);
    assert!(!kinds.contains(&"error".to_string()), "{kinds:?}");
    let done = &seen
        .iter()
        .find(|(_, e)| e["type"] == "response.done")
        .expect("response.done before the truncation")
        .1["response"];
    assert_eq!(done["status"], "cancelled");
    assert_eq!(done["status_details"]["reason"], "client_cancelled");
    assert_eq!(seen.last().unwrap().1["audio_end_ms"], 20);
    send(
        &mut socket,
        json!({"type": "conversation.item.retrieve", "item_id": item_id}),
    )
    .await;
    let retrieved = until(&mut socket, "conversation.item.retrieved").await;
    let transcript = retrieved.last().unwrap().1["item"]["content"][0]["transcript"]
        .as_str()
        .unwrap()
        .to_string();
    // 20 ms into the first clause: only that clause was heard.
    let first_clause = first
        .iter()
        .find(|(_, e)| e["type"] == "response.output_audio_transcript.delta")
        .map(|(_, e)| e["delta"].as_str().unwrap())
        .expect("the first clause's words before its audio");
    assert_eq!(transcript, first_clause);
    assert!(transcript.len() < long.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_synthesis_queue_is_an_error_event_not_a_stall() {
    let server = start(ScriptedChat::saying("Hello there."), ToneVoice::busy_at(0)).await;
    let mut socket = connect(&server.url).await;
    send(
        &mut socket,
        json!({"type": "response.create", "event_id": "evt_1"}),
    )
    .await;
    let events = until(&mut socket, "response.done").await;
    let error = events
        .iter()
        .find(|(_, e)| e["type"] == "error")
        .expect("an error event");
    assert_eq!(error.1["error"]["code"], "rate_limit_exceeded");
    // An event has no Retry-After header: the delay is said in words.
    let message = error.1["error"]["message"].as_str().unwrap();
    assert!(message.contains("try again in"), "{message}");
    assert!(!message.contains("Retry-After"), "{message}");
    assert_eq!(events.last().unwrap().1["response"]["status"], "failed");
    // The session goes on.
    send(&mut socket, json!({"type": "input_audio_buffer.clear"})).await;
    until(&mut socket, "input_audio_buffer.cleared").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_socket_stops_the_answer() {
    let long = "Every clause is one more job for the voice. ".repeat(40);
    let voice = ToneVoice::default().with_delay(Duration::from_millis(20));
    let server = start(ScriptedChat::saying(&long), voice).await;
    let mut socket = connect(&server.url).await;
    send(&mut socket, json!({"type": "response.create"})).await;
    until(&mut socket, "response.output_audio.delta").await;
    drop(socket);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let after_close = server.voice.jobs.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        server.voice.jobs.load(Ordering::SeqCst),
        after_close,
        "the voice kept working"
    );
    assert!(after_close < 40, "{after_close} clauses of 40 were spoken");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_a_401_before_the_upgrade() {
    let server = start(ScriptedChat::saying("x"), ToneVoice::default()).await;
    let mut request = server.url.as_str().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("api-key", "sk-wrong".parse().unwrap());
    let refused = tokio_tungstenite::connect_async(request).await.unwrap_err();
    let tokio_tungstenite::tungstenite::Error::Http(response) = refused else {
        panic!("{refused}")
    };
    assert_eq!(response.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_out_of_band_response_answers_its_own_input_and_leaves_the_conversation_alone() {
    let server = start(ScriptedChat::saying("A summary."), ToneVoice::default()).await;
    let mut socket = connect(&server.url).await;
    until(&mut socket, "session.created").await;
    send(
        &mut socket,
        json!({"type": "conversation.item.create", "item": {"id": "item_question", "type": "message", "role": "user",
               "content": [{"type": "input_text", "text": "Hello"}]}}),
    )
    .await;
    until(&mut socket, "conversation.item.done").await;
    send(
        &mut socket,
        json!({"type": "response.create", "response": {
            "conversation": "none", "output_modalities": ["text"], "metadata": {"purpose": "summary"},
            "input": [{"type": "item_reference", "id": "item_question"},
                      {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Sum it up."}]}]}}),
    )
    .await;
    let events = until(&mut socket, "response.done").await;
    let kinds = types(&events);
    assert!(
        !kinds.iter().any(|k| k.starts_with("conversation.item")),
        "{kinds:?}"
    );
    let created = &events
        .iter()
        .find(|(_, e)| e["type"] == "response.created")
        .unwrap()
        .1;
    assert_eq!(created["response"]["metadata"], json!({"purpose": "summary"}));
    let done = &events.last().unwrap().1["response"];
    assert_eq!(done["metadata"]["purpose"], "summary");
    assert_eq!(done["conversation_id"], Value::Null);
    assert_eq!(done["output"][0]["content"][0]["text"], "A summary.");
    // The conversation still holds only the question.
    send(
        &mut socket,
        json!({"type": "conversation.item.retrieve", "item_id": done["output"][0]["id"]}),
    )
    .await;
    let error = until(&mut socket, "error").await.pop().unwrap().1;
    assert_eq!(error["error"]["code"], "item_not_found");
    // A reference to an item the conversation lacks names its place.
    send(
        &mut socket,
        json!({"type": "response.create", "response": {"conversation": "none",
               "input": [{"type": "item_reference", "id": "item_nowhere"}]}}),
    )
    .await;
    let error = until(&mut socket, "error").await.pop().unwrap().1;
    assert_eq!(error["error"]["param"], "response.input[0].id");
}

/// Updates the session to `session`, then asks it to answer "Hello" (the session's default
/// modality) and waits for the answer to end.
async fn answer_hello_under(socket: &mut Socket, session: Value) {
    send(socket, json!({"type": "session.update", "session": session})).await;
    until(socket, "session.updated").await;
    send(
        socket,
        json!({"type": "conversation.item.create", "item": {"type": "message", "role": "user",
               "content": [{"type": "input_text", "text": "Hello"}]}}),
    )
    .await;
    send(socket, json!({"type": "response.create"})).await;
    until(socket, "response.done").await;
}

#[tokio::test]
async fn an_answer_in_audio_is_told_it_is_heard_before_the_sessions_instructions() {
    let server = start(ScriptedChat::saying("Arr."), ToneVoice::default()).await;
    let mut socket = connect(&server.url).await;
    until(&mut socket, "session.created").await;
    let session = json!({"type": "realtime", "instructions": "Be a pirate."});
    answer_hello_under(&mut socket, session).await;
    send(
        &mut socket,
        json!({"type": "response.create", "response": {"output_modalities": ["text"]}}),
    )
    .await;
    until(&mut socket, "response.done").await;
    let jobs = server.chat.jobs.lock().unwrap();
    assert_eq!(
        jobs[0].turns[0].text,
        format!("{}\n\nBe a pirate.", vox_pipeline::DEFAULT_SPOKEN_STYLE)
    );
    assert_eq!(
        jobs[1].turns[0].text, "Be a pirate.",
        "a text answer is not told to speak"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sessions_opening_is_prefilled_before_the_turn_and_let_go_with_the_session() {
    let server = start(ScriptedChat::saying("Done."), ToneVoice::default()).await;
    let mut socket = connect(&server.url).await;
    until(&mut socket, "session.created").await;
    let tool = json!({"type": "function", "name": "get_weather", "description": "The weather.",
                      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}});
    let session = json!({"type": "realtime", "instructions": "You help Ada.", "tools": [tool]});
    answer_hello_under(&mut socket, session).await;
    let (opening, answer) = {
        let openings = server.chat.openings.lock().unwrap();
        // One at session.created, one for the update.
        assert_eq!(openings.len(), 2);
        assert!(openings[0].1.upgrade().is_none(), "the first opening was let go");
        assert!(openings[1].1.upgrade().is_some(), "the current opening is kept");
        (openings[1].0.clone(), server.chat.jobs.lock().unwrap()[0].clone())
    };
    // The answer's job starts with exactly the prefilled opening: same instructions (spoken
    // style included), same tools, then the caller's turn.
    assert_eq!(opening.turns[..], answer.turns[..1]);
    assert!(opening.turns[0].text.ends_with("You help Ada."));
    assert_eq!(opening.tools, answer.tools);
    assert_eq!(opening.tool_policy, answer.tool_policy);
    assert_eq!(answer.turns[1].text, "Hello");
    socket.close(None).await.unwrap();
    let released = async {
        while server.chat.openings.lock().unwrap()[1].1.upgrade().is_some() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), released)
        .await
        .expect("the opening is let go when the session ends");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transcription_session_transcribes_turns_and_never_answers() {
    let server = start(ScriptedChat::saying("Never said."), ToneVoice::default()).await;
    let mut socket = connect(&server.url.replace("model=gpt-realtime", "intent=transcription")).await;
    let created = until(&mut socket, "session.created").await.pop().unwrap().1;
    assert_eq!(created["session"]["type"], "transcription");
    assert!(created["session"]["audio"]["input"]["turn_detection"].is_object());
    speak(&mut socket, 1.0, true).await;
    speak(&mut socket, 1.0, false).await;
    let events = until(
        &mut socket,
        "conversation.item.input_audio_transcription.completed",
    )
    .await;
    let deltas: String = events
        .iter()
        .filter(|(_, e)| e["type"] == "conversation.item.input_audio_transcription.delta")
        .map(|(_, e)| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(deltas, "What time is it?");
    assert_eq!(events.last().unwrap().1["transcript"], "What time is it?");
    // No response follows the turn, and none can be asked for.
    send(
        &mut socket,
        json!({"type": "response.create", "event_id": "evt_1"}),
    )
    .await;
    let error = until(&mut socket, "error").await;
    assert!(
        !types(&error).iter().any(|k| k.starts_with("response.")),
        "{:?}",
        types(&error)
    );
    assert_eq!(error.last().unwrap().1["error"]["event_id"], "evt_1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_openai_accepts_without_effect_are_echoed_and_beta_keys_are_refused_in_ga() {
    let server = start(ScriptedChat::saying("Hi."), ToneVoice::default()).await;
    let mut socket = connect(&server.url).await;
    until(&mut socket, "session.created").await;
    send(
        &mut socket,
        json!({"type": "session.update", "session": {"type": "realtime", "tracing": "auto", "truncation": "auto",
               "prompt": {"id": "pmpt_1"}, "include": ["item.input_audio_transcription.logprobs"],
               "reasoning": {"effort": "low"},
               "audio": {"input": {"noise_reduction": {"type": "near_field"}}}}}),
    )
    .await;
    let session = until(&mut socket, "session.updated").await.pop().unwrap().1["session"].clone();
    assert_eq!(session["tracing"], "auto");
    assert_eq!(session["truncation"], "auto");
    assert_eq!(session["prompt"]["id"], "pmpt_1");
    assert_eq!(session["reasoning"]["effort"], "low");
    assert_eq!(session["audio"]["input"]["noise_reduction"]["type"], "near_field");
    send(
        &mut socket,
        json!({"type": "session.update", "session": {"voice": "echo"}}),
    )
    .await;
    let error = until(&mut socket, "error").await.pop().unwrap().1["error"].clone();
    assert_eq!(error["code"], "unknown_parameter");
    assert_eq!(error["param"], "session.voice");
}

async fn semantic_session(
    turn_end: &Arc<ScriptedTurnEnd>,
    eagerness: &str,
    heard: &str,
) -> (Running, Socket) {
    let server = start_judging(
        ScriptedChat::saying("Noted."),
        ToneVoice::default(),
        heard,
        Some(turn_end.clone()),
    )
    .await;
    let mut socket = connect(&server.url).await;
    until(&mut socket, "session.created").await;
    let detection = json!({"type": "semantic_vad", "eagerness": eagerness, "create_response": false});
    send(
        &mut socket,
        json!({"type": "session.update", "session": {"type": "realtime", "audio": {"input": {"turn_detection": detection}}}}),
    )
    .await;
    until(&mut socket, "session.updated").await;
    (server, socket)
}

/// A second of speech, then 300 ms of silence and nothing more (less than server_vad's 500 ms
/// window, far less than low eagerness's 8 s): the turn must end where the silence began.
async fn speak_and_pause_until_the_turn_ends(socket: &mut Socket) {
    speak(socket, 1.0, true).await;
    speak(socket, 0.3, false).await;
    let events = until(socket, "input_audio_buffer.speech_stopped").await;
    let end = events.last().unwrap().1["audio_end_ms"].as_u64().unwrap();
    assert!((950..=1100).contains(&end), "{end}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn semantic_vad_ends_a_turn_judged_finished_at_its_pause() {
    let turn_end = Arc::new(ScriptedTurnEnd::finding(0.9));
    let (_server, mut socket) = semantic_session(&turn_end, "low", "What time is it?").await;
    speak_and_pause_until_the_turn_ends(&mut socket).await;
    assert_eq!(turn_end.asked(), 1);
    let heard = until(
        &mut socket,
        "conversation.item.input_audio_transcription.completed",
    )
    .await;
    assert_eq!(heard.last().unwrap().1["transcript"], "What time is it?");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn semantic_vad_waits_through_a_pause_judged_unfinished_up_to_its_eagerness() {
    let turn_end = Arc::new(ScriptedTurnEnd::finding(0.1));
    // Words that leave the sentence open agree with the model.
    let (_server, mut socket) = semantic_session(&turn_end, "high", "I would like a table for").await;
    speak(&mut socket, 1.0, true).await;
    speak(&mut socket, 0.3, false).await;
    // The verdict is in, then a silence past server_vad's window: the turn is still open.
    while turn_end.asked() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    speak(&mut socket, 1.2, false).await;
    let still_open = tokio::time::timeout(
        Duration::from_millis(300),
        until(&mut socket, "input_audio_buffer.speech_stopped"),
    )
    .await;
    assert!(still_open.is_err(), "the turn ended at an unfinished pause");
    // High eagerness waits 2 s at most: the turn ends where its silence began.
    speak(&mut socket, 0.6, false).await;
    let events = until(&mut socket, "input_audio_buffer.speech_stopped").await;
    let end = events.last().unwrap().1["audio_end_ms"].as_u64().unwrap();
    assert!((950..=1100).contains(&end), "{end}");
    assert_eq!(turn_end.asked(), 1, "one verdict per pause");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_vad_never_asks_the_end_of_turn_model() {
    let turn_end = Arc::new(ScriptedTurnEnd::finding(0.9));
    let server = start_judging(
        ScriptedChat::saying("Noted."),
        ToneVoice::default(),
        "What time is it?",
        Some(turn_end.clone()),
    )
    .await;
    let mut socket = connect(&server.url).await;
    until(&mut socket, "session.created").await;
    speak(&mut socket, 1.0, true).await;
    speak(&mut socket, 0.3, false).await;
    let early = tokio::time::timeout(
        Duration::from_millis(300),
        until(&mut socket, "input_audio_buffer.speech_stopped"),
    )
    .await;
    assert!(early.is_err(), "server_vad waits its whole silence window");
    speak(&mut socket, 0.3, false).await;
    until(&mut socket, "input_audio_buffer.speech_stopped").await;
    assert_eq!(turn_end.asked(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_judged_unfinished_ends_the_turn_when_its_words_close_a_sentence() {
    let turn_end = Arc::new(ScriptedTurnEnd::finding(0.1));
    let (_server, mut socket) = semantic_session(&turn_end, "low", "What time is it?").await;
    // The model says unfinished: only the pause's recognised words can end the turn.
    speak_and_pause_until_the_turn_ends(&mut socket).await;
    assert_eq!(turn_end.asked(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_pauses_runs_the_end_of_turn_model_one_pause_at_a_time() {
    let turn_end = Arc::new(ScriptedTurnEnd::slowly_finding(0.1, Duration::from_millis(500)));
    let (_server, mut socket) = semantic_session(&turn_end, "high", "I would like a table for").await;
    // Twenty pauses, each spoken past, sent in well under a second.
    for _ in 0..20 {
        speak(&mut socket, 0.2, true).await;
        speak(&mut socket, 0.2, false).await;
    }
    speak(&mut socket, 2.5, false).await;
    until(&mut socket, "input_audio_buffer.speech_stopped").await;
    let asked = turn_end.asked();
    assert!((1..=3).contains(&asked), "{asked} verdicts for 20 pauses");
}
