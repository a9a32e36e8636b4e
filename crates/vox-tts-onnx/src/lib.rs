//! Speech synthesis engine of Vox: Piper and Kokoro voices on ONNX Runtime, with espeak-ng
//! phonemes and a text front end (language, numbers, pieces) in Rust.

mod engine;
mod espeak;
mod kokoro;
mod onnx;
mod piper;
mod silence;
pub mod text;
mod voices;

pub use engine::{TtsConfig, TtsEngine};

#[derive(Debug, thiserror::Error)]
pub enum TtsError {
    #[error("cannot load speech synthesis: {0}")]
    Load(String),
    #[error("speech synthesis failed: {0}")]
    Synthesis(String),
}
