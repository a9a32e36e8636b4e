//! Error envelopes on the wire and the validation error every check in this crate returns.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// OpenAI's error envelope: `{"error": {"message", "type", "param", "code"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorObject,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorObject {
    pub message: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Always present (possibly `null`): SDKs read it.
    pub param: Option<String>,
    pub code: Option<String>,
}

/// Azure's envelope for key and route errors: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AzureErrorEnvelope {
    pub error: AzureErrorObject,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AzureErrorObject {
    pub code: String,
    pub message: String,
}

/// Why a request was refused before any work was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolErrorKind {
    /// 400: the request is malformed or asks for something unsupported.
    InvalidRequest,
    /// 413: the request carries more audio than the server accepts.
    TooLarge,
}

/// A validation failure: the OpenAI message, the path of the offending parameter and a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    pub kind: ProtocolErrorKind,
    pub message: String,
    pub param: Option<String>,
    pub code: Option<&'static str>,
}

impl ProtocolError {
    pub fn invalid(message: impl Into<String>, param: impl Into<String>, code: &'static str) -> Self {
        Self {
            kind: ProtocolErrorKind::InvalidRequest,
            message: bounded(message.into(), MAX_MESSAGE_CHARS),
            param: Some(bounded(param.into(), MAX_PARAM_CHARS)),
            code: Some(code),
        }
    }

    /// `Invalid value: 'X'. Supported values are: 'a', 'b', and 'c'.`
    pub fn invalid_value(value: &str, supported: &[&str], param: impl Into<String>) -> Self {
        let value = bounded(value.to_string(), MAX_VALUE_CHARS);
        let message = format!(
            "Invalid value: '{value}'. Supported values are: {}.",
            quoted_list(supported)
        );
        Self::invalid(message, param, "invalid_value")
    }

    /// `Missing required parameter: 'P'.`
    pub fn missing(param: impl Into<String>) -> Self {
        let param = param.into();
        let message = format!("Missing required parameter: '{param}'.");
        Self::invalid(message, param, "missing_required_parameter")
    }

    pub fn too_large(message: impl Into<String>, param: impl Into<String>) -> Self {
        Self {
            kind: ProtocolErrorKind::TooLarge,
            message: message.into(),
            param: Some(param.into()),
            code: Some("request_too_large"),
        }
    }

    /// The body is not JSON at all: there is no parameter to point at.
    /// A problem with the body as a whole: no parameter to name (`param` is null).
    pub fn invalid_body(message: impl Into<String>, code: &'static str) -> Self {
        Self {
            kind: ProtocolErrorKind::InvalidRequest,
            message: message.into(),
            param: None,
            code: Some(code),
        }
    }

    pub fn unparsable_json() -> Self {
        Self {
            kind: ProtocolErrorKind::InvalidRequest,
            message: "We could not parse the JSON body of your request. The API expects a JSON \
                      payload, but what was sent was not valid JSON."
                .into(),
            param: None,
            code: None,
        }
    }
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.param {
            Some(param) => write!(f, "{} (param {param})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// OpenAI's list style: `'a' and 'b'`, `'a', 'b', and 'c'`.
/// An error names what the client sent, never all of it: a value is shown up to this many
/// characters, a parameter's path and a whole message up to these, so a flood is not echoed back.
pub const MAX_VALUE_CHARS: usize = 64;
const MAX_PARAM_CHARS: usize = 256;
const MAX_MESSAGE_CHARS: usize = 2048;

/// `text` cut to `max` characters, marked with "..." where cut.
pub fn bounded(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

pub fn quoted_list(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_like_openai() {
        assert_eq!(quoted_list(&["wav", "mp3"]), "'wav' and 'mp3'");
        assert_eq!(quoted_list(&["a", "b", "c"]), "'a', 'b', and 'c'");
        assert_eq!(quoted_list(&["x"]), "'x'");
    }

    #[test]
    fn invalid_value_message_is_exact() {
        let err = ProtocolError::invalid_value("ogg", &["wav", "mp3"], "p");
        assert_eq!(
            err.message,
            "Invalid value: 'ogg'. Supported values are: 'wav' and 'mp3'."
        );
        assert_eq!(err.param.as_deref(), Some("p"));
    }
}
