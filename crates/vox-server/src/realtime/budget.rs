//! What one realtime session may hold, so that no caller grows the server's memory without
//! bound or parks text the language model could never read:
//! - each text (the instructions, the tool schemas, one item's text) is capped by the model's
//!   context: [`CHARS_PER_TOKEN`] characters per token of it;
//! - the conversation's text and the uncommitted input audio together stay within
//!   [`SESSION_BYTES`].
//!
//! Either is refused with an error event and changes nothing; the session goes on.

use vox_protocol::realtime::{Content, Item, ItemKind, RealtimeError, SessionConfig};

/// Characters per token the caps assume. English averages about four, so a text this long
/// fills the whole context and leaves no room for an answer.
pub const CHARS_PER_TOKEN: usize = 4;
/// The context assumed when the engine does not say (a remote one).
const UNKNOWN_CONTEXT_TOKENS: usize = 128 * 1024;
/// The memory one session may hold in conversation text and uncommitted input audio (32 MiB:
/// about 5.8 minutes of 24 kHz audio, 17 minutes of G.711, as samples).
pub const SESSION_BYTES: usize = 32 * 1024 * 1024;
/// Input audio is held as 32-bit samples.
const BYTES_PER_SAMPLE: usize = 4;

#[derive(Debug, Clone, Copy)]
pub struct Budget {
    context_tokens: usize,
}

impl Budget {
    pub fn for_context(tokens: Option<usize>) -> Self {
        Self {
            context_tokens: tokens.unwrap_or(UNKNOWN_CONTEXT_TOKENS),
        }
    }

    fn text_chars(&self) -> usize {
        self.context_tokens.saturating_mul(CHARS_PER_TOKEN)
    }

    /// The instructions and tool schemas a session (`at` = "session") or a response sets.
    pub fn check_prompt(&self, config: &SessionConfig, at: &str) -> Result<(), RealtimeError> {
        self.check_text(config.instructions.chars().count(), &format!("{at}.instructions"))?;
        let tools: usize = config.tools.iter().map(|t| t.to_string().chars().count()).sum();
        self.check_text(tools, &format!("{at}.tools"))
    }

    /// Every text of an item a client creates.
    pub fn check_item(&self, item: &Item) -> Result<(), RealtimeError> {
        for (text, param) in texts(item) {
            self.check_text(text.chars().count(), param)?;
        }
        Ok(())
    }

    fn check_text(&self, chars: usize, param: &str) -> Result<(), RealtimeError> {
        let limit = self.text_chars();
        if chars <= limit {
            return Ok(());
        }
        Err(RealtimeError::invalid(
            format!(
                "Invalid '{param}': {chars} characters is more than this model's context can hold \
                 ({} tokens, at most {limit} characters).",
                self.context_tokens
            ),
            param,
            "string_above_max_length",
        ))
    }
}

/// What the session holds now: its items' text and its uncommitted samples.
pub fn held_bytes(items: &[Item], buffered_samples: usize) -> usize {
    let text: usize = items.iter().flat_map(texts).map(|(text, _)| text.len()).sum();
    text + buffered_samples * BYTES_PER_SAMPLE
}

/// The memory `samples` more input samples take.
pub fn samples_bytes(samples: usize) -> usize {
    samples * BYTES_PER_SAMPLE
}

/// Refuses what would take the session over [`SESSION_BYTES`].
pub fn check_room(held: usize, adding: usize) -> Result<(), RealtimeError> {
    if held.saturating_add(adding) <= SESSION_BYTES {
        return Ok(());
    }
    Err(RealtimeError::invalid(
        format!(
            "The session may hold at most {} MiB of conversation text and uncommitted input audio: \
             delete items, commit or clear the input buffer, or start a new session.",
            SESSION_BYTES / (1024 * 1024)
        ),
        "",
        "session_too_large",
    ))
}

fn texts(item: &Item) -> Vec<(&str, &'static str)> {
    match &item.kind {
        ItemKind::Message { content, .. } => content
            .iter()
            .filter_map(|part| match part {
                Content::InputText(text) | Content::Text(text) => Some((text.as_str(), "item.content.text")),
                Content::InputAudio { transcript } => {
                    transcript.as_deref().map(|t| (t, "item.content.transcript"))
                }
                Content::Audio { transcript, .. } => Some((transcript.as_str(), "item.content.transcript")),
            })
            .collect(),
        ItemKind::FunctionCall { arguments, name, .. } => {
            vec![
                (arguments.as_str(), "item.arguments"),
                (name.as_str(), "item.name"),
            ]
        }
        ItemKind::FunctionCallOutput { output, .. } => vec![(output.as_str(), "item.output")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vox_protocol::realtime::{ItemRole, ItemStatus};

    fn said(text: &str) -> Item {
        let content = vec![Content::InputText(text.into())];
        Item::new(
            ItemKind::Message {
                role: ItemRole::User,
                content,
            },
            ItemStatus::Completed,
        )
    }

    #[test]
    fn a_text_longer_than_the_context_can_hold_is_refused_by_name() {
        let budget = Budget::for_context(Some(100));
        assert!(budget.check_item(&said(&"a".repeat(400))).is_ok());
        let err = budget.check_item(&said(&"a".repeat(401))).unwrap_err();
        assert_eq!(err.code.as_deref(), Some("string_above_max_length"));
        assert_eq!(err.param.as_deref(), Some("item.content.text"));
        let mut config = SessionConfig::new("s".into(), "m".into(), 0);
        config.instructions = "b".repeat(401);
        let err = budget.check_prompt(&config, "session").unwrap_err();
        assert_eq!(err.param.as_deref(), Some("session.instructions"));
    }

    #[test]
    fn text_and_audio_share_one_allowance() {
        let items = vec![said(&"a".repeat(1000))];
        let held = held_bytes(&items, 250);
        assert_eq!(held, 2000);
        assert!(check_room(held, SESSION_BYTES - held).is_ok());
        let err = check_room(held, SESSION_BYTES - held + 1).unwrap_err();
        assert_eq!(err.code.as_deref(), Some("session_too_large"));
    }
}
