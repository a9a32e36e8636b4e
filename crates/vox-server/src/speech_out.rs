//! Synthesised audio to the bytes a client asked for: every chunk resampled to the 24 kHz OpenAI
//! outputs use, then encoded as it arrives. Shared by `/audio/speech` and spoken chat answers.

use vox_audio::{AudioBuffer, OUTPUT_RATE, OutputFormat, StreamEncoder, StreamResampler};

use crate::error::ApiError;

pub struct SpeechEncoder {
    encoder: Box<dyn StreamEncoder>,
    /// Resamples from the rate of the chunks seen so far; a chunk at another rate (a voice
    /// spoken by another model) flushes it and starts a new one.
    resampler: Option<(u32, StreamResampler)>,
    samples_out: u64,
}

impl SpeechEncoder {
    pub fn new(format: OutputFormat) -> Result<Self, ApiError> {
        Ok(Self {
            encoder: vox_audio::stream_encoder(format).map_err(ApiError::internal)?,
            resampler: None,
            samples_out: 0,
        })
    }

    /// 24 kHz samples of `chunk`, before encoding (the chat pipeline also stores them).
    pub fn resample(&mut self, chunk: &AudioBuffer) -> Result<Vec<f32>, ApiError> {
        let mut out = Vec::new();
        if self
            .resampler
            .as_ref()
            .is_none_or(|(rate, _)| *rate != chunk.sample_rate)
        {
            if let Some((_, mut previous)) = self.resampler.take() {
                out.extend(previous.finish());
            }
            let resampler =
                StreamResampler::new(chunk.sample_rate, OUTPUT_RATE).map_err(ApiError::internal)?;
            self.resampler = Some((chunk.sample_rate, resampler));
        }
        if let Some((_, resampler)) = &mut self.resampler {
            out.extend(resampler.push(&chunk.samples));
        }
        Ok(out)
    }

    /// Encoded bytes for the next chunk (possibly none yet).
    pub fn push(&mut self, chunk: &AudioBuffer) -> Result<Vec<u8>, ApiError> {
        let samples = self.resample(chunk)?;
        self.encode(&samples)
    }

    pub fn encode(&mut self, samples: &[f32]) -> Result<Vec<u8>, ApiError> {
        self.samples_out += samples.len() as u64;
        self.encoder.push(samples).map_err(ApiError::internal)
    }

    /// The rest: the resampler's tail and the encoder's last frames.
    pub fn finish(&mut self) -> Result<Vec<u8>, ApiError> {
        let tail = match self.resampler.take() {
            Some((_, mut resampler)) => resampler.finish(),
            None => Vec::new(),
        };
        let mut bytes = self.encode(&tail)?;
        bytes.extend(self.encoder.finish().map_err(ApiError::internal)?);
        Ok(bytes)
    }

    /// Seconds of audio encoded so far.
    pub fn seconds(&self) -> f64 {
        self.samples_out as f64 / f64::from(OUTPUT_RATE)
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
