//! Synthesised audio to the bytes a client asked for: every chunk resampled to the 24 kHz OpenAI
//! outputs use, then encoded as it arrives. Shared by `/audio/speech` and spoken chat answers.

use vox_audio::{AudioBuffer, OUTPUT_RATE, OutputFormat, StreamEncoder};
use vox_pipeline::ToOutputRate;

use crate::error::ApiError;

pub struct SpeechEncoder {
    encoder: Box<dyn StreamEncoder>,
    rate: ToOutputRate,
    samples_out: u64,
}

impl SpeechEncoder {
    pub fn new(format: OutputFormat) -> Result<Self, ApiError> {
        Ok(Self {
            encoder: vox_audio::stream_encoder(format).map_err(ApiError::internal)?,
            rate: ToOutputRate::default(),
            samples_out: 0,
        })
    }

    /// Encoded bytes for the next chunk (possibly none yet).
    pub fn push(&mut self, chunk: &AudioBuffer) -> Result<Vec<u8>, ApiError> {
        let samples = self.rate.push(chunk)?;
        self.encode(&samples)
    }

    fn encode(&mut self, samples: &[f32]) -> Result<Vec<u8>, ApiError> {
        self.samples_out += samples.len() as u64;
        self.encoder.push(samples).map_err(ApiError::internal)
    }

    /// The rest: the resampler's tail and the encoder's last frames.
    pub fn finish(&mut self) -> Result<Vec<u8>, ApiError> {
        let tail = self.rate.finish();
        let mut bytes = self.encode(&tail)?;
        bytes.extend(self.encoder.finish().map_err(ApiError::internal)?);
        Ok(bytes)
    }

    /// Seconds of audio encoded so far.
    pub fn seconds(&self) -> f64 {
        self.samples_out as f64 / f64::from(OUTPUT_RATE)
    }
}

/// A [`SpeechEncoder`] whose work runs on tokio's blocking threads: MP3, Opus and FLAC encoding
/// is computation and AAC writes into a child process's pipe, and neither may stall a runtime
/// worker that other connections are waiting on.
pub struct EncoderOffRuntime {
    encoder: Option<SpeechEncoder>,
}

impl EncoderOffRuntime {
    pub fn new(encoder: SpeechEncoder) -> Self {
        Self {
            encoder: Some(encoder),
        }
    }

    pub async fn push(&mut self, chunk: AudioBuffer) -> Result<Vec<u8>, ApiError> {
        self.run(move |encoder| encoder.push(&chunk)).await
    }

    pub async fn finish(&mut self) -> Result<Vec<u8>, ApiError> {
        self.run(SpeechEncoder::finish).await
    }

    pub fn seconds(&self) -> f64 {
        self.encoder.as_ref().map_or(0.0, SpeechEncoder::seconds)
    }

    /// Lends the encoder to a blocking thread for one step and takes it back.
    async fn run<F>(&mut self, step: F) -> Result<Vec<u8>, ApiError>
    where
        F: FnOnce(&mut SpeechEncoder) -> Result<Vec<u8>, ApiError> + Send + 'static,
    {
        let mut encoder = self
            .encoder
            .take()
            .ok_or_else(|| ApiError::internal("the encoder was lost by an earlier step"))?;
        let (encoder, bytes) = tokio::task::spawn_blocking(move || {
            let bytes = step(&mut encoder);
            (encoder, bytes)
        })
        .await
        .map_err(|_| ApiError::internal("the audio encoder panicked"))?;
        self.encoder = Some(encoder);
        bytes
    }
}

/// A chat request's `audio.format` as the encoder's format.
pub fn chat_format(format: vox_protocol::audio::AudioFormat) -> OutputFormat {
    use vox_protocol::audio::AudioFormat;
    match format {
        AudioFormat::Wav => OutputFormat::Wav,
        AudioFormat::Mp3 => OutputFormat::Mp3,
        AudioFormat::Flac => OutputFormat::Flac,
        AudioFormat::Opus => OutputFormat::Opus,
        AudioFormat::Aac => OutputFormat::Aac,
        AudioFormat::Pcm16 => OutputFormat::Pcm16,
    }
}

/// The speech endpoint's `response_format` as the encoder's format.
pub fn speech_format(format: vox_protocol::speech::SpeechFormat) -> OutputFormat {
    use vox_protocol::speech::SpeechFormat;
    match format {
        SpeechFormat::Mp3 => OutputFormat::Mp3,
        SpeechFormat::Opus => OutputFormat::Opus,
        SpeechFormat::Aac => OutputFormat::Aac,
        SpeechFormat::Flac => OutputFormat::Flac,
        SpeechFormat::Wav => OutputFormat::Wav,
        SpeechFormat::Pcm => OutputFormat::Pcm16,
    }
}
