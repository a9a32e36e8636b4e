//! Typed JSON parsing whose errors name the exact parameter path, as OpenAI's do.

use serde::de::DeserializeOwned;

use crate::error::ProtocolError;

/// Parses a request body into `T`, turning serde's messages into OpenAI-style errors whose
/// `param` is the full path (`messages[1].content[0].type`).
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ProtocolError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(from_path_error)?;
    deserializer.end().map_err(|_| ProtocolError::unparsable_json())?;
    Ok(value)
}

fn from_path_error(err: serde_path_to_error::Error<serde_json::Error>) -> ProtocolError {
    if !err.inner().is_data() {
        return ProtocolError::unparsable_json();
    }
    let path = err.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let message = strip_location(&err.inner().to_string());
    describe(&message, &path)
}

/// serde_json appends " at line L column C"; clients need the parameter, not the byte position.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

fn describe(message: &str, path: &str) -> ProtocolError {
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = backticked(rest).into_iter().next().unwrap_or_default();
        return ProtocolError::missing(join_path(path, &field));
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let tokens = backticked(rest);
        if let Some((value, supported)) = tokens.split_first() {
            let supported: Vec<&str> = supported.iter().map(String::as_str).collect();
            return ProtocolError::invalid_value(value, &supported, path);
        }
    }
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((got, expected)) = rest.split_once(", expected ")
    {
        let got = got.split(" `").next().unwrap_or(got);
        let text = format!(
            "Invalid type for '{}': expected {expected}, but got {got} instead.",
            display_path(path)
        );
        return ProtocolError::invalid(text, path, "invalid_type");
    }
    let text = format!("Invalid '{}': {message}.", display_path(path));
    ProtocolError::invalid(text, path, "invalid_value")
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "body" } else { path }
}

fn join_path(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

/// The words serde quotes in backticks, in order.
fn backticked(text: &str) -> Vec<String> {
    text.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        kind: Kind,
        count: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Text,
        Audio,
    }

    #[test]
    fn wrong_type_names_the_path() {
        let err = parse_body::<Outer>(br#"{"items":[{"kind":"text","count":"x"}]}"#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("items[0].count"));
        assert_eq!(err.code, Some("invalid_type"));
        assert!(
            err.message
                .starts_with("Invalid type for 'items[0].count': expected u32")
        );
    }

    #[test]
    fn unknown_variant_lists_supported_values() {
        let err = parse_body::<Outer>(br#"{"items":[{"kind":"video","count":1}]}"#).unwrap_err();
        assert_eq!(
            err.message,
            "Invalid value: 'video'. Supported values are: 'text' and 'audio'."
        );
        assert_eq!(err.param.as_deref(), Some("items[0].kind"));
    }

    #[test]
    fn missing_field_is_a_missing_parameter() {
        let err = parse_body::<Outer>(br#"{"items":[{"kind":"text"}]}"#).unwrap_err();
        assert_eq!(err.message, "Missing required parameter: 'items[0].count'.");
        assert_eq!(err.code, Some("missing_required_parameter"));
    }

    #[test]
    fn broken_json_has_no_param() {
        let err = parse_body::<Outer>(br#"{"items":["#).unwrap_err();
        assert_eq!(err.param, None);
        assert!(err.message.contains("could not parse the JSON body"));
        assert!(parse_body::<Outer>(br#"{"items":[]} trailing"#).is_err());
    }
}
