//! Typed JSON parsing whose errors name the exact parameter path, as OpenAI's do.

use serde::de::DeserializeOwned;

use crate::error::ProtocolError;

/// Parses a request body into `T`, turning serde's messages into OpenAI-style errors whose
/// `param` is the full path (`messages[1].content[0].type`). Every request body of the API is
/// a JSON object; anything else is refused before serde sees it (serde would describe a struct
/// read from an array in its own terms).
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ProtocolError> {
    if let Some(kind) = non_object_body(body) {
        return Err(ProtocolError::invalid_body(
            format!("Invalid type for body: expected an object, but got {kind} instead."),
            "invalid_type",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(from_path_error)?;
    deserializer.end().map_err(|_| ProtocolError::unparsable_json())?;
    Ok(value)
}

/// What a valid JSON body that is not an object holds (`None` for objects and for bodies that
/// are not JSON at all, which the parser reports).
fn non_object_body(body: &[u8]) -> Option<&'static str> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first == b'{' || serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
        return None;
    }
    Some(match first {
        b'[' => "an array",
        b'"' => "a string",
        b't' | b'f' => "a boolean",
        b'n' => "null",
        _ => "a number",
    })
}

/// The nesting serde_json allows; deeper bodies are refused as such, not as broken JSON.
const MAX_DEPTH: usize = 128;

fn from_path_error(err: serde_path_to_error::Error<serde_json::Error>) -> ProtocolError {
    let path = err.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let message = strip_location(&err.inner().to_string());
    if message == "recursion limit exceeded" {
        return ProtocolError::invalid_body(
            format!("The request body nests arrays and objects more than {MAX_DEPTH} levels deep."),
            "invalid_request_body",
        );
    }
    if message == "number out of range" {
        let text = format!(
            "Invalid '{}': the number is out of range (beyond a 64-bit float).",
            display_path(&path)
        );
        return with_param(ProtocolError::invalid(text, path.clone(), "invalid_value"), &path);
    }
    if !err.inner().is_data() {
        return ProtocolError::unparsable_json();
    }
    with_param(describe(&message, &path), &path)
}

/// A body-level error names no parameter: `param` is null, never `""`.
fn with_param(mut err: ProtocolError, path: &str) -> ProtocolError {
    if path.is_empty() && err.param.as_deref() == Some("") {
        err.param = None;
    }
    err
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
    for (prefix, what) in [("invalid type: ", "type"), ("invalid value: ", "value")] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((got, expected)) = rest.split_once(", expected ")
        {
            let text = format!(
                "Invalid {what} for '{}': expected {}, but got {} instead.",
                display_path(path),
                expected_words(expected),
                got_words(got)
            );
            return ProtocolError::invalid(
                text,
                path,
                if what == "type" {
                    "invalid_type"
                } else {
                    "invalid_value"
                },
            );
        }
    }
    // A struct read from an array ("invalid length 0, expected struct X with 3 elements").
    if message.starts_with("invalid length ") && message.contains("expected struct ") {
        let text = format!(
            "Invalid type for '{}': expected an object, but got an array instead.",
            display_path(path)
        );
        return ProtocolError::invalid(text, path, "invalid_type");
    }
    let text = format!("Invalid '{}': {message}.", display_path(path));
    ProtocolError::invalid(text, path, "invalid_value")
}

/// serde's name of what it wanted, in the API's words ("u32" is "an integer").
fn expected_words(expected: &str) -> String {
    let integer = [
        "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize", "isize",
    ];
    match expected {
        e if integer.contains(&e) => "an integer".into(),
        "f32" | "f64" => "a number".into(),
        "a sequence" => "an array".into(),
        "a map" => "an object".into(),
        e if e.starts_with("struct ") => "an object".into(),
        e => e.to_string(),
    }
}

/// serde's description of what it got: "floating point `1e20`" is "a decimal number".
fn got_words(got: &str) -> &'static str {
    const KINDS: [(&str, &str); 9] = [
        ("floating point", "a decimal number"),
        ("integer", "an integer"),
        ("string", "a string"),
        ("char", "a string"),
        ("sequence", "an array"),
        ("map", "an object"),
        ("boolean", "a boolean"),
        ("null", "null"),
        ("unit value", "null"),
    ];
    KINDS
        .iter()
        .find(|(serde_kind, _)| got.starts_with(serde_kind))
        .map_or("a value of another type", |(_, words)| words)
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
                == "Invalid type for 'items[0].count': expected an integer, but got a string instead."
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

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Numbers {
        max_tokens: Option<i64>,
        temperature: Option<f64>,
        inner: Option<Inner>,
        schema: Option<serde_json::Value>,
    }

    #[test]
    fn numbers_are_described_in_the_apis_words() {
        let err = parse_body::<Numbers>(br#"{"max_tokens": 1e20}"#).unwrap_err();
        assert_eq!(
            err.message,
            "Invalid type for 'max_tokens': expected an integer, but got a decimal number instead."
        );
        assert_eq!(err.param.as_deref(), Some("max_tokens"));
        let err = parse_body::<Numbers>(br#"{"temperature": 1e400}"#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("temperature"));
        assert!(err.message.contains("out of range"), "{}", err.message);
        let err = parse_body::<Numbers>(br#"{"temperature": "hot"}"#).unwrap_err();
        assert_eq!(
            err.message,
            "Invalid type for 'temperature': expected a number, but got a string instead."
        );
    }

    #[test]
    fn a_body_that_is_not_an_object_says_so_without_a_param() {
        for (body, kind) in [
            ("[]", "an array"),
            ("\"hi\"", "a string"),
            ("42", "a number"),
            ("null", "null"),
        ] {
            let err = parse_body::<Numbers>(body.as_bytes()).unwrap_err();
            assert_eq!(
                err.message,
                format!("Invalid type for body: expected an object, but got {kind} instead.")
            );
            assert_eq!(err.param, None);
        }
    }

    #[test]
    fn a_struct_given_an_array_is_an_object_expected() {
        let err = parse_body::<Numbers>(br#"{"inner": []}"#).unwrap_err();
        assert_eq!(
            err.message,
            "Invalid type for 'inner': expected an object, but got an array instead."
        );
        assert!(!err.message.contains("struct"));
    }

    #[test]
    fn deep_nesting_is_named_as_such() {
        // Free-form JSON (a tool's parameters) is built as deep as the body goes.
        let body = format!("{{\"schema\": {}{}}}", "[".repeat(200), "]".repeat(200));
        let err = parse_body::<Numbers>(body.as_bytes()).unwrap_err();
        assert!(err.message.contains("128 levels"), "{}", err.message);
        assert_eq!(err.param, None);
    }

    #[test]
    fn broken_json_has_no_param() {
        let err = parse_body::<Outer>(br#"{"items":["#).unwrap_err();
        assert_eq!(err.param, None);
        assert!(err.message.contains("could not parse the JSON body"));
        assert!(parse_body::<Outer>(br#"{"items":[]} trailing"#).is_err());
    }
}
