//! hibari's vocoder. The network predicts, per 12.5 ms frame, five spectra over 601 bins: the
//! log gain (`lh`) and phase turn (`theta`) of a harmonic branch applied to a band-limited
//! pulse train at `f0`, the log gain of shaped noise (`ln`), and a free branch with its own log
//! gain and phase (`lr`, `phi`). Their sum is turned into audio by one inverse STFT (n_fft 1200,
//! hop 300, periodic Hann, 24 kHz):
//!
//! `S = exp(lh) e^(i pi tanh(theta)) STFT(pulses(f0)) + exp(ln) Z + exp(lr) e^(i phi)`
//!
//! A voice can be moved away from the teacher's speaker here, cheaply: `f0` scaled changes the
//! pitch, the spectra stretched along frequency move the formants (a shorter or longer vocal
//! tract), as classic voice conversion does.

use std::f64::consts::TAU;
use std::sync::Arc;

use rand::Rng;
use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

pub const SAMPLE_RATE: u32 = 24_000;
pub const N_FFT: usize = 1200;
pub const HOP: usize = 300;
pub const BINS: usize = N_FFT / 2 + 1;
/// Frames whose f0 is below this are unvoiced: no pulses.
const VOICED_HZ: f32 = 40.0;
/// Harmonics above this are left out of the pulse train (below Nyquist, 12 kHz).
const MAX_HARMONIC_HZ: f32 = 11_000.0;
/// Gains are capped at e^7 before exponentiation, as the model was trained.
const MAX_LOG_GAIN: f32 = 7.0;

/// The network's outputs for `frames` frames, each spectrum `[BINS][frames]` row-major.
pub struct Spectra {
    pub frames: usize,
    pub lh: Vec<f32>,
    pub theta: Vec<f32>,
    pub ln: Vec<f32>,
    pub lr: Vec<f32>,
    pub phi: Vec<f32>,
    pub f0: Vec<f32>,
}

/// How a speaker differs from the one the model learnt: 1.0 and 1.0 is the teacher itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VoiceShift {
    pub pitch: f32,
    pub formants: f32,
}

impl VoiceShift {
    pub const NONE: Self = Self {
        pitch: 1.0,
        formants: 1.0,
    };
}

pub struct Vocoder {
    forward: Arc<dyn Fft<f32>>,
    inverse: Arc<dyn Fft<f32>>,
    window: Vec<f32>,
}

impl Default for Vocoder {
    fn default() -> Self {
        let mut planner = FftPlanner::new();
        let window = (0..N_FFT)
            .map(|n| (0.5 - 0.5 * (TAU * n as f64 / N_FFT as f64).cos()) as f32)
            .collect();
        Self {
            forward: planner.plan_fft_forward(N_FFT),
            inverse: planner.plan_fft_inverse(N_FFT),
            window,
        }
    }
}

impl Vocoder {
    /// The waveform for `spectra`: `frames * HOP` samples at 24 kHz.
    pub fn synthesize(&self, spectra: &Spectra, shift: VoiceShift, rng: &mut impl Rng) -> Vec<f32> {
        let frames = spectra.frames;
        let f0: Vec<f32> = spectra.f0.iter().map(|f| f * shift.pitch).collect();
        let pulses = pulse_train(&f0);
        let padded = reflect_pad(&pulses, N_FFT / 2);
        let mut out = vec![0.0f32; (frames + N_FFT / HOP - 1) * HOP];
        let mut weight = vec![0.0f32; out.len()];
        let mut buffer = vec![Complex32::ZERO; N_FFT];
        let mut column = FrameSpectra::new();
        // A unit cosine peaks at sum(window) / 2 in the STFT: exp(lh) is the harmonic's magnitude.
        let source_gain = 1.0 / (N_FFT as f32 / 4.0);
        for frame in 0..frames {
            let start = frame * HOP;
            for (n, slot) in buffer.iter_mut().enumerate() {
                *slot = Complex32::new(padded[start + n] * self.window[n] * source_gain, 0.0);
            }
            self.forward.process(&mut buffer);
            column.read(spectra, frame, shift.formants);
            for (bin, value) in buffer.iter_mut().take(BINS).enumerate() {
                *value = column.mix(bin, *value, gaussian(rng));
            }
            // The upper half mirrors the lower (a real signal); the inverse is unscaled.
            for bin in 1..N_FFT - BINS + 1 {
                buffer[N_FFT - bin] = buffer[bin].conj();
            }
            self.inverse.process(&mut buffer);
            for (n, value) in buffer.iter().enumerate() {
                let w = self.window[n];
                out[start + n] += value.re / N_FFT as f32 * w;
                weight[start + n] += w * w;
            }
        }
        let half = N_FFT / 2;
        out.iter()
            .zip(&weight)
            .skip(half)
            .take(frames * HOP)
            .map(|(sample, w)| sample / w.max(1e-11))
            .collect()
    }
}

/// One frame of the five spectra, read across bins (stretched when the formants move).
struct FrameSpectra {
    lh: Vec<f32>,
    theta: Vec<f32>,
    ln: Vec<f32>,
    lr: Vec<f32>,
    phi: Vec<f32>,
}

impl FrameSpectra {
    fn new() -> Self {
        let zeros = || vec![0.0; BINS];
        Self {
            lh: zeros(),
            theta: zeros(),
            ln: zeros(),
            lr: zeros(),
            phi: zeros(),
        }
    }

    /// Bin `b` of the output takes bin `b / formants` of the model's: gains interpolated,
    /// phases from the nearest bin (interpolating across a wrap would invent a phase).
    fn read(&mut self, spectra: &Spectra, frame: usize, formants: f32) {
        let at = |values: &[f32], bin: usize| values[bin * spectra.frames + frame];
        for bin in 0..BINS {
            let source = (bin as f32 / formants).min((BINS - 1) as f32);
            let low = source.floor() as usize;
            let high = (low + 1).min(BINS - 1);
            let t = source - low as f32;
            let lerp = |values: &[f32]| at(values, low) * (1.0 - t) + at(values, high) * t;
            let nearest = if t < 0.5 { low } else { high };
            self.lh[bin] = lerp(&spectra.lh);
            self.ln[bin] = lerp(&spectra.ln);
            self.lr[bin] = lerp(&spectra.lr);
            self.theta[bin] = at(&spectra.theta, nearest);
            self.phi[bin] = at(&spectra.phi, nearest);
        }
    }

    fn mix(&self, bin: usize, pulses: Complex32, noise: Complex32) -> Complex32 {
        let gain = |log: f32| log.min(MAX_LOG_GAIN).exp();
        let turn = Complex32::from_polar(gain(self.lh[bin]), std::f32::consts::PI * self.theta[bin].tanh());
        let free = Complex32::from_polar(gain(self.lr[bin]), self.phi[bin]);
        pulses * turn + noise * gain(self.ln[bin]) + free
    }
}

/// A band-limited pulse train following `f0` (one value per frame, interpolated linearly per
/// sample between frame centres): every harmonic below `MAX_HARMONIC_HZ` at unit amplitude,
/// `sum_{h<=H} cos(h t) = sin((H + 1/2) t) / (2 sin(t / 2)) - 1/2`. Unvoiced samples are 0.
pub fn pulse_train(f0: &[f32]) -> Vec<f32> {
    let frames = f0.len();
    let mut out = Vec::with_capacity(frames * HOP);
    let mut phase = 0.0f64;
    let edge = |i: isize| f0[i.clamp(0, frames as isize - 1) as usize];
    for frame in 0..frames as isize {
        for j in 0..HOP {
            // Sample j of this frame sits at frame + (j + 0.5) / HOP - 0.5 in frame units.
            let position = (j as f32 + 0.5) / HOP as f32 - 0.5;
            let (before, after, t) = if position < 0.0 {
                (edge(frame - 1), edge(frame), position + 1.0)
            } else {
                (edge(frame), edge(frame + 1), position)
            };
            let hz = before * (1.0 - t) + after * t;
            let voiced = hz > VOICED_HZ;
            let hz = hz.max(VOICED_HZ);
            phase = (phase + hz as f64 / SAMPLE_RATE as f64).fract();
            out.push(if voiced {
                harmonic_sum(hz, (phase * TAU) as f32)
            } else {
                0.0
            });
        }
    }
    out
}

fn harmonic_sum(hz: f32, t: f32) -> f32 {
    let harmonics = (MAX_HARMONIC_HZ / hz).floor() + 0.5;
    let denominator = 2.0 * (t * 0.5).sin();
    let sum = if denominator.abs() <= 2e-3 {
        harmonics
    } else {
        (harmonics * t).sin() / denominator
    };
    sum - 0.5
}

/// numpy's `reflect` padding: the edge sample is not repeated.
fn reflect_pad(x: &[f32], pad: usize) -> Vec<f32> {
    let n = x.len() as isize;
    let reflect = |i: isize| -> f32 {
        if n < 2 {
            return x.first().copied().unwrap_or(0.0);
        }
        let period = 2 * (n - 1);
        let mut i = i.rem_euclid(period);
        if i >= n {
            i = period - i;
        }
        x[i as usize]
    };
    (-(pad as isize)..n + pad as isize).map(reflect).collect()
}

/// A standard complex normal sample (real and imaginary parts each N(0, 1)), by Box-Muller.
fn gaussian(rng: &mut impl Rng) -> Complex32 {
    let u: f32 = rng.random_range(f32::EPSILON..1.0);
    let v: f32 = rng.random();
    let radius = (-2.0 * u.ln()).sqrt();
    Complex32::from_polar(radius, std::f32::consts::TAU * v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn silent_spectra(frames: usize, f0: f32) -> Spectra {
        let flat = |value: f32| vec![value; BINS * frames];
        Spectra {
            frames,
            lh: flat(0.0),
            theta: flat(0.0),
            ln: flat(-30.0),
            lr: flat(-30.0),
            phi: flat(0.0),
            f0: vec![f0; frames],
        }
    }

    /// Dominant frequency by autocorrelation over 60-400 Hz.
    fn pitch(samples: &[f32]) -> f32 {
        let lag_range = (SAMPLE_RATE as usize / 400)..(SAMPLE_RATE as usize / 60);
        let best = lag_range
            .max_by(|&a, &b| {
                let score = |lag: usize| {
                    samples
                        .iter()
                        .zip(&samples[lag..])
                        .map(|(x, y)| x * y)
                        .sum::<f32>()
                };
                score(a).total_cmp(&score(b))
            })
            .unwrap();
        SAMPLE_RATE as f32 / best as f32
    }

    #[test]
    fn the_pulse_train_repeats_at_f0_and_is_silent_when_unvoiced() {
        let pulses = pulse_train(&[150.0; 20]);
        assert_eq!(pulses.len(), 20 * HOP);
        assert!((pitch(&pulses) - 150.0).abs() < 3.0, "{}", pitch(&pulses));
        assert!(pulse_train(&[0.0; 4]).iter().all(|&s| s == 0.0));
    }

    #[test]
    fn harmonic_gain_of_one_reproduces_the_pulses_at_their_pitch() {
        let spectra = silent_spectra(40, 200.0);
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let audio = Vocoder::default().synthesize(&spectra, VoiceShift::NONE, &mut rng);
        assert_eq!(audio.len(), 40 * HOP);
        let middle = &audio[HOP * 10..HOP * 30];
        assert!((pitch(middle) - 200.0).abs() < 4.0, "{}", pitch(middle));
        let raised = VoiceShift {
            pitch: 1.25,
            formants: 1.0,
        };
        let audio = Vocoder::default().synthesize(&spectra, raised, &mut rng);
        let middle = &audio[HOP * 10..HOP * 30];
        assert!((pitch(middle) - 250.0).abs() < 5.0, "{}", pitch(middle));
    }

    #[test]
    fn reflect_padding_matches_numpy() {
        assert_eq!(
            reflect_pad(&[1.0, 2.0, 3.0], 2),
            vec![3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]
        );
    }
}
