//! Whisper through Vox's engine on real speech: Debian's pocketsphinx-testdata utterances.

#[path = "support/eval.rs"]
mod eval;

use std::sync::{Mutex, MutexGuard, OnceLock};

use eval::{errors, models_dir, normalise, utterances};
use vox_asr_whisper::WhisperModel;
use vox_engine::audio::AudioBuffer;
use vox_engine::transcribe::{TranscriptionJob, TranscriptionTask};

/// Loaded once and used by one test at a time, as the engine's single worker thread does: the
/// sampling seed is process-wide, so interleaved jobs would not be reproducible.
fn base() -> MutexGuard<'static, WhisperModel> {
    static MODEL: OnceLock<Mutex<WhisperModel>> = OnceLock::new();
    let model = MODEL.get_or_init(|| {
        let dir = models_dir().join("whisper-base");
        let model =
            WhisperModel::load(&dir, 2).unwrap_or_else(|e| panic!("{e}: run `vox models pull whisper-base`"));
        Mutex::new(model)
    });
    model.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn job(audio: AudioBuffer) -> TranscriptionJob {
    TranscriptionJob {
        audio,
        task: TranscriptionTask::Transcribe,
        language: Some("en".into()),
        prompt: None,
        temperature: 0.0,
        word_timestamps: false,
    }
}

#[test]
fn word_error_rate_on_the_ten_utterances_is_at_most_eight_percent() {
    let (mut wrong, mut total) = (0, 0);
    for (audio, reference) in utterances() {
        let transcript = base().transcribe(&job(audio)).unwrap();
        let (reference, hypothesis) = (normalise(&reference), normalise(&transcript.text));
        let e = errors(&reference, &hypothesis);
        eprintln!(
            "{e} errors: {:?} / {:?}",
            reference.join(" "),
            hypothesis.join(" ")
        );
        wrong += e;
        total += reference.len();
    }
    let wer = wrong as f64 / total as f64;
    eprintln!("WER {:.1} % ({wrong}/{total})", wer * 100.0);
    assert!(wer <= 0.08, "WER {:.1} %", wer * 100.0);
}

#[test]
fn a_long_recording_keeps_every_word_in_order() {
    let all = utterances();
    let mut samples = Vec::new();
    let mut reference = Vec::new();
    for _ in 0..2 {
        for (audio, words) in &all {
            samples.extend_from_slice(&audio.samples);
            samples.extend(std::iter::repeat_n(0.0, 8000)); // half a second between utterances
            reference.extend(normalise(words));
        }
    }
    assert!(
        samples.len() > 16_000 * 60,
        "over a minute, so several windows and seams"
    );
    let transcript = base()
        .transcribe(&job(AudioBuffer {
            samples,
            sample_rate: 16_000,
        }))
        .unwrap();
    let hypothesis = normalise(&transcript.text);
    let e = errors(&reference, &hypothesis);
    eprintln!("{e} errors in {} words", reference.len());
    // Nothing lost or doubled at a seam shows as a low error count and a matching length.
    // On failure, the segments with their times show where a seam fell.
    let timed: Vec<String> = transcript
        .segments
        .iter()
        .map(|s| format!("[{:6.2} {:6.2}] {}", s.start, s.end, s.text.trim()))
        .collect();
    assert!(
        (e as f64) / (reference.len() as f64) <= 0.08,
        "{e} errors\n{}",
        timed.join("\n")
    );
    assert!(
        hypothesis.len().abs_diff(reference.len()) <= reference.len() / 20,
        "{} vs {}",
        hypothesis.len(),
        reference.len()
    );
    let segments_in_order = transcript.segments.windows(2).all(|w| w[0].start <= w[1].start);
    assert!(segments_in_order);
}

#[test]
fn silence_and_noise_give_an_empty_transcript() {
    let silence = AudioBuffer {
        samples: vec![0.0; 16_000 * 5],
        sample_rate: 16_000,
    };
    assert_eq!(base().transcribe(&job(silence)).unwrap().text, "");
    let hum: Vec<f32> = (0..16_000 * 5)
        .map(|i| (i as f32 * 0.037).sin() * 0.0005)
        .collect();
    assert_eq!(
        base()
            .transcribe(&job(AudioBuffer {
                samples: hum,
                sample_rate: 16_000
            }))
            .unwrap()
            .text,
        ""
    );
    let mut state = 0x1234_5678u32;
    let noise: Vec<f32> = (0..16_000 * 5)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state as f32 / u32::MAX as f32 - 0.5) * 0.2
        })
        .collect();
    let transcript = base()
        .transcribe(&job(AudioBuffer {
            samples: noise,
            sample_rate: 16_000,
        }))
        .unwrap();
    assert_eq!(transcript.text, "", "noise must not become words");
}

#[test]
fn unknown_languages_are_refused() {
    let mut request = job(AudioBuffer {
        samples: vec![0.0; 16_000],
        sample_rate: 16_000,
    });
    request.language = Some("xx".into());
    assert!(base().transcribe(&request).is_err());
}

#[test]
fn word_timestamps_follow_the_speech() {
    let (audio, reference) = utterances().into_iter().next().unwrap();
    let duration = audio.samples.len() as f64 / 16_000.0;
    let mut request = job(audio);
    request.word_timestamps = true;
    let transcript = base().transcribe(&request).unwrap();
    let words: Vec<_> = transcript.segments.iter().flat_map(|s| &s.words).collect();
    assert!(
        words.len().abs_diff(normalise(&reference).len()) <= 2,
        "{words:?}"
    );
    assert!(words.windows(2).all(|w| w[0].start <= w[1].start), "{words:?}");
    assert!(
        words.iter().all(|w| w.start <= w.end && w.end <= duration + 0.1),
        "{words:?}"
    );
    // Speech fills most of the clip: the words should spread over it, not pile up at zero.
    assert!(words.last().unwrap().start > duration / 2.0, "{words:?}");
}
