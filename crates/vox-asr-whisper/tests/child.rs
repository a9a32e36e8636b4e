//! Recognition in a child process: the same transcripts as in process, a hang-up kills the
//! child at once, and the next job is served by a fresh one.

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

/// Recognizer processes this test process has running.
fn recognizer_children() -> usize {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| {
            let dir = entry.ok()?.path();
            let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
            let parent = stat.rsplit(')').next()?.split_whitespace().nth(1)?.to_string();
            let command = std::fs::read(dir.join("cmdline")).ok()?;
            (parent == me && String::from_utf8_lossy(&command).contains("recognizer_child")).then_some(())
        })
        .count()
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
async fn the_child_hears_what_the_model_hears_and_dies_with_its_caller() {
    let engine = WhisperEngine::start_in(&in_child(), &model_dir(), 2).unwrap();
    let local = WhisperModel::load(&model_dir(), 2).unwrap();
    for (audio, _) in eval::utterances().into_iter().take(2) {
        let job = job(audio);
        let expected = local.transcribe(&job).unwrap();
        let got = engine.transcribe(job).await.unwrap();
        assert_eq!(got, expected);
        assert!(!got.segments[0].words.is_empty());
    }
    // One test, not two: the processes are counted, and another test's child would count too.
    hang_up_kills_the_child_and_the_next_job_gets_a_new_one(engine).await;
}

async fn hang_up_kills_the_child_and_the_next_job_gets_a_new_one(engine: WhisperEngine) {
    let engine = Arc::new(engine);
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
    assert_eq!(recognizer_children(), 1);
    let abandoned = tokio::time::timeout(Duration::from_millis(700), engine.transcribe(job(long))).await;
    assert!(abandoned.is_err(), "a minute of audio was recognised in 0.7 s");
    // Killed, not left to finish: a child that had finished would still be waiting for work.
    let gone = (0..500).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        recognizer_children() == 0
    });
    assert!(gone, "the recognizer kept running after its caller left");
    let (audio, reference) = utterances.into_iter().next().unwrap();
    let text = engine.transcribe(job(audio)).await.unwrap().text;
    let (hyp, reference) = (eval::normalise(&text), eval::normalise(&reference));
    assert!(eval::errors(&reference, &hyp) * 2 < reference.len(), "{text:?}");
}
