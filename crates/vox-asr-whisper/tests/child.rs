//! Recognition in a child process: the same transcripts as in process, a hang-up kills the
//! child, and the next job is served by a fresh one.

#[path = "support/eval.rs"]
mod eval;

use std::sync::Arc;
use std::time::Duration;

use vox_asr_whisper::{RecognizerPlace, WhisperEngine, WhisperModel};
use vox_engine::audio::AudioBuffer;
use vox_engine::transcribe::{Transcriber, TranscriptionJob, TranscriptionTask};

/// This test binary doubles as the recognizer child (see `recognizer_child`).
fn in_child() -> RecognizerPlace {
    RecognizerPlace::Child {
        program: std::env::current_exe().unwrap(),
        args: [
            "recognizer_child",
            "--exact",
            "--ignored",
            "--quiet",
            "--test-threads=1",
        ]
        .map(String::from)
        .to_vec(),
    }
}

/// Not a test: the child side. The model folder and thread count come last on the command
/// line (libtest takes them as filters that match nothing).
#[test]
#[ignore = "child process of the recognizer tests"]
fn recognizer_child() {
    let args: Vec<String> = std::env::args().collect();
    let [.., dir, threads] = args.as_slice() else {
        panic!("no model folder")
    };
    vox_asr_whisper::run_child(dir.as_ref(), threads.parse().unwrap()).unwrap();
}

fn job(audio: AudioBuffer) -> TranscriptionJob {
    TranscriptionJob {
        audio,
        task: TranscriptionTask::Transcribe,
        language: None,
        prompt: None,
        temperature: 0.0,
        word_timestamps: true,
    }
}

fn model_dir() -> std::path::PathBuf {
    eval::models_dir().join("whisper-tiny-en")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_child_hears_what_the_model_hears_in_process() {
    let engine = WhisperEngine::start_in(&in_child(), &model_dir(), 2).unwrap();
    let local = WhisperModel::load(&model_dir(), 2).unwrap();
    for (audio, _) in eval::utterances().into_iter().take(2) {
        let job = job(audio);
        let expected = local.transcribe(&job).unwrap();
        let got = engine.transcribe(job).await.unwrap();
        assert_eq!(got, expected);
        assert!(!got.segments[0].words.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hang_up_kills_the_child_and_the_next_job_gets_a_new_one() {
    let engine = Arc::new(WhisperEngine::start_in(&in_child(), &model_dir(), 2).unwrap());
    let utterances = eval::utterances();
    // A minute of speech: long enough to still be computing when the caller leaves.
    let mut long = Vec::new();
    while long.len() < 60 * 16_000 {
        for (audio, _) in &utterances {
            long.extend_from_slice(&audio.samples);
        }
    }
    let long = AudioBuffer {
        samples: long,
        sample_rate: 16_000,
    };
    let abandoned = tokio::time::timeout(Duration::from_millis(700), engine.transcribe(job(long))).await;
    assert!(abandoned.is_err(), "a minute of audio was recognised in 0.7 s");
    let (audio, reference) = utterances.into_iter().next().unwrap();
    let text = engine.transcribe(job(audio)).await.unwrap().text;
    let (hyp, reference) = (eval::normalise(&text), eval::normalise(&reference));
    assert!(eval::errors(&reference, &hyp) * 2 < reference.len(), "{text:?}");
}
