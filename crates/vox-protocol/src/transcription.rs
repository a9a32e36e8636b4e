//! `POST /audio/transcriptions` and `/audio/translations` (multipart forms) and their answers.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ProtocolError;
use crate::speech::parse_choice;

/// The text fields of the multipart form, as the server collected them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TranscriptionForm {
    pub model: Option<String>,
    pub language: Option<String>,
    pub prompt: Option<String>,
    pub temperature: Option<String>,
    pub response_format: Option<String>,
    pub timestamp_granularities: Vec<String>,
    pub stream: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TranscriptFormat {
    Json,
    Text,
    Srt,
    Vtt,
    VerboseJson,
}

impl TranscriptFormat {
    pub const ALL: [TranscriptFormat; 5] = [Self::Json, Self::Text, Self::Srt, Self::VerboseJson, Self::Vtt];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Text => "text",
            Self::Srt => "srt",
            Self::Vtt => "vtt",
            Self::VerboseJson => "verbose_json",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TimestampGranularity {
    Word,
    Segment,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidTranscriptionRequest {
    pub model: Option<String>,
    /// ISO-639-1 code, lower case.
    pub language: Option<String>,
    pub prompt: Option<String>,
    pub temperature: f64,
    pub format: TranscriptFormat,
    pub word_timestamps: bool,
    pub stream: bool,
}

pub fn validate_transcription_form(
    form: TranscriptionForm,
) -> Result<ValidTranscriptionRequest, ProtocolError> {
    let format = parse_choice(
        form.response_format.as_deref(),
        "response_format",
        TranscriptFormat::Json,
        &TranscriptFormat::ALL,
        |f| f.as_str(),
    )?;
    let temperature = match form.temperature.as_deref() {
        None | Some("") => 0.0,
        Some(text) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|t| (0.0..=1.0).contains(t))
            .ok_or_else(|| {
                ProtocolError::invalid(
                    format!("Invalid 'temperature': expected a number between 0 and 1, but got '{text}'."),
                    "temperature",
                    "invalid_value",
                )
            })?,
    };
    let language = match form.language {
        Some(code) if !is_language_code(&code) => {
            return Err(ProtocolError::invalid(
                format!(
                    "Invalid language '{code}'. Language parameter must be specified in ISO-639-1 format."
                ),
                "language",
                "invalid_language_format",
            ));
        }
        other => other.map(|c| c.to_ascii_lowercase()),
    };
    let mut word_timestamps = false;
    for granularity in &form.timestamp_granularities {
        match granularity.as_str() {
            "word" => word_timestamps = true,
            "segment" => {}
            other => {
                return Err(ProtocolError::invalid_value(
                    other,
                    &["word", "segment"],
                    "timestamp_granularities",
                ));
            }
        }
    }
    if !form.timestamp_granularities.is_empty() && format != TranscriptFormat::VerboseJson {
        return Err(ProtocolError::invalid(
            "timestamp_granularities is only supported with response_format 'verbose_json'.",
            "timestamp_granularities",
            "invalid_value",
        ));
    }
    let stream = match form.stream.as_deref() {
        None | Some("false") | Some("") => false,
        Some("true") => true,
        Some(other) => return Err(ProtocolError::invalid_value(other, &["true", "false"], "stream")),
    };
    Ok(ValidTranscriptionRequest {
        model: form.model,
        language,
        prompt: form.prompt,
        temperature,
        format,
        word_timestamps,
        stream,
    })
}

fn is_language_code(code: &str) -> bool {
    (2..=3).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphabetic())
}

/// `response_format=json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Transcription {
    pub text: String,
}

/// `response_format=verbose_json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VerboseTranscription {
    /// `transcribe` or `translate`.
    pub task: String,
    pub language: String,
    /// Seconds.
    pub duration: f64,
    pub text: String,
    pub segments: Vec<TranscriptSegment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words: Option<Vec<TranscriptWord>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TranscriptSegment {
    pub id: u32,
    pub seek: u32,
    pub start: f64,
    pub end: f64,
    pub text: String,
    pub tokens: Vec<u32>,
    pub temperature: f64,
    pub avg_logprob: f64,
    pub compression_ratio: f64,
    pub no_speech_prob: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TranscriptWord {
    pub word: String,
    pub start: f64,
    pub end: f64,
}

/// Stream events of a transcription (`stream=true`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type")]
pub enum TranscriptStreamEvent {
    #[serde(rename = "transcript.text.delta")]
    Delta { delta: String },
    #[serde(rename = "transcript.text.done")]
    Done { text: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_json_at_temperature_zero() {
        let valid = validate_transcription_form(TranscriptionForm::default()).unwrap();
        assert_eq!(valid.format, TranscriptFormat::Json);
        assert_eq!(valid.temperature, 0.0);
        assert!(!valid.stream && !valid.word_timestamps);
    }

    #[test]
    fn rejects_bad_fields_with_their_param() {
        let cases = [
            (
                TranscriptionForm {
                    response_format: Some("xml".into()),
                    ..Default::default()
                },
                "response_format",
            ),
            (
                TranscriptionForm {
                    temperature: Some("hot".into()),
                    ..Default::default()
                },
                "temperature",
            ),
            (
                TranscriptionForm {
                    language: Some("english".into()),
                    ..Default::default()
                },
                "language",
            ),
            (
                TranscriptionForm {
                    stream: Some("yes".into()),
                    ..Default::default()
                },
                "stream",
            ),
            (
                TranscriptionForm {
                    timestamp_granularities: vec!["word".into()],
                    ..Default::default()
                },
                "timestamp_granularities",
            ),
        ];
        for (form, param) in cases {
            assert_eq!(
                validate_transcription_form(form).unwrap_err().param.as_deref(),
                Some(param)
            );
        }
    }

    #[test]
    fn stream_events_are_tagged_like_openai() {
        let json = serde_json::to_string(&TranscriptStreamEvent::Delta { delta: "hi".into() }).unwrap();
        assert_eq!(json, r#"{"type":"transcript.text.delta","delta":"hi"}"#);
    }
}
