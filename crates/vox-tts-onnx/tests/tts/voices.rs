//! The voices on the real models: `speed`, the quickstart's three voices told apart by pitch,
//! Spanish read at the pitch of its native speaker, audio piece by piece, views of the engine.
//! That every voice is understood (heard back by whisper-base) is checked end to end, through
//! the server: tests/e2e/python/test_voices.py.

// The test models' location.
use crate::eval;

use std::sync::OnceLock;

use futures::StreamExt;
use vox_engine::audio::AudioBuffer;
use vox_engine::speech::{SpeechJob, Synthesizer};
use vox_tts_onnx::{TtsConfig, TtsEngine, VoiceModels};

const SENTENCE: &str = "Golden retrievers are gentle, patient and loyal family dogs.";

fn engine() -> &'static TtsEngine {
    static ENGINE: OnceLock<TtsEngine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let models = eval::models_dir();
        let kokoro = models.join("kokoro-82m-int8");
        TtsEngine::start(TtsConfig {
            onnx_runtime: models.join("onnxruntime/libonnxruntime.so.1.32.0"),
            piper_model: Some(models.join("piper-en-us-joe-medium/en_US-joe-medium.onnx")),
            kokoro_dir: kokoro.exists().then_some(kokoro),
            hibari_dir: Some(models.join("hibari-heart-int8")),
            threads: 2,
            queue_depth: 8,
            custom_voices: vec![],
            turns: vox_engine::turns::SpeechTurns::new(),
        })
        .expect("pull the test profile and kokoro-82m-int8 (scripts/test does)")
    })
}

async fn speak(text: &str, voice: &str, speed: f64, language: Option<&str>) -> AudioBuffer {
    speak_with(engine(), text, voice, speed, language).await
}

async fn speak_with(
    engine: &TtsEngine,
    text: &str,
    voice: &str,
    speed: f64,
    language: Option<&str>,
) -> AudioBuffer {
    let voice = engine.voices().resolve(voice).expect("a known voice");
    let job = SpeechJob {
        text: text.into(),
        voice,
        speed,
        language: language.map(str::to_string),
        heard_live: true,
    };
    let mut chunks = engine.synthesize(job);
    let mut audio = AudioBuffer {
        samples: Vec::new(),
        sample_rate: 0,
    };
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.unwrap();
        audio.sample_rate = chunk.sample_rate;
        audio.samples.extend(chunk.samples);
    }
    audio
}

#[tokio::test]
async fn speed_changes_duration_in_proportion() {
    let text = SENTENCE;
    for voice in ["echo", "alloy"] {
        let normal = speak(text, voice, 1.0, None).await.duration_secs();
        for speed in [0.5, 2.0] {
            let duration = speak(text, voice, speed, None).await.duration_secs();
            let ratio = normal / duration;
            assert!(
                (ratio / speed - 1.0).abs() <= 0.10,
                "{voice} speed {speed}: {normal:.2} s -> {duration:.2} s"
            );
        }
    }
}

#[tokio::test]
async fn spanish_is_read_at_the_pitch_of_a_native_speaker_of_the_voices_gender() {
    for (voice, speaker) in [("echo", "em_alex"), ("alloy", "ef_dora")] {
        // The same text in the native speaker's own voice: the same pitch, give or take.
        let text = SPANISH;
        let standing_in = median_pitch(&speak(text, voice, 1.0, None).await);
        let native = median_pitch(&speak(text, speaker, 1.0, None).await);
        assert!(
            (standing_in / native - 1.0).abs() < 0.05,
            "{voice} read Spanish at {standing_in:.0} Hz, {speaker} at {native:.0} Hz"
        );
    }
}

const SPANISH: &str = "El tren para Madrid sale a las ocho de la mañana.";

#[tokio::test]
async fn the_quickstart_voices_are_three_different_speakers() {
    let text = SENTENCE;
    let mut pitches = Vec::new();
    for voice in ["alloy", "echo", "shimmer"] {
        pitches.push((voice, median_pitch(&speak(text, voice, 1.0, None).await)));
    }
    println!("median pitch: {pitches:?}");
    for (i, (a, pa)) in pitches.iter().enumerate() {
        for (b, pb) in &pitches[i + 1..] {
            assert!(
                (pa / pb - 1.0).abs() >= 0.08,
                "{a} ({pa:.0} Hz) and {b} ({pb:.0} Hz) are too alike"
            );
        }
    }
}

/// Median f0 (Hz) over the voiced 40 ms frames (normalised autocorrelation, 60-400 Hz).
fn median_pitch(audio: &AudioBuffer) -> f32 {
    let rate = audio.sample_rate as usize;
    let frame = rate / 25;
    let frames: Vec<&[f32]> = audio.samples.chunks_exact(frame).collect();
    let energy = |f: &[f32]| f.iter().map(|s| s * s).sum::<f32>();
    let loudest = frames.iter().map(|f| energy(f)).fold(0.0, f32::max);
    let mut pitches: Vec<f32> = frames
        .iter()
        .filter(|f| energy(f) > loudest * 0.01)
        .filter_map(|f| {
            let zero = energy(f);
            (rate / 400..rate / 60)
                .map(|lag| {
                    (
                        lag,
                        f.iter().zip(&f[lag..]).map(|(a, b)| a * b).sum::<f32>() / zero,
                    )
                })
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .filter(|(_, score)| *score > 0.5)
                .map(|(lag, _)| rate as f32 / lag as f32)
        })
        .collect();
    assert!(pitches.len() > 5, "no voiced frames");
    pitches.sort_by(f32::total_cmp);
    pitches[pitches.len() / 2]
}

#[tokio::test]
async fn audio_comes_piece_by_piece() {
    let voice = engine().voices().resolve("echo").unwrap();
    let job = SpeechJob {
        text: "First sentence here. Second one follows. And a third.".into(),
        voice,
        speed: 1.0,
        language: None,
        heard_live: true,
    };
    let chunks: Vec<_> = engine().synthesize(job).collect().await;
    assert_eq!(chunks.len(), 3);
    assert!(
        chunks
            .iter()
            .all(|c| c.as_ref().is_ok_and(|a| a.duration_secs() > 0.3))
    );
}

#[tokio::test]
async fn a_view_without_kokoro_shares_the_models_and_speaks_only_its_own() {
    let models_of =
        |engine: &TtsEngine| -> Vec<String> { engine.voices().list().into_iter().map(|v| v.model).collect() };
    assert!(
        models_of(engine()).iter().any(|m| m == "kokoro"),
        "pull kokoro-82m-int8 (scripts/test does)"
    );
    let without_kokoro = engine().view(VoiceModels {
        kokoro: false,
        hibari: true,
    });
    let models = models_of(&without_kokoro);
    assert!(!models.iter().any(|m| m == "kokoro"), "{models:?}");
    assert!(models.iter().any(|m| m == "hibari") && models.iter().any(|m| m == "piper"));
    // Every OpenAI name is still there, spoken by an installed model of the view.
    for name in [
        "alloy", "ash", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer",
    ] {
        assert!(without_kokoro.voices().resolve(name).is_some(), "{name}");
    }
    // French for echo (Piper joe): the full engine hands it to Kokoro (24 kHz), the view keeps
    // Piper (22.05 kHz), and both speak through the one thread.
    let french = "Le chat dort sur le canapé.";
    let by_all = speak_with(engine(), french, "echo", 1.0, Some("fr")).await;
    let by_view = speak_with(&without_kokoro, french, "echo", 1.0, Some("fr")).await;
    assert_eq!(by_all.sample_rate, 24_000);
    assert_eq!(by_view.sample_rate, 22_050);
    assert!(by_view.duration_secs() > 0.5);
}
