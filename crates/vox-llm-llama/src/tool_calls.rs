//! Tool calls read back from the model's text: `<tool_call>{"name": .., "arguments": ..}</tool_call>`
//! blocks, or one bare JSON object of that shape.

use serde_json::Value;
use vox_engine::chat::ToolCall;

use crate::output::TOOL_CALL_OPEN;

const TOOL_CALL_CLOSE: &str = "</tool_call>";

/// The calls in `text`, or `None` when it is not (entirely) calls of the declared tools: such an
/// answer is shown as text instead.
pub fn parse_tool_calls(text: &str, declared: &[String]) -> Option<Vec<ToolCall>> {
    let bodies: Vec<&str> = if text.contains(TOOL_CALL_OPEN) {
        text.split(TOOL_CALL_OPEN)
            .skip(1)
            .map(|part| part.split(TOOL_CALL_CLOSE).next().unwrap_or(part))
            .collect()
    } else {
        vec![text]
    };
    let calls = bodies
        .into_iter()
        .map(|body| parse_one(body, declared))
        .collect::<Option<Vec<_>>>()?;
    (!calls.is_empty()).then_some(calls)
}

fn parse_one(body: &str, declared: &[String]) -> Option<ToolCall> {
    // The first JSON value; models sometimes trail a stray brace or newline after it.
    let value: Value = serde_json::Deserializer::from_str(body.trim())
        .into_iter::<Value>()
        .next()?
        .ok()?;
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
    fn undeclared_names_and_broken_json_are_text() {
        assert!(parse_tool_calls("{\"name\": \"rm_rf\", \"arguments\": {}}", &declared()).is_none());
        assert!(parse_tool_calls("<tool_call>{\"name\": \"get_time\"", &declared()).is_none());
        assert!(parse_tool_calls("{\"answer\": 42}", &declared()).is_none());
    }
}
