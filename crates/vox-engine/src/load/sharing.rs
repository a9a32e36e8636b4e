//! How many jobs shared the machine, on average, over a stretch of time: a job's wall time
//! divided by that average is what it costs alone, the figure a queue's wait is made of.

use std::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct SharingClock {
    jobs: usize,
    /// Job-seconds since the clock started (the integral of `jobs` over time).
    area: f64,
    since: Instant,
}

/// Where a job started on the clock.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    at: Instant,
    area: f64,
}

impl Mark {
    pub fn at(&self) -> Instant {
        self.at
    }
}

impl SharingClock {
    pub fn new(now: Instant) -> Self {
        Self {
            jobs: 0,
            area: 0.0,
            since: now,
        }
    }

    fn advance(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.since).as_secs_f64();
        self.area += self.jobs as f64 * elapsed;
        self.since = self.since.max(now);
    }

    /// The number of jobs running changes at `now`.
    pub fn set_jobs(&mut self, jobs: usize, now: Instant) {
        self.advance(now);
        self.jobs = jobs;
    }

    pub fn jobs(&self) -> usize {
        self.jobs
    }

    pub fn mark(&mut self, now: Instant) -> Mark {
        self.advance(now);
        Mark {
            at: now,
            area: self.area,
        }
    }

    /// Seconds from `mark` to `now`, divided by the jobs that ran on average meanwhile (at
    /// least one: the job measured).
    pub fn alone_secs(&mut self, mark: Mark, now: Instant) -> f64 {
        self.advance(now);
        let waited = now.saturating_duration_since(mark.at).as_secs_f64();
        if waited <= 0.0 {
            return 0.0;
        }
        let sharing = ((self.area - mark.area) / waited).max(1.0);
        waited / sharing
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_average_counts_each_stretch_by_its_length() {
        let start = Instant::now();
        let at = |secs: f64| start + Duration::from_secs_f64(secs);
        let mut clock = SharingClock::new(start);
        clock.set_jobs(1, at(0.0));
        let mark = clock.mark(at(0.0));
        clock.set_jobs(4, at(2.0));
        clock.set_jobs(2, at(4.0));
        // 2 s alone, 2 s four-way, 2 s two-way: 14 job-seconds over 6 s.
        let alone = clock.alone_secs(mark, at(6.0));
        assert!((alone - 6.0 / (14.0 / 6.0)).abs() < 1e-9, "{alone}");
    }

    #[test]
    fn a_job_alone_costs_its_wall_time() {
        let start = Instant::now();
        let mut clock = SharingClock::new(start);
        let mark = clock.mark(start);
        // Nothing counted as running: the measured job still counts as one.
        let alone = clock.alone_secs(mark, start + Duration::from_secs(3));
        assert!((alone - 3.0).abs() < 1e-9);
        assert_eq!(clock.alone_secs(mark, start), 0.0);
    }
}
