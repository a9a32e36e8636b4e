//! One sequence of the shared context: the request it serves and what its KV cache holds.

use std::sync::{Mutex, Weak};
use std::time::Instant;

use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use vox_engine::EngineError;
use vox_engine::chat::{ChatEvent, SamplingParams, StopReason};

use vox_engine::load::{Held, Mark};

use crate::decision::LazyCalls;
use crate::output::OutputFilter;
use crate::tool_calls::parse_tool_calls;
use crate::utf8::Utf8Assembler;

pub type Events = UnboundedSender<Result<ChatEvent, EngineError>>;

pub struct Slot {
    /// The llama.cpp sequence id.
    pub seq: i32,
    /// Tokens whose keys and values sit in this sequence's cache, in order: a later prompt that
    /// starts the same way (same system prompt, earlier turns) skips that much prefill.
    pub cached: Vec<LlamaToken>,
    pub request: Option<Generation>,
    /// Conversations whose opening this cache is kept for (see `ChatModel::prefill`).
    pub pins: Vec<Pin>,
    /// When a request was last placed here: with nothing kept, the oldest cache goes first.
    pub last_used: Instant,
}

impl Slot {
    pub fn new(seq: i32) -> Self {
        Self {
            seq,
            cached: Vec::new(),
            request: None,
            pins: Vec::new(),
            last_used: Instant::now(),
        }
    }

    /// Free, or only reading an opening ahead of time (an answer may take it over).
    pub fn is_available(&self) -> bool {
        self.request.as_ref().is_none_or(|g| g.prefill_only)
    }

    pub fn is_answering(&self) -> bool {
        self.request.as_ref().is_some_and(|g| !g.prefill_only)
    }

    /// The longest opening a living conversation keeps here (0 when none).
    pub fn kept_len(&mut self) -> usize {
        self.pins.retain(|pin| pin.keeper.strong_count() > 0);
        self.pins.iter().map(|pin| pin.len).max().unwrap_or(0)
    }

    /// The cache now holds only its first `len` tokens: openings longer than that are no
    /// longer kept here.
    pub fn kept_only_within(&mut self, len: usize) {
        self.pins
            .retain(|pin| pin.len <= len && pin.keeper.strong_count() > 0);
    }
}

/// What a conversation holds while its opening is kept: the prefill's own events, so the
/// prefill counts as wanted (not cancelled) for as long as the conversation lives.
pub struct Keeper {
    _events: Mutex<UnboundedReceiver<Result<ChatEvent, EngineError>>>,
}

impl Keeper {
    pub fn new(events: UnboundedReceiver<Result<ChatEvent, EngineError>>) -> Self {
        Self {
            _events: Mutex::new(events),
        }
    }
}

/// A slot's promise to a conversation: its first `len` cached tokens stay while `keeper` lives.
pub struct Pin {
    pub keeper: Weak<Keeper>,
    pub len: usize,
}

/// A request in flight.
pub struct Generation {
    pub events: Events,
    pub sampler: LlamaSampler,
    /// The request's sampling settings (a retried answer samples afresh).
    pub sampling: SamplingParams,
    /// Prompt tokens not yet decoded.
    pub to_prefill: Vec<LlamaToken>,
    /// Sampled, not yet decoded: the input of the next step.
    pub next_token: Option<LlamaToken>,
    /// Where this sequence's logits sit in the batch just decoded.
    pub logits_index: Option<i32>,
    pub prompt_tokens: u64,
    pub generated: u64,
    pub max_tokens: u64,
    pub utf8: Utf8Assembler,
    pub filter: OutputFilter,
    /// Names a tool call may use.
    pub declared_tools: Vec<String>,
    /// With tools in `auto` mode: whether to begin a call, decided at each step.
    pub lazy_calls: Option<LazyCalls>,
    /// Counts this request in the engine's load while it lives.
    pub held: Option<Held>,
    /// When it was admitted, on the scheduler's clock of generations decoding together.
    pub started: Mark,
    /// The request's span, entered for what is logged about this generation.
    pub span: tracing::Span,
    /// Reads its prompt into the cache and ends there: nobody waits for an answer.
    pub prefill_only: bool,
    /// A prefill's signal that its prompt is read.
    pub on_read: Option<futures::channel::oneshot::Sender<()>>,
}

impl Generation {
    /// Sends text; false when the client has gone.
    pub fn send_text(&self, text: String) -> bool {
        text.is_empty() || self.events.send(Ok(ChatEvent::Text(text))).is_ok()
    }

    /// Tokens used so far, so an answer stopped early still knows what it used.
    pub fn send_progress(&self) {
        let _ = self.events.send(Ok(ChatEvent::Progress {
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.generated,
        }));
    }

    /// Flushes what the filter holds, turns captured calls into tool calls, and ends the stream.
    /// A character the last token left unfinished goes with `utf8`, unsent.
    pub fn finish(mut self, mut reason: StopReason) {
        let end = self.filter.finish();
        match end
            .tool_text
            .as_deref()
            .and_then(|text| parse_tool_calls(text, &self.declared_tools))
        {
            Some(calls) => {
                for call in calls {
                    let _ = self.events.send(Ok(ChatEvent::ToolCall(call)));
                }
                reason = StopReason::ToolCalls;
            }
            None => {
                // A call begun under the grammar but cut short (by max_tokens) is no text.
                let in_call = self.lazy_calls.as_ref().is_some_and(LazyCalls::calling);
                let captured = end.tool_text.as_deref().filter(|_| in_call).unwrap_or_default();
                let text = end.text.strip_suffix(captured).unwrap_or(&end.text);
                self.send_text(text.to_string());
            }
        }
        let _ = self.events.send(Ok(ChatEvent::Finished {
            reason,
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.generated,
        }));
    }

    pub fn fail(self, error: EngineError) {
        let _ = self.events.send(Err(error));
    }
}
