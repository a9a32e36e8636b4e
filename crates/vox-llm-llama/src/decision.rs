//! Call or speak, decided greedily. With tools in `auto` mode:
//! - the start of the answer is decoded greedily until it shows what it is (`opening.rs`): a call
//!   of a declared tool in any form (bare JSON, a code block) is started again as a
//!   `<tool_call>` under the tools' grammar; a call of an undeclared function is started again
//!   as words, with every call opening barred; words go on, sampled at the request's temperature;
//! - at every later step, a call begins when the single most likely token is `<tool_call>`;
//!   sampling never draws that token itself;
//! - a call is decoded greedily under the grammar of the declared tools.
//!
//! So sampling never turns a text answer into a call (or a call into a malformed one), and a
//! call the model means is always well formed.
//!
//! A call that only repeats one already answered (same tool, same arguments, since the caller's
//! message before the last: its result is in the prompt) cannot tell the model anything new;
//! small models loop on such calls. The answer is then decoded again as words, calls barred.

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use serde_json::Value;
use vox_engine::chat::{ChatJob, ChatRole};

use crate::output::TOOL_CALL_OPEN;
use crate::tool_calls::parse_tool_calls;

/// The token a call begins with and the text it stands for (all of `<tool_call>` where the
/// vocabulary has it as one token, its first piece otherwise).
#[derive(Debug, Clone)]
pub struct CallTrigger {
    pub token: LlamaToken,
    pub text: String,
    /// The trigger and every token that starts a call in another form (`{`, a code fence):
    /// barred when an answer must be words.
    pub openings: Vec<LlamaToken>,
}

impl CallTrigger {
    pub fn of(model: &LlamaModel) -> Option<Self> {
        let vocab = model.vocab();
        let token = *vocab.tokenize(TOOL_CALL_OPEN.as_bytes(), false, true).first()?;
        let text = String::from_utf8(vocab.token_to_piece(token, true, None)).ok()?;
        if text.is_empty() || !TOOL_CALL_OPEN.starts_with(&text) {
            return None;
        }
        let mut openings = vec![token];
        for id in 0..vocab.n_tokens() {
            let candidate = LlamaToken::new(id);
            let piece = vocab.token_to_piece(candidate, false, None);
            let piece = String::from_utf8_lossy(&piece);
            let piece = piece.trim_start();
            if piece.starts_with('{') || piece.starts_with("``") {
                openings.push(candidate);
            }
        }
        Some(Self {
            token,
            text,
            openings,
        })
    }
}

/// A free answer that may turn into calls.
pub struct LazyCalls {
    trigger: LlamaToken,
    /// Grammar-constrained, greedy: takes over once a call begins.
    call_sampler: Option<LlamaSampler>,
    /// Calls already made since the caller's message before the last: (name, arguments).
    answered: Vec<(String, Value)>,
    /// The start of the answer does not yet show whether it is words or a call.
    deciding: bool,
}

impl LazyCalls {
    pub fn new(trigger: &CallTrigger, call_sampler: LlamaSampler, job: &ChatJob) -> Self {
        Self {
            trigger: trigger.token,
            call_sampler: Some(call_sampler),
            answered: answered_calls(job),
            deciding: true,
        }
    }

    /// The answer's start is still read greedily (see `opening.rs`).
    pub fn deciding(&self) -> bool {
        self.deciding && !self.calling()
    }

    pub fn words_decided(&mut self) {
        self.deciding = false;
    }

    /// The grammar's sampler, for a call started again as `<tool_call>`.
    pub fn start_call(&mut self) -> Option<LlamaSampler> {
        self.deciding = false;
        self.call_sampler.take()
    }

    /// Whether a call has begun.
    pub fn calling(&self) -> bool {
        self.call_sampler.is_none()
    }

    /// True when every call in `captured` was already made, with the same arguments, since the
    /// caller last spoke.
    pub fn only_repeats(&self, captured: &str, declared: &[String]) -> bool {
        let Some(calls) = parse_tool_calls(captured, declared) else {
            return false;
        };
        calls.iter().all(|call| {
            let arguments: Value = serde_json::from_str(&call.arguments).unwrap_or(Value::Null);
            self.answered
                .iter()
                .any(|(name, made)| *name == call.name && *made == arguments)
        })
    }

    /// Begins a call when the most likely next token opens one: returns that token and the
    /// sampler to decode the rest of the call with. `None` means: sample the words as usual.
    pub fn begin_call(&mut self, context: &LlamaContext, index: i32) -> Option<(LlamaToken, LlamaSampler)> {
        self.call_sampler.as_ref()?;
        if most_likely(context.get_logits_ith(index)) != Some(self.trigger) {
            return None;
        }
        Some((self.trigger, self.call_sampler.take()?))
    }
}

/// The calls since the caller's message before the last: their results answer this message and
/// a follow-up to them ("is that cold?").
fn answered_calls(job: &ChatJob) -> Vec<(String, Value)> {
    let mut users = job
        .turns
        .iter()
        .enumerate()
        .filter(|(_, t)| t.role == ChatRole::User)
        .rev();
    let since = users.nth(1).map_or(0, |(at, _)| at + 1);
    job.turns[since..]
        .iter()
        .flat_map(|turn| &turn.tool_calls)
        .map(|call| {
            let arguments = serde_json::from_str(&call.arguments).unwrap_or(Value::Null);
            (call.name.clone(), arguments)
        })
        .collect()
}

pub fn most_likely(logits: &[f32]) -> Option<LlamaToken> {
    logits
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| LlamaToken::new(i as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    use vox_engine::chat::{ChatTurn, SamplingParams, ToolCall, ToolPolicy};

    fn turn(role: ChatRole, calls: &[(&str, &str)]) -> ChatTurn {
        ChatTurn {
            role,
            text: String::new(),
            tool_calls: calls
                .iter()
                .map(|(name, arguments)| ToolCall {
                    id: "call_1".into(),
                    name: (*name).into(),
                    arguments: (*arguments).into(),
                })
                .collect(),
            tool_call_id: None,
        }
    }

    #[test]
    fn calls_since_the_callers_message_before_the_last_count_as_answered() {
        let job = ChatJob {
            turns: vec![
                turn(ChatRole::User, &[]),
                turn(ChatRole::Assistant, &[("get_weather", r#"{"city":"Rome"}"#)]),
                turn(ChatRole::Tool, &[]),
                turn(ChatRole::User, &[]),
                turn(ChatRole::Assistant, &[("get_weather", r#"{"city": "Paris"}"#)]),
                turn(ChatRole::Tool, &[]),
                turn(ChatRole::User, &[]),
            ],
            sampling: SamplingParams::default(),
            tools: vec![],
            tool_policy: ToolPolicy::Auto,
        };
        let answered = answered_calls(&job);
        assert_eq!(
            answered,
            [("get_weather".to_string(), serde_json::json!({"city": "Paris"}))]
        );
    }

    #[test]
    fn the_most_likely_token_is_the_highest_logit() {
        assert_eq!(most_likely(&[0.1, 3.0, -2.0, 2.9]), Some(LlamaToken::new(1)));
        assert_eq!(most_likely(&[]), None);
    }
}
