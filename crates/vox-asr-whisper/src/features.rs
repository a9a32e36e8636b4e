//! Whisper's input: an 80-band log-mel spectrogram, 100 frames a second, computed the way the
//! model was trained (centred 25 ms Hann windows, Slaney mel scale, log10, a dynamic range of
//! 8 decades, scaled to about [-1, 1]).

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

pub const SAMPLE_RATE: u32 = 16_000;
pub const N_FFT: usize = 400;
pub const HOP: usize = 160;
pub const N_MELS: usize = 80;
/// Frames in one 30-second window, the longest input the model takes.
pub const WINDOW_FRAMES: usize = 3000;
pub const WINDOW_SAMPLES: usize = WINDOW_FRAMES * HOP;
/// The last window of the audio is cut shorter than 30 s when the speech in it ends early: the
/// encoder's cost grows faster than its input (whisper-base on 2 cores: 0.6 s for 30 s, 0.14 s
/// for 15 s, 0.08 s for 10 s), and a spoken question is seldom longer than a few seconds. Word
/// errors stayed the same with at least 15 s and 5 s of silence after the speech (whisper-base,
/// 10 recorded and 40 synthetic utterances: 72 of 532 words at 30 s, 72 at 15 s); at 10 s they
/// rose to 78.
const SHORT_WINDOW_MIN_FRAMES: usize = 1500;
const SHORT_WINDOW_SILENCE_FRAMES: usize = 500;
const SHORT_WINDOW_STEP_FRAMES: usize = 500;

pub struct LogMel {
    filters: Vec<[f32; N_FFT / 2 + 1]>,
    window: Vec<f32>,
    fft: Arc<dyn Fft<f32>>,
}

/// `frames` x 80, row-major by frame.
pub struct Spectrogram {
    pub frames: usize,
    data: Vec<f32>,
}

impl LogMel {
    pub fn new() -> Self {
        let window = (0..N_FFT)
            .map(|n| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * n as f32 / N_FFT as f32).cos())
            .collect();
        let fft = FftPlanner::new().plan_fft_forward(N_FFT);
        Self {
            filters: slaney_filters(),
            window,
            fft,
        }
    }

    /// The spectrogram of `samples` followed by 30 s of silence, so that every window can be
    /// cut whole; normalised over the whole, as the model saw it in training.
    pub fn compute(&self, samples: &[f32]) -> Spectrogram {
        let mut padded = samples.to_vec();
        padded.resize(samples.len() + WINDOW_SAMPLES, 0.0);
        let frames = padded.len() / HOP;
        let mut data = Vec::with_capacity(frames * N_MELS);
        let mut buffer = vec![Complex::new(0.0f32, 0.0); N_FFT];
        // From this frame on, every window sees only the silent padding: all floor, no FFT needed.
        let first_silent = (samples.len() + N_FFT).div_ceil(HOP);
        let floor = 1e-10f32.log10();
        for frame in 0..frames {
            if frame >= first_silent {
                data.extend(std::iter::repeat_n(floor, N_MELS));
                continue;
            }
            let start = (frame * HOP) as isize - (N_FFT / 2) as isize;
            for (i, slot) in buffer.iter_mut().enumerate() {
                *slot = Complex::new(reflect(&padded, start + i as isize) * self.window[i], 0.0);
            }
            self.fft.process(&mut buffer);
            let power: Vec<f32> = buffer[..=N_FFT / 2].iter().map(|c| c.norm_sqr()).collect();
            for filter in &self.filters {
                let energy: f32 = filter.iter().zip(&power).map(|(w, p)| w * p).sum();
                data.push(energy.max(1e-10).log10());
            }
        }
        let ceiling = data.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for value in &mut data {
            *value = (value.max(ceiling - 8.0) + 4.0) / 4.0;
        }
        Spectrogram { frames, data }
    }
}

impl Default for LogMel {
    fn default() -> Self {
        Self::new()
    }
}

impl Spectrogram {
    /// One model input, `[80, length]` row-major by mel band, starting at `first_frame`.
    pub fn window(&self, first_frame: usize, length: usize) -> Vec<f32> {
        let mut out = vec![0f32; N_MELS * length];
        for t in 0..length {
            let frame = first_frame + t;
            if frame >= self.frames {
                break;
            }
            for band in 0..N_MELS {
                out[band * length + t] = self.data[frame * N_MELS + band];
            }
        }
        out
    }
}

/// How many frames the encoder is given for a window whose audio has `remaining` frames left:
/// 30 s, or for the end of the audio as little as leaves the speech 5 s of silence, in steps of
/// 5 s and never under 15 s (see `SHORT_WINDOW_MIN_FRAMES`).
pub fn encoder_frames(remaining: usize) -> usize {
    let wanted = remaining + SHORT_WINDOW_SILENCE_FRAMES;
    let stepped = wanted.div_ceil(SHORT_WINDOW_STEP_FRAMES) * SHORT_WINDOW_STEP_FRAMES;
    stepped.clamp(SHORT_WINDOW_MIN_FRAMES, WINDOW_FRAMES)
}

/// Index into `x` with reflection at both ends (numpy's "reflect" padding).
fn reflect(x: &[f32], index: isize) -> f32 {
    let n = x.len() as isize;
    if n == 1 {
        return x[0];
    }
    let period = 2 * (n - 1);
    let mut i = index.rem_euclid(period);
    if i >= n {
        i = period - i;
    }
    x[i as usize]
}

fn hz_to_mel(hz: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    let log_step = 6.4f64.ln() / 27.0;
    if hz < 1000.0 {
        hz / F_SP
    } else {
        15.0 + (hz / 1000.0).ln() / log_step
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    let log_step = 6.4f64.ln() / 27.0;
    if mel < 15.0 {
        mel * F_SP
    } else {
        1000.0 * (log_step * (mel - 15.0)).exp()
    }
}

/// Triangular filters on the Slaney mel scale with Slaney area normalisation (librosa's default).
fn slaney_filters() -> Vec<[f32; N_FFT / 2 + 1]> {
    let bins = N_FFT / 2 + 1;
    let nyquist = f64::from(SAMPLE_RATE) / 2.0;
    let fft_freqs: Vec<f64> = (0..bins)
        .map(|i| i as f64 * nyquist / (bins - 1) as f64)
        .collect();
    let (low, high) = (hz_to_mel(0.0), hz_to_mel(nyquist));
    let mel_points: Vec<f64> = (0..N_MELS + 2)
        .map(|i| mel_to_hz(low + (high - low) * i as f64 / (N_MELS + 1) as f64))
        .collect();
    (0..N_MELS)
        .map(|m| {
            let (left, centre, right) = (mel_points[m], mel_points[m + 1], mel_points[m + 2]);
            let norm = 2.0 / (right - left);
            let mut filter = [0f32; N_FFT / 2 + 1];
            for (k, &f) in fft_freqs.iter().enumerate() {
                let rising = (f - left) / (centre - left);
                let falling = (right - f) / (right - centre);
                filter[k] = (rising.min(falling).max(0.0) * norm) as f32;
            }
            filter
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_cover_the_band_and_are_area_normalised() {
        let filters = slaney_filters();
        assert_eq!(filters.len(), N_MELS);
        assert!(
            filters.iter().all(|f| f.iter().any(|&w| w > 0.0)),
            "no empty filter"
        );
        // The first filter peaks near its centre (about 27 Hz = bin 0.7).
        assert!(filters[0][1] > 0.0);
    }

    #[test]
    fn a_tone_lights_its_own_band() {
        let tone: Vec<f32> = (0..16_000)
            .map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16_000.0).sin())
            .collect();
        let spectrogram = LogMel::new().compute(&tone);
        assert_eq!(spectrogram.frames, (16_000 + WINDOW_SAMPLES) / HOP);
        let window = spectrogram.window(0, WINDOW_FRAMES);
        let frame = 50;
        let loudest = (0..N_MELS)
            .max_by(|&a, &b| window[a * WINDOW_FRAMES + frame].total_cmp(&window[b * WINDOW_FRAMES + frame]))
            .unwrap();
        let centre =
            mel_to_hz(hz_to_mel(0.0) + (hz_to_mel(8000.0) - hz_to_mel(0.0)) * (loudest + 1) as f64 / 81.0);
        assert!((centre - 1000.0).abs() < 120.0, "band {loudest} at {centre} Hz");
        // Eight decades of dynamic range, scaled by 1/4: every value within 2 of the loudest.
        let (low, high) = window
            .iter()
            .fold((f32::MAX, f32::MIN), |(l, h), &v| (l.min(v), h.max(v)));
        assert!(high - low <= 2.0 + 1e-4, "range {low}..{high}");
    }

    #[test]
    fn the_last_window_shrinks_to_the_speech_and_some_silence() {
        assert_eq!(encoder_frames(300), SHORT_WINDOW_MIN_FRAMES);
        assert_eq!(encoder_frames(1000), 1500);
        assert_eq!(encoder_frames(1001), 2000);
        assert_eq!(encoder_frames(2500), WINDOW_FRAMES);
        assert_eq!(encoder_frames(2501), WINDOW_FRAMES);
        assert_eq!(encoder_frames(10 * WINDOW_FRAMES), WINDOW_FRAMES);
        for remaining in 0..=2500 {
            let frames = encoder_frames(remaining);
            assert!(frames >= remaining + SHORT_WINDOW_SILENCE_FRAMES && frames.is_multiple_of(500));
        }
    }

    #[test]
    fn a_short_window_is_the_start_of_the_long_one() {
        let tone: Vec<f32> = (0..8_000).map(|i| (i as f32 * 0.3).sin() * 0.5).collect();
        let spectrogram = LogMel::new().compute(&tone);
        let long = spectrogram.window(0, WINDOW_FRAMES);
        let short = spectrogram.window(0, SHORT_WINDOW_MIN_FRAMES);
        for band in 0..N_MELS {
            let frames = SHORT_WINDOW_MIN_FRAMES;
            assert_eq!(
                short[band * frames..(band + 1) * frames],
                long[band * WINDOW_FRAMES..band * WINDOW_FRAMES + frames]
            );
        }
    }

    #[test]
    fn reflection_matches_numpy() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let got: Vec<f32> = (-3..7).map(|i| reflect(&x, i)).collect();
        assert_eq!(got, vec![4.0, 3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 2.0, 1.0]);
    }
}
