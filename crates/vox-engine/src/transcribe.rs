//! Speech recognition.

use async_trait::async_trait;

use crate::EngineError;
use crate::audio::AudioBuffer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TranscriptionTask {
    /// Text in the spoken language.
    Transcribe,
    /// Text in English, whatever was spoken.
    Translate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptionJob {
    /// Mono, at [`Transcriber::sample_rate`].
    pub audio: AudioBuffer,
    pub task: TranscriptionTask,
    /// ISO-639-1 hint; detected when absent.
    pub language: Option<String>,
    /// Text that conditions the decoder (names, spelling, style).
    pub prompt: Option<String>,
    pub temperature: f64,
    pub word_timestamps: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Transcript {
    pub text: String,
    pub language: String,
    pub duration_secs: f64,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub text: String,
    pub tokens: Vec<u32>,
    pub avg_logprob: f64,
    pub no_speech_prob: f64,
    pub temperature: f64,
    pub compression_ratio: f64,
    pub words: Vec<Word>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Word {
    pub text: String,
    pub start: f64,
    pub end: f64,
}

#[async_trait]
pub trait Transcriber: crate::EngineStatus {
    /// The rate audio must be resampled to before it is handed over (16 kHz for Whisper).
    fn sample_rate(&self) -> u32;

    /// Dropping the returned future cancels the job.
    async fn transcribe(&self, job: TranscriptionJob) -> Result<Transcript, EngineError>;
}
