//! Speech heard as text: decoded audio at any rate -> the recogniser's rate -> its transcript,
//! with the language it was spoken in (the answer is spoken back in it).

use vox_engine::audio::AudioBuffer;
use vox_engine::transcribe::{Transcriber, TranscriptionJob, TranscriptionTask};

use crate::PipelineError;

#[derive(Debug, Clone, PartialEq)]
pub struct Heard {
    pub text: String,
    /// ISO-639-1, as the recogniser detected it.
    pub language: String,
    /// Seconds of audio heard (for usage).
    pub secs: f64,
}

pub async fn hear(transcriber: &dyn Transcriber, decoded: AudioBuffer) -> Result<Heard, PipelineError> {
    let samples = at_rate(decoded, transcriber.sample_rate()).await?;
    let secs = samples.duration_secs();
    let job = TranscriptionJob {
        audio: samples,
        task: TranscriptionTask::Transcribe,
        language: None,
        prompt: None,
        temperature: 0.0,
        word_timestamps: false,
    };
    let transcript = transcriber.transcribe(job).await?;
    Ok(Heard {
        text: transcript.text.trim().to_string(),
        language: transcript.language,
        secs,
    })
}

/// Resamples decoded audio to the rate an engine takes, off the async workers.
pub async fn at_rate(audio: AudioBuffer, rate: u32) -> Result<AudioBuffer, PipelineError> {
    tokio::task::spawn_blocking(move || {
        let samples = vox_audio::resample(&audio.samples, audio.sample_rate, rate)
            .map_err(|e| PipelineError::Resample(e.to_string()))?;
        Ok(AudioBuffer {
            samples,
            sample_rate: rate,
        })
    })
    .await
    .map_err(|e| PipelineError::Resample(format!("the resampling task failed: {e}")))?
}
