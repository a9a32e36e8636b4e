//! Conversation items: messages (user, assistant, system), function calls and their outputs.
//! Parsed from `conversation.item.create`, written in the client's protocol generation.

use serde_json::{Value, json};

use super::client::RealtimeError;
use super::{Dialect, new_id};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemRole {
    User,
    Assistant,
    System,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    InputText(String),
    /// Audio the user spoke: its transcript once recognised.
    InputAudio {
        transcript: Option<String>,
    },
    /// An assistant's text answer.
    Text(String),
    /// An assistant's spoken answer: the transcript of the audio sent, and its length.
    Audio {
        transcript: String,
        audio_ms: u64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    Message {
        role: ItemRole,
        content: Vec<Content>,
    },
    FunctionCall {
        call_id: String,
        name: String,
        arguments: String,
    },
    FunctionCallOutput {
        call_id: String,
        output: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    InProgress,
    Completed,
    Incomplete,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    pub kind: ItemKind,
    pub status: ItemStatus,
}

/// An item a client created, and the audio of its `input_audio` part (base64, in the session's
/// input format), which the session decodes and recognises.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedItem {
    pub item: Item,
    pub audio_base64: Option<String>,
}

impl Item {
    pub fn new(kind: ItemKind, status: ItemStatus) -> Self {
        Self {
            id: new_id("item"),
            kind,
            status,
        }
    }

    pub fn parse(value: &Value) -> Result<CreatedItem, RealtimeError> {
        let id = match value.get("id") {
            None | Some(Value::Null) => new_id("item"),
            Some(Value::String(id)) if !id.is_empty() && id.len() <= 64 => id.clone(),
            Some(_) => {
                return Err(RealtimeError::invalid_type(
                    "item.id",
                    "a string of at most 64 characters",
                ));
            }
        };
        let text = |key: &str| -> Result<String, RealtimeError> {
            value
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| RealtimeError::missing(&format!("item.{key}")))
        };
        let mut audio_base64 = None;
        let kind = match value.get("type").and_then(Value::as_str).unwrap_or("message") {
            "message" => {
                let role = parse_role(value.get("role"))?;
                let parts = value
                    .get("content")
                    .and_then(Value::as_array)
                    .ok_or_else(|| RealtimeError::missing("item.content"))?;
                let mut content = Vec::with_capacity(parts.len());
                for (i, part) in parts.iter().enumerate() {
                    let (parsed, audio) = parse_content(part, role, i)?;
                    if audio.is_some() {
                        audio_base64 = audio;
                    }
                    content.push(parsed);
                }
                ItemKind::Message { role, content }
            }
            "function_call" => ItemKind::FunctionCall {
                call_id: text("call_id")?,
                name: text("name")?,
                arguments: text("arguments")?,
            },
            "function_call_output" => ItemKind::FunctionCallOutput {
                call_id: text("call_id")?,
                output: text("output")?,
            },
            other => {
                return Err(RealtimeError::invalid_value(
                    other,
                    &["message", "function_call", "function_call_output"],
                    "item.type",
                ));
            }
        };
        Ok(CreatedItem {
            item: Item {
                id,
                kind,
                status: ItemStatus::Completed,
            },
            audio_base64,
        })
    }

    pub fn to_json(&self, dialect: Dialect) -> Value {
        let status = match self.status {
            ItemStatus::InProgress => "in_progress",
            ItemStatus::Completed => "completed",
            ItemStatus::Incomplete => "incomplete",
        };
        let mut value = match &self.kind {
            ItemKind::Message { role, content } => json!({
                "type": "message",
                "role": match role {
                    ItemRole::User => "user",
                    ItemRole::Assistant => "assistant",
                    ItemRole::System => "system",
                },
                "content": content.iter().map(|c| c.to_json(dialect)).collect::<Vec<_>>(),
            }),
            ItemKind::FunctionCall {
                call_id,
                name,
                arguments,
            } => json!({
                "type": "function_call", "call_id": call_id, "name": name, "arguments": arguments,
            }),
            ItemKind::FunctionCallOutput { call_id, output } => json!({
                "type": "function_call_output", "call_id": call_id, "output": output,
            }),
        };
        value["id"] = json!(self.id);
        value["object"] = json!("realtime.item");
        value["status"] = json!(status);
        value
    }

    /// The spoken answer's audio part, for truncation.
    pub fn audio_mut(&mut self) -> Option<(&mut String, &mut u64)> {
        match &mut self.kind {
            ItemKind::Message { content, .. } => content.iter_mut().find_map(|c| match c {
                Content::Audio { transcript, audio_ms } => Some((transcript, audio_ms)),
                _ => None,
            }),
            _ => None,
        }
    }
}

impl Content {
    pub fn to_json(&self, dialect: Dialect) -> Value {
        let ga = dialect == Dialect::Ga;
        match self {
            Self::InputText(text) => json!({"type": "input_text", "text": text}),
            Self::InputAudio { transcript } => json!({"type": "input_audio", "transcript": transcript}),
            Self::Text(text) => json!({"type": if ga { "output_text" } else { "text" }, "text": text}),
            Self::Audio { transcript, .. } => {
                json!({"type": if ga { "output_audio" } else { "audio" }, "transcript": transcript})
            }
        }
    }

    /// The part of `response.content_part.added/.done`: typed `audio` or `text` in GA as in beta
    /// (the SDKs' own types allow only those there; only an item's content says `output_*`).
    pub fn to_part_json(&self) -> Value {
        self.to_json(Dialect::Beta)
    }
}

fn parse_role(value: Option<&Value>) -> Result<ItemRole, RealtimeError> {
    match value.and_then(Value::as_str) {
        Some("user") => Ok(ItemRole::User),
        Some("assistant") => Ok(ItemRole::Assistant),
        Some("system") => Ok(ItemRole::System),
        Some(other) => Err(RealtimeError::invalid_value(
            other,
            &["user", "assistant", "system"],
            "item.role",
        )),
        None => Err(RealtimeError::missing("item.role")),
    }
}

fn parse_content(
    part: &Value,
    role: ItemRole,
    index: usize,
) -> Result<(Content, Option<String>), RealtimeError> {
    let at = format!("item.content[{index}]");
    let text = || -> Result<String, RealtimeError> {
        part.get("text")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| RealtimeError::missing(&format!("{at}.text")))
    };
    let kind = part.get("type").and_then(Value::as_str).unwrap_or_default();
    let content = match (role, kind) {
        (ItemRole::User | ItemRole::System, "input_text") => Content::InputText(text()?),
        (ItemRole::User, "input_audio") => {
            let transcript = part.get("transcript").and_then(Value::as_str).map(str::to_string);
            let audio = part.get("audio").and_then(Value::as_str).map(str::to_string);
            if audio.is_none() && transcript.is_none() {
                return Err(RealtimeError::missing(&format!("{at}.audio")));
            }
            return Ok((Content::InputAudio { transcript }, audio));
        }
        (ItemRole::Assistant, "output_text" | "text") => Content::Text(text()?),
        (ItemRole::Assistant, "output_audio" | "audio") => Content::Audio {
            transcript: part
                .get("transcript")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            audio_ms: 0,
        },
        (_, kind) => {
            let allowed: &[&str] = match role {
                ItemRole::User => &["input_text", "input_audio"],
                ItemRole::System => &["input_text"],
                ItemRole::Assistant => &["output_text", "output_audio"],
            };
            return Err(RealtimeError::invalid_value(kind, allowed, &format!("{at}.type")));
        }
    };
    Ok((content, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_and_audio_parse() {
        let created = Item::parse(&json!({"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "hi"}, {"type": "input_audio", "audio": "AAAA"}]}))
        .unwrap();
        assert_eq!(created.audio_base64.as_deref(), Some("AAAA"));
        assert!(created.item.id.starts_with("item_"));
        let ItemKind::Message { role, content } = created.item.kind else {
            panic!()
        };
        assert_eq!(role, ItemRole::User);
        assert_eq!(content[0], Content::InputText("hi".into()));
    }

    #[test]
    fn assistant_audio_is_named_per_generation() {
        let item = Item::new(
            ItemKind::Message {
                role: ItemRole::Assistant,
                content: vec![Content::Audio {
                    transcript: "Hello.".into(),
                    audio_ms: 900,
                }],
            },
            ItemStatus::Completed,
        );
        assert_eq!(item.to_json(Dialect::Ga)["content"][0]["type"], "output_audio");
        assert_eq!(item.to_json(Dialect::Beta)["content"][0]["type"], "audio");
        assert_eq!(item.to_json(Dialect::Ga)["object"], "realtime.item");
    }

    #[test]
    fn wrong_parts_are_named() {
        let err = Item::parse(&json!({"type": "message", "role": "assistant",
            "content": [{"type": "input_audio", "audio": "AA"}]}))
        .unwrap_err();
        assert_eq!(err.param.as_deref(), Some("item.content[0].type"));
        let err = Item::parse(&json!({"type": "function_call_output", "output": "x"})).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("item.call_id"));
    }
}
