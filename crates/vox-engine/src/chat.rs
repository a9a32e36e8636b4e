//! Language model.

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
}
