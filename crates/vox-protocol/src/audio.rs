//! Audio formats and voice names that appear on the wire.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every voice name OpenAI's audio models answer to.
pub const OPENAI_VOICES: [&str; 13] = [
    "alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse", "marin",
    "cedar",
];

/// The formats a chat completion can return audio in (`audio.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AudioFormat {
    Wav,
    Mp3,
    Flac,
    Opus,
    Aac,
    Pcm16,
}

impl AudioFormat {
    pub const ALL: [AudioFormat; 6] = [
        Self::Wav,
        Self::Aac,
        Self::Mp3,
        Self::Flac,
        Self::Opus,
        Self::Pcm16,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wav => "wav",
            Self::Mp3 => "mp3",
            Self::Flac => "flac",
            Self::Opus => "opus",
            Self::Aac => "aac",
            Self::Pcm16 => "pcm16",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == value)
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|f| f.as_str()).collect()
    }
}

/// Containers accepted in `input_audio.format`. OpenAI documents `wav` and `mp3`; the others
/// cost nothing to accept. The bytes are sniffed anyway: this is only a hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum InputAudioFormat {
    Wav,
    Mp3,
    Flac,
    Ogg,
    Webm,
    M4a,
}

impl InputAudioFormat {
    pub const ALL: [InputAudioFormat; 6] =
        [Self::Wav, Self::Mp3, Self::Flac, Self::Ogg, Self::Webm, Self::M4a];
    /// What error messages advertise: OpenAI's own list, so clients are not led to rely on extras.
    pub const DOCUMENTED: [&'static str; 2] = ["wav", "mp3"];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wav => "wav",
            Self::Mp3 => "mp3",
            Self::Flac => "flac",
            Self::Ogg => "ogg",
            Self::Webm => "webm",
            Self::M4a => "m4a",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == value)
    }
}

/// `voice`: a name (`"alloy"`) or a server-defined voice by id (`{"id": "..."}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum VoiceParam {
    Named(String),
    Custom { id: String },
}

impl VoiceParam {
    /// The name to look up in the voice catalog, whichever form was sent.
    pub fn id(&self) -> &str {
        match self {
            Self::Named(name) => name,
            Self::Custom { id } => id,
        }
    }
}

impl<'de> Deserialize<'de> for VoiceParam {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(VoiceVisitor)
    }
}

struct VoiceVisitor;

impl<'de> Visitor<'de> for VoiceVisitor {
    type Value = VoiceParam;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a voice name or an object with an 'id'")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<VoiceParam, E> {
        Ok(VoiceParam::Named(value.to_string()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<VoiceParam, A::Error> {
        let mut id = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "id" {
                id = Some(map.next_value::<String>()?);
            } else {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
        id.map(|id| VoiceParam::Custom { id })
            .ok_or_else(|| de::Error::missing_field("id"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voice_accepts_both_forms() {
        let named: VoiceParam = serde_json::from_str(r#""alloy""#).unwrap();
        assert_eq!(named.id(), "alloy");
        let custom: VoiceParam = serde_json::from_str(r#"{"id":"narrator"}"#).unwrap();
        assert_eq!(
            custom,
            VoiceParam::Custom {
                id: "narrator".into()
            }
        );
        assert!(serde_json::from_str::<VoiceParam>("5").is_err());
        assert!(serde_json::from_str::<VoiceParam>("{}").is_err());
    }

    #[test]
    fn formats_round_trip_their_names() {
        for format in AudioFormat::ALL {
            assert_eq!(AudioFormat::parse(format.as_str()), Some(format));
        }
        assert_eq!(AudioFormat::parse("ogg"), None);
        assert_eq!(InputAudioFormat::parse("m4a"), Some(InputAudioFormat::M4a));
    }
}
