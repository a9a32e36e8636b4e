//! Tool calls read back from the model's text, in the forms small models actually write them:
//! `<tool_call>{"name": .., "arguments": ..}</tool_call>` blocks, Markdown code blocks
//! (```json {...} ```), or bare JSON; each holding one call object, an array of them, or an
//! OpenAI-shaped `{"type": "function", "function": {...}}`.

use serde_json::Value;
use vox_engine::chat::ToolCall;

use crate::output::{CODE_FENCE, TOOL_CALL_OPEN};

const TOOL_CALL_CLOSE: &str = "</tool_call>";

/// The calls in `text`, or `None` when it is not (entirely) calls of the declared tools: such an
/// answer is shown as text instead.
pub fn parse_tool_calls(text: &str, declared: &[String]) -> Option<Vec<ToolCall>> {
    let bodies: Vec<&str> = if text.contains(TOOL_CALL_OPEN) {
        text.split(TOOL_CALL_OPEN)
            .skip(1)
            .map(|part| part.split(TOOL_CALL_CLOSE).next().unwrap_or(part))
            .collect()
    } else if text.trim_start().starts_with(CODE_FENCE) {
        fenced_blocks(text)?
    } else {
        vec![text]
    };
    let mut calls = Vec::new();
    for body in bodies {
        calls.extend(parse_body(body, declared)?);
    }
    (!calls.is_empty()).then_some(calls)
}

/// The insides of every code block (the language tag dropped); `None` if text sits outside them.
fn fenced_blocks(text: &str) -> Option<Vec<&str>> {
    let mut blocks = Vec::new();
    let mut rest = text.trim();
    while let Some(after) = rest.strip_prefix(CODE_FENCE) {
        let (inside, next) = after.split_once(CODE_FENCE).unwrap_or((after, ""));
        // ```json\n{...}: the language tag runs to the first newline or brace.
        let body_at = inside.find(['{', '[']).unwrap_or(inside.len());
        let tag = &inside[..body_at];
        if !tag.trim().chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        blocks.push(&inside[body_at..]);
        rest = next.trim_start();
    }
    rest.is_empty().then_some(blocks)
}

/// One block: a call object or an array of them.
fn parse_body(body: &str, declared: &[String]) -> Option<Vec<ToolCall>> {
    // The first JSON value; models sometimes trail a stray brace or newline after it.
    let value: Value = serde_json::Deserializer::from_str(body.trim())
        .into_iter::<Value>()
        .next()?
        .ok()?;
    match value {
        Value::Array(items) if !items.is_empty() => {
            items.iter().map(|item| parse_one(item, declared)).collect()
        }
        object => Some(vec![parse_one(&object, declared)?]),
    }
}

fn parse_one(value: &Value, declared: &[String]) -> Option<ToolCall> {
    // OpenAI's own shape, which models have seen in training: {"type": "function", "function": {..}}.
    let value = value.get("function").filter(|f| f.is_object()).unwrap_or(value);
    let name = value.get("name")?.as_str()?;
    if !declared.iter().any(|d| d == name) {
        return None;
    }
    let arguments = match value.get("arguments").or_else(|| value.get("parameters")) {
        None | Some(Value::Null) => "{}".to_string(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    };
    Some(ToolCall {
        id: new_call_id(),
        name: name.to_string(),
        arguments,
    })
}

/// `call_` and 24 random characters, like OpenAI's ids.
fn new_call_id() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("call_{}", &hex[..24])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared() -> Vec<String> {
        vec!["get_weather".into(), "get_time".into()]
    }

    #[test]
    fn tagged_calls_are_parsed_in_order() {
        let text = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n\
                    <tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>";
        let calls = parse_tool_calls(text, &declared()).unwrap();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].name, "get_weather");
        assert_eq!(calls[0].arguments, r#"{"city":"Paris"}"#);
        assert_eq!(calls[1].name, "get_time");
        assert!(calls[0].id.starts_with("call_") && calls[0].id.len() == 29);
        assert_ne!(calls[0].id, calls[1].id);
    }

    #[test]
    fn an_unclosed_last_call_still_counts() {
        let text = "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}}";
        assert_eq!(
            parse_tool_calls(text, &declared()).unwrap()[0].arguments,
            r#"{"tz":"UTC"}"#
        );
    }

    #[test]
    fn a_bare_object_is_a_call() {
        let text = " {\"name\": \"get_time\", \"arguments\": \"{\\\"tz\\\": \\\"UTC\\\"}\"} ";
        assert_eq!(
            parse_tool_calls(text, &declared()).unwrap()[0].arguments,
            r#"{"tz": "UTC"}"#
        );
    }

    #[test]
    fn a_fenced_block_is_a_call() {
        let text = "```json\n{\n  \"name\": \"get_weather\",\n  \"arguments\": {\"city\": \"Paris\"}\n}\n```";
        let calls = parse_tool_calls(text, &declared()).unwrap();
        assert_eq!(
            (calls[0].name.as_str(), calls[0].arguments.as_str()),
            ("get_weather", r#"{"city":"Paris"}"#)
        );
        // Without a language tag, and two blocks in a row.
        let two = "```\n{\"name\": \"get_time\"}\n```\n```json\n{\"name\": \"get_weather\"}\n```";
        assert_eq!(parse_tool_calls(two, &declared()).unwrap().len(), 2);
    }

    #[test]
    fn arrays_and_openai_shaped_objects_are_calls() {
        let text = r#"[{"name": "get_time", "arguments": {}}, {"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Rome\"}"}}]"#;
        let calls = parse_tool_calls(text, &declared()).unwrap();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[1].name, "get_weather");
        assert_eq!(calls[1].arguments, r#"{"city": "Rome"}"#);
    }

    #[test]
    fn code_that_is_not_a_call_stays_text() {
        assert!(parse_tool_calls("```python\nprint('hi')\n```", &declared()).is_none());
        assert!(
            parse_tool_calls(
                "```json\n{\"name\": \"get_time\"}\n``` and more words",
                &declared()
            )
            .is_none()
        );
    }

    #[test]
    fn undeclared_names_and_broken_json_are_text() {
        assert!(parse_tool_calls("{\"name\": \"rm_rf\", \"arguments\": {}}", &declared()).is_none());
        assert!(parse_tool_calls("<tool_call>{\"name\": \"get_time\"", &declared()).is_none());
        assert!(parse_tool_calls("{\"answer\": 42}", &declared()).is_none());
    }
}
