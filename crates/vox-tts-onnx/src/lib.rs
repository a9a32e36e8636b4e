//! Speech synthesis engine of Vox: Piper, Kokoro and hibari voices on ONNX Runtime, with
//! espeak-ng phonemes, a text front end (language, numbers, pieces) and hibari's vocoder in Rust.

mod engine;
mod espeak;
pub mod hibari;
mod kokoro;
mod onnx;
mod phoneme_ids;
mod piper;
mod silence;
pub mod text;
pub mod vocoder;
mod voices;

pub use engine::{TtsConfig, TtsEngine, VoiceModels};

#[derive(Debug, thiserror::Error)]
pub enum TtsError {
    #[error("cannot load speech synthesis: {0}")]
    Load(String),
    #[error("speech synthesis failed: {0}")]
    Synthesis(String),
}
