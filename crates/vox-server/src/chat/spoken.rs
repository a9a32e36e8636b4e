//! The spoken answer pipeline: the language model writes, its text is cut into clauses as it
//! streams, and each clause is synthesised while the next is being written. Runs as one task
//! that stops as soon as whoever reads its events (a streaming client, or the handler building
//! the whole answer) goes away, dropping the generation and the synthesis with it.

use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::mpsc;
use vox_audio::AudioBuffer;
use vox_engine::EngineError;
use vox_engine::chat::{ChatEvent, StopReason, ToolCall};
use vox_engine::load::InFlight;
use vox_engine::speech::{SpeechJob, Synthesizer};
use vox_engine::voices::VoiceProfile;

use super::clauses::ClauseSplitter;
use crate::error::ApiError;

/// What the pipeline reports, in order: for each clause its text, then its audio; then tool
/// calls; then `Finished` (or `Failed`, after which nothing follows).
#[derive(Debug)]
pub enum AnswerEvent {
    Transcript(String),
    Audio(AudioBuffer),
    ToolCall(ToolCall),
    Finished {
        reason: StopReason,
        prompt_tokens: u64,
        completion_tokens: u64,
    },
    Failed(ApiError),
}

pub struct Voice {
    pub synthesizer: Arc<dyn Synthesizer>,
    pub profile: VoiceProfile,
    /// The conversation's language when known (recognised speech); else detected per clause.
    pub language: Option<String>,
    /// Streamed: each clause is heard as soon as it is spoken.
    pub heard_live: bool,
    /// Counts this answer among those sharing the machine until it ends; its first audio is
    /// what admission bounds.
    pub in_flight: InFlight,
}

/// Events buffered ahead of a slow reader.
const EVENT_BUFFER: usize = 64;

pub fn start(
    events: BoxStream<'static, Result<ChatEvent, EngineError>>,
    voice: Voice,
) -> mpsc::Receiver<AnswerEvent> {
    let (out, answer) = mpsc::channel(EVENT_BUFFER);
    tokio::spawn(async move {
        let closed = out.clone();
        tokio::select! {
            () = closed.closed() => tracing::debug!("spoken answer abandoned by its reader"),
            () = run(events, voice, out) => {}
        }
    });
    answer
}

async fn run(
    events: BoxStream<'static, Result<ChatEvent, EngineError>>,
    mut voice: Voice,
    out: mpsc::Sender<AnswerEvent>,
) {
    let (clauses, to_speak) = mpsc::unbounded_channel::<String>();
    // Either half failing stops the other.
    let finish = match tokio::try_join!(write(events, clauses), speak(to_speak, &mut voice, &out)) {
        Err(err) => AnswerEvent::Failed(err),
        Ok((Written { tool_calls, finished }, ())) => {
            for call in tool_calls {
                let _ = out.send(AnswerEvent::ToolCall(call)).await;
            }
            finished
        }
    };
    let _ = out.send(finish).await;
}

struct Written {
    tool_calls: Vec<ToolCall>,
    finished: AnswerEvent,
}

/// Reads the model, handing each finished clause to the voice. Dropping `clauses` at the end
/// tells the voice there is no more.
async fn write(
    mut events: BoxStream<'static, Result<ChatEvent, EngineError>>,
    clauses: mpsc::UnboundedSender<String>,
) -> Result<Written, ApiError> {
    let mut splitter = ClauseSplitter::default();
    let mut tool_calls = Vec::new();
    while let Some(event) = events.next().await {
        match event? {
            ChatEvent::Text(text) => {
                for clause in splitter.push(&text) {
                    let _ = clauses.send(clause);
                }
            }
            ChatEvent::ToolCall(call) => tool_calls.push(call),
            ChatEvent::Finished {
                reason,
                prompt_tokens,
                completion_tokens,
            } => {
                if let Some(rest) = splitter.finish() {
                    let _ = clauses.send(rest);
                }
                return Ok(Written {
                    tool_calls,
                    finished: AnswerEvent::Finished {
                        reason,
                        prompt_tokens,
                        completion_tokens,
                    },
                });
            }
        }
    }
    Err(ApiError::internal("the language model stopped without finishing"))
}

/// Speaks clauses in order; each clause's text goes out just before its audio, so a reader
/// showing the transcript stays in step with what is heard.
async fn speak(
    mut clauses: mpsc::UnboundedReceiver<String>,
    voice: &mut Voice,
    out: &mpsc::Sender<AnswerEvent>,
) -> Result<(), ApiError> {
    while let Some(clause) = clauses.recv().await {
        let _ = out.send(AnswerEvent::Transcript(clause.clone())).await;
        let job = SpeechJob {
            text: clause,
            voice: voice.profile.clone(),
            speed: 1.0,
            language: voice.language.clone(),
            heard_live: voice.heard_live,
        };
        let mut audio = voice.synthesizer.synthesize(job);
        while let Some(chunk) = audio.next().await {
            let chunk = chunk?;
            voice.in_flight.first_output();
            let _ = out.send(AnswerEvent::Audio(chunk)).await;
        }
    }
    Ok(())
}
