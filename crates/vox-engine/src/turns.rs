//! Turn-taking for the CPU between speech a listener is waiting for and text generation.
//!
//! On a machine with few cores, a voice and the language model running at once both crawl: the
//! runtimes split each operation across the cores and wait for the slowest share, so a share that
//! the scheduler gives to the other engine stalls the whole operation (the model's lower
//! niceness only shortens those stalls). Measured on 2 cores, a 2.5 s Kokoro sentence requested
//! while a 200-token text answer was being written, four runs each: first audio 1.73 to 2.23 s
//! with the model decoding beside it, 1.60 to 1.81 s with the model waiting, 1.52 to 1.97 s with
//! nothing else running. Text comes faster than it can be spoken, so the model loses little by
//! waiting while a clause is synthesised: the voice marks those moments as urgent, and the model
//! waits for them to end (for a bounded time, so that it is never starved by a long narration).

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct SpeechTurns {
    urgent: Mutex<usize>,
    quiet: Condvar,
}

/// Held while urgent speech work runs; dropping it ends the turn.
#[derive(Debug)]
pub struct UrgentTurn(Arc<SpeechTurns>);

impl SpeechTurns {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Starts urgent speech work; other engines yield until the returned turn is dropped.
    pub fn urgent(self: &Arc<Self>) -> UrgentTurn {
        *self.lock() += 1;
        UrgentTurn(self.clone())
    }

    /// Blocks while urgent speech work runs, for at most `max`. Returns how long it waited.
    pub fn wait_for_quiet(&self, max: Duration) -> Duration {
        let started = Instant::now();
        let urgent = self.lock();
        let (_urgent, _) = self
            .quiet
            .wait_timeout_while(urgent, max, |count| *count > 0)
            .unwrap_or_else(PoisonError::into_inner);
        started.elapsed()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, usize> {
        self.urgent.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for UrgentTurn {
    fn drop(&mut self) {
        let mut urgent = self.0.lock();
        *urgent = urgent.saturating_sub(1);
        if *urgent == 0 {
            self.0.quiet.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_urgent_means_no_wait() {
        let turns = SpeechTurns::new();
        assert!(turns.wait_for_quiet(Duration::from_secs(5)) < Duration::from_secs(1));
    }

    #[test]
    fn the_wait_ends_when_the_last_urgent_turn_ends() {
        let turns = SpeechTurns::new();
        let first = turns.urgent();
        let second = turns.urgent();
        let waiter = {
            let turns = turns.clone();
            std::thread::spawn(move || {
                let waited = turns.wait_for_quiet(Duration::from_secs(30));
                (waited, std::time::Instant::now())
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        drop(first);
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiter.is_finished(), "one urgent turn is still running");
        // Judged by order, not by durations, which a loaded machine stretches.
        let released = std::time::Instant::now();
        drop(second);
        let (waited, woke) = waiter.join().unwrap();
        assert!(woke >= released, "the wait ended before the last turn did");
        assert!(waited < Duration::from_secs(30));
    }

    #[test]
    fn the_wait_is_bounded() {
        let turns = SpeechTurns::new();
        let _held = turns.urgent();
        let waited = turns.wait_for_quiet(Duration::from_millis(30));
        assert!(waited >= Duration::from_millis(30));
        assert!(waited < Duration::from_secs(10));
    }
}
