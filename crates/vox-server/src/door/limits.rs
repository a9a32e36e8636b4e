//! How long and how many: what the listener allows each connection before closing it.

use std::time::Duration;

use crate::settings::defaults;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A new connection must deliver its first request's headers within this time, and a
    /// request begun on a kept-alive connection its headers too.
    pub header_timeout: Duration,
    /// A kept-alive connection with no request in flight is closed after this time.
    pub idle_timeout: Duration,
    /// The longest pause between two pieces of a request body, and the grace before the
    /// minimum rate applies.
    pub body_timeout: Duration,
    /// After the grace, a body must keep arriving at this many bytes per second on average.
    pub body_min_bytes_per_sec: u64,
    /// Open connections at most; beyond it the oldest connection that never presented a
    /// valid key is closed first, then the longest-idle one, else the newcomer is refused.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(defaults::HEADER_TIMEOUT_SECS),
            idle_timeout: Duration::from_secs(defaults::IDLE_TIMEOUT_SECS),
            body_timeout: Duration::from_secs(defaults::BODY_TIMEOUT_SECS),
            body_min_bytes_per_sec: defaults::BODY_MIN_BYTES_PER_SEC,
            max_connections: defaults::MAX_CONNECTIONS,
        }
    }
}

impl ConnectionLimits {
    /// When a body that has delivered `received` bytes after `elapsed` must deliver its next
    /// piece: within the pause limit, and before falling under the minimum rate.
    pub fn next_body_deadline(&self, received: u64, elapsed: Duration) -> Duration {
        let rate = self.body_min_bytes_per_sec.max(1) as f64;
        let earned = self.body_timeout.as_secs_f64() + received as f64 / rate;
        let by_rate = Duration::from_secs_f64(earned).saturating_sub(elapsed);
        by_rate.min(self.body_timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ConnectionLimits {
        ConnectionLimits {
            body_timeout: Duration::from_secs(20),
            body_min_bytes_per_sec: 1000,
            ..ConnectionLimits::default()
        }
    }

    #[test]
    fn a_body_gets_the_pause_limit_while_ahead_of_the_rate() {
        let limits = limits();
        assert_eq!(
            limits.next_body_deadline(0, Duration::ZERO),
            Duration::from_secs(20)
        );
        // 1 MB in 1 s is far ahead of 1000 B/s: the pause limit still caps the wait.
        assert_eq!(
            limits.next_body_deadline(1_000_000, Duration::from_secs(1)),
            Duration::from_secs(20)
        );
    }

    #[test]
    fn a_trickling_body_runs_out_of_time() {
        let limits = limits();
        // One byte every 5 s: after 25 s and 5 bytes it has earned 20.005 s, so none is left.
        assert_eq!(
            limits.next_body_deadline(5, Duration::from_secs(25)),
            Duration::ZERO
        );
        // 10 kB after 25 s earned 30 s: 5 s remain.
        assert_eq!(
            limits.next_body_deadline(10_000, Duration::from_secs(25)),
            Duration::from_secs(5)
        );
    }
}
