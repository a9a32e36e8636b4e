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
use vox_engine::chat::ChatEvent;
use vox_protocol::chat::chunk::{ChatCompletionChunk, ChunkChoice, ChunkDelta};
use vox_protocol::chat::response::FinishReason;

use super::chunks::{Piece, TextChunks};
use super::{Reply, wire};
use crate::error::ApiError;

type EngineEvents = BoxStream<'static, Result<ChatEvent, EngineError>>;

/// Events waiting for a slow client before the model is paused behind them.
const CLIENT_BUFFER: usize = 64;

pub fn text(reply: Reply, events: EngineEvents, include_usage: bool, input_audio_secs: f64) -> Response {
    spawn_sse(reply, move |writer| async move {
        forward_text(&writer, events, include_usage, input_audio_secs).await
    })
}

/// An SSE response fed by `write`, which runs as its own task and ends early (returning `None`)
/// when the client has gone.
pub fn spawn_sse<F, Fut>(reply: Reply, write: F) -> Response
where
    F: FnOnce(ChunkWriter) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Option<()>> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(CLIENT_BUFFER);
    let task = async move {
        let _ = write(ChunkWriter { reply, tx }).await;
    };
    // The request's span outlives its handler here: the answer's log lines carry its id.
    tokio::spawn(tracing::Instrument::in_current_span(task));
    Sse::new(ReceiverStream::new(rx).map(Ok::<_, Infallible>))
        .keep_alive(KeepAlive::default())
        .into_response()
}

async fn forward_text(
    writer: &ChunkWriter,
    mut events: EngineEvents,
    include_usage: bool,
    input_audio_secs: f64,
) -> Option<()> {
    let mut map = TextChunks::new(include_usage, input_audio_secs);
    writer.send_all(map.opening()).await?;
    loop {
        let event = tokio::select! {
            event = events.next() => event,
            () = writer.tx.closed() => return None,
        };
        let pieces = map.event(event);
        let last = matches!(pieces.last(), Some(Piece::Done | Piece::Error(_)));
        writer.send_all(pieces).await?;
        if last {
            return Some(());
        }
    }
}

/// Writes chunks of one completion; every method returns `None` once the client has gone.
pub struct ChunkWriter {
    pub reply: Reply,
    pub tx: mpsc::Sender<Event>,
}

impl ChunkWriter {
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

    /// Sends pieces in order; `None` once the client has gone.
    pub async fn send_all(&self, pieces: Vec<Piece>) -> Option<()> {
        for piece in pieces {
            match piece {
                Piece::Delta(delta) => self.delta(delta).await?,
                Piece::Finish(reason) => self.finish(reason).await?,
                Piece::Usage(usage) => self.usage(usage).await?,
                Piece::Error(error) => self.error(error).await?,
                Piece::Done => self.done().await?,
            }
        }
        Some(())
    }

    async fn delta(&self, delta: ChunkDelta) -> Option<()> {
        self.json(&self.chunk(Some(delta), None)).await
    }

    async fn finish(&self, reason: FinishReason) -> Option<()> {
        self.json(&self.chunk(Some(ChunkDelta::default()), Some(reason)))
            .await
    }

    async fn usage(&self, usage: vox_protocol::chat::response::Usage) -> Option<()> {
        let mut chunk = self.chunk(None, None);
        chunk.usage = Some(usage);
        self.json(&chunk).await
    }

    /// An error after the stream began: one `{"error": ...}` event, then the stream ends.
    async fn error(&self, error: ApiError) -> Option<()> {
        tracing::warn!(message = %error.message, "chat stream failed");
        self.json(&error.body()).await
    }

    async fn done(&self) -> Option<()> {
        self.tx.send(Event::default().data("[DONE]")).await.ok()
    }

    async fn json(&self, value: &impl Serialize) -> Option<()> {
        let data = serde_json::to_string(value).ok()?;
        self.tx.send(Event::default().data(data)).await.ok()
    }
}
