//! Engine results in OpenAI's shapes: finish reasons, tool calls, usage, ids.

use vox_engine::chat::{StopReason, ToolCall};
use vox_protocol::chat::request::{FunctionCall, ToolCall as WireToolCall, ToolType};
use vox_protocol::chat::response::{FinishReason, Usage};

/// Reported as `system_fingerprint`: which build answered.
pub const SYSTEM_FINGERPRINT: &str = concat!("fp_vox_", env!("CARGO_PKG_VERSION"));

/// Audio in usage: one token per 100 ms heard and one per 50 ms spoken (the README's rule;
/// it is close to what OpenAI bills for gpt-4o audio).
pub const INPUT_AUDIO_TOKENS_PER_SEC: f64 = 10.0;
pub const OUTPUT_AUDIO_TOKENS_PER_SEC: f64 = 20.0;

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
/// template and recognised speech included); audio tokens follow the rule above.
pub fn usage(
    prompt_tokens: u64,
    completion_tokens: u64,
    input_audio_secs: f64,
    output_audio_secs: f64,
) -> Usage {
    let prompt_audio = (input_audio_secs * INPUT_AUDIO_TOKENS_PER_SEC).ceil() as u64;
    let completion_audio = (output_audio_secs * OUTPUT_AUDIO_TOKENS_PER_SEC).ceil() as u64;
    Usage::from_counts(prompt_tokens, prompt_audio, completion_tokens, completion_audio)
}
