//! Whisper's special tokens, looked up by name in the model's own tokenizer (ids differ between
//! multilingual and English-only models).

use tokenizers::Tokenizer;

use crate::WhisperError;

pub struct SpecialTokens {
    pub end_of_text: u32,
    pub timestamp_begin: u32,
}

impl SpecialTokens {
    pub fn new(tokenizer: &Tokenizer) -> Result<Self, WhisperError> {
        let id = |token: &str| {
            tokenizer
                .token_to_id(token)
                .ok_or_else(|| WhisperError::Load(format!("tokenizer lacks {token}")))
        };
        // Timestamp tokens follow <|notimestamps|> in every Whisper vocabulary; tokenizer.json
        // files converted for CTranslate2 often do not list them.
        let timestamp_begin = tokenizer
            .token_to_id("<|0.00|>")
            .map_or_else(|| id("<|notimestamps|>").map(|n| n + 1), Ok)?;
        Ok(Self {
            end_of_text: id("<|endoftext|>")?,
            timestamp_begin,
        })
    }

    pub fn is_timestamp(&self, id: u32) -> bool {
        id >= self.timestamp_begin
    }

    /// Seconds a timestamp token stands for (0.02 s steps).
    pub fn seconds(&self, id: u32) -> f64 {
        f64::from(id - self.timestamp_begin) * 0.02
    }
}

/// Languages Whisper knows, by ISO-639-1 code: a hint outside this list is a 400, not a crash.
pub const LANGUAGES: [&str; 99] = [
    "en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr", "pl", "ca", "nl", "ar", "sv", "it", "id",
    "hi", "fi", "vi", "he", "uk", "el", "ms", "cs", "ro", "da", "hu", "ta", "no", "th", "ur", "hr", "bg",
    "lt", "la", "mi", "ml", "cy", "sk", "te", "fa", "lv", "bn", "sr", "az", "sl", "kn", "et", "mk", "br",
    "eu", "is", "hy", "ne", "mn", "bs", "kk", "sq", "sw", "gl", "mr", "pa", "si", "km", "sn", "yo", "so",
    "af", "oc", "ka", "be", "tg", "sd", "gu", "am", "yi", "lo", "uz", "fo", "ht", "ps", "tk", "nn", "mt",
    "sa", "lb", "my", "bo", "tl", "mg", "as", "tt", "haw", "ln", "ha", "ba", "jw", "su",
];
