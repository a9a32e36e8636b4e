//! Client events: what a realtime client sends, parsed and checked. A message that is not
//! JSON, an unknown type or a bad field becomes a [`RealtimeError`] that names what was wrong
//! and points back at the event's `event_id`; the session answers it with an `error` event and
//! carries on.

use serde_json::Value;

use crate::error::{MAX_VALUE_CHARS, bounded, quoted_list};

/// How much of a client's text an error event may repeat (see `crate::error::bounded`).
const MAX_PARAM_CHARS: usize = 256;
const MAX_MESSAGE_CHARS: usize = 2048;

/// An `error` event's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealtimeError {
    /// `invalid_request_error` for the client's mistakes, `server_error` for Vox's.
    pub kind: &'static str,
    pub code: Option<String>,
    pub message: String,
    pub param: Option<String>,
    pub event_id: Option<String>,
}

impl RealtimeError {
    pub fn invalid(message: impl Into<String>, param: &str, code: &str) -> Self {
        Self {
            kind: "invalid_request_error",
            code: Some(code.into()),
            message: bounded(message.into(), MAX_MESSAGE_CHARS),
            param: (!param.is_empty()).then(|| bounded(param.to_string(), MAX_PARAM_CHARS)),
            event_id: None,
        }
    }

    pub fn invalid_type(param: &str, expected: &str) -> Self {
        Self::invalid(
            format!("Invalid type for '{param}': expected {expected}."),
            param,
            "invalid_type",
        )
    }

    /// The value is shown cut to its first characters: an error never echoes a flood back.
    pub fn invalid_value(value: &str, supported: &[&str], param: &str) -> Self {
        let value = bounded(value.to_string(), MAX_VALUE_CHARS);
        Self::invalid(
            format!(
                "Invalid value: '{value}'. Supported values are: {}.",
                quoted_list(supported)
            ),
            param,
            "invalid_value",
        )
    }

    pub fn missing(param: &str) -> Self {
        Self::invalid(
            format!("Missing required parameter: '{param}'."),
            param,
            "missing_required_parameter",
        )
    }

    pub fn server(code: &str, message: impl Into<String>) -> Self {
        Self {
            kind: "server_error",
            code: Some(code.into()),
            message: message.into(),
            param: None,
            event_id: None,
        }
    }

    pub fn for_event(mut self, event_id: Option<&str>) -> Self {
        self.event_id = event_id.map(str::to_string);
        self
    }
}

/// Every client event type, for the error that answers an unknown one.
pub const CLIENT_EVENT_TYPES: [&str; 11] = [
    "session.update",
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "conversation.item.create",
    "conversation.item.delete",
    "conversation.item.truncate",
    "conversation.item.retrieve",
    "response.create",
    "response.cancel",
    "output_audio_buffer.clear",
];

#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    SessionUpdate {
        session: Value,
    },
    /// Base64 audio in the session's input format.
    AppendAudio {
        audio: String,
    },
    CommitAudio,
    ClearAudio,
    CreateItem {
        previous_item_id: Option<String>,
        item: Value,
    },
    DeleteItem {
        item_id: String,
    },
    TruncateItem {
        item_id: String,
        content_index: u64,
        audio_end_ms: u64,
    },
    RetrieveItem {
        item_id: String,
    },
    CreateResponse {
        response: Option<Value>,
    },
    CancelResponse {
        response_id: Option<String>,
    },
    /// WebRTC's; over WebSocket the client owns playback, so it only stops a response.
    ClearOutputAudio,
}

/// A parsed event and its `event_id` (for errors that point back at it).
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub event_id: Option<String>,
    pub event: ClientEvent,
}

impl ClientEvent {
    /// Parses one text message.
    pub fn parse(text: &str) -> Result<Received, RealtimeError> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            RealtimeError::invalid(format!("The event is not valid JSON: {e}."), "", "invalid_json")
        })?;
        let Value::Object(fields) = &value else {
            return Err(RealtimeError::invalid_type("event", "a JSON object"));
        };
        let event_id = fields.get("event_id").and_then(Value::as_str).map(str::to_string);
        let kind = fields.get("type").and_then(Value::as_str);
        let event = Self::from_fields(kind, &value).map_err(|e| e.for_event(event_id.as_deref()))?;
        Ok(Received { event_id, event })
    }

    fn from_fields(kind: Option<&str>, value: &Value) -> Result<Self, RealtimeError> {
        let text = |key: &str| -> Result<String, RealtimeError> {
            match value.get(key) {
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(RealtimeError::invalid_type(key, "a string")),
                None => Err(RealtimeError::missing(key)),
            }
        };
        let optional_text = |key: &str| -> Result<Option<String>, RealtimeError> {
            match value.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(RealtimeError::invalid_type(key, "a string")),
            }
        };
        let whole = |key: &str| -> Result<u64, RealtimeError> {
            match value.get(key) {
                Some(v) => v
                    .as_u64()
                    .ok_or_else(|| RealtimeError::invalid_type(key, "a non-negative integer")),
                None => Err(RealtimeError::missing(key)),
            }
        };
        let object = |key: &str| -> Result<Value, RealtimeError> {
            match value.get(key) {
                Some(v @ Value::Object(_)) => Ok(v.clone()),
                Some(_) => Err(RealtimeError::invalid_type(key, "an object")),
                None => Err(RealtimeError::missing(key)),
            }
        };
        Ok(match kind {
            Some("session.update") => Self::SessionUpdate {
                session: object("session")?,
            },
            Some("input_audio_buffer.append") => Self::AppendAudio {
                audio: text("audio")?,
            },
            Some("input_audio_buffer.commit") => Self::CommitAudio,
            Some("input_audio_buffer.clear") => Self::ClearAudio,
            Some("conversation.item.create") => Self::CreateItem {
                previous_item_id: optional_text("previous_item_id")?,
                item: object("item")?,
            },
            Some("conversation.item.delete") => Self::DeleteItem {
                item_id: text("item_id")?,
            },
            Some("conversation.item.truncate") => Self::TruncateItem {
                item_id: text("item_id")?,
                content_index: whole("content_index")?,
                audio_end_ms: whole("audio_end_ms")?,
            },
            Some("conversation.item.retrieve") => Self::RetrieveItem {
                item_id: text("item_id")?,
            },
            Some("response.create") => Self::CreateResponse {
                response: match value.get("response") {
                    None | Some(Value::Null) => None,
                    Some(_) => Some(object("response")?),
                },
            },
            Some("response.cancel") => Self::CancelResponse {
                response_id: optional_text("response_id")?,
            },
            Some("output_audio_buffer.clear") => Self::ClearOutputAudio,
            Some(other) => {
                return Err(RealtimeError::invalid(
                    format!(
                        "Invalid value: '{other}'. Supported values are: {}.",
                        quoted_list(&CLIENT_EVENT_TYPES)
                    ),
                    "type",
                    "invalid_value",
                ));
            }
            None => return Err(RealtimeError::missing("type")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_parse_with_their_ids() {
        let got =
            ClientEvent::parse(r#"{"type":"input_audio_buffer.append","event_id":"e1","audio":"AAA="}"#)
                .unwrap();
        assert_eq!(got.event_id.as_deref(), Some("e1"));
        assert_eq!(got.event, ClientEvent::AppendAudio { audio: "AAA=".into() });
        let got = ClientEvent::parse(r#"{"type":"response.create","extra":1}"#).unwrap();
        assert_eq!(got.event, ClientEvent::CreateResponse { response: None });
    }

    #[test]
    fn mistakes_name_the_field_and_point_at_the_event() {
        let err = ClientEvent::parse(r#"{"type":"nope","event_id":"e9"}"#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("type"));
        assert_eq!(err.event_id.as_deref(), Some("e9"));
        assert!(err.message.contains("'nope'"), "{}", err.message);
        let err =
            ClientEvent::parse(r#"{"type":"conversation.item.truncate","item_id":"x","content_index":0}"#)
                .unwrap_err();
        assert_eq!(err.code.as_deref(), Some("missing_required_parameter"));
        assert_eq!(err.param.as_deref(), Some("audio_end_ms"));
        let err = ClientEvent::parse("{not json").unwrap_err();
        assert_eq!(err.code.as_deref(), Some("invalid_json"));
        let err = ClientEvent::parse("[]").unwrap_err();
        assert_eq!(err.code.as_deref(), Some("invalid_type"));
    }
}
