//! What a `response.create` asks beyond the session's settings: whether the answer joins the
//! conversation (`conversation: "none"` keeps it out), the context it answers (`input`: items,
//! or references to the conversation's), and `metadata` echoed on its events.

use serde_json::{Map, Value};

use super::client::RealtimeError;
use super::item::Item;

/// OpenAI's metadata limits: 16 pairs, keys up to 64 characters, values up to 512.
const MAX_METADATA_PAIRS: usize = 16;
const MAX_METADATA_KEY: usize = 64;
const MAX_METADATA_VALUE: usize = 512;
/// Items one response's `input` may list.
const MAX_INPUT_ITEMS: usize = 100;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResponseRequest {
    /// `conversation: "none"`: the answer's items stay out of the conversation.
    pub out_of_band: bool,
    /// The context to answer instead of the conversation.
    pub input: Option<Vec<InputItem>>,
    pub metadata: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InputItem {
    Item(Item),
    /// `{type: "item_reference", id}`: an item of the conversation.
    Reference(String),
}

impl ResponseRequest {
    /// Reads `response` (the event's object, or nothing).
    pub fn parse(response: Option<&Value>) -> Result<Self, RealtimeError> {
        let Some(response) = response else {
            return Ok(Self::default());
        };
        let out_of_band = match response.get("conversation") {
            None | Some(Value::Null) => false,
            Some(Value::String(c)) if c == "auto" => false,
            Some(Value::String(c)) if c == "none" => true,
            Some(other) => {
                let given = other.as_str().unwrap_or_default();
                return Err(RealtimeError::invalid_value(
                    given,
                    &["auto", "none"],
                    "response.conversation",
                ));
            }
        };
        Ok(Self {
            out_of_band,
            input: parse_input(response.get("input"))?,
            metadata: parse_metadata(response.get("metadata"))?,
        })
    }
}

fn parse_input(input: Option<&Value>) -> Result<Option<Vec<InputItem>>, RealtimeError> {
    let list = match input {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(RealtimeError::invalid_type("response.input", "an array")),
    };
    if list.len() > MAX_INPUT_ITEMS {
        return Err(RealtimeError::invalid(
            format!(
                "Invalid 'response.input': array too long. Expected at most {MAX_INPUT_ITEMS} items, \
                 but got {}.",
                list.len()
            ),
            "response.input",
            "array_above_max_length",
        ));
    }
    let mut items = Vec::with_capacity(list.len());
    for (i, value) in list.iter().enumerate() {
        if value.get("type").and_then(Value::as_str) == Some("item_reference") {
            let id = value
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| RealtimeError::missing(&format!("response.input[{i}].id")))?;
            items.push(InputItem::Reference(id.to_string()));
            continue;
        }
        let created = Item::parse(value).map_err(|mut err| {
            err.param = err
                .param
                .map(|p| p.replacen("item", &format!("response.input[{i}]"), 1));
            err
        })?;
        if created.audio_base64.is_some() {
            return Err(RealtimeError::invalid(
                "Audio in 'response.input' is not supported: add it to the conversation with \
                 conversation.item.create, then refer to it with an item_reference.",
                &format!("response.input[{i}]"),
                "invalid_value",
            ));
        }
        items.push(InputItem::Item(created.item));
    }
    Ok(Some(items))
}

fn parse_metadata(metadata: Option<&Value>) -> Result<Option<Map<String, Value>>, RealtimeError> {
    const PARAM: &str = "response.metadata";
    let pairs = match metadata {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(pairs)) => pairs,
        Some(_) => return Err(RealtimeError::invalid_type(PARAM, "an object")),
    };
    if pairs.len() > MAX_METADATA_PAIRS {
        return Err(RealtimeError::invalid(
            format!("Invalid '{PARAM}': at most {MAX_METADATA_PAIRS} key-value pairs are allowed."),
            PARAM,
            "object_above_max_properties",
        ));
    }
    for (key, value) in pairs {
        let fits = value
            .as_str()
            .is_some_and(|v| v.chars().count() <= MAX_METADATA_VALUE);
        if key.chars().count() > MAX_METADATA_KEY || !fits {
            return Err(RealtimeError::invalid(
                format!(
                    "Invalid '{PARAM}.{}': keys are strings of at most {MAX_METADATA_KEY} characters \
                     and values strings of at most {MAX_METADATA_VALUE}.",
                    key.chars().take(MAX_METADATA_KEY).collect::<String>()
                ),
                PARAM,
                "invalid_value",
            ));
        }
    }
    Ok(Some(pairs.clone()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nothing_asked_means_the_conversation() {
        assert_eq!(ResponseRequest::parse(None).unwrap(), ResponseRequest::default());
        let auto = ResponseRequest::parse(Some(&json!({"conversation": "auto"}))).unwrap();
        assert!(!auto.out_of_band);
    }

    #[test]
    fn an_out_of_band_request_with_items_references_and_metadata() {
        let request = ResponseRequest::parse(Some(&json!({
            "conversation": "none",
            "metadata": {"topic": "summary"},
            "input": [
                {"type": "item_reference", "id": "item_1"},
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Sum up."}]}
            ]
        })))
        .unwrap();
        assert!(request.out_of_band);
        assert_eq!(request.metadata.unwrap()["topic"], "summary");
        let input = request.input.unwrap();
        assert_eq!(input[0], InputItem::Reference("item_1".into()));
        assert!(matches!(&input[1], InputItem::Item(_)));
    }

    #[test]
    fn bad_requests_name_their_parameter() {
        let bad = |value: Value| ResponseRequest::parse(Some(&value)).unwrap_err().param;
        assert_eq!(
            bad(json!({"conversation": "other"})).as_deref(),
            Some("response.conversation")
        );
        assert_eq!(
            bad(json!({"metadata": {"k": 1}})).as_deref(),
            Some("response.metadata")
        );
        assert_eq!(
            bad(json!({"input": [{"type": "item_reference"}]})).as_deref(),
            Some("response.input[0].id")
        );
        assert_eq!(
            bad(json!({"input": [{"type": "message", "role": "user"}]})).as_deref(),
            Some("response.input[0].content")
        );
        let many: Map<String, Value> = (0..17).map(|i| (format!("k{i}"), json!("v"))).collect();
        assert_eq!(
            bad(json!({"metadata": many})).as_deref(),
            Some("response.metadata")
        );
    }
}
