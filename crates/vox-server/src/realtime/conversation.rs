//! The conversation as the language model reads it: the session's instructions, then every item
//! reduced to text (spoken turns by their transcripts, function calls and their outputs).

use serde_json::Value;
use vox_engine::chat::{ChatJob, ChatRole, ChatTurn, SamplingParams, ToolCall, ToolPolicy, ToolSpec};
use vox_protocol::realtime::{Content, Item, ItemKind, ItemRole, Modality, SessionConfig};

/// The conversation's items in order.
#[derive(Debug, Default)]
pub struct Items {
    list: Vec<Item>,
}

impl Items {
    /// Appends `item`; returns the id of the item before it.
    pub fn push(&mut self, item: Item) -> Option<String> {
        let previous = self.list.last().map(|i| i.id.clone());
        self.list.push(item);
        previous
    }

    /// Inserts `item` after `previous` (`None`: at the end; `"root"`: at the start).
    pub fn insert_after(&mut self, previous: Option<&str>, item: Item) -> Result<Option<String>, String> {
        let at = match previous {
            None => return Ok(self.push(item)),
            Some("root") => 0,
            Some(id) => self.position(id).ok_or_else(|| id.to_string())? + 1,
        };
        self.list.insert(at, item);
        Ok(at.checked_sub(1).map(|i| self.list[i].id.clone()))
    }

    /// Puts `item` in the place of the item with its id (gone: nothing); returns the id of
    /// the item before it.
    pub fn replace(&mut self, item: Item) -> Option<String> {
        let at = self.position(&item.id)?;
        self.list[at] = item;
        at.checked_sub(1).map(|i| self.list[i].id.clone())
    }

    pub fn remove(&mut self, id: &str) -> bool {
        let Some(at) = self.position(id) else { return false };
        self.list.remove(at);
        true
    }

    pub fn get(&self, id: &str) -> Option<&Item> {
        self.list.iter().find(|i| i.id == id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Item> {
        self.list.iter_mut().find(|i| i.id == id)
    }

    pub fn all(&self) -> &[Item] {
        &self.list
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.list.iter().position(|i| i.id == id)
    }
}

/// OpenAI's realtime default temperature.
const DEFAULT_TEMPERATURE: f64 = 0.8;

/// The job answering `items` under `config`, told it speaks when the answer is spoken (the
/// spoken style joins the instructions, so a prefill of the opening must carry it too). Kept in
/// one system turn: with the style in a turn of its own before Qwen's tool list and the
/// instructions after it, every session of an agent would share style and tools in the cache,
/// but the agent test's model stopped calling its weather tool.
pub fn answer_job(config: &SessionConfig, items: &[Item], spoken_style: Option<&str>) -> ChatJob {
    let mut job = chat_job(config, items);
    if config.modality == Modality::Audio
        && let Some(style) = spoken_style
    {
        vox_pipeline::tell_it_is_speaking(&mut job.turns, style);
    }
    job
}

pub fn chat_job(config: &SessionConfig, items: &[Item]) -> ChatJob {
    let mut turns = vec![turn(ChatRole::System, config.instructions.clone())];
    turns.extend(items.iter().filter_map(item_turn));
    ChatJob {
        turns,
        sampling: SamplingParams {
            temperature: Some(config.temperature.unwrap_or(DEFAULT_TEMPERATURE)),
            top_p: None,
            seed: None,
            stop: Vec::new(),
            max_tokens: config.max_output_tokens,
        },
        tools: config.tools.iter().filter_map(tool).collect(),
        tool_policy: tool_policy(&config.tool_choice),
    }
}

fn turn(role: ChatRole, text: String) -> ChatTurn {
    ChatTurn {
        role,
        text,
        tool_calls: Vec::new(),
        tool_call_id: None,
    }
}

fn item_turn(item: &Item) -> Option<ChatTurn> {
    match &item.kind {
        ItemKind::Message { role, content } => {
            let text: Vec<&str> = content.iter().filter_map(content_text).collect();
            let text = text.join("\n");
            if text.trim().is_empty() {
                return None;
            }
            let role = match role {
                ItemRole::User => ChatRole::User,
                ItemRole::Assistant => ChatRole::Assistant,
                ItemRole::System => ChatRole::System,
            };
            Some(turn(role, text))
        }
        ItemKind::FunctionCall {
            call_id,
            name,
            arguments,
        } => Some(ChatTurn {
            tool_calls: vec![ToolCall {
                id: call_id.clone(),
                name: name.clone(),
                arguments: arguments.clone(),
            }],
            ..turn(ChatRole::Assistant, String::new())
        }),
        ItemKind::FunctionCallOutput { call_id, output } => Some(ChatTurn {
            tool_call_id: Some(call_id.clone()),
            ..turn(ChatRole::Tool, output.clone())
        }),
    }
}

fn content_text(content: &Content) -> Option<&str> {
    match content {
        Content::InputText(text) | Content::Text(text) => Some(text),
        Content::InputAudio { transcript } => transcript.as_deref(),
        Content::Audio { transcript, .. } => Some(transcript),
    }
}

fn tool(value: &Value) -> Option<ToolSpec> {
    // GA and beta tools are flat: {type: "function", name, description, parameters}.
    Some(ToolSpec {
        name: value.get("name")?.as_str()?.to_string(),
        description: value
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        parameters_json: value.get("parameters").map(Value::to_string),
    })
}

fn tool_policy(choice: &Value) -> ToolPolicy {
    match choice {
        Value::String(mode) if mode == "none" => ToolPolicy::None,
        Value::String(mode) if mode == "required" => ToolPolicy::Required,
        Value::Object(named) => match named.get("name").and_then(Value::as_str) {
            Some(name) => ToolPolicy::Named(name.to_string()),
            None => ToolPolicy::Auto,
        },
        _ => ToolPolicy::Auto,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use vox_protocol::realtime::ItemStatus;

    fn message(role: ItemRole, content: Vec<Content>) -> Item {
        Item::new(ItemKind::Message { role, content }, ItemStatus::Completed)
    }

    #[test]
    fn spoken_turns_are_read_by_their_transcripts() {
        let mut config = SessionConfig::new("s".into(), "m".into(), 0);
        config.instructions = "Be brief.".into();
        config.tools =
            vec![json!({"type": "function", "name": "get_weather", "parameters": {"type": "object"}})];
        config.tool_choice = json!({"type": "function", "name": "get_weather"});
        let items = vec![
            message(
                ItemRole::User,
                vec![Content::InputAudio {
                    transcript: Some("Hello there.".into()),
                }],
            ),
            message(
                ItemRole::Assistant,
                vec![Content::Audio {
                    transcript: "Hi!".into(),
                    audio_ms: 500,
                }],
            ),
            message(ItemRole::User, vec![Content::InputAudio { transcript: None }]),
            Item::new(
                ItemKind::FunctionCallOutput {
                    call_id: "c1".into(),
                    output: "{\"t\":20}".into(),
                },
                ItemStatus::Completed,
            ),
        ];
        let job = chat_job(&config, &items);
        let texts: Vec<(&ChatRole, &str)> = job.turns.iter().map(|t| (&t.role, t.text.as_str())).collect();
        assert_eq!(
            texts,
            vec![
                (&ChatRole::System, "Be brief."),
                (&ChatRole::User, "Hello there."),
                (&ChatRole::Assistant, "Hi!"),
                (&ChatRole::Tool, "{\"t\":20}"),
            ]
        );
        assert_eq!(job.tools[0].name, "get_weather");
        assert_eq!(job.tool_policy, ToolPolicy::Named("get_weather".into()));
        assert_eq!(job.sampling.temperature, Some(0.8));
    }
}
