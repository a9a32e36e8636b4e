//! `chat.completion` responses and the usage block shared with stream chunks.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::request::ToolCall;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChatCompletion {
    /// `chatcmpl-...`
    pub id: String,
    /// Always `chat.completion`.
    pub object: String,
    pub created: u64,
    pub model: String,
    pub choices: Vec<Choice>,
    pub usage: Usage,
    pub system_fingerprint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Choice {
    pub index: u32,
    pub message: ResponseMessage,
    pub finish_reason: FinishReason,
    /// Always `null`: log-probabilities are not offered.
    #[schema(value_type = Option<Object>)]
    pub logprobs: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    Stop,
    Length,
    ToolCalls,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ResponseMessage {
    /// Always `assistant`.
    pub role: String,
    /// `null` when the answer is spoken: the text is then `audio.transcript`.
    pub content: Option<String>,
    pub refusal: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub annotations: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<ResponseAudio>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
}

/// `message.audio`: the spoken answer, referable in later turns by `id` until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResponseAudio {
    /// `audio_<32 hex>`
    pub id: String,
    /// Base64 of a complete file in the requested format.
    pub data: String,
    /// Unix seconds.
    pub expires_at: u64,
    pub transcript: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    pub prompt_tokens_details: PromptTokensDetails,
    pub completion_tokens_details: CompletionTokensDetails,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PromptTokensDetails {
    pub audio_tokens: u64,
    pub cached_tokens: u64,
    pub text_tokens: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CompletionTokensDetails {
    pub audio_tokens: u64,
    pub reasoning_tokens: u64,
    pub text_tokens: u64,
    pub accepted_prediction_tokens: u64,
    pub rejected_prediction_tokens: u64,
}

impl Usage {
    /// Of the prompt's text tokens, `cached` were found already read (an earlier request that
    /// started the same way): OpenAI's `prompt_tokens_details.cached_tokens`.
    pub fn with_cached(mut self, cached: u64) -> Self {
        self.prompt_tokens_details.cached_tokens = cached.min(self.prompt_tokens_details.text_tokens);
        self
    }

    /// Builds the totals from the per-kind counts so they can never disagree.
    pub fn from_counts(
        prompt_text: u64,
        prompt_audio: u64,
        completion_text: u64,
        completion_audio: u64,
    ) -> Self {
        let prompt_tokens = prompt_text + prompt_audio;
        let completion_tokens = completion_text + completion_audio;
        Self {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
            prompt_tokens_details: PromptTokensDetails {
                audio_tokens: prompt_audio,
                cached_tokens: 0,
                text_tokens: prompt_text,
            },
            completion_tokens_details: CompletionTokensDetails {
                audio_tokens: completion_audio,
                text_tokens: completion_text,
                ..Default::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spoken_message_serialises_content_as_null() {
        let message = ResponseMessage {
            role: "assistant".into(),
            content: None,
            refusal: None,
            annotations: vec![],
            audio: Some(ResponseAudio {
                id: "audio_0".into(),
                data: "AAAA".into(),
                expires_at: 10,
                transcript: "hi".into(),
            }),
            tool_calls: None,
        };
        let json = serde_json::to_value(&message).unwrap();
        assert!(json["content"].is_null());
        assert!(json.as_object().unwrap().contains_key("content"));
        assert!(json["refusal"].is_null());
        assert_eq!(json["audio"]["transcript"], "hi");
        assert!(!json.as_object().unwrap().contains_key("tool_calls"));
    }

    #[test]
    fn usage_totals_add_up() {
        let usage = Usage::from_counts(10, 20, 5, 40);
        assert_eq!(usage.prompt_tokens, 30);
        assert_eq!(usage.completion_tokens, 45);
        assert_eq!(usage.total_tokens, 75);
        assert_eq!(usage.completion_tokens_details.audio_tokens, 40);
        // Cached tokens are text tokens, never more than were read.
        assert_eq!(
            usage.clone().with_cached(7).prompt_tokens_details.cached_tokens,
            7
        );
        assert_eq!(usage.with_cached(99).prompt_tokens_details.cached_tokens, 10);
    }
}
