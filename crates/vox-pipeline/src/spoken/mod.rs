//! The spoken answer: the language model writes, its text is cut into clauses as it streams,
//! and each clause is synthesised while the next is being written.
//!
//! It runs as one task behind a [`SpokenAnswer`] handle. The handle's [`SpokenAnswer::cancel`]
//! stops the engines and still ends with a summary of what was said (a barge-in needs how much
//! of the answer was heard and its transcript up to there); dropping the handle stops it too,
//! without a word.

mod record;
mod run;

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};
use vox_engine::EngineError;
use vox_engine::audio::AudioBuffer;
use vox_engine::chat::{ChatEvent, StopReason, ToolCall};
use vox_engine::load::InFlight;
use vox_engine::speech::Synthesizer;
use vox_engine::voices::VoiceProfile;

use crate::PipelineError;

pub type ChatStream = futures::stream::BoxStream<'static, Result<ChatEvent, EngineError>>;

/// Who speaks the answer, and how.
pub struct Voice {
    pub synthesizer: Arc<dyn Synthesizer>,
    pub profile: VoiceProfile,
    /// The conversation's language when known (recognised speech); else detected per clause.
    pub language: Option<String>,
    /// Someone hears each clause as soon as it is spoken (a stream, a call): its first piece
    /// goes before the language model's next step.
    pub heard_live: bool,
    /// Counts the answer among those sharing the machine until it ends; its first audio is
    /// what admission bounds.
    pub in_flight: Option<InFlight>,
    /// When the answer was asked for (admitted): its timings count from here.
    pub asked_at: Instant,
}

/// What the answer reports, in order: the model's text as written; for each clause its text
/// (`Clause`), then its audio at the output rate; then tool calls; then exactly one of
/// `Finished` or `Failed`, after which nothing follows.
#[derive(Debug)]
pub enum AnswerEvent {
    Text(String),
    Clause(String),
    /// Mono at [`crate::OUTPUT_RATE`].
    Audio(AudioBuffer),
    ToolCall(ToolCall),
    Finished(Summary),
    Failed {
        error: PipelineError,
        summary: Summary,
    },
}

/// Why an answer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The model finished (stop, length or tool calls) and everything was spoken.
    Completed(StopReason),
    /// [`SpokenAnswer::cancel`] stopped it.
    Cancelled,
    /// An engine failed.
    Failed,
}

/// One clause whose audio was produced, placed on the answer's audio timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct SpokenClause {
    pub text: String,
    pub start_secs: f64,
    pub secs: f64,
}

/// What an answer used and said, up to its end.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub ending: Ending,
    /// As the engine last reported them (while writing, or when it finished).
    pub prompt_tokens: u64,
    /// Of the prompt tokens, those the engine found already read (OpenAI's `cached_tokens`).
    pub cached_tokens: u64,
    pub completion_tokens: u64,
    /// Seconds of audio produced (sent as `Audio` events).
    pub audio_secs: f64,
    /// The text of exactly the audio produced: the clauses with audio, joined.
    pub transcript: String,
    pub clauses: Vec<SpokenClause>,
    pub timings: Timings,
}

/// Where an answer's time went, counted from [`Voice::asked_at`] (for metrics and logs).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    /// Until the first audio was handed to the reader.
    pub first_audio_secs: Option<f64>,
    /// Time spent waiting on the voice for audio, clause by clause (its queue included).
    pub synthesis_secs: f64,
    /// From start to end.
    pub total_secs: f64,
}

impl Summary {
    /// Seconds of waiting on the voice per second of audio produced.
    pub fn synthesis_real_time_factor(&self) -> Option<f64> {
        (self.audio_secs > 0.0).then(|| self.timings.synthesis_secs / self.audio_secs)
    }
}

/// Events buffered ahead of a slow reader.
const EVENT_BUFFER: usize = 64;

/// A running spoken answer.
pub struct SpokenAnswer {
    events: mpsc::Receiver<AnswerEvent>,
    cancel: Option<oneshot::Sender<()>>,
}

impl SpokenAnswer {
    /// Starts speaking what `chat` writes.
    pub fn start(chat: ChatStream, voice: Voice) -> Self {
        let (out, events) = mpsc::channel(EVENT_BUFFER);
        let (cancel, cancelled) = oneshot::channel();
        // In the caller's span: the engines' log lines for this answer carry its request.
        let task = run::run(chat, voice, out, cancelled);
        tokio::spawn(tracing::Instrument::in_current_span(task));
        Self {
            events,
            cancel: Some(cancel),
        }
    }

    /// The next event; `None` after `Finished` or `Failed`.
    pub async fn next(&mut self) -> Option<AnswerEvent> {
        self.events.recv().await
    }

    /// Stops the model and the voice at once. Events already produced still come, then
    /// `Finished` with [`Ending::Cancelled`] and what had been said. Cancelling twice, or after
    /// the end, does nothing.
    pub fn cancel(&mut self) {
        if let Some(cancel) = self.cancel.take() {
            let _ = cancel.send(());
        }
    }
}
