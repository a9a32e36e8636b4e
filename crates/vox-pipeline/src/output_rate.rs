//! Every voice out at one rate: synthesis models speak at their own (Piper 22.05 kHz, Kokoro and
//! hibari 24 kHz), answers go out at OpenAI's 24 kHz.

use vox_audio::StreamResampler;
use vox_engine::audio::AudioBuffer;

use crate::PipelineError;

pub use vox_audio::OUTPUT_RATE;

/// Chunks at any model rate -> 24 kHz. A chunk at another rate than the last (a voice spoken by
/// another model) flushes the old resampler and starts a new one.
#[derive(Default)]
pub struct ToOutputRate {
    resampler: Option<(u32, StreamResampler)>,
}

impl ToOutputRate {
    pub fn push(&mut self, chunk: &AudioBuffer) -> Result<Vec<f32>, PipelineError> {
        let mut out = Vec::new();
        if self
            .resampler
            .as_ref()
            .is_none_or(|(rate, _)| *rate != chunk.sample_rate)
        {
            out.extend(self.finish());
            let resampler = StreamResampler::new(chunk.sample_rate, OUTPUT_RATE)
                .map_err(|e| PipelineError::Resample(e.to_string()))?;
            self.resampler = Some((chunk.sample_rate, resampler));
        }
        if let Some((_, resampler)) = &mut self.resampler {
            out.extend(resampler.push(&chunk.samples));
        }
        Ok(out)
    }

    /// The resampler's delayed tail.
    pub fn finish(&mut self) -> Vec<f32> {
        match self.resampler.take() {
            Some((_, mut resampler)) => resampler.finish(),
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(rate: u32, len: usize) -> AudioBuffer {
        AudioBuffer {
            samples: vec![0.25; len],
            sample_rate: rate,
        }
    }

    #[test]
    fn audio_at_the_output_rate_passes_unchanged() {
        let mut rate = ToOutputRate::default();
        let out = rate.push(&chunk(OUTPUT_RATE, 480)).unwrap();
        assert_eq!(out, vec![0.25; 480]);
        assert!(rate.finish().is_empty());
    }

    #[test]
    fn another_rate_comes_out_at_24_khz_in_the_same_duration() {
        let mut rate = ToOutputRate::default();
        let mut out = rate.push(&chunk(22_050, 22_050)).unwrap();
        out.extend(rate.finish());
        let secs = out.len() as f64 / f64::from(OUTPUT_RATE);
        assert!((secs - 1.0).abs() < 0.02, "{secs}");
    }
}
