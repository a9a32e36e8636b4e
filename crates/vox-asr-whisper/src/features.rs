//! Whisper's input: the log-mel spectrogram of `vox-mel`, cut into the windows the encoder reads.

use vox_mel::{FLOOR, MelBank, scale_as_whisper};
pub use vox_mel::{HOP, N_MELS, SAMPLE_RATE};

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

#[derive(Default)]
pub struct LogMel {
    bank: MelBank,
}

/// `frames` x 80, row-major by frame.
pub struct Spectrogram {
    pub frames: usize,
    data: Vec<f32>,
}

impl LogMel {
    pub fn new() -> Self {
        Self::default()
    }

    /// The spectrogram of `samples` followed by 30 s of silence, so that every window can be
    /// cut whole; normalised over the whole, as the model saw it in training.
    pub fn compute(&self, samples: &[f32]) -> Spectrogram {
        let mut padded = samples.to_vec();
        padded.resize(samples.len() + WINDOW_SAMPLES, 0.0);
        let frames = padded.len() / HOP;
        let mut data = Vec::with_capacity(frames * N_MELS);
        // From this frame on, every window sees only the silent padding: all floor, no FFT needed.
        let first_silent = (samples.len() + vox_mel::N_FFT).div_ceil(HOP);
        self.bank.log_frames(&padded, first_silent.min(frames), &mut data);
        data.resize(frames * N_MELS, FLOOR);
        scale_as_whisper(&mut data);
        Spectrogram { frames, data }
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

#[cfg(test)]
mod tests {
    use super::*;
    use vox_mel::{hz_to_mel, mel_to_hz};

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
}
