//! A transcriber that hears a given text (exactly as given, spaces included) in a given
//! language, whatever the audio.

use std::time::Duration;

use vox_engine::transcribe::{Transcriber, Transcript, TranscriptionJob};
use vox_engine::{EngineError, EngineStatus};

#[derive(Debug, Clone)]
pub struct ScriptedTranscriber {
    pub text: String,
    pub language: String,
    /// The queue it reports to admission.
    pub queue: Duration,
}

impl ScriptedTranscriber {
    pub fn hearing(text: &str, language: &str) -> Self {
        Self {
            text: text.into(),
            language: language.into(),
            queue: Duration::ZERO,
        }
    }

    pub fn queued(mut self, queue: Duration) -> Self {
        self.queue = queue;
        self
    }
}

#[async_trait::async_trait]
impl Transcriber for ScriptedTranscriber {
    fn sample_rate(&self) -> u32 {
        16_000
    }

    async fn transcribe(&self, job: TranscriptionJob) -> Result<Transcript, EngineError> {
        Ok(Transcript {
            text: self.text.clone(),
            language: self.language.clone(),
            duration_secs: job.audio.samples.len() as f64 / f64::from(job.audio.sample_rate),
            segments: vec![],
        })
    }
}

impl EngineStatus for ScriptedTranscriber {
    fn expected_wait(&self) -> Duration {
        self.queue
    }
}
