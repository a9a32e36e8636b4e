//! A model on its own OS thread behind a bounded queue, the shape every engine crate shares:
//! the model loads on the thread (its state never crosses threads), the caller learns whether it
//! loaded, a full queue is `Busy`, and a thread that panics or returns marks the engine stopped
//! so the server can say so instead of failing every request that reaches it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::EngineError;

/// Told how long each job waited in an engine's queue before its work began.
pub type QueueWaitObserver = Arc<dyn Fn(Duration) + Send + Sync>;

/// The sending side, held by the engine.
pub struct Worker<J> {
    queue: SyncSender<Queued<J>>,
    places: Arc<Places>,
    working: Arc<AtomicBool>,
    waits: Arc<OnceLock<QueueWaitObserver>>,
    name: &'static str,
    retry_after: Duration,
}

/// A job and the tracing span of the request that queued it: the thread enters the span while
/// it works on the job, so its log lines carry the request's id.
pub struct Queued<J> {
    pub job: J,
    pub span: tracing::Span,
    pub queued_at: Instant,
    /// Which pool of places it holds.
    pool: Pool,
}

/// The thread's side of the queue.
pub struct Inbox<J> {
    jobs: Receiver<Queued<J>>,
    places: Arc<Places>,
    waits: Arc<OnceLock<QueueWaitObserver>>,
}

/// The queue's free places. A caller takes one before it prepares its job, so the queue's
/// order is the order callers arrived in (not the order their preparations finished), and a
/// caller who would find the queue full is told so at once, before it spends work on the job.
/// Work done ahead of need (a prefill) has a pool of its own, so it never makes a caller busy.
/// The thread gives a place back when it takes a job off the queue.
struct Places {
    free: AtomicUsize,
    ahead: AtomicUsize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pool {
    Callers,
    Ahead,
}

impl Places {
    fn counter(&self, pool: Pool) -> &AtomicUsize {
        match pool {
            Pool::Callers => &self.free,
            Pool::Ahead => &self.ahead,
        }
    }

    fn take(&self, pool: Pool) -> bool {
        self.counter(pool)
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |free| free.checked_sub(1))
            .is_ok()
    }

    fn give_back(&self, pool: Pool) {
        self.counter(pool).fetch_add(1, Ordering::AcqRel);
    }
}

/// A place held in a worker's queue, taken by [`Worker::reserve`] and filled by
/// [`Place::submit`]; dropped unfilled, it is given back. It carries the span of the request
/// that took it, which the thread enters while it works on the job.
pub struct Place<J> {
    queue: SyncSender<Queued<J>>,
    places: Arc<Places>,
    pool: Pool,
    span: tracing::Span,
    filled: bool,
    name: &'static str,
}

/// Handed to the thread's body, which reports once whether its model loaded.
pub struct Ready<R, E> {
    reply: std::sync::mpsc::Sender<Result<R, E>>,
}

/// Why a worker did not start, for engines to turn into their own load error.
#[derive(Debug, thiserror::Error)]
pub enum StartFailure {
    #[error("cannot start the {name} thread: {source}")]
    Spawn {
        name: &'static str,
        source: std::io::Error,
    },
    #[error("the {name} thread died while loading")]
    DiedLoading { name: &'static str },
}

/// How a worker is set up.
#[derive(Debug, Clone, Copy)]
pub struct WorkerSpec {
    /// The thread's name, also the engine's name in errors and logs.
    pub name: &'static str,
    /// Jobs waiting beyond those being worked on (with 0, every job is busy).
    pub queue_depth: usize,
    /// Further places, only for work done ahead of need ([`Worker::reserve_ahead`]).
    pub ahead_depth: usize,
    /// What a busy answer suggests waiting.
    pub retry_after: Duration,
}

impl<J: Send + 'static> Worker<J> {
    /// Starts the thread running `body` and returns once the body has reported its load.
    /// `body` must call [`Ready::loaded`] (or [`Ready::failed`]) before serving the inbox.
    pub fn start<R, E, F>(spec: WorkerSpec, body: F) -> Result<(Self, R), E>
    where
        R: Send + 'static,
        E: Send + From<StartFailure> + 'static,
        F: FnOnce(Ready<R, E>, Inbox<J>) + Send + 'static,
    {
        let (queue, jobs) = sync_channel(spec.queue_depth + spec.ahead_depth);
        let (reply, loaded) = std::sync::mpsc::channel();
        let working = Arc::new(AtomicBool::new(true));
        let waits = Arc::new(OnceLock::new());
        let places = Arc::new(Places {
            free: AtomicUsize::new(spec.queue_depth),
            ahead: AtomicUsize::new(spec.ahead_depth),
        });
        let inbox = Inbox {
            jobs,
            places: places.clone(),
            waits: waits.clone(),
        };
        let thread_working = StoppedOnExit {
            working: working.clone(),
            name: spec.name,
        };
        std::thread::Builder::new()
            .name(spec.name.into())
            .spawn(move || {
                let _stopped_on_exit = thread_working;
                let ran = catch_unwind(AssertUnwindSafe(|| body(Ready { reply }, inbox)));
                if let Err(panic) = ran {
                    tracing::error!(
                        engine = spec.name,
                        panic = panic_message(&panic),
                        "the engine thread panicked"
                    );
                }
            })
            .map_err(|source| StartFailure::Spawn {
                name: spec.name,
                source,
            })?;
        let described = loaded
            .recv()
            .map_err(|_| StartFailure::DiedLoading { name: spec.name })??;
        let worker = Self {
            queue,
            places,
            working,
            waits,
            name: spec.name,
            retry_after: spec.retry_after,
        };
        Ok((worker, described))
    }

    /// Queues a job under the caller's span: `Busy` when the queue is full, `Stopped` once the
    /// thread is gone.
    pub fn submit(&self, job: J) -> Result<(), EngineError> {
        self.reserve()?.submit(job)
    }

    /// Takes a place in the queue for a job still to be prepared: `Busy` when the queue is full,
    /// `Stopped` once the thread is gone.
    pub fn reserve(&self) -> Result<Place<J>, EngineError> {
        self.reserve_in(Pool::Callers)
    }

    /// Takes one of the places kept for work done ahead of need: `Busy` when they are all
    /// taken, whatever room the callers' queue has.
    pub fn reserve_ahead(&self) -> Result<Place<J>, EngineError> {
        self.reserve_in(Pool::Ahead)
    }

    fn reserve_in(&self, pool: Pool) -> Result<Place<J>, EngineError> {
        if !self.is_working() {
            return Err(self.stopped());
        }
        if !self.places.take(pool) {
            return Err(EngineError::Busy {
                retry_after: self.retry_after,
            });
        }
        Ok(Place {
            queue: self.queue.clone(),
            places: self.places.clone(),
            pool,
            span: tracing::Span::current(),
            filled: false,
            name: self.name,
        })
    }

    /// From now on, each job's wait is reported to `observer` (the first observer set stays).
    pub fn report_queue_waits(&self, observer: QueueWaitObserver) {
        let _ = self.waits.set(observer);
    }

    /// False once the thread has panicked or returned.
    pub fn is_working(&self) -> bool {
        self.working.load(Ordering::Acquire)
    }

    fn stopped(&self) -> EngineError {
        EngineError::Stopped { engine: self.name }
    }
}

impl<J> Place<J> {
    /// Puts the job in the place held for it; `Stopped` if the thread ended meanwhile.
    pub fn submit(mut self, job: J) -> Result<(), EngineError> {
        let queued = Queued {
            job,
            span: self.span.clone(),
            queued_at: Instant::now(),
            pool: self.pool,
        };
        // Places never outnumber the channel's capacity, so the channel has room for this job.
        match self.queue.try_send(queued) {
            Ok(()) => {
                self.filled = true;
                Ok(())
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                Err(EngineError::Stopped { engine: self.name })
            }
        }
    }
}

impl<J> Drop for Place<J> {
    fn drop(&mut self) {
        if !self.filled {
            self.places.give_back(self.pool);
        }
    }
}

impl<J> Inbox<J> {
    /// Waits for the next job; `None` once the engine is dropped.
    pub fn recv(&self) -> Option<Queued<J>> {
        self.jobs.recv().ok().map(|queued| self.taken(queued))
    }

    /// The next job if one is waiting; `Err(Disconnected)` once the engine is dropped.
    pub fn try_recv(&self) -> Result<Queued<J>, TryRecvError> {
        self.jobs.try_recv().map(|queued| self.taken(queued))
    }

    /// The thread began work on a job queued at `queued_at`.
    pub fn began(&self, queued_at: Instant) {
        if let Some(observe) = self.waits.get() {
            observe(queued_at.elapsed());
        }
    }

    /// Waits at most `timeout` for the next job.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Queued<J>, RecvTimeoutError> {
        self.jobs.recv_timeout(timeout).map(|queued| self.taken(queued))
    }

    /// A job left the queue: its place is free for the next caller.
    fn taken(&self, queued: Queued<J>) -> Queued<J> {
        self.places.give_back(queued.pool);
        queued
    }
}

impl<J> Iterator for Inbox<J> {
    type Item = Queued<J>;

    fn next(&mut self) -> Option<Queued<J>> {
        self.recv()
    }
}

impl<J> Iterator for &Inbox<J> {
    type Item = Queued<J>;

    fn next(&mut self) -> Option<Queued<J>> {
        self.recv()
    }
}

impl<R, E> Ready<R, E> {
    /// The model loaded; `R` is whatever the engine needs to know about it.
    pub fn loaded(self, what: R) {
        let _ = self.reply.send(Ok(what));
    }

    pub fn failed(self, error: E) {
        let _ = self.reply.send(Err(error));
    }
}

/// Flips the engine to stopped when the thread ends, by return or by unwinding.
struct StoppedOnExit {
    working: Arc<AtomicBool>,
    name: &'static str,
}

impl Drop for StoppedOnExit {
    fn drop(&mut self) {
        self.working.store(false, Ordering::Release);
        tracing::debug!(engine = self.name, "engine thread ended");
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        return (*text).to_string();
    }
    panic
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_else(|| "unknown panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum TestError {
        #[error("{0}")]
        Start(#[from] StartFailure),
        #[error("no model")]
        NoModel,
    }

    const SPEC: WorkerSpec = WorkerSpec {
        name: "test-worker",
        queue_depth: 1,
        ahead_depth: 1,
        retry_after: Duration::from_secs(3),
    };

    fn wait_until(condition: impl Fn() -> bool) {
        for _ in 0..500 {
            if condition() {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        panic!("condition never held");
    }

    #[test]
    fn a_load_failure_is_the_engines_own_error() {
        let started = Worker::<u32>::start(SPEC, |ready: Ready<(), TestError>, _inbox| {
            ready.failed(TestError::NoModel)
        });
        assert!(matches!(started, Err(TestError::NoModel)));
    }

    #[test]
    fn a_body_that_never_reports_died_loading() {
        let started = Worker::<u32>::start(SPEC, |_ready: Ready<(), TestError>, _inbox| {});
        assert!(matches!(
            started,
            Err(TestError::Start(StartFailure::DiedLoading { .. }))
        ));
    }

    #[test]
    fn a_full_queue_is_busy_with_the_specs_retry_after() {
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let (worker, ()) = Worker::<u32>::start(SPEC, move |ready: Ready<(), TestError>, inbox| {
            ready.loaded(());
            let _first = inbox.recv();
            let _ = gate.recv();
        })
        .unwrap();
        worker.submit(1).unwrap();
        // The thread holds job 1; job 2 fills the queue of one; job 3 has no room.
        let mut outcomes = vec![];
        for job in 2..=4 {
            outcomes.push(worker.submit(job));
        }
        let busy = outcomes.iter().find_map(|o| match o {
            Err(EngineError::Busy { retry_after }) => Some(*retry_after),
            _ => None,
        });
        assert_eq!(busy, Some(Duration::from_secs(3)), "{outcomes:?}");
        release.send(()).unwrap();
    }

    #[test]
    fn places_are_taken_in_arrival_order_and_given_back_unfilled_or_taken() {
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let (seen_tx, seen) = std::sync::mpsc::channel();
        let (worker, ()) = Worker::<u32>::start(SPEC, move |ready: Ready<(), TestError>, inbox| {
            ready.loaded(());
            let _ = gate.recv();
            for queued in &inbox {
                let _ = seen_tx.send(queued.job);
            }
        })
        .unwrap();
        let first = worker.reserve().unwrap();
        // The one place is held though nothing is queued yet: the next caller is busy at once.
        assert!(matches!(worker.reserve(), Err(EngineError::Busy { .. })));
        drop(first);
        let second = worker.reserve().unwrap();
        second.submit(2).unwrap();
        release.send(()).unwrap();
        assert_eq!(seen.recv_timeout(Duration::from_secs(2)).unwrap(), 2);
        // Taken off the queue, the job's place is free again.
        worker.submit(3).unwrap();
        assert_eq!(seen.recv_timeout(Duration::from_secs(2)).unwrap(), 3);
    }

    #[test]
    fn work_ahead_has_places_of_its_own_and_never_makes_a_caller_busy() {
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let (worker, ()) = Worker::<u32>::start(SPEC, move |ready: Ready<(), TestError>, inbox| {
            ready.loaded(());
            let _ = gate.recv();
            for _ in &inbox {}
        })
        .unwrap();
        worker.reserve_ahead().unwrap().submit(1).unwrap();
        assert!(matches!(worker.reserve_ahead(), Err(EngineError::Busy { .. })));
        // The callers' place is still there, and the channel has room for both.
        worker.submit(2).unwrap();
        release.send(()).unwrap();
    }

    #[test]
    fn a_panicking_thread_stops_the_engine() {
        let (worker, ()) = Worker::<u32>::start(SPEC, |ready: Ready<(), TestError>, mut inbox| {
            ready.loaded(());
            if let Some(queued) = inbox.next() {
                panic!("the model broke on job {}", queued.job);
            }
        })
        .unwrap();
        assert!(worker.is_working());
        worker.submit(7).unwrap();
        wait_until(|| !worker.is_working());
        let refused = worker.submit(8);
        assert!(
            matches!(
                refused,
                Err(EngineError::Stopped {
                    engine: "test-worker"
                })
            ),
            "{refused:?}"
        );
    }

    #[test]
    fn each_jobs_wait_in_the_queue_is_reported_when_its_work_begins() {
        let (waited_tx, waited) = std::sync::mpsc::channel();
        let (worker, ()) = Worker::<u32>::start(SPEC, |ready: Ready<(), TestError>, inbox| {
            ready.loaded(());
            for queued in &inbox {
                std::thread::sleep(Duration::from_millis(30));
                inbox.began(queued.queued_at);
            }
        })
        .unwrap();
        worker.report_queue_waits(Arc::new(move |wait| {
            let _ = waited_tx.send(wait);
        }));
        worker.submit(1).unwrap();
        let wait = waited.recv_timeout(Duration::from_secs(2)).unwrap();
        assert!(wait >= Duration::from_millis(30), "{wait:?}");
    }

    #[test]
    fn the_thread_works_under_the_callers_span() {
        let (seen_tx, seen) = std::sync::mpsc::channel();
        let (worker, ()) = Worker::<u32>::start(SPEC, move |ready: Ready<(), TestError>, inbox| {
            ready.loaded(());
            for queued in inbox {
                let _ = seen_tx.send(queued.span.id());
            }
        })
        .unwrap();
        let subscriber = tracing_subscriber::registry();
        let submitted = tracing::subscriber::with_default(subscriber, || {
            let request = tracing::info_span!("request", id = "req-1");
            let _entered = request.enter();
            worker.submit(1).unwrap();
            request.id()
        });
        assert!(submitted.is_some());
        assert_eq!(seen.recv_timeout(Duration::from_secs(2)).unwrap(), submitted);
    }
}
