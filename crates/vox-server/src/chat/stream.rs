//! `stream: true`: `chat.completion.chunk` events as the model writes. A task forwards engine
//! events to the client; when the client goes away the task ends at once, dropping the engine
//! stream, which frees the model's sequence.

use std::convert::Infallible;

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use vox_engine::EngineError;
use vox_engine::chat::{ChatEvent, ToolCall};
use vox_protocol::chat::chunk::{ChatCompletionChunk, ChunkChoice, ChunkDelta, ToolCallDelta};
use vox_protocol::chat::request::FunctionCall;
use vox_protocol::chat::response::FinishReason;

use super::{Reply, wire};
use crate::error::ApiError;

type EngineEvents = BoxStream<'static, Result<ChatEvent, EngineError>>;

/// Events waiting for a slow client before the model is paused behind them.
const CLIENT_BUFFER: usize = 64;

pub fn text(reply: Reply, events: EngineEvents, include_usage: bool, input_audio_secs: f64) -> Response {
    spawn_sse(reply, move |chunks| async move {
        forward_text(&chunks, events, include_usage, input_audio_secs).await
    })
}

/// An SSE response fed by `write`, which runs as its own task and ends early (returning `None`)
/// when the client has gone.
pub fn spawn_sse<F, Fut>(reply: Reply, write: F) -> Response
where
    F: FnOnce(Chunks) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Option<()>> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(CLIENT_BUFFER);
    tokio::spawn(async move {
        let _ = write(Chunks { reply, tx }).await;
    });
    Sse::new(ReceiverStream::new(rx).map(Ok::<_, Infallible>))
        .keep_alive(KeepAlive::default())
        .into_response()
}

async fn forward_text(
    chunks: &Chunks,
    mut events: EngineEvents,
    include_usage: bool,
    input_audio_secs: f64,
) -> Option<()> {
    chunks
        .delta(ChunkDelta {
            role: Some("assistant".into()),
            content: Some(Some(String::new())),
            ..Default::default()
        })
        .await?;
    let mut tool_index = 0;
    loop {
        let event = tokio::select! {
            event = events.next() => event,
            () = chunks.tx.closed() => return None,
        };
        match event {
            None => {
                return chunks
                    .error(ApiError::internal("the language model stopped without finishing"))
                    .await;
            }
            Some(Err(err)) => return chunks.error(err.into()).await,
            Some(Ok(ChatEvent::Text(text))) => {
                chunks
                    .delta(ChunkDelta {
                        content: Some(Some(text)),
                        ..Default::default()
                    })
                    .await?;
            }
            Some(Ok(ChatEvent::ToolCall(call))) => {
                chunks.delta(tool_call_delta(tool_index, &call)).await?;
                tool_index += 1;
            }
            Some(Ok(ChatEvent::Finished {
                reason,
                prompt_tokens,
                completion_tokens,
            })) => {
                chunks.finish(wire::finish_reason(reason)).await?;
                if include_usage {
                    let usage = wire::usage(prompt_tokens, completion_tokens, input_audio_secs, 0.0);
                    chunks.usage(usage).await?;
                }
                return chunks.done().await;
            }
        }
    }
}

pub fn tool_call_delta(index: u32, call: &ToolCall) -> ChunkDelta {
    ChunkDelta {
        tool_calls: Some(vec![ToolCallDelta {
            index,
            id: Some(call.id.clone()),
            kind: Some("function".into()),
            function: Some(FunctionCall {
                name: call.name.clone(),
                arguments: call.arguments.clone(),
            }),
        }]),
        ..Default::default()
    }
}

/// Writes chunks of one completion; every method returns `None` once the client has gone.
pub struct Chunks {
    pub reply: Reply,
    pub tx: mpsc::Sender<Event>,
}

impl Chunks {
    fn chunk(&self, delta: Option<ChunkDelta>, finish_reason: Option<FinishReason>) -> ChatCompletionChunk {
        ChatCompletionChunk {
            id: self.reply.id.clone(),
            object: "chat.completion.chunk".into(),
            created: self.reply.created,
            model: self.reply.model.clone(),
            system_fingerprint: Some(wire::SYSTEM_FINGERPRINT.into()),
            choices: delta
                .map(|delta| ChunkChoice {
                    index: 0,
                    delta,
                    finish_reason,
                    logprobs: None,
                })
                .into_iter()
                .collect(),
            usage: None,
        }
    }

    pub async fn delta(&self, delta: ChunkDelta) -> Option<()> {
        self.json(&self.chunk(Some(delta), None)).await
    }

    pub async fn finish(&self, reason: FinishReason) -> Option<()> {
        self.json(&self.chunk(Some(ChunkDelta::default()), Some(reason)))
            .await
    }

    pub async fn usage(&self, usage: vox_protocol::chat::response::Usage) -> Option<()> {
        let mut chunk = self.chunk(None, None);
        chunk.usage = Some(usage);
        self.json(&chunk).await
    }

    /// An error after the stream began: one `{"error": ...}` event, then the stream ends.
    pub async fn error(&self, error: ApiError) -> Option<()> {
        tracing::warn!(message = %error.message, "chat stream failed");
        self.json(&error.body()).await
    }

    pub async fn done(&self) -> Option<()> {
        self.tx.send(Event::default().data("[DONE]")).await.ok()
    }

    async fn json(&self, value: &impl Serialize) -> Option<()> {
        let data = serde_json::to_string(value).ok()?;
        self.tx.send(Event::default().data(data)).await.ok()
    }
}
