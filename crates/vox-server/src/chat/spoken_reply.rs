//! Spoken answers out: the whole `message.audio` file, or the SSE chunk sequence of SPEC.md
//! section 4. Both store the transcript under the answer's audio id for later turns.

use base64::Engine as _;
use vox_audio::OutputFormat;
use vox_engine::chat::StopReason;
use vox_pipeline::{AnswerEvent, Ending, SpokenAnswer};
use vox_protocol::chat::response::{ChatCompletion, ResponseAudio};
use vox_store::{AudioRecord, new_audio_id};

use super::chunks::{Piece, SpokenChunks, SpokenStep};
use super::report::AnswerReport;
use super::stream::ChunkWriter;
use super::{Reply, wire};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::state::{AppState, unix_now};

/// Keeps an answer's transcript referable by its id until it expires.
pub struct Keeper {
    pub state: AppState,
    pub caller: vox_store::Owner,
}

impl Keeper {
    pub fn new(state: &AppState, context: &RequestContext) -> Self {
        Self {
            state: state.clone(),
            caller: context.caller.clone(),
        }
    }

    async fn keep(&self, id: &str, transcript: &str) -> Result<u64, ApiError> {
        let created = unix_now();
        let expires_at = created + self.state.settings().audio_ttl.as_secs();
        let record = AudioRecord {
            id: id.to_string(),
            owner: self.caller.clone(),
            transcript: transcript.to_string(),
            created,
            expires_at,
        };
        match self.state.store().insert(record).await {
            Ok(()) => {}
            // The answer is spoken all the same: only a later reference to this id will fail.
            Err(vox_store::StoreError::Unavailable(detail)) => {
                tracing::warn!(id, %detail, "the answer's audio id was not stored");
            }
            Err(err) => return Err(err.into()),
        }
        Ok(expires_at)
    }
}

/// The whole answer: every clause spoken, then one file in `format`.
pub async fn whole(
    reply: Reply,
    mut answer: SpokenAnswer,
    format: OutputFormat,
    keeper: Keeper,
    report: AnswerReport,
    input_audio_secs: f64,
) -> Result<ChatCompletion, ApiError> {
    let mut samples = Vec::new();
    let mut tool_calls = Vec::new();
    let summary = loop {
        match answer.next().await {
            Some(AnswerEvent::Text(_) | AnswerEvent::Clause(_)) => {}
            Some(AnswerEvent::Audio(chunk)) => samples.extend(chunk.samples),
            Some(AnswerEvent::ToolCall(call)) => tool_calls.push(wire::tool_call(&call)),
            Some(AnswerEvent::Finished(summary)) => break summary,
            Some(AnswerEvent::Failed { error, summary }) => {
                report.spoken(&summary);
                return Err(error.into());
            }
            None => return Err(ApiError::internal("the spoken answer ended early")),
        }
    };
    report.spoken(&summary);
    let reason = match summary.ending {
        Ending::Completed(reason) => reason,
        Ending::Cancelled | Ending::Failed => StopReason::Stop,
    };
    // Tool calls come back without audio; the follow-up turn speaks.
    let audio = match tool_calls.is_empty() {
        true => Some(spoken_file(&keeper, format, samples, summary.transcript.clone()).await?),
        false => None,
    };
    let spoken_secs = if audio.is_some() { summary.audio_secs } else { 0.0 };
    let usage = wire::usage(
        summary.prompt_tokens,
        summary.completion_tokens,
        input_audio_secs,
        spoken_secs,
    )
    .with_cached(summary.cached_tokens);
    let message = wire::assistant_message(None, audio, tool_calls);
    Ok(wire::completion(reply, message, reason, usage))
}

async fn spoken_file(
    keeper: &Keeper,
    format: OutputFormat,
    samples: Vec<f32>,
    transcript: String,
) -> Result<ResponseAudio, ApiError> {
    let bytes = tokio::task::spawn_blocking(move || vox_audio::encode(format, &samples))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let id = new_audio_id();
    let expires_at = keeper.keep(&id, &transcript).await?;
    Ok(ResponseAudio {
        id,
        data: base64::engine::general_purpose::STANDARD.encode(bytes),
        expires_at,
        transcript,
    })
}

/// Streams the answer as the chunk sequence of [`SpokenChunks`], keeping its transcript under
/// its audio id before `expires_at` goes out. Returns `None` as soon as the client has gone
/// (dropping `answer` stops the pipeline).
pub async fn stream(
    writer: ChunkWriter,
    mut answer: SpokenAnswer,
    keeper: Keeper,
    report: AnswerReport,
    include_usage: bool,
    input_audio_secs: f64,
) -> Option<()> {
    let mut map = match SpokenChunks::new(new_audio_id(), include_usage, input_audio_secs) {
        Ok(map) => map,
        Err(err) => return writer.send_all(vec![Piece::Error(err)]).await,
    };
    writer.send_all(map.opening()).await?;
    loop {
        let event = tokio::select! {
            event = answer.next() => event,
            () = writer.tx.closed() => {
                report.client_left();
                return None;
            }
        };
        if let Some(AnswerEvent::Finished(summary) | AnswerEvent::Failed { summary, .. }) = &event {
            report.spoken(summary);
        }
        match map.event(event) {
            SpokenStep::Send(pieces) => {
                if writer.send_all(pieces).await.is_none() {
                    report.client_left();
                    return None;
                }
            }
            SpokenStep::End(pieces) => return writer.send_all(pieces).await,
            SpokenStep::Keep(summary) => {
                let pieces = match keeper.keep(map.audio_id(), &summary.transcript).await {
                    Ok(expires_at) => map.closing(&summary, expires_at),
                    Err(err) => vec![Piece::Error(err)],
                };
                return writer.send_all(pieces).await;
            }
        }
    }
}
