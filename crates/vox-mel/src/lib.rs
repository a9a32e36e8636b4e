//! Whisper's log-mel spectrogram, 100 frames a second, computed as the model was trained
//! (centred 25 ms Hann windows over reflected edges, Slaney mel scale, log10, a dynamic range of
//! 8 decades, scaled to about [-1, 1]). Two models read it: the Whisper recogniser and the
//! smart-turn end-of-turn model, which was trained on Whisper's features of its last 8 s.

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

pub const SAMPLE_RATE: u32 = 16_000;
pub const N_FFT: usize = 400;
pub const HOP: usize = 160;
pub const N_MELS: usize = 80;
/// The log10 of the smallest energy a band is given (silence).
pub const FLOOR: f32 = -10.0;

/// The filters, window and FFT plan: built once, shared by every spectrogram.
pub struct MelBank {
    filters: Vec<[f32; N_FFT / 2 + 1]>,
    window: Vec<f32>,
    fft: Arc<dyn Fft<f32>>,
}

impl MelBank {
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

    /// The log10 band energies of frames `0..frames` of `samples` (frame `n`'s window centred on
    /// sample `n * HOP`, the edges reflected), appended to `out` frame by frame.
    pub fn log_frames(&self, samples: &[f32], frames: usize, out: &mut Vec<f32>) {
        let mut buffer = vec![Complex::new(0.0f32, 0.0); N_FFT];
        let mut power = [0f32; N_FFT / 2 + 1];
        for frame in 0..frames {
            let start = (frame * HOP) as isize - (N_FFT / 2) as isize;
            for (i, slot) in buffer.iter_mut().enumerate() {
                *slot = Complex::new(reflect(samples, start + i as isize) * self.window[i], 0.0);
            }
            self.fft.process(&mut buffer);
            for (p, c) in power.iter_mut().zip(&buffer) {
                *p = c.norm_sqr();
            }
            for filter in &self.filters {
                let energy: f32 = filter.iter().zip(&power).map(|(w, p)| w * p).sum();
                out.push(energy.max(1e-10).log10());
            }
        }
    }
}

impl Default for MelBank {
    fn default() -> Self {
        Self::new()
    }
}

/// Whisper's scaling of log10 energies: nothing more than 8 decades below the loudest, then
/// shifted and scaled to about [-1, 1].
pub fn scale_as_whisper(log_energies: &mut [f32]) {
    let ceiling = log_energies.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for value in log_energies {
        *value = (value.max(ceiling - 8.0) + 4.0) / 4.0;
    }
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

pub fn hz_to_mel(hz: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    let log_step = 6.4f64.ln() / 27.0;
    if hz < 1000.0 {
        hz / F_SP
    } else {
        15.0 + (hz / 1000.0).ln() / log_step
    }
}

pub fn mel_to_hz(mel: f64) -> f64 {
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
        let mut frames = Vec::new();
        MelBank::new().log_frames(&tone, 51, &mut frames);
        let frame = &frames[50 * N_MELS..];
        let loudest = (0..N_MELS)
            .max_by(|&a, &b| frame[a].total_cmp(&frame[b]))
            .unwrap();
        let centre =
            mel_to_hz(hz_to_mel(0.0) + (hz_to_mel(8000.0) - hz_to_mel(0.0)) * (loudest + 1) as f64 / 81.0);
        assert!((centre - 1000.0).abs() < 120.0, "band {loudest} at {centre} Hz");
    }

    #[test]
    fn whisper_scaling_keeps_eight_decades_within_two() {
        let mut values = vec![-10.0, -3.0, 0.0, 1.5];
        scale_as_whisper(&mut values);
        assert_eq!(
            values,
            vec![(-6.5 + 4.0) / 4.0, (-3.0 + 4.0) / 4.0, 1.0, (1.5 + 4.0) / 4.0]
        );
    }

    #[test]
    fn reflection_matches_numpy() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let got: Vec<f32> = (-3..7).map(|i| reflect(&x, i)).collect();
        assert_eq!(got, vec![4.0, 3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 2.0, 1.0]);
    }
}
