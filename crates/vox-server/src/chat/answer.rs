//! The language model's events gathered into one answer (the non-streaming response).

use futures::StreamExt;
use futures::stream::BoxStream;
use vox_engine::EngineError;
use vox_engine::chat::{ChatEvent, StopReason, ToolCall};

#[derive(Debug, Default)]
pub struct Answer {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub reason: Option<StopReason>,
    pub prompt_tokens: u64,
    /// Of the prompt, the tokens the engine found already read.
    pub cached_tokens: u64,
    pub completion_tokens: u64,
}

impl Answer {
    /// Folds one event in.
    pub fn take(&mut self, event: ChatEvent) {
        match event {
            ChatEvent::Text(text) => self.text.push_str(&text),
            ChatEvent::Cached(tokens) => self.cached_tokens = tokens,
            ChatEvent::Progress { .. } => {}
            ChatEvent::ToolCall(call) => self.tool_calls.push(call),
            ChatEvent::Finished {
                reason,
                prompt_tokens,
                completion_tokens,
            } => {
                self.reason = Some(reason);
                self.prompt_tokens = prompt_tokens;
                self.completion_tokens = completion_tokens;
            }
        }
    }
}

pub async fn collect(
    mut events: BoxStream<'static, Result<ChatEvent, EngineError>>,
) -> Result<Answer, EngineError> {
    let mut answer = Answer::default();
    while let Some(event) = events.next().await {
        answer.take(event?);
    }
    if answer.reason.is_none() {
        return Err(EngineError::Internal(
            "the language model stopped without finishing".into(),
        ));
    }
    Ok(answer)
}
