//! What an answer has used and said so far, kept where both halves of the task (the writer and
//! the voice) update it and where a cancellation can still read it.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use vox_engine::chat::StopReason;

use super::{Ending, SpokenClause, Summary, Timings};
use crate::OUTPUT_RATE;

#[derive(Debug)]
pub struct Record {
    started: Instant,
    inner: Mutex<Progress>,
}

#[derive(Debug, Default)]
struct Progress {
    first_audio: Option<Duration>,
    synthesis: Duration,
    prompt_tokens: u64,
    cached_tokens: u64,
    completion_tokens: u64,
    reason: Option<StopReason>,
    samples: u64,
    clauses: Vec<SpokenClause>,
    /// A clause announced whose audio has not started yet.
    pending_clause: Option<String>,
}

impl Progress {
    fn settle_silent_clause(&mut self) {
        if let Some(text) = self.pending_clause.take() {
            let start_secs = self.samples as f64 / f64::from(OUTPUT_RATE);
            self.clauses.push(SpokenClause {
                text,
                start_secs,
                secs: 0.0,
            });
        }
    }
}

impl Record {
    pub fn new(started: Instant) -> Self {
        Self {
            started,
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Progress> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn tokens(&self, prompt_tokens: u64, completion_tokens: u64) {
        let mut progress = self.lock();
        progress.prompt_tokens = prompt_tokens;
        progress.completion_tokens = completion_tokens;
    }

    pub fn cached(&self, tokens: u64) {
        self.lock().cached_tokens = tokens;
    }

    /// Time spent waiting on the voice for the next piece of audio.
    pub fn waited_on_voice(&self, waited: Duration) {
        self.lock().synthesis += waited;
    }

    pub fn finished(&self, reason: StopReason, prompt_tokens: u64, completion_tokens: u64) {
        self.tokens(prompt_tokens, completion_tokens);
        self.lock().reason = Some(reason);
    }

    pub fn reason(&self) -> Option<StopReason> {
        self.lock().reason
    }

    /// The voice announces a clause; it counts as said once its audio starts. One that made
    /// no sound at all (a lone symbol) still belongs to the transcript once the next begins.
    pub fn clause(&self, text: &str) {
        let mut progress = self.lock();
        progress.settle_silent_clause();
        progress.pending_clause = Some(text.to_string());
    }

    pub fn audio(&self, samples: usize) {
        let mut progress = self.lock();
        progress.first_audio.get_or_insert_with(|| self.started.elapsed());
        let start_secs = progress.samples as f64 / f64::from(OUTPUT_RATE);
        if let Some(text) = progress.pending_clause.take() {
            progress.clauses.push(SpokenClause {
                text,
                start_secs,
                secs: 0.0,
            });
        }
        progress.samples += samples as u64;
        if let Some(clause) = progress.clauses.last_mut() {
            clause.secs += samples as f64 / f64::from(OUTPUT_RATE);
        }
    }

    pub fn summary(&self, ending: Ending) -> Summary {
        let mut progress = self.lock();
        // A completed answer said all it wrote; a stopped one only what has sound.
        if matches!(ending, Ending::Completed(_)) {
            progress.settle_silent_clause();
        }
        Summary {
            ending,
            prompt_tokens: progress.prompt_tokens,
            cached_tokens: progress.cached_tokens,
            completion_tokens: progress.completion_tokens,
            audio_secs: progress.samples as f64 / f64::from(OUTPUT_RATE),
            transcript: progress.clauses.iter().map(|c| c.text.as_str()).collect(),
            clauses: progress.clauses.clone(),
            timings: Timings {
                first_audio_secs: progress.first_audio.map(|d| d.as_secs_f64()),
                synthesis_secs: progress.synthesis.as_secs_f64(),
                total_secs: self.started.elapsed().as_secs_f64(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clause_counts_once_its_audio_starts() {
        let record = Record::new(Instant::now());
        record.clause("Yes, ");
        record.audio(24_000);
        record.clause("they are.");
        let heard = record.summary(Ending::Cancelled);
        assert_eq!(heard.transcript, "Yes, ");
        assert_eq!(heard.audio_secs, 1.0);
        record.audio(12_000);
        let heard = record.summary(Ending::Cancelled);
        assert_eq!(heard.transcript, "Yes, they are.");
        assert_eq!(heard.clauses[1].start_secs, 1.0);
        assert_eq!(heard.clauses[1].secs, 0.5);
        assert!(heard.timings.first_audio_secs.is_some());
    }
}
