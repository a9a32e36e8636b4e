//! Language model.

use std::any::Any;
use std::sync::Arc;

use futures::channel::oneshot;
use futures::stream::BoxStream;

use crate::EngineError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatRole {
    System,
    User,
    Assistant,
    Tool,
}

/// One turn, already reduced to text: recognised speech and stored transcripts have taken the
/// place of audio.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatTurn {
    pub role: ChatRole,
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub tool_call_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// JSON text.
    pub arguments: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: Option<String>,
    /// JSON Schema text of the arguments.
    pub parameters_json: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ToolPolicy {
    Auto,
    None,
    Required,
    Named(String),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SamplingParams {
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub seed: Option<i64>,
    pub stop: Vec<String>,
    pub max_tokens: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatJob {
    pub turns: Vec<ChatTurn>,
    pub sampling: SamplingParams,
    pub tools: Vec<ToolSpec>,
    pub tool_policy: ToolPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    Stop,
    Length,
    ToolCalls,
}

/// What a generation emits, in order: text pieces (whole UTF-8), then tool calls, then `Finished`.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatEvent {
    /// Prompt tokens the engine found already read (a prefilled opening, earlier turns), sent
    /// before the first text by engines that can tell: OpenAI's `cached_tokens`.
    Cached(u64),
    Text(String),
    /// Tokens used so far, from engines that can tell while they write: an answer stopped
    /// early (cancelled, barged in on) still reports what it used.
    Progress {
        prompt_tokens: u64,
        completion_tokens: u64,
    },
    ToolCall(ToolCall),
    Finished {
        reason: StopReason,
        prompt_tokens: u64,
        completion_tokens: u64,
    },
}

pub trait ChatModel: crate::EngineStatus {
    /// Starts a generation; dropping the stream cancels it and frees its slot.
    fn generate(&self, job: ChatJob) -> BoxStream<'static, Result<ChatEvent, EngineError>>;

    /// Tokens one generation may use, prompt and answer together, when the engine knows it:
    /// realtime sessions cap their texts by it.
    fn context_tokens(&self) -> Option<usize> {
        None
    }

    /// Starts reading the opening of a conversation (instructions, tools, earlier turns) before
    /// its next turn arrives, so that turn's answer starts without reading it: a voice agent's
    /// instructions and tool schemas take seconds to read on a CPU. The engine keeps the opening
    /// ready while the returned handle lives. Work on it yields to answers, and an engine with
    /// no cache to fill (or no room) returns a handle that holds nothing.
    fn prefill(&self, opening: ChatJob) -> Prefilled {
        let _ = opening;
        Prefilled::nothing()
    }
}

/// Held by a conversation whose opening an engine is keeping ready (see [`ChatModel::prefill`]);
/// dropping it lets the engine reuse that room for others.
pub struct Prefilled {
    kept: Option<Arc<dyn Any + Send + Sync>>,
    read: Option<oneshot::Receiver<()>>,
}

impl Prefilled {
    pub fn nothing() -> Self {
        Self {
            kept: None,
            read: None,
        }
    }

    /// A handle keeping `kept` alive (the engine watches it through a weak reference to know
    /// whether the conversation is still there); `read` fires once the opening is read.
    pub fn keeping(kept: Arc<dyn Any + Send + Sync>, read: oneshot::Receiver<()>) -> Self {
        Self {
            kept: Some(kept),
            read: Some(read),
        }
    }

    pub fn holds_anything(&self) -> bool {
        self.kept.is_some()
    }

    /// Waits until the engine has read the opening: false if it never will (no room, an
    /// answer took its slot over first, or the engine keeps nothing).
    pub async fn read(&mut self) -> bool {
        match self.read.take() {
            Some(read) => read.await.is_ok(),
            None => false,
        }
    }
}

impl std::fmt::Debug for Prefilled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prefilled")
            .field("holds_anything", &self.holds_anything())
            .finish()
    }
}
