//! How long a new request would wait: each engine counts the work it holds and measures how
//! long its work takes, so the server can refuse at once (429) what could not start in time
//! instead of admitting it into a minute of silence.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod first_output;
mod sharing;

pub use first_output::{FirstOutputMeter, InFlight};
pub use sharing::{Mark, SharingClock};

/// Weight of the newest measurement in the moving average: recent enough to follow the load,
/// smooth enough that one odd request does not swing admission.
pub(crate) const SMOOTHING: f64 = 0.2;

/// Work held by an engine (queued or in service) and its measured cost.
#[derive(Debug, Default)]
pub struct LoadMeter {
    inner: Mutex<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    load: Load,
    /// When each held job was accepted, by a serial number: the oldest is the one in service
    /// longest, the first to free its place.
    held_since: BTreeMap<u64, Instant>,
    next_serial: u64,
}

/// A snapshot of a meter.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Load {
    /// Jobs accepted and not yet finished.
    pub jobs: usize,
    /// Their size in the engine's unit (seconds of audio, requests, pieces).
    pub units: f64,
    /// Measured seconds of service per unit; `None` until the first measurement.
    pub secs_per_unit: Option<f64>,
    /// How long ago the oldest job still held was accepted.
    pub oldest_held: Duration,
}

impl LoadMeter {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counters> {
        // Plain counters: a panic elsewhere cannot leave them half-written.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts a job of `units` until the returned guard is dropped.
    pub fn hold(self: &Arc<Self>, units: f64) -> Held {
        let mut counters = self.lock();
        counters.load.jobs += 1;
        counters.load.units += units;
        let serial = counters.next_serial;
        counters.next_serial += 1;
        counters.held_since.insert(serial, Instant::now());
        Held {
            meter: self.clone(),
            units,
            serial,
        }
    }

    /// Records that `units` of work took `secs`.
    pub fn observe(&self, secs: f64, units: f64) {
        if !(secs.is_finite() && units > 0.0) {
            return;
        }
        let sample = secs / units;
        let load = &mut self.lock().load;
        load.secs_per_unit = Some(match load.secs_per_unit {
            Some(average) => average + SMOOTHING * (sample - average),
            None => sample,
        });
    }

    pub fn load(&self) -> Load {
        let counters = self.lock();
        let oldest = counters.held_since.values().next();
        Load {
            oldest_held: oldest.map_or(Duration::ZERO, Instant::elapsed),
            ..counters.load
        }
    }
}

/// A job counted by its meter; dropping it (done, failed or abandoned) uncounts it.
#[derive(Debug)]
pub struct Held {
    meter: Arc<LoadMeter>,
    units: f64,
    serial: u64,
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut counters = self.meter.lock();
        counters.held_since.remove(&self.serial);
        let load = &mut counters.load;
        load.jobs = load.jobs.saturating_sub(1);
        load.units = (load.units - self.units).max(0.0);
    }
}

impl Load {
    /// Serial work (one job at a time): a new job starts once all held units are done.
    pub fn serial_wait(&self) -> Duration {
        secs(self.units * self.secs_per_unit.unwrap_or(0.0))
    }

    /// `servers` jobs at a time sharing one machine, each costing `secs_per_unit` of it alone
    /// (its time divided by the jobs it ran beside). A new job beyond the free servers needs
    /// `ahead` places to free. Places free at one cost apart on average; but the jobs in service
    /// share the machine, so the oldest frees its place only once the cost times their number
    /// has passed since it started. A burst that filled every place at once frees them all
    /// together, late; a steady stream frees them one cost apart: the wait is the later of the
    /// two.
    pub fn parallel_wait(&self, servers: usize) -> Duration {
        let servers = servers.max(1);
        let ahead = (self.jobs + 1).saturating_sub(servers);
        if ahead == 0 {
            return Duration::ZERO;
        }
        let cost = self.secs_per_unit.unwrap_or(0.0);
        let in_service = self.jobs.min(servers) as f64;
        let first_place = cost * in_service - self.oldest_held.as_secs_f64();
        secs(first_place.max(ahead as f64 * cost))
    }

    /// Jobs served in turn a piece at a time: a new job's first piece waits one piece of each.
    pub fn round_robin_wait(&self) -> Duration {
        secs(self.jobs as f64 * self.secs_per_unit.unwrap_or(0.0))
    }
}

fn secs(value: f64) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unmeasured_engine_never_refuses() {
        let meter = LoadMeter::new();
        let _held: Vec<Held> = (0..50).map(|_| meter.hold(10.0)).collect();
        assert_eq!(meter.load().serial_wait(), Duration::ZERO);
    }

    #[test]
    fn held_work_times_its_measured_cost() {
        let meter = LoadMeter::new();
        meter.observe(3.0, 30.0); // 0.1 s per second of audio
        let first = meter.hold(60.0);
        let _second = meter.hold(240.0);
        assert_eq!(meter.load().serial_wait(), Duration::from_secs(30));
        drop(first);
        assert_eq!(meter.load().serial_wait(), Duration::from_secs(24));
        assert_eq!(meter.load().jobs, 1);
    }

    #[test]
    fn parallel_servers_wait_only_when_full() {
        let meter = LoadMeter::new();
        meter.observe(20.0, 1.0);
        let held: Vec<Held> = (0..3).map(|_| meter.hold(1.0)).collect();
        assert_eq!(meter.load().parallel_wait(4), Duration::ZERO);
        let more: Vec<Held> = (0..9).map(|_| meter.hold(1.0)).collect();
        // 12 held, 4 slots, all just started: 9 places must free, one cost (20 s) apart on
        // average, and none before the four in service have shared the machine for 4 x 20 s.
        let wait = meter.load().parallel_wait(4).as_secs_f64();
        assert!((wait - 180.0).abs() < 0.1, "{wait}");
        drop((held, more));
        assert_eq!(meter.load().jobs, 0);
    }

    #[test]
    fn an_older_job_in_service_frees_its_place_sooner() {
        let load = Load {
            jobs: 4,
            units: 4.0,
            secs_per_unit: Some(2.0),
            oldest_held: Duration::from_secs(5),
        };
        // 4 sharing: the oldest needs 8 s in all, 5 have passed; one place is needed.
        assert_eq!(load.parallel_wait(4), Duration::from_secs(3));
        let long_ago = Load {
            oldest_held: Duration::from_secs(60),
            ..load
        };
        // Long in service: the place frees about one cost from now.
        assert_eq!(long_ago.parallel_wait(4), Duration::from_secs(2));
        // A burst: 8 held, all just started; the 9th needs 5 places, all four in service free
        // theirs together after 4 x 2 s, the fifth one cost later at the earliest.
        let burst = Load {
            jobs: 8,
            oldest_held: Duration::ZERO,
            ..load
        };
        assert_eq!(burst.parallel_wait(4), Duration::from_secs(10));
    }

    #[test]
    fn the_average_follows_new_measurements() {
        let meter = LoadMeter::new();
        meter.observe(1.0, 1.0);
        meter.observe(2.0, 1.0);
        let average = meter.load().secs_per_unit.unwrap();
        assert!((average - 1.2).abs() < 1e-9, "{average}");
        meter.observe(f64::NAN, 1.0);
        meter.observe(1.0, 0.0);
        assert_eq!(meter.load().secs_per_unit, Some(average));
    }
}
