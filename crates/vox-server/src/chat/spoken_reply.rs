//! Spoken answers out: the whole `message.audio` file, or the SSE chunk sequence of SPEC.md
//! section 4. Both store the transcript under the answer's audio id for later turns.

use base64::Engine as _;
use tokio::sync::mpsc;
use vox_audio::{OUTPUT_RATE, OutputFormat};
use vox_engine::chat::StopReason;
use vox_protocol::chat::chunk::{ChunkDelta, DeltaAudio};
use vox_protocol::chat::response::{ChatCompletion, ResponseAudio};
use vox_store::{AudioRecord, new_audio_id};

use super::spoken::AnswerEvent;
use super::stream::{Chunks, tool_call_delta};
use super::{Reply, wire};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::speech_out::{SpeechEncoder, ToOutputRate};
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
        self.state.store().insert(record).await?;
        Ok(expires_at)
    }
}

/// The whole answer: every clause spoken, then one file in `format`.
pub async fn whole(
    reply: Reply,
    mut answer: mpsc::Receiver<AnswerEvent>,
    format: OutputFormat,
    keeper: Keeper,
    input_audio_secs: f64,
) -> Result<ChatCompletion, ApiError> {
    let mut to_output_rate = ToOutputRate::default();
    let mut samples = Vec::new();
    let mut transcript = String::new();
    let mut tool_calls = Vec::new();
    let (reason, prompt_tokens, completion_tokens) = loop {
        match answer.recv().await {
            Some(AnswerEvent::Transcript(text)) => transcript.push_str(&text),
            Some(AnswerEvent::Audio(chunk)) => samples.extend(to_output_rate.push(&chunk)?),
            Some(AnswerEvent::ToolCall(call)) => tool_calls.push(wire::tool_call(&call)),
            Some(AnswerEvent::Finished {
                reason,
                prompt_tokens,
                completion_tokens,
            }) => break (reason, prompt_tokens, completion_tokens),
            Some(AnswerEvent::Failed(err)) => return Err(err),
            None => return Err(ApiError::internal("the spoken answer ended early")),
        }
    };
    samples.extend(to_output_rate.finish());
    let seconds = samples.len() as f64 / f64::from(OUTPUT_RATE);
    // Tool calls come back without audio; the follow-up turn speaks.
    let audio = match tool_calls.is_empty() {
        true => Some(spoken_file(&keeper, format, samples, transcript).await?),
        false => None,
    };
    let spoken_secs = if audio.is_some() { seconds } else { 0.0 };
    let usage = wire::usage(prompt_tokens, completion_tokens, input_audio_secs, spoken_secs);
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

/// Streams the answer as chunks: role; audio id with an empty transcript; then each clause's
/// transcript followed by its pcm16 audio; `expires_at`; the finish reason; usage; `[DONE]`.
/// Returns `None` as soon as the client has gone (dropping `answer` stops the pipeline).
pub async fn stream(
    chunks: Chunks,
    mut answer: mpsc::Receiver<AnswerEvent>,
    keeper: Keeper,
    include_usage: bool,
    input_audio_secs: f64,
) -> Option<()> {
    let id = new_audio_id();
    chunks.delta(role()).await?;
    chunks
        .delta(audio_delta(
            DeltaAudio {
                id: Some(id.clone()),
                transcript: Some(String::new()),
                ..Default::default()
            },
            true,
        ))
        .await?;
    let mut encoder = SpeechEncoder::new(OutputFormat::Pcm16).ok()?;
    let mut transcript = String::new();
    let mut tool_index = 0;
    loop {
        let event = tokio::select! {
            event = answer.recv() => event,
            () = chunks.tx.closed() => return None,
        };
        match event {
            Some(AnswerEvent::Transcript(text)) => {
                transcript.push_str(&text);
                chunks
                    .delta(audio_delta(
                        DeltaAudio {
                            transcript: Some(text),
                            ..Default::default()
                        },
                        false,
                    ))
                    .await?;
            }
            Some(AnswerEvent::Audio(chunk)) => match encoder.push(&chunk) {
                Ok(bytes) => send_pcm(&chunks, bytes).await?,
                Err(err) => return chunks.error(err).await,
            },
            Some(AnswerEvent::ToolCall(call)) => {
                chunks.delta(tool_call_delta(tool_index, &call)).await?;
                tool_index += 1;
            }
            Some(AnswerEvent::Finished {
                reason,
                prompt_tokens,
                completion_tokens,
            }) => {
                let tail = encoder.finish().unwrap_or_default();
                send_pcm(&chunks, tail).await?;
                let expires_at = match keeper.keep(&id, &transcript).await {
                    Ok(expires_at) => expires_at,
                    Err(err) => return chunks.error(err).await,
                };
                chunks
                    .delta(audio_delta(
                        DeltaAudio {
                            expires_at: Some(expires_at),
                            ..Default::default()
                        },
                        false,
                    ))
                    .await?;
                chunks.finish(wire::finish_reason(reason)).await?;
                if include_usage {
                    let spoken = if reason == StopReason::ToolCalls && transcript.is_empty() {
                        0.0
                    } else {
                        encoder.seconds()
                    };
                    chunks
                        .usage(wire::usage(
                            prompt_tokens,
                            completion_tokens,
                            input_audio_secs,
                            spoken,
                        ))
                        .await?;
                }
                return chunks.done().await;
            }
            Some(AnswerEvent::Failed(err)) => return chunks.error(err).await,
            None => {
                return chunks
                    .error(ApiError::internal("the spoken answer ended early"))
                    .await;
            }
        }
    }
}

fn role() -> ChunkDelta {
    ChunkDelta {
        role: Some("assistant".into()),
        ..Default::default()
    }
}

/// `explicit_null_content` writes `"content": null`, as the chunk that opens the audio does.
fn audio_delta(audio: DeltaAudio, explicit_null_content: bool) -> ChunkDelta {
    ChunkDelta {
        content: explicit_null_content.then_some(None),
        audio: Some(audio),
        ..Default::default()
    }
}

/// pcm16 from the encoder always comes in whole 3-sample groups (6 bytes): no base64 padding.
async fn send_pcm(chunks: &Chunks, bytes: Vec<u8>) -> Option<()> {
    if bytes.is_empty() {
        return Some(());
    }
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    chunks
        .delta(audio_delta(
            DeltaAudio {
                data: Some(data),
                ..Default::default()
            },
            false,
        ))
        .await
}
