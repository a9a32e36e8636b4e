//! The engine behind its queue: concurrent requests each get their own answer.

#[path = "support/eval.rs"]
mod eval;

use std::sync::Arc;

use vox_asr_whisper::WhisperEngine;
use vox_engine::transcribe::{Transcriber, TranscriptionJob, TranscriptionTask};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_never_mix() {
    let engine = Arc::new(WhisperEngine::start(&eval::models_dir().join("whisper-tiny-en"), 2).unwrap());
    let utterances = eval::utterances();
    let mut tasks = Vec::new();
    for (audio, reference) in utterances.into_iter().take(6) {
        let engine = engine.clone();
        tasks.push(tokio::spawn(async move {
            let job = TranscriptionJob {
                audio,
                task: TranscriptionTask::Transcribe,
                language: None,
                prompt: None,
                temperature: 0.0,
                word_timestamps: false,
            };
            (engine.transcribe(job).await.unwrap().text, reference)
        }));
    }
    for task in tasks {
        let (text, reference) = task.await.unwrap();
        let (hyp, reference) = (eval::normalise(&text), eval::normalise(&reference));
        // tiny.en is rough, but each answer must be about its own utterance.
        let errors = eval::errors(&reference, &hyp);
        assert!(errors * 2 < reference.len(), "{text:?} for {reference:?}");
    }
}
