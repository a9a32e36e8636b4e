//! Speech recognition speed and accuracy of Vox's Whisper engine on the 10 labelled utterances of
//! Debian's pocketsphinx-testdata: word error rate and real-time factor (processing time /
//! audio time; lower is faster), greedy decoding, int8, on the given number of threads.
//!
//! cargo run --release -p vox-asr-whisper --example asr_bench [MODEL_DIR] [THREADS]
//! (scripts/bench-asr runs it beside faster-whisper on the same weights.)

#[path = "../tests/support/eval.rs"]
mod eval;

use std::time::Instant;

use vox_asr_whisper::WhisperModel;
use vox_engine::transcribe::{TranscriptionJob, TranscriptionTask};

const RUNS: usize = 3;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .map(Into::into)
        .unwrap_or_else(|| eval::models_dir().join("whisper-base"));
    let threads: usize = args.next().and_then(|t| t.parse().ok()).unwrap_or(2);
    let model = WhisperModel::load(&dir, threads).expect("load the model (vox models pull whisper-base)");
    let utterances = eval::utterances();
    let audio_secs: f64 = utterances
        .iter()
        .map(|(a, _)| a.samples.len() as f64 / 16_000.0)
        .sum();
    let mut times = Vec::new();
    let mut wer = 0.0;
    for _ in 0..RUNS {
        let (mut wrong, mut total) = (0, 0);
        let started = Instant::now();
        for (audio, reference) in &utterances {
            let job = TranscriptionJob {
                audio: audio.clone(),
                task: TranscriptionTask::Transcribe,
                language: Some("en".into()),
                prompt: None,
                temperature: 0.0,
                word_timestamps: false,
            };
            let text = model.transcribe(&job).expect("transcribe").text;
            wrong += eval::errors(&eval::normalise(reference), &eval::normalise(&text));
            total += eval::normalise(reference).len();
        }
        times.push(started.elapsed().as_secs_f64());
        wer = wrong as f64 / total as f64;
    }
    times.sort_by(f64::total_cmp);
    let median = times[RUNS / 2];
    println!(
        "{:<34} RTF {:.3}  WER {:>4.1} %  ({:.1} s of audio in {:.2} s, median of {RUNS}, {threads} threads)",
        "vox (ct2rs int8, greedy)",
        median / audio_secs,
        wer * 100.0,
        audio_secs,
        median
    );
}
