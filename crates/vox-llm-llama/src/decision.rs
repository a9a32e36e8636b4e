//! Call or speak, decided greedily. With tools in `auto` mode, each step first asks whether the
//! model's single most likely token opens a tool call: if so, the call is begun and the rest of it
//! is decoded greedily under the tools' grammar; if not, the step samples at the request's
//! temperature with the opening token barred. So sampling never turns a text answer into a call
//! (or a call into a malformed one), and a call the model means is always well formed.

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;

use crate::output::TOOL_CALL_OPEN;

/// The token a call begins with and the text it stands for (all of `<tool_call>` where the
/// vocabulary has it as one token, its first piece otherwise).
#[derive(Debug, Clone)]
pub struct CallTrigger {
    pub token: LlamaToken,
    pub text: String,
}

impl CallTrigger {
    pub fn of(model: &LlamaModel) -> Option<Self> {
        let vocab = model.vocab();
        let token = *vocab.tokenize(TOOL_CALL_OPEN.as_bytes(), false, true).first()?;
        let text = String::from_utf8(vocab.token_to_piece(token, true, None)).ok()?;
        (!text.is_empty() && TOOL_CALL_OPEN.starts_with(&text)).then_some(Self { token, text })
    }
}

/// A free answer that may turn into calls.
pub struct LazyCalls {
    trigger: LlamaToken,
    /// Grammar-constrained, greedy: takes over once a call begins.
    call_sampler: Option<LlamaSampler>,
}

impl LazyCalls {
    pub fn new(trigger: &CallTrigger, call_sampler: LlamaSampler) -> Self {
        Self {
            trigger: trigger.token,
            call_sampler: Some(call_sampler),
        }
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

fn most_likely(logits: &[f32]) -> Option<LlamaToken> {
    logits
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| LlamaToken::new(i as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_likely_token_is_the_highest_logit() {
        assert_eq!(most_likely(&[0.1, 3.0, -2.0, 2.9]), Some(LlamaToken::new(1)));
        assert_eq!(most_likely(&[]), None);
    }
}
