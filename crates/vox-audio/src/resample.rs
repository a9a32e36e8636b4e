//! Band-limited resampling (rubato's FFT resampler: a windowed-sinc filter applied in the
//! frequency domain), for whole buffers and for streams.

use rubato::{FftFixedInOut, Resampler};

use crate::AudioError;

/// Input frames per FFT block; rubato rounds it to fit the rate ratio.
const CHUNK: usize = 1024;

/// Sample rates Vox accepts anywhere: beyond them the filter sizes (which follow the ratio of
/// the rates) stop being reasonable, and no real audio lives there.
pub const MIN_RATE: u32 = 1_000;
pub const MAX_RATE: u32 = 384_000;

/// Resamples a whole buffer. The output has exactly `round(len * to / from)` samples, aligned
/// with the input (the filter delay is removed).
pub fn resample(samples: &[f32], from: u32, to: u32) -> Result<Vec<f32>, AudioError> {
    if from == to || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    let mut stream = StreamResampler::new(from, to)?;
    let mut out = stream.push(samples);
    out.extend(stream.finish());
    Ok(out)
}

/// Resamples audio that arrives in pieces, emitting output as soon as a block is complete.
pub struct StreamResampler {
    inner: Option<Inner>,
    from: u32,
    to: u32,
    pushed: u64,
    emitted: u64,
}

struct Inner {
    resampler: FftFixedInOut<f32>,
    pending: Vec<f32>,
    /// Output samples still to drop: the filter's delay.
    delay_left: usize,
}

impl StreamResampler {
    pub fn new(from: u32, to: u32) -> Result<Self, AudioError> {
        Self::with_block(from, to, CHUNK)
    }

    /// With blocks of about `block` input samples: smaller blocks answer sooner (a live
    /// stream's voice activity), larger ones cost less per sample.
    pub fn with_block(from: u32, to: u32, block: usize) -> Result<Self, AudioError> {
        for rate in [from, to] {
            if !(MIN_RATE..=MAX_RATE).contains(&rate) {
                return Err(AudioError::undecodable(format!(
                    "sample rate {rate} Hz is out of range"
                )));
            }
        }
        let inner = match from == to {
            true => None,
            false => {
                let resampler = FftFixedInOut::<f32>::new(from as usize, to as usize, block.max(1), 1)
                    .map_err(|e| AudioError::undecodable(format!("resampler: {e}")))?;
                let delay_left = resampler.output_delay();
                Some(Inner {
                    resampler,
                    pending: Vec::new(),
                    delay_left,
                })
            }
        };
        Ok(Self {
            inner,
            from,
            to,
            pushed: 0,
            emitted: 0,
        })
    }

    pub fn push(&mut self, samples: &[f32]) -> Vec<f32> {
        self.pushed += samples.len() as u64;
        let Some(inner) = &mut self.inner else {
            self.emitted += samples.len() as u64;
            return samples.to_vec();
        };
        inner.pending.extend_from_slice(samples);
        let mut out = Vec::new();
        // Blocks are read in place and the consumed front dropped once: draining each block from
        // the front would move the rest every time (30 minutes at 48 kHz took over 10 minutes).
        let mut consumed = 0;
        while inner.pending.len() - consumed >= inner.resampler.input_frames_next() {
            let end = consumed + inner.resampler.input_frames_next();
            let block = inner.pending[consumed..end].to_vec();
            inner.process(&block, &mut out);
            consumed = end;
        }
        inner.pending.drain(..consumed);
        self.emitted += out.len() as u64;
        out
    }

    /// Flushes the filter: the total output is exactly `round(pushed * to / from)` samples.
    pub fn finish(&mut self) -> Vec<f32> {
        let expected =
            (self.pushed * u64::from(self.to) + u64::from(self.from) / 2) / u64::from(self.from.max(1));
        let Some(inner) = &mut self.inner else {
            return Vec::new();
        };
        let mut out = Vec::new();
        while self.emitted + (out.len() as u64) < expected {
            let need = inner.resampler.input_frames_next();
            let mut block: Vec<f32> = inner.pending.drain(..).collect();
            block.resize(need, 0.0);
            inner.process(&block, &mut out);
        }
        out.truncate((expected - self.emitted) as usize);
        self.emitted += out.len() as u64;
        out
    }
}

impl Inner {
    fn process(&mut self, block: &[f32], out: &mut Vec<f32>) {
        let Ok(result) = self.resampler.process(&[block], None) else {
            return;
        };
        let produced = &result[0];
        let skip = self.delay_left.min(produced.len());
        self.delay_left -= skip;
        out.extend_from_slice(&produced[skip..]);
    }
}

/// Averages interleaved channels to mono.
pub fn mix_to_mono(interleaved: &[f32], channels: usize) -> Vec<f32> {
    let channels = channels.max(1);
    let scale = 1.0 / channels as f32;
    interleaved
        .chunks_exact(channels)
        .map(|frame| frame.iter().sum::<f32>() * scale)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, rate: u32, secs: f32) -> Vec<f32> {
        let n = (rate as f32 * secs) as usize;
        (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin() * 0.5)
            .collect()
    }

    fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt()
    }

    #[test]
    fn keeps_length_and_a_tone_in_band() {
        for (from, to) in [
            (22_050, 24_000),
            (48_000, 16_000),
            (16_000, 24_000),
            (44_100, 16_000),
        ] {
            let input = sine(440.0, from, 1.0);
            let output = resample(&input, from, to).unwrap();
            assert_eq!(output.len(), to as usize, "{from}->{to}");
            // Aligned to within one output sample (rubato reports its delay in whole samples),
            // and otherwise faithful away from the edges.
            let middle = to as usize / 10..to as usize * 9 / 10;
            let error_at = |shift: f32| {
                let error: Vec<f32> = middle
                    .clone()
                    .map(|i| {
                        output[i]
                            - (2.0 * std::f32::consts::PI * 440.0 * (i as f32 + shift) / to as f32).sin()
                                * 0.5
                    })
                    .collect();
                rms(&error)
            };
            let best = [-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]
                .map(error_at)
                .into_iter()
                .fold(f32::MAX, f32::min);
            assert!(best < 0.005, "{from}->{to}: error rms {best}");
        }
    }

    #[test]
    fn removes_what_the_new_rate_cannot_hold() {
        // 10 kHz is above the 8 kHz Nyquist limit of 16 kHz audio: it must go, not alias.
        let output = resample(&sine(10_000.0, 48_000, 1.0), 48_000, 16_000).unwrap();
        assert!(
            rms(&output[1600..14400]) < 0.01,
            "aliased energy {}",
            rms(&output)
        );
    }

    #[test]
    fn streaming_equals_whole_buffer() {
        let input = sine(300.0, 22_050, 0.7);
        let whole = resample(&input, 22_050, 24_000).unwrap();
        let mut stream = StreamResampler::new(22_050, 24_000).unwrap();
        let mut pieces = Vec::new();
        for piece in input.chunks(333) {
            pieces.extend(stream.push(piece));
        }
        pieces.extend(stream.finish());
        assert_eq!(pieces.len(), whole.len());
        assert!(pieces.iter().zip(&whole).all(|(a, b)| (a - b).abs() < 1e-5));
    }

    #[test]
    fn refuses_absurd_rates() {
        assert!(resample(&[0.0; 4], 7, 16_000).is_err());
        assert!(resample(&[0.0; 4], 4_000_000_000, 16_000).is_err());
    }

    #[test]
    fn mixes_channels() {
        assert_eq!(mix_to_mono(&[1.0, 0.0, 0.5, 0.5], 2), vec![0.5, 0.5]);
    }
}
