//! Engine results in OpenAI's shapes: finish reasons, tool calls, usage, ids.

use vox_engine::chat::{StopReason, ToolCall};
use vox_protocol::chat::request::{FunctionCall, ToolCall as WireToolCall, ToolType};
use vox_protocol::chat::response::{
    ChatCompletion, Choice, FinishReason, ResponseAudio, ResponseMessage, Usage,
};

use crate::usage_rules;

/// Reported as `system_fingerprint`: which build answered.
pub const SYSTEM_FINGERPRINT: &str = concat!("fp_vox_", env!("CARGO_PKG_VERSION"));

pub fn completion_id() -> String {
    format!("chatcmpl-{}", uuid::Uuid::new_v4().simple())
}

pub fn finish_reason(reason: StopReason) -> FinishReason {
    match reason {
        StopReason::Stop => FinishReason::Stop,
        StopReason::Length => FinishReason::Length,
        StopReason::ToolCalls => FinishReason::ToolCalls,
    }
}

pub fn tool_call(call: &ToolCall) -> WireToolCall {
    WireToolCall {
        id: call.id.clone(),
        kind: ToolType::Function,
        function: FunctionCall {
            name: call.name.clone(),
            arguments: call.arguments.clone(),
        },
    }
}

/// Token counts by kind: text tokens are what the language model read and wrote (its chat
/// template and recognised speech included); audio tokens follow [`usage_rules`].
pub fn usage(
    prompt_tokens: u64,
    completion_tokens: u64,
    input_audio_secs: f64,
    output_audio_secs: f64,
) -> Usage {
    let prompt_audio = usage_rules::input_audio_tokens(input_audio_secs);
    let completion_audio = usage_rules::output_audio_tokens(output_audio_secs);
    Usage::from_counts(prompt_tokens, prompt_audio, completion_tokens, completion_audio)
}

/// A `chat.completion` with its one choice.
pub fn completion(
    reply: super::Reply,
    message: ResponseMessage,
    reason: StopReason,
    usage: Usage,
) -> ChatCompletion {
    ChatCompletion {
        id: reply.id,
        object: "chat.completion".into(),
        created: reply.created,
        model: reply.model,
        choices: vec![Choice {
            index: 0,
            message,
            finish_reason: finish_reason(reason),
            logprobs: None,
        }],
        usage,
        system_fingerprint: Some(SYSTEM_FINGERPRINT.into()),
    }
}

/// The assistant's message; OpenAI writes `tool_calls` only when there are some.
pub fn assistant_message(
    content: Option<String>,
    audio: Option<ResponseAudio>,
    tool_calls: Vec<WireToolCall>,
) -> ResponseMessage {
    ResponseMessage {
        role: "assistant".into(),
        content,
        refusal: None,
        annotations: vec![],
        audio,
        tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
    }
}
