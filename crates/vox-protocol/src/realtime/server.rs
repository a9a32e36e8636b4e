//! Server events, written in the client's protocol generation. Every event gets an `event_id`
//! and its `type`; the few whose names differ between GA and beta are renamed here, and GA's
//! `conversation.item.done` has no beta counterpart (beta clients never see it).

use serde_json::{Value, json};

use super::client::RealtimeError;
use super::item::{Content, Item};
use super::session::SessionConfig;
use super::{Dialect, new_id};

/// Where a content part sits: its response, item and indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartRef {
    pub response_id: String,
    pub item_id: String,
    pub output_index: usize,
    pub content_index: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseStatus {
    InProgress,
    Completed,
    Cancelled,
    Incomplete,
    Failed,
}

/// Tokens a response used, text and audio apart (audio by Vox's fixed rule).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_text_tokens: u64,
    /// Of the input text tokens, those the model had already read (a prefilled opening,
    /// earlier turns).
    pub input_cached_tokens: u64,
    pub input_audio_tokens: u64,
    pub output_text_tokens: u64,
    pub output_audio_tokens: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResponseInfo {
    pub id: String,
    pub status: ResponseStatus,
    /// Why it was cancelled or incomplete: `turn_detected`, `client_cancelled`, `max_output_tokens`.
    pub reason: Option<&'static str>,
    pub error: Option<RealtimeError>,
    pub output: Vec<Item>,
    pub usage: Option<Usage>,
    pub config: SessionConfig,
    /// The request's `metadata`, echoed.
    pub metadata: Option<serde_json::Map<String, Value>>,
    /// `conversation: "none"`: in no conversation.
    pub out_of_band: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ServerEvent {
    SessionCreated(SessionConfig),
    SessionUpdated(SessionConfig),
    SpeechStarted {
        audio_start_ms: u64,
        item_id: String,
    },
    SpeechStopped {
        audio_end_ms: u64,
        item_id: String,
    },
    Committed {
        item_id: String,
        previous_item_id: Option<String>,
    },
    Cleared,
    ItemAdded {
        item: Item,
        previous_item_id: Option<String>,
    },
    ItemDone {
        item: Item,
        previous_item_id: Option<String>,
    },
    ItemDeleted {
        item_id: String,
    },
    ItemTruncated {
        item_id: String,
        content_index: u64,
        audio_end_ms: u64,
    },
    ItemRetrieved {
        item: Item,
    },
    /// Words of a turn recognised so far (transcription sessions, at each pause and the end).
    TranscriptionDelta {
        item_id: String,
        delta: String,
    },
    TranscriptionCompleted {
        item_id: String,
        transcript: String,
    },
    TranscriptionFailed {
        item_id: String,
        error: RealtimeError,
    },
    ResponseCreated(ResponseInfo),
    OutputItemAdded {
        response_id: String,
        output_index: usize,
        item: Item,
    },
    OutputItemDone {
        response_id: String,
        output_index: usize,
        item: Item,
    },
    ContentPartAdded {
        part: PartRef,
        content: Content,
    },
    ContentPartDone {
        part: PartRef,
        content: Content,
    },
    AudioDelta {
        part: PartRef,
        delta: String,
    },
    AudioDone {
        part: PartRef,
    },
    TranscriptDelta {
        part: PartRef,
        delta: String,
    },
    TranscriptDone {
        part: PartRef,
        transcript: String,
    },
    TextDelta {
        part: PartRef,
        delta: String,
    },
    TextDone {
        part: PartRef,
        text: String,
    },
    ArgumentsDelta {
        response_id: String,
        item_id: String,
        output_index: usize,
        call_id: String,
        delta: String,
    },
    ArgumentsDone {
        response_id: String,
        item_id: String,
        output_index: usize,
        call_id: String,
        name: String,
        arguments: String,
    },
    ResponseDone(ResponseInfo),
    /// The limits that apply to this caller; none yet (per-caller limits are not configured).
    RateLimits,
    /// Server VAD's idle timeout: the buffer is committed and answered.
    TimeoutTriggered {
        audio_start_ms: u64,
        audio_end_ms: u64,
        item_id: String,
    },
    Error(RealtimeError),
}

impl ServerEvent {
    /// The event as the client's generation names it; `None` for events it does not have.
    pub fn to_json(&self, dialect: Dialect) -> Option<Value> {
        let ga = dialect == Dialect::Ga;
        let renamed = |ga_name: &'static str, beta_name: &'static str| if ga { ga_name } else { beta_name };
        let (kind, mut body) = match self {
            Self::SessionCreated(session) => {
                ("session.created", json!({"session": session.to_json(dialect)}))
            }
            Self::SessionUpdated(session) => {
                ("session.updated", json!({"session": session.to_json(dialect)}))
            }
            Self::SpeechStarted {
                audio_start_ms,
                item_id,
            } => (
                "input_audio_buffer.speech_started",
                json!({"audio_start_ms": audio_start_ms, "item_id": item_id}),
            ),
            Self::SpeechStopped {
                audio_end_ms,
                item_id,
            } => (
                "input_audio_buffer.speech_stopped",
                json!({"audio_end_ms": audio_end_ms, "item_id": item_id}),
            ),
            Self::Committed {
                item_id,
                previous_item_id,
            } => (
                "input_audio_buffer.committed",
                json!({"item_id": item_id, "previous_item_id": previous_item_id}),
            ),
            Self::Cleared => ("input_audio_buffer.cleared", json!({})),
            Self::ItemAdded {
                item,
                previous_item_id,
            } => (
                renamed("conversation.item.added", "conversation.item.created"),
                json!({"item": item.to_json(dialect), "previous_item_id": previous_item_id}),
            ),
            Self::ItemDone {
                item,
                previous_item_id,
            } => {
                if !ga {
                    return None;
                }
                (
                    "conversation.item.done",
                    json!({"item": item.to_json(dialect), "previous_item_id": previous_item_id}),
                )
            }
            Self::ItemDeleted { item_id } => ("conversation.item.deleted", json!({"item_id": item_id})),
            Self::ItemTruncated {
                item_id,
                content_index,
                audio_end_ms,
            } => (
                "conversation.item.truncated",
                json!({"item_id": item_id, "content_index": content_index, "audio_end_ms": audio_end_ms}),
            ),
            Self::ItemRetrieved { item } => (
                "conversation.item.retrieved",
                json!({"item": item.to_json(dialect)}),
            ),
            Self::TranscriptionDelta { item_id, delta } => (
                "conversation.item.input_audio_transcription.delta",
                json!({"item_id": item_id, "content_index": 0, "delta": delta}),
            ),
            Self::TranscriptionCompleted { item_id, transcript } => (
                "conversation.item.input_audio_transcription.completed",
                json!({"item_id": item_id, "content_index": 0, "transcript": transcript,
                       "usage": {"type": "duration", "seconds": 0}}),
            ),
            Self::TranscriptionFailed { item_id, error } => (
                "conversation.item.input_audio_transcription.failed",
                json!({"item_id": item_id, "content_index": 0, "error": error_json(error)}),
            ),
            Self::ResponseCreated(response) => (
                "response.created",
                json!({"response": response_json(response, dialect)}),
            ),
            Self::ResponseDone(response) => (
                "response.done",
                json!({"response": response_json(response, dialect)}),
            ),
            Self::OutputItemAdded {
                response_id,
                output_index,
                item,
            } => (
                "response.output_item.added",
                json!({"response_id": response_id, "output_index": output_index, "item": item.to_json(dialect)}),
            ),
            Self::OutputItemDone {
                response_id,
                output_index,
                item,
            } => (
                "response.output_item.done",
                json!({"response_id": response_id, "output_index": output_index, "item": item.to_json(dialect)}),
            ),
            Self::ContentPartAdded { part, content } => (
                "response.content_part.added",
                with_part(part, json!({"part": content.to_part_json()})),
            ),
            Self::ContentPartDone { part, content } => (
                "response.content_part.done",
                with_part(part, json!({"part": content.to_part_json()})),
            ),
            Self::AudioDelta { part, delta } => (
                renamed("response.output_audio.delta", "response.audio.delta"),
                with_part(part, json!({"delta": delta})),
            ),
            Self::AudioDone { part } => (
                renamed("response.output_audio.done", "response.audio.done"),
                with_part(part, json!({})),
            ),
            Self::TranscriptDelta { part, delta } => (
                renamed(
                    "response.output_audio_transcript.delta",
                    "response.audio_transcript.delta",
                ),
                with_part(part, json!({"delta": delta})),
            ),
            Self::TranscriptDone { part, transcript } => (
                renamed(
                    "response.output_audio_transcript.done",
                    "response.audio_transcript.done",
                ),
                with_part(part, json!({"transcript": transcript})),
            ),
            Self::TextDelta { part, delta } => (
                renamed("response.output_text.delta", "response.text.delta"),
                with_part(part, json!({"delta": delta})),
            ),
            Self::TextDone { part, text } => (
                renamed("response.output_text.done", "response.text.done"),
                with_part(part, json!({"text": text})),
            ),
            Self::ArgumentsDelta {
                response_id,
                item_id,
                output_index,
                call_id,
                delta,
            } => (
                "response.function_call_arguments.delta",
                json!({"response_id": response_id, "item_id": item_id, "output_index": output_index,
                       "call_id": call_id, "delta": delta}),
            ),
            Self::ArgumentsDone {
                response_id,
                item_id,
                output_index,
                call_id,
                name,
                arguments,
            } => (
                "response.function_call_arguments.done",
                json!({"response_id": response_id, "item_id": item_id, "output_index": output_index,
                       "call_id": call_id, "name": name, "arguments": arguments}),
            ),
            Self::RateLimits => ("rate_limits.updated", json!({"rate_limits": []})),
            Self::TimeoutTriggered {
                audio_start_ms,
                audio_end_ms,
                item_id,
            } => (
                "input_audio_buffer.timeout_triggered",
                json!({"audio_start_ms": audio_start_ms, "audio_end_ms": audio_end_ms, "item_id": item_id}),
            ),
            Self::Error(error) => ("error", json!({"error": error_json(error)})),
        };
        body["type"] = json!(kind);
        body["event_id"] = json!(new_id("event"));
        Some(body)
    }
}

fn with_part(part: &PartRef, mut body: Value) -> Value {
    body["response_id"] = json!(part.response_id);
    body["item_id"] = json!(part.item_id);
    body["output_index"] = json!(part.output_index);
    body["content_index"] = json!(part.content_index);
    body
}

fn error_json(error: &RealtimeError) -> Value {
    json!({
        "type": error.kind,
        "code": error.code,
        "message": error.message,
        "param": error.param,
        "event_id": error.event_id,
    })
}

fn response_json(response: &ResponseInfo, dialect: Dialect) -> Value {
    let status = match response.status {
        ResponseStatus::InProgress => "in_progress",
        ResponseStatus::Completed => "completed",
        ResponseStatus::Cancelled => "cancelled",
        ResponseStatus::Incomplete => "incomplete",
        ResponseStatus::Failed => "failed",
    };
    let status_details = match (response.status, response.reason, &response.error) {
        (ResponseStatus::Failed, _, Some(error)) => json!({"type": "failed", "error": error_json(error)}),
        (ResponseStatus::Cancelled | ResponseStatus::Incomplete, Some(reason), _) => {
            json!({"type": status, "reason": reason})
        }
        _ => Value::Null,
    };
    let config = &response.config;
    let conversation_id =
        (!response.out_of_band).then(|| format!("conv_{}", &config.id[config.id.len().saturating_sub(20)..]));
    let max_tokens = config.max_output_tokens.map_or(json!("inf"), |n| json!(n));
    let mut value = json!({
        "object": "realtime.response",
        "id": response.id,
        "status": status,
        "status_details": status_details,
        "output": response.output.iter().map(|i| i.to_json(dialect)).collect::<Vec<_>>(),
        "usage": response.usage.map(usage_json),
        "conversation_id": conversation_id,
        "max_output_tokens": max_tokens,
        "metadata": response.metadata,
    });
    let session = config.to_json(dialect);
    match dialect {
        Dialect::Ga => {
            value["output_modalities"] = session["output_modalities"].clone();
            value["audio"] = json!({"output": session["audio"]["output"].clone()});
        }
        Dialect::Beta => {
            value["modalities"] = session["modalities"].clone();
            value["voice"] = session["voice"].clone();
            value["output_audio_format"] = session["output_audio_format"].clone();
            value["temperature"] = session["temperature"].clone();
        }
    }
    value
}

fn usage_json(usage: Usage) -> Value {
    let input = usage.input_text_tokens + usage.input_audio_tokens;
    let output = usage.output_text_tokens + usage.output_audio_tokens;
    json!({
        "total_tokens": input + output,
        "input_tokens": input,
        "output_tokens": output,
        "input_token_details": {
            "text_tokens": usage.input_text_tokens,
            "audio_tokens": usage.input_audio_tokens,
            "cached_tokens": usage.input_cached_tokens,
        },
        "output_token_details": {
            "text_tokens": usage.output_text_tokens,
            "audio_tokens": usage.output_audio_tokens,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part() -> PartRef {
        PartRef {
            response_id: "resp_1".into(),
            item_id: "item_1".into(),
            output_index: 0,
            content_index: 0,
        }
    }

    #[test]
    fn audio_events_are_renamed_for_beta() {
        let delta = ServerEvent::AudioDelta {
            part: part(),
            delta: "AAA".into(),
        };
        assert_eq!(
            delta.to_json(Dialect::Ga).unwrap()["type"],
            "response.output_audio.delta"
        );
        let beta = delta.to_json(Dialect::Beta).unwrap();
        assert_eq!(beta["type"], "response.audio.delta");
        assert_eq!(beta["item_id"], "item_1");
        assert!(beta["event_id"].as_str().unwrap().starts_with("event_"));
    }

    #[test]
    fn content_parts_say_audio_in_ga_too() {
        let content = Content::Audio {
            transcript: "Hi".into(),
            audio_ms: 10,
        };
        let added = ServerEvent::ContentPartAdded {
            part: part(),
            content,
        };
        for dialect in [Dialect::Ga, Dialect::Beta] {
            let json = added.to_json(dialect).unwrap();
            assert_eq!(json["part"], json!({"type": "audio", "transcript": "Hi"}));
        }
        let text = ServerEvent::ContentPartDone {
            part: part(),
            content: Content::Text("Hi".into()),
        };
        assert_eq!(text.to_json(Dialect::Ga).unwrap()["part"]["type"], "text");
    }

    #[test]
    fn item_done_exists_in_ga_only() {
        let item = Item::new(
            super::super::ItemKind::FunctionCallOutput {
                call_id: "c".into(),
                output: "o".into(),
            },
            super::super::item::ItemStatus::Completed,
        );
        let done = ServerEvent::ItemDone {
            item,
            previous_item_id: None,
        };
        assert!(done.to_json(Dialect::Ga).is_some());
        assert!(done.to_json(Dialect::Beta).is_none());
    }

    #[test]
    fn errors_point_back_at_the_event() {
        let error = RealtimeError::missing("item_id").for_event(Some("evt_9"));
        let json = ServerEvent::Error(error).to_json(Dialect::Ga).unwrap();
        assert_eq!(json["error"]["event_id"], "evt_9");
        assert_eq!(json["error"]["param"], "item_id");
        assert_eq!(json["error"]["type"], "invalid_request_error");
    }

    #[test]
    fn a_cancelled_response_says_why() {
        let config = SessionConfig::new("sess_00000000000000000000".into(), "gpt-realtime".into(), 0);
        let response = ResponseInfo {
            id: "resp_1".into(),
            status: ResponseStatus::Cancelled,
            reason: Some("turn_detected"),
            error: None,
            output: vec![],
            usage: Some(Usage {
                input_text_tokens: 3,
                input_cached_tokens: 2,
                output_audio_tokens: 4,
                ..Usage::default()
            }),
            config,
            metadata: None,
            out_of_band: false,
        };
        let json = ServerEvent::ResponseDone(response).to_json(Dialect::Ga).unwrap();
        assert_eq!(json["response"]["status_details"]["reason"], "turn_detected");
        assert_eq!(json["response"]["usage"]["total_tokens"], 7);
        assert_eq!(
            json["response"]["usage"]["input_token_details"]["cached_tokens"],
            2
        );
        assert_eq!(json["response"]["output_modalities"], json!(["audio"]));
    }
}
