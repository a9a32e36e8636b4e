//! How long a whole answer takes to its first output when answers share the machine.
//!
//! The engines' own meters see only the work already queued at them. In a burst, answers
//! admitted a moment earlier have not reached the voices yet (their first clause is still being
//! written), and every answer in flight, queued or speaking, takes its share of the same cores.
//! This meter measures what admission bounds: the time from admission to first output, per
//! answer in flight over that time, so the next answer's wait is that cost times the answers
//! it would share the machine with.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Mark, SMOOTHING, SharingClock};

#[derive(Debug)]
pub struct FirstOutputMeter {
    inner: Mutex<Flight>,
}

#[derive(Debug)]
struct Flight {
    answers: SharingClock,
    /// Measured seconds to first output per answer in flight; `None` until measured.
    secs_per_answer: Option<f64>,
}

impl Default for FirstOutputMeter {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Flight {
                answers: SharingClock::new(Instant::now()),
                secs_per_answer: None,
            }),
        }
    }
}

impl FirstOutputMeter {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn lock(&self) -> MutexGuard<'_, Flight> {
        // Plain counters: a panic elsewhere cannot leave them half-written.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts an admitted answer until the returned guard is dropped.
    pub fn admit(self: &Arc<Self>) -> InFlight {
        let now = Instant::now();
        let mut flight = self.lock();
        let answers = flight.answers.jobs() + 1;
        flight.answers.set_jobs(answers, now);
        InFlight {
            meter: self.clone(),
            admitted: flight.answers.mark(now),
            measured: false,
        }
    }

    /// The wait of an answer admitted now: the measured cost per answer times the answers it
    /// would share the machine with, itself included. Zero until something was measured, and
    /// zero with no answer in flight: an idle machine refusing helps no one, and since only
    /// admitted answers measure the cost again, one slow answer (a cold start, a long opening)
    /// would otherwise have closed the door for good.
    pub fn expected_wait(&self) -> Duration {
        let flight = self.lock();
        let others = flight.answers.jobs();
        if others == 0 {
            return Duration::ZERO;
        }
        let secs = (others + 1) as f64 * flight.secs_per_answer.unwrap_or(0.0);
        Duration::try_from_secs_f64(secs).unwrap_or(Duration::ZERO)
    }

    pub fn answers(&self) -> usize {
        self.lock().answers.jobs()
    }

    fn observe(&self, admitted: Mark, now: Instant) {
        let mut flight = self.lock();
        let sample = flight.answers.alone_secs(admitted, now);
        flight.secs_per_answer = Some(match flight.secs_per_answer {
            Some(average) => average + SMOOTHING * (sample - average),
            None => sample,
        });
    }
}

/// An answer counted by its meter until dropped (done, failed or abandoned).
#[derive(Debug)]
pub struct InFlight {
    meter: Arc<FirstOutputMeter>,
    admitted: Mark,
    measured: bool,
}

impl InFlight {
    /// The answer's first output is out: measured once, later calls do nothing.
    pub fn first_output(&mut self) {
        if !std::mem::replace(&mut self.measured, true) {
            self.meter.observe(self.admitted, Instant::now());
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut flight = self.meter.lock();
        let answers = flight.answers.jobs().saturating_sub(1);
        flight.answers.set_jobs(answers, Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(meter: &Arc<FirstOutputMeter>, guard: &InFlight, waited: f64) {
        meter.observe(
            guard.admitted,
            guard.admitted.at() + Duration::from_secs_f64(waited),
        );
    }

    #[test]
    fn an_unmeasured_meter_admits_everything() {
        let meter = FirstOutputMeter::new();
        let _answers: Vec<InFlight> = (0..40).map(|_| meter.admit()).collect();
        assert_eq!(meter.expected_wait(), Duration::ZERO);
        assert_eq!(meter.answers(), 40);
    }

    #[test]
    fn a_lone_answer_costs_what_it_waited() {
        let meter = FirstOutputMeter::new();
        let alone = meter.admit();
        measured(&meter, &alone, 1.5);
        drop(alone);
        assert_eq!(meter.answers(), 0);
        // Idle: nothing to wait for, however slow the last answer was.
        assert_eq!(meter.expected_wait(), Duration::ZERO);
        let _others: Vec<InFlight> = (0..3).map(|_| meter.admit()).collect();
        // Three in flight: the fourth shares the machine four ways.
        assert!((meter.expected_wait().as_secs_f64() - 6.0).abs() < 1e-6);
    }

    #[test]
    fn sharing_is_averaged_over_the_wait() {
        let meter = FirstOutputMeter::new();
        let answers: Vec<InFlight> = (0..4).map(|_| meter.admit()).collect();
        // Four in flight for (about) the whole 8 s wait: 2 s per answer.
        measured(&meter, &answers[0], 8.0);
        let per_answer = meter.lock().secs_per_answer.unwrap();
        assert!((per_answer - 2.0).abs() < 0.01, "{per_answer}");
    }

    #[test]
    fn the_first_output_is_measured_once() {
        let meter = FirstOutputMeter::new();
        let mut answer = meter.admit();
        answer.first_output();
        let first = meter.lock().secs_per_answer;
        answer.first_output();
        assert_eq!(meter.lock().secs_per_answer, first);
    }
}
