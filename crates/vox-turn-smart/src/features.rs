//! The model's input, as it was trained: the last 8 s of 16 kHz audio (zero-padded at the
//! front when shorter), normalised to zero mean and unit variance, as Whisper's log-mel
//! spectrogram of 800 frames, band by band.

use vox_mel::{HOP, MelBank, N_MELS, scale_as_whisper};

/// 8 s at 16 kHz.
pub const CONTEXT_SAMPLES: usize = 8 * 16_000;
/// Frames of the spectrogram: one per hop, the last (centred past the end) left out.
pub const FRAMES: usize = CONTEXT_SAMPLES / HOP;
/// Added to the variance before dividing by it, so silence does not divide by zero.
const VARIANCE_EPSILON: f32 = 1e-7;

/// `[80, 800]`, row-major by mel band.
pub fn of_last_seconds(bank: &MelBank, audio: &[f32]) -> Vec<f32> {
    let window = normalised(&last_seconds(audio));
    let mut by_frame = Vec::with_capacity(FRAMES * N_MELS);
    bank.log_frames(&window, FRAMES, &mut by_frame);
    scale_as_whisper(&mut by_frame);
    let mut by_band = vec![0f32; N_MELS * FRAMES];
    for (frame, bands) in by_frame.chunks_exact(N_MELS).enumerate() {
        for (band, value) in bands.iter().enumerate() {
            by_band[band * FRAMES + frame] = *value;
        }
    }
    by_band
}

/// Exactly 8 s: the end of `audio`, zeros before it if it is shorter.
fn last_seconds(audio: &[f32]) -> Vec<f32> {
    let tail = &audio[audio.len().saturating_sub(CONTEXT_SAMPLES)..];
    let mut window = vec![0f32; CONTEXT_SAMPLES - tail.len()];
    window.extend_from_slice(tail);
    window
}

fn normalised(samples: &[f32]) -> Vec<f32> {
    let n = samples.len() as f64;
    let mean = samples.iter().map(|&s| f64::from(s)).sum::<f64>() / n;
    let variance = samples
        .iter()
        .map(|&s| (f64::from(s) - mean).powi(2))
        .sum::<f64>()
        / n;
    let scale = 1.0 / (variance as f32 + VARIANCE_EPSILON).sqrt();
    samples.iter().map(|&s| (s - mean as f32) * scale).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_audio_is_padded_at_the_front_and_long_audio_keeps_its_end() {
        let short = last_seconds(&[1.0, 2.0]);
        assert_eq!(short.len(), CONTEXT_SAMPLES);
        assert_eq!(&short[CONTEXT_SAMPLES - 3..], &[0.0, 1.0, 2.0]);
        let long: Vec<f32> = (0..CONTEXT_SAMPLES + 5).map(|i| i as f32).collect();
        let kept = last_seconds(&long);
        assert_eq!(kept[0], 5.0);
        assert_eq!(*kept.last().unwrap(), (CONTEXT_SAMPLES + 4) as f32);
    }

    #[test]
    fn normalising_gives_zero_mean_and_unit_variance_and_survives_silence() {
        let tone: Vec<f32> = (0..16_000).map(|i| 0.1 * (i as f32 * 0.05).sin() + 0.3).collect();
        let out = normalised(&tone);
        let mean = out.iter().sum::<f32>() / out.len() as f32;
        let variance = out.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / out.len() as f32;
        assert!(
            mean.abs() < 1e-3 && (variance - 1.0).abs() < 1e-2,
            "{mean} {variance}"
        );
        assert!(normalised(&[0.0; 100]).iter().all(|v| *v == 0.0));
    }

    #[test]
    fn the_input_is_eighty_bands_of_eight_hundred_frames_in_whispers_range() {
        let tone: Vec<f32> = (0..32_000).map(|i| (i as f32 * 0.2).sin()).collect();
        let input = of_last_seconds(&MelBank::new(), &tone);
        assert_eq!(input.len(), N_MELS * FRAMES);
        let (low, high) = input
            .iter()
            .fold((f32::MAX, f32::MIN), |(l, h), &v| (l.min(v), h.max(v)));
        assert!(high - low <= 2.0 + 1e-4 && high > low, "{low}..{high}");
        // The padded front is quieter than the tone at the end.
        let loudness = |frame: usize| (0..N_MELS).map(|band| input[band * FRAMES + frame]).sum::<f32>();
        assert!(loudness(10) < loudness(FRAMES - 10));
    }
}
