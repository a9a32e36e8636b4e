//! A transcriber that hears a given text in a given language, whatever the audio.

use vox_engine::EngineError;
use vox_engine::transcribe::{Transcriber, Transcript, TranscriptionJob};

#[derive(Debug, Clone)]
pub struct ScriptedTranscriber {
    pub text: String,
    pub language: String,
}

impl ScriptedTranscriber {
    pub fn hearing(text: &str, language: &str) -> Self {
        Self {
            text: text.into(),
            language: language.into(),
        }
    }
}

#[async_trait::async_trait]
impl Transcriber for ScriptedTranscriber {
    fn sample_rate(&self) -> u32 {
        16_000
    }

    async fn transcribe(&self, job: TranscriptionJob) -> Result<Transcript, EngineError> {
        Ok(Transcript {
            text: format!(" {}", self.text),
            language: self.language.clone(),
            duration_secs: job.audio.samples.len() as f64 / f64::from(job.audio.sample_rate),
            segments: vec![],
        })
    }
}
