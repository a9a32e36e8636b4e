//! `POST /audio/speech`: text to speech.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audio::VoiceParam;
use crate::error::ProtocolError;

pub const MAX_SPEECH_INPUT_CHARS: usize = 4096;
pub const MIN_SPEED: f64 = 0.25;
pub const MAX_SPEED: f64 = 4.0;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SpeechRequest {
    pub model: Option<String>,
    pub input: String,
    pub voice: VoiceParam,
    pub instructions: Option<String>,
    /// `mp3` (default), `opus`, `aac`, `flac`, `wav` or `pcm`.
    pub response_format: Option<String>,
    /// 0.25 to 4.0, default 1.0.
    pub speed: Option<f64>,
    /// `audio` (default, raw bytes) or `sse`.
    pub stream_format: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SpeechFormat {
    Mp3,
    Opus,
    Aac,
    Flac,
    Wav,
    Pcm,
}

impl SpeechFormat {
    pub const ALL: [SpeechFormat; 6] = [Self::Mp3, Self::Opus, Self::Aac, Self::Flac, Self::Wav, Self::Pcm];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mp3 => "mp3",
            Self::Opus => "opus",
            Self::Aac => "aac",
            Self::Flac => "flac",
            Self::Wav => "wav",
            Self::Pcm => "pcm",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Mp3 => "audio/mpeg",
            Self::Opus => "audio/ogg",
            Self::Aac => "audio/aac",
            Self::Flac => "audio/flac",
            Self::Wav => "audio/wav",
            Self::Pcm => "audio/pcm",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeechStreamFormat {
    Audio,
    Sse,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidSpeechRequest {
    pub model: Option<String>,
    pub input: String,
    pub voice: String,
    pub instructions: Option<String>,
    pub format: SpeechFormat,
    pub speed: f64,
    pub stream_format: SpeechStreamFormat,
}

pub fn validate_speech_request(
    request: SpeechRequest,
    voices: &[String],
) -> Result<ValidSpeechRequest, ProtocolError> {
    let chars = request.input.chars().count();
    if chars == 0 {
        return Err(ProtocolError::invalid(
            "Invalid 'input': empty string. Expected a string with minimum length 1, but got an \
             empty string instead.",
            "input",
            "empty_string",
        ));
    }
    if chars > MAX_SPEECH_INPUT_CHARS {
        return Err(ProtocolError::invalid(
            format!(
                "Invalid 'input': string too long. Expected a string with maximum length \
                 {MAX_SPEECH_INPUT_CHARS}, but got a string with length {chars} instead."
            ),
            "input",
            "string_above_max_length",
        ));
    }
    let voice = request.voice.id();
    if !voices.iter().any(|v| v == voice) {
        let supported: Vec<&str> = voices.iter().map(String::as_str).collect();
        return Err(ProtocolError::invalid_value(voice, &supported, "voice"));
    }
    let format = parse_choice(
        request.response_format.as_deref(),
        "response_format",
        SpeechFormat::Mp3,
        &SpeechFormat::ALL,
        |f| f.as_str(),
    )?;
    let stream_format = match request.stream_format.as_deref() {
        None | Some("audio") => SpeechStreamFormat::Audio,
        Some("sse") => SpeechStreamFormat::Sse,
        Some(other) => {
            return Err(ProtocolError::invalid_value(
                other,
                &["sse", "audio"],
                "stream_format",
            ));
        }
    };
    let speed = request.speed.unwrap_or(1.0);
    if !(MIN_SPEED..=MAX_SPEED).contains(&speed) {
        return Err(ProtocolError::invalid(
            format!(
                "Invalid 'speed': expected a value between {MIN_SPEED} and {MAX_SPEED}, but got {speed} instead."
            ),
            "speed",
            "invalid_value",
        ));
    }
    Ok(ValidSpeechRequest {
        model: request.model,
        input: request.input,
        voice: voice.to_string(),
        instructions: request.instructions,
        format,
        speed,
        stream_format,
    })
}

/// Parses an optional enumerated string parameter against its allowed values.
pub(crate) fn parse_choice<T: Copy>(
    value: Option<&str>,
    param: &str,
    default: T,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, ProtocolError> {
    let Some(value) = value else { return Ok(default) };
    all.iter().copied().find(|v| name(*v) == value).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|v| name(*v)).collect();
        ProtocolError::invalid_value(value, &names, param)
    })
}

/// `stream_format: "sse"`: the audio in base64 pieces, then a summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type")]
pub enum SpeechStreamEvent {
    #[serde(rename = "speech.audio.delta")]
    Delta {
        /// Base64 of the next bytes of the file in `response_format`.
        audio: String,
    },
    #[serde(rename = "speech.audio.done")]
    Done { usage: SpeechUsage },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SpeechUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub total_tokens: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voices() -> Vec<String> {
        vec!["alloy".into(), "echo".into()]
    }

    fn request(input: &str) -> SpeechRequest {
        SpeechRequest {
            model: Some("tts-1".into()),
            input: input.into(),
            voice: VoiceParam::Named("alloy".into()),
            instructions: None,
            response_format: None,
            speed: None,
            stream_format: None,
        }
    }

    #[test]
    fn defaults_are_mp3_at_normal_speed() {
        let valid = validate_speech_request(request("Hello."), &voices()).unwrap();
        assert_eq!(valid.format, SpeechFormat::Mp3);
        assert_eq!(valid.speed, 1.0);
        assert_eq!(valid.stream_format, SpeechStreamFormat::Audio);
    }

    #[test]
    fn rejects_long_input_unknown_voice_format_and_speed() {
        let long = "a".repeat(MAX_SPEECH_INPUT_CHARS + 1);
        assert_eq!(
            validate_speech_request(request(&long), &voices())
                .unwrap_err()
                .param
                .as_deref(),
            Some("input")
        );
        let mut bad_voice = request("x");
        bad_voice.voice = VoiceParam::Named("bogus".into());
        assert_eq!(
            validate_speech_request(bad_voice, &voices()).unwrap_err().message,
            "Invalid value: 'bogus'. Supported values are: 'alloy' and 'echo'."
        );
        let mut bad_format = request("x");
        bad_format.response_format = Some("ogg".into());
        assert_eq!(
            validate_speech_request(bad_format, &voices())
                .unwrap_err()
                .param
                .as_deref(),
            Some("response_format")
        );
        let mut fast = request("x");
        fast.speed = Some(4.5);
        assert_eq!(
            validate_speech_request(fast, &voices())
                .unwrap_err()
                .param
                .as_deref(),
            Some("speed")
        );
    }
}
