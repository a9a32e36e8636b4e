//! Each piece is cut to its speech before Vox adds the pause its punctuation calls for. The
//! voices' own silence differs by model: Kokoro leaves 0.3-0.5 s before a piece and up to 0.5 s
//! after it, Piper about 0.05 s before, so Kokoro answers had a second of dead air between
//! sentences and started 0.4 s after their first audio byte.

/// A window quieter than this (RMS, about -50 dBFS) holds no speech; both models' silence is
/// below -80 dB.
const SILENT_RMS: f32 = 0.003;
const WINDOW_SECS: f32 = 0.01;
/// Kept before the first and after the last window of speech: onsets rise and soft endings (a
/// final "s") fade through the threshold. The lead is heard as a delay before an answer's first
/// word, so it is short: onsets cross -50 dBFS within a few milliseconds of becoming audible.
const LEAD_MARGIN_SECS: f32 = 0.05;
const TAIL_MARGIN_SECS: f32 = 0.15;

/// Removes the silence before and after the speech in `samples`; all of it if none is heard.
pub fn trim(samples: &mut Vec<f32>, sample_rate: u32) {
    let window = ((sample_rate as f32 * WINDOW_SECS) as usize).max(1);
    let heard = |chunk: &[f32]| rms(chunk) > SILENT_RMS;
    let Some(first) = samples.chunks(window).position(heard) else {
        samples.clear();
        return;
    };
    let last = samples.chunks(window).rposition(heard).unwrap_or(first);
    let margin = |secs: f32| (sample_rate as f32 * secs) as usize;
    let end = ((last + 1) * window + margin(TAIL_MARGIN_SECS)).min(samples.len());
    let start = (first * window).saturating_sub(margin(LEAD_MARGIN_SECS));
    samples.truncate(end);
    samples.drain(..start);
}

fn rms(chunk: &[f32]) -> f32 {
    (chunk.iter().map(|s| s * s).sum::<f32>() / chunk.len() as f32).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 1000;
    /// The margins in samples at 1 kHz: 50 before, 150 after.
    const LEAD: usize = (RATE as f32 * LEAD_MARGIN_SECS) as usize;
    const TAIL: usize = (RATE as f32 * TAIL_MARGIN_SECS) as usize;

    fn tone(n: usize) -> Vec<f32> {
        (0..n).map(|i| if i % 2 == 0 { 0.5 } else { -0.5 }).collect()
    }

    #[test]
    fn silence_around_speech_is_cut_to_the_margins() {
        let mut samples = vec![0.0; 400];
        samples.extend(tone(200));
        samples.extend(vec![0.0; 500]);
        trim(&mut samples, RATE);
        assert_eq!((LEAD, TAIL), (50, 150));
        assert_eq!(samples.len(), LEAD + 200 + TAIL);
        assert!(samples[..LEAD].iter().all(|&s| s == 0.0));
        assert_eq!(samples[LEAD], 0.5);
    }

    #[test]
    fn speech_at_the_edges_is_kept_whole() {
        let mut samples = tone(300);
        trim(&mut samples, RATE);
        assert_eq!(samples, tone(300));
    }

    #[test]
    fn a_quiet_tail_above_the_threshold_is_speech() {
        let mut samples = tone(100);
        samples.extend(vec![0.01; 100]);
        samples.extend(vec![0.0; 300]);
        trim(&mut samples, RATE);
        assert_eq!(samples.len(), 100 + 100 + TAIL);
    }

    #[test]
    fn nothing_heard_leaves_nothing() {
        let mut samples = vec![0.0001; 500];
        trim(&mut samples, RATE);
        assert!(samples.is_empty());
    }
}
