//! smart-turn on the real model: recorded sentences (Debian's pocketsphinx-testdata audiobook
//! readings) whole and cut at the quietest gap between words in their middle, each followed
//! by the 200 ms of silence after which the server asks. `scripts/bench-turns` measures the
//! same through the realtime API, with Vox's own voices too.

use std::path::{Path, PathBuf};

use vox_audio::{DecodeLimits, decode_at};
use vox_engine::vad::TurnEnd;
use vox_turn_smart::SmartTurn;

const RATE: usize = 16_000;
const LIBRIVOX: &str = "/usr/share/pocketsphinx/test/data/librivox";

fn models_dir() -> PathBuf {
    std::env::var_os("VOX_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/vox-test-models"))
}

fn model() -> SmartTurn {
    let models = models_dir();
    SmartTurn::open(
        &models.join("onnxruntime/libonnxruntime.so.1.32.0"),
        &models.join("smart-turn-v3.2"),
    )
    .expect("vox models pull smart-turn-v3.2 onnxruntime")
}

fn recordings() -> Vec<Vec<f32>> {
    let listing = std::fs::read_to_string(Path::new(LIBRIVOX).join("transcription"))
        .expect("install Debian's pocketsphinx-testdata");
    let limits = DecodeLimits::up_to(20 << 20, std::time::Duration::from_secs(600));
    listing
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let id = line.rsplit('(').next().unwrap().trim_end_matches(')').trim();
            let bytes = std::fs::read(Path::new(LIBRIVOX).join(format!("{id}.wav"))).unwrap();
            decode_at(&bytes, &limits, RATE as u32).unwrap().samples
        })
        .collect()
}

/// Loudness of each 20 ms frame.
fn levels(samples: &[f32]) -> Vec<f32> {
    samples
        .chunks(RATE / 50)
        .map(|frame| (frame.iter().map(|s| s * s).sum::<f32>() / frame.len() as f32).sqrt())
        .collect()
}

/// The speech without the silence around it (frames under a tenth of the loudest).
fn trimmed(samples: &[f32]) -> &[f32] {
    let levels = levels(samples);
    let loudest = levels.iter().copied().fold(0.0, f32::max);
    let first = levels.iter().position(|l| *l > loudest * 0.1).unwrap();
    let last = levels.iter().rposition(|l| *l > loudest * 0.1).unwrap() + 1;
    &samples[first * RATE / 50..(last * RATE / 50).min(samples.len())]
}

/// The speech up to its quietest 60 ms between 35 % and 70 % of the way: a gap between words.
fn cut_mid_phrase(speech: &[f32]) -> &[f32] {
    let levels = levels(speech);
    let (first, last) = (levels.len() * 35 / 100, levels.len() * 70 / 100);
    let quietest = (first..last)
        .min_by(|&a, &b| {
            let sum = |i: usize| levels[i] + levels[i + 1] + levels[i + 2];
            sum(a).total_cmp(&sum(b))
        })
        .unwrap();
    &speech[..(quietest + 1) * RATE / 50]
}

fn paused(speech: &[f32]) -> Vec<f32> {
    let mut audio = speech.to_vec();
    audio.resize(speech.len() + RATE / 5, 0.0);
    audio
}

#[test]
fn finished_sentences_sound_more_finished_than_the_same_sentences_cut_mid_phrase() {
    let model = model();
    let verdicts: Vec<(f32, f32)> = recordings()
        .iter()
        .map(|recording| {
            let speech = trimmed(recording);
            let whole = model.finished(&paused(speech)).unwrap();
            let cut = model.finished(&paused(cut_mid_phrase(speech))).unwrap();
            (whole, cut)
        })
        .collect();
    let finished = verdicts.iter().filter(|(whole, _)| *whole >= 0.5).count();
    let mean = |pick: fn(&(f32, f32)) -> f32| verdicts.iter().map(pick).sum::<f32>() / verdicts.len() as f32;
    let (whole, cut) = (mean(|v| v.0), mean(|v| v.1));
    // Measured here: 3 of 5 whole readings judged finished, mean 0.64 whole against 0.35 cut.
    // The model is sensitive to where a cut falls and to a CPU's int8 kernels, so the bounds
    // leave room: this catches features or a model read wrongly, which score at random.
    assert!(
        finished >= 3,
        "{finished} of 5 finished: (whole, cut) {verdicts:?}"
    );
    assert!(whole - cut >= 0.15, "mean {whole} whole, {cut} cut: {verdicts:?}");
}

#[test]
fn any_length_of_audio_gets_a_probability() {
    let model = model();
    for len in [0, 1, RATE / 10, 8 * RATE, 20 * RATE] {
        let audio: Vec<f32> = (0..len).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
        let probability = model.finished(&audio).unwrap();
        assert!((0.0..=1.0).contains(&probability), "{len} samples: {probability}");
    }
    let silence = model.finished(&vec![0.0; 2 * RATE]).unwrap();
    assert!((0.0..=1.0).contains(&silence));
}

#[test]
fn only_the_last_eight_seconds_count() {
    let model = model();
    let speech = paused(trimmed(&recordings()[1]));
    let mut longer: Vec<f32> = (0..10 * RATE).map(|i| (i as f32 * 0.3).sin() * 0.5).collect();
    longer.extend_from_slice(&speech);
    // Whatever came 8 s before the pause changes nothing (the front of the window is the same
    // samples), so both verdicts agree to the last digit the model gives.
    let window = &longer[longer.len() - 8 * RATE..];
    assert_eq!(model.finished(&longer).unwrap(), model.finished(window).unwrap());
}
