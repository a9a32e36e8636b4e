//! How audio and speech input are counted in `usage` (documented in docs/audio.md): one token per
//! 100 ms of audio heard, one per 50 ms spoken, and one per four characters of text to speak.
//! OpenAI bills gpt-4o audio at about these rates.

pub const INPUT_AUDIO_TOKENS_PER_SEC: f64 = 10.0;
pub const OUTPUT_AUDIO_TOKENS_PER_SEC: f64 = 20.0;
const CHARS_PER_TEXT_TOKEN: usize = 4;

pub fn input_audio_tokens(seconds: f64) -> u64 {
    (seconds * INPUT_AUDIO_TOKENS_PER_SEC).ceil() as u64
}

pub fn output_audio_tokens(seconds: f64) -> u64 {
    (seconds * OUTPUT_AUDIO_TOKENS_PER_SEC).ceil() as u64
}

/// For text no language model read (the speech endpoint's input).
pub fn text_tokens(chars: usize) -> u64 {
    chars.div_ceil(CHARS_PER_TEXT_TOKEN) as u64
}
