//! What every engine reports to the server, whatever it computes: admission asks how long new
//! work would wait, readiness asks whether the engine still serves, metrics observe queue waits.

use std::time::Duration;

use crate::worker::QueueWaitObserver;

pub trait EngineStatus: Send + Sync {
    /// How long a new job would wait before its work (or its first output) starts, from the
    /// work held and its measured cost; zero until measured. The server refuses requests that
    /// would wait longer than its bound.
    fn expected_wait(&self) -> Duration {
        Duration::ZERO
    }

    /// False once the engine can no longer serve (its thread panicked): readiness turns false
    /// and requests needing it are refused as unavailable.
    fn is_working(&self) -> bool {
        true
    }

    /// From now on, report each job's wait in the engine's queue to `observer` (for metrics).
    fn report_queue_waits(&self, observer: QueueWaitObserver) {
        let _ = observer;
    }
}
