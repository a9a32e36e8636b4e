//! Whisper speech recognition on CTranslate2 (through ct2rs): log-mel features computed here,
//! windowed decoding with timestamps, temperature fallback and no-speech detection in Rust (what
//! faster-whisper does in Python), the model on its own thread behind a bounded queue.

mod child;
mod engine;
pub mod features;
mod tokens;
mod transcriber;
mod window;

pub use child::run_child;
pub use engine::{RecognizerPlace, WhisperEngine};
pub use transcriber::WhisperModel;

use vox_engine::EngineError;

#[derive(Debug, thiserror::Error)]
pub enum WhisperError {
    #[error("loading Whisper: {0}")]
    Load(String),
    #[error("Whisper decoding failed: {0}")]
    Decode(String),
    /// The request cannot be served as asked (an unknown language, say). Safe to show.
    #[error("{0}")]
    Input(String),
    /// The caller went away part-way; nobody reads this.
    #[error("transcription cancelled")]
    Cancelled,
}

impl From<WhisperError> for EngineError {
    fn from(err: WhisperError) -> Self {
        match err {
            WhisperError::Input(message) => EngineError::InvalidInput(message),
            WhisperError::Cancelled => EngineError::Cancelled,
            other => EngineError::Internal(other.to_string()),
        }
    }
}
