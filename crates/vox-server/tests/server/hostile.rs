//! A keyed caller who tries to stall the server, grow its memory or hold a socket: every case
//! of the hardening probe, each bounded in count and time, over a real socket with scripted
//! engines. The session must answer each with an error (or drop the peer) and stay usable.

use std::time::Duration;

use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use vox_scripted::{ScriptedChat, ToneVoice};

use crate::common::KEY;
use crate::realtime::{Socket, connect, send, start, until};

/// The context the scripted model reports: texts are capped at four characters per token.
const CONTEXT: usize = 1024;

async fn session() -> (crate::realtime::Running, Socket) {
    let server = start(
        ScriptedChat::saying("Fine.").with_context(CONTEXT),
        ToneVoice::default(),
    )
    .await;
    let socket = connect(&server.url).await;
    (server, socket)
}

async fn error_after(socket: &mut Socket, event: Value) -> Value {
    send(socket, event).await;
    let events = until(socket, "error").await;
    events.last().unwrap().1["error"].clone()
}

/// The HTTP answer that refused a WebSocket upgrade with this bearer key.
async fn refused_upgrade(
    url: &str,
    key: &str,
) -> tokio_tungstenite::tungstenite::http::Response<Option<Vec<u8>>> {
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {key}").parse().unwrap());
    let refused = tokio_tungstenite::connect_async(request).await.unwrap_err();
    let tokio_tungstenite::tungstenite::Error::Http(response) = refused else {
        panic!("{refused}")
    };
    *response
}

/// The session still answers after a refusal.
async fn still_serves(socket: &mut Socket) {
    send(socket, json!({"type": "input_audio_buffer.clear"})).await;
    until(socket, "input_audio_buffer.cleared").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instructions_and_tools_longer_than_the_context_are_refused_at_the_update() {
    let (_server, mut socket) = session().await;
    until(&mut socket, "session.created").await;
    let instructions = "Be brief. ".repeat(2 * 1024 * 1024 / 10);
    let error = error_after(
        &mut socket,
        json!({"type": "session.update", "session": {"instructions": instructions}}),
    )
    .await;
    assert_eq!(error["code"], "string_above_max_length");
    assert_eq!(error["param"], "session.instructions");
    let description = "x".repeat(CONTEXT * 4 + 1);
    let tool = json!({"type": "function", "name": "f", "description": description, "parameters": {"type": "object"}});
    let error = error_after(
        &mut socket,
        json!({"type": "session.update", "session": {"tools": [tool]}}),
    )
    .await;
    assert_eq!(error["param"], "session.tools");
    // A response's own instructions are held to the same cap.
    let error = error_after(
        &mut socket,
        json!({"type": "response.create", "response": {"instructions": "y".repeat(CONTEXT * 4 + 1)}}),
    )
    .await;
    assert_eq!(error["param"], "response.instructions");
    still_serves(&mut socket).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_longer_than_the_context_is_refused_and_not_kept() {
    let (_server, mut socket) = session().await;
    let text = "word ".repeat(CONTEXT);
    let item = json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]});
    let error = error_after(
        &mut socket,
        json!({"type": "conversation.item.create", "item": item}),
    )
    .await;
    assert_eq!(error["code"], "string_above_max_length");
    let short = json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]});
    send(
        &mut socket,
        json!({"type": "conversation.item.create", "item": short}),
    )
    .await;
    let added = until(&mut socket, "conversation.item.added").await;
    assert_eq!(
        added.last().unwrap().1["previous_item_id"],
        Value::Null,
        "the long item was not kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_audio_past_the_sessions_memory_budget_is_refused() {
    let (_server, mut socket) = session().await;
    send(
        &mut socket,
        json!({"type": "session.update", "session": {"audio": {"input": {"turn_detection": null}}}}),
    )
    .await;
    until(&mut socket, "session.updated").await;
    // 3 M samples (12 MB held) per append: the third would take the session past 32 MiB.
    let pcm = vec![0u8; 6_000_000];
    let chunk = base64::engine::general_purpose::STANDARD.encode(&pcm);
    for _ in 0..2 {
        send(
            &mut socket,
            json!({"type": "input_audio_buffer.append", "audio": chunk}),
        )
        .await;
    }
    let error = error_after(
        &mut socket,
        json!({"type": "input_audio_buffer.append", "audio": chunk, "event_id": "evt_3"}),
    )
    .await;
    assert_eq!(error["code"], "session_too_large");
    assert_eq!(error["event_id"], "evt_3");
    // Clearing the buffer gives the room back.
    still_serves(&mut socket).await;
    send(
        &mut socket,
        json!({"type": "input_audio_buffer.append", "audio": chunk}),
    )
    .await;
    send(&mut socket, json!({"type": "input_audio_buffer.commit"})).await;
    until(&mut socket, "input_audio_buffer.committed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_over_the_limit_gets_an_error_naming_it_then_close_1009() {
    let (_server, mut socket) = session().await;
    until(&mut socket, "session.created").await;
    let huge = "a".repeat(17 * 1024 * 1024);
    let event = format!(r#"{{"type":"input_audio_buffer.append","audio":"{huge}"}}"#);
    // Sent while reading, as a real client does: the server answers before the frame ends.
    let (mut sink, mut stream) = socket.split();
    let sending = tokio::spawn(async move { sink.send(Message::Text(event.into())).await });
    let mut error = None;
    let mut close = None;
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(Ok(message)) = stream.next().await {
            match message {
                Message::Text(text) => {
                    let event: Value = serde_json::from_str(&text).unwrap();
                    if event["type"] == "error" {
                        error = Some(event);
                    }
                }
                Message::Close(frame) => {
                    close = frame;
                    break;
                }
                _ => {}
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the socket neither closed nor answered");
    let _ = sending.await;
    let error = error.expect("an error event before the close");
    assert_eq!(error["error"]["code"], "message_too_large");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("16777216"), "{message}");
    assert_eq!(close.map(|f| u16::from(f.code)), Some(1009));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_update_is_checked_as_strictly_as_chat() {
    let (_server, mut socket) = session().await;
    until(&mut socket, "session.created").await;
    let error = error_after(
        &mut socket,
        json!({"type": "session.update", "session": {"tool_choice": {"type": "function", "name": "launch"}}}),
    )
    .await;
    assert_eq!(error["param"], "session.tool_choice");
    let eagerness = "e".repeat(100_000);
    send(
        &mut socket,
        json!({"type": "session.update", "session": {"audio": {"input": {"turn_detection": {"type": "semantic_vad", "eagerness": eagerness}}}}}),
    )
    .await;
    let events = until(&mut socket, "error").await;
    let error = &events.last().unwrap().1;
    assert_eq!(error["error"]["param"], "session.turn_detection.eagerness");
    assert!(error.to_string().len() < 2_000, "the flood is not echoed back");
    assert!(events.iter().all(|(_, e)| e["type"] != "session.updated"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_header_key_beside_a_right_query_key_is_refused() {
    let (server, _socket) = session().await;
    for (header, query) in [("sk-wrong-key", KEY), (KEY, "sk-wrong-key")] {
        let url = format!("{}&api-key={query}", server.url);
        let response = refused_upgrade(&url, header).await;
        assert_eq!(response.status(), 401, "header {header}, query {query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saturated_server_refuses_a_new_session_before_the_upgrade() {
    let busy = ScriptedChat::saying("x").queued(Duration::from_secs(60));
    let server = start(busy, ToneVoice::default()).await;
    let response = refused_upgrade(&server.url, KEY).await;
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
}

/// A peer that stops reading while the server writes is dropped once a write cannot go out
/// within the deadline (10 s), instead of holding its connection until it comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_reading_is_dropped() {
    let (server, _) = session().await;
    // A small receive buffer on our side fills fast; the server's writes then block.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let mut request = server.url.as_str().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {KEY}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), false)
        .await
        .unwrap();
    let text = "word ".repeat(800);
    let item = json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]});
    send(
        &mut socket,
        json!({"type": "conversation.item.create", "item": item}),
    )
    .await;
    let added = until(&mut socket, "conversation.item.added").await;
    let item_id = added.last().unwrap().1["item"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Ask for the big item again and again, reading nothing: about 40 MB the server must write.
    let retrieve = json!({"type": "conversation.item.retrieve", "item_id": item_id}).to_string();
    let mut sent = 0;
    while sent < 10_000 {
        let sending = socket.send(Message::Text(retrieve.clone().into()));
        if tokio::time::timeout(Duration::from_secs(2), sending)
            .await
            .is_err()
        {
            break;
        }
        sent += 1;
    }
    tokio::time::sleep(Duration::from_secs(13)).await;
    // Whatever was buffered drains, then the connection ends: the server let go.
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
    assert!(
        ended.is_ok(),
        "the server still held the connection of a peer that did not read"
    );
}

/// The body limit makes room for audio; a body without any is held to the room beside it
/// (2 MiB), before any of its text is tokenized.
#[tokio::test]
async fn a_text_only_body_has_its_own_smaller_limit() {
    use crate::common::{base64, server, spoken_request, wav_file};
    let server = server();
    let padding = "word ".repeat(430_000);
    let mut text_only = spoken_request();
    text_only["messages"][0]["content"] = json!(padding);
    let body = text_only.to_string();
    assert!(body.len() > 2 * 1024 * 1024 && body.len() < server.state.settings().max_body_bytes());
    let reply = server
        .post_json("/v1/chat/completions", Some(KEY), &text_only)
        .await;
    assert_eq!(reply.status, 413, "{}", reply.text);
    assert_eq!(reply.code(), Some("request_too_large"));
    assert!(reply.message().contains("no audio"), "{}", reply.message());
    // The same text beside a recording is within the limit for audio: it goes on.
    let mut with_audio = spoken_request();
    with_audio["messages"][0]["content"] = json!([
        {"type": "text", "text": "word ".repeat(400_000)},
        {"type": "input_audio", "input_audio": {"data": base64(&wav_file()), "format": "wav"}},
    ]);
    let reply = server
        .post_json("/v1/chat/completions", Some(KEY), &with_audio)
        .await;
    assert_ne!(reply.status, 413, "{}", reply.text);
}
