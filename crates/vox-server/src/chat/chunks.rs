//! The OpenAI chunk sequence of a streamed answer (SPEC.md section 4), as a pure mapper from
//! events to pieces of the stream: no I/O, so its order is tested without a model or a socket.
//!
//! Text answers: role with empty content; content deltas; tool-call deltas; finish; usage (when
//! asked); `[DONE]`. Spoken answers: role; the audio id with an empty transcript (and
//! `content: null`); each clause's transcript delta, then its pcm16 audio in whole 6-byte groups;
//! tool-call deltas; `expires_at`; finish; usage; `[DONE]`. An error ends either with one error
//! event.

use base64::Engine as _;
use vox_audio::OutputFormat;
use vox_engine::EngineError;
use vox_engine::chat::{ChatEvent, StopReason, ToolCall};
use vox_pipeline::{AnswerEvent, Summary};
use vox_protocol::chat::chunk::{ChunkDelta, DeltaAudio, ToolCallDelta};
use vox_protocol::chat::request::FunctionCall;
use vox_protocol::chat::response::{FinishReason, Usage};

use super::wire;
use crate::error::ApiError;
use crate::speech_out::SpeechEncoder;

/// One event of the SSE stream.
#[derive(Debug)]
pub enum Piece {
    Delta(ChunkDelta),
    Finish(FinishReason),
    Usage(Usage),
    Error(ApiError),
    Done,
}

/// Text answers (`modalities: ["text"]`).
pub struct TextChunks {
    tool_index: u32,
    include_usage: bool,
    input_audio_secs: f64,
    /// Prompt tokens the engine found already read.
    cached_tokens: u64,
}

impl TextChunks {
    pub fn new(include_usage: bool, input_audio_secs: f64) -> Self {
        Self {
            tool_index: 0,
            include_usage,
            input_audio_secs,
            cached_tokens: 0,
        }
    }

    pub fn opening(&self) -> Vec<Piece> {
        vec![Piece::Delta(ChunkDelta {
            role: Some("assistant".into()),
            content: Some(Some(String::new())),
            ..Default::default()
        })]
    }

    /// The pieces for the model's next event (`None`: it stopped without finishing). The last
    /// piece of a finished or failed answer is `Done` or `Error`.
    pub fn event(&mut self, event: Option<Result<ChatEvent, EngineError>>) -> Vec<Piece> {
        match event {
            None => vec![ended_early("the language model stopped without finishing")],
            Some(Err(err)) => vec![Piece::Error(err.into())],
            Some(Ok(ChatEvent::Text(text))) => vec![Piece::Delta(ChunkDelta {
                content: Some(Some(text)),
                ..Default::default()
            })],
            Some(Ok(ChatEvent::Cached(tokens))) => {
                self.cached_tokens = tokens;
                vec![]
            }
            Some(Ok(ChatEvent::Progress { .. })) => vec![],
            Some(Ok(ChatEvent::ToolCall(call))) => vec![next_tool_call(&mut self.tool_index, &call)],
            Some(Ok(ChatEvent::Finished {
                reason,
                prompt_tokens,
                completion_tokens,
            })) => {
                let usage = wire::usage(prompt_tokens, completion_tokens, self.input_audio_secs, 0.0)
                    .with_cached(self.cached_tokens);
                ending(reason, self.include_usage.then_some(usage))
            }
        }
    }
}

/// Spoken answers (`modalities: ["text", "audio"]`).
pub struct SpokenChunks {
    audio_id: String,
    /// `None` once its last samples went out: all audio precedes tool calls and the end.
    pcm: Option<SpeechEncoder>,
    audio_secs: f64,
    tool_index: u32,
    include_usage: bool,
    input_audio_secs: f64,
}

/// What the spoken mapper needs next.
#[derive(Debug)]
pub enum SpokenStep {
    Send(Vec<Piece>),
    /// The answer finished: keep its transcript under the audio id, then send
    /// [`SpokenChunks::closing`] with the record's expiry.
    Keep(Summary),
    /// The answer failed: send these (ending with `Error`) and stop.
    End(Vec<Piece>),
}

impl SpokenChunks {
    pub fn new(audio_id: String, include_usage: bool, input_audio_secs: f64) -> Result<Self, ApiError> {
        Ok(Self {
            audio_id,
            pcm: Some(SpeechEncoder::new(OutputFormat::Pcm16)?),
            audio_secs: 0.0,
            tool_index: 0,
            include_usage,
            input_audio_secs,
        })
    }

    pub fn audio_id(&self) -> &str {
        &self.audio_id
    }

    pub fn opening(&self) -> Vec<Piece> {
        vec![
            Piece::Delta(ChunkDelta {
                role: Some("assistant".into()),
                ..Default::default()
            }),
            audio(
                DeltaAudio {
                    id: Some(self.audio_id.clone()),
                    transcript: Some(String::new()),
                    ..Default::default()
                },
                true,
            ),
        ]
    }

    pub fn event(&mut self, event: Option<AnswerEvent>) -> SpokenStep {
        match event {
            // The text is said with its clause, in step with the audio.
            Some(AnswerEvent::Text(_)) => SpokenStep::Send(vec![]),
            Some(AnswerEvent::Clause(text)) => SpokenStep::Send(vec![audio(
                DeltaAudio {
                    transcript: Some(text),
                    ..Default::default()
                },
                false,
            )]),
            Some(AnswerEvent::Audio(chunk)) => {
                let Some(pcm) = &mut self.pcm else {
                    return SpokenStep::End(vec![ended_early("audio came after the answer's end")]);
                };
                match pcm.push(&chunk) {
                    Ok(bytes) => SpokenStep::Send(pcm_delta(bytes).into_iter().collect()),
                    Err(err) => SpokenStep::End(vec![Piece::Error(err)]),
                }
            }
            Some(AnswerEvent::ToolCall(call)) => {
                let mut pieces: Vec<Piece> = self.audio_tail().into_iter().collect();
                pieces.push(next_tool_call(&mut self.tool_index, &call));
                SpokenStep::Send(pieces)
            }
            Some(AnswerEvent::Finished(summary)) => SpokenStep::Keep(summary),
            Some(AnswerEvent::Failed { error, .. }) => SpokenStep::End(vec![Piece::Error(error.into())]),
            None => SpokenStep::End(vec![ended_early("the spoken answer ended early")]),
        }
    }

    /// The last samples the encoder held (a partial 3-sample group), once.
    fn audio_tail(&mut self) -> Option<Piece> {
        let mut pcm = self.pcm.take()?;
        let tail = pcm.finish().unwrap_or_default();
        self.audio_secs = pcm.seconds();
        pcm_delta(tail)
    }

    /// After the transcript is kept: the audio's tail, `expires_at`, finish, usage, `[DONE]`.
    pub fn closing(&mut self, summary: &Summary, expires_at: u64) -> Vec<Piece> {
        let mut pieces: Vec<Piece> = self.audio_tail().into_iter().collect();
        pieces.push(audio(
            DeltaAudio {
                expires_at: Some(expires_at),
                ..Default::default()
            },
            false,
        ));
        let reason = match summary.ending {
            vox_pipeline::Ending::Completed(reason) => reason,
            _ => StopReason::Stop,
        };
        // A bare tool call says nothing: no audio is billed for it.
        let spoken = match reason == StopReason::ToolCalls && summary.transcript.is_empty() {
            true => 0.0,
            false => self.audio_secs,
        };
        let usage = wire::usage(
            summary.prompt_tokens,
            summary.completion_tokens,
            self.input_audio_secs,
            spoken,
        )
        .with_cached(summary.cached_tokens);
        pieces.extend(ending(reason, self.include_usage.then_some(usage)));
        pieces
    }
}

fn ending(reason: StopReason, usage: Option<Usage>) -> Vec<Piece> {
    let mut pieces = vec![Piece::Finish(wire::finish_reason(reason))];
    pieces.extend(usage.map(Piece::Usage));
    pieces.push(Piece::Done);
    pieces
}

fn ended_early(what: &str) -> Piece {
    Piece::Error(ApiError::internal(what))
}

fn next_tool_call(index: &mut u32, call: &ToolCall) -> Piece {
    let piece = Piece::Delta(tool_call_delta(*index, call));
    *index += 1;
    piece
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

/// `explicit_null_content` writes `"content": null`, as the chunk that opens the audio does.
fn audio(audio: DeltaAudio, explicit_null_content: bool) -> Piece {
    Piece::Delta(ChunkDelta {
        content: explicit_null_content.then_some(None),
        audio: Some(audio),
        ..Default::default()
    })
}

/// pcm16 from the encoder always comes in whole 3-sample groups (6 bytes): no base64 padding.
fn pcm_delta(bytes: Vec<u8>) -> Option<Piece> {
    if bytes.is_empty() {
        return None;
    }
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    Some(audio(
        DeltaAudio {
            data: Some(data),
            ..Default::default()
        },
        false,
    ))
}

#[cfg(test)]
#[path = "chunks_tests.rs"]
mod tests;
