//! Every open connection, what it is doing, and which one to close when there are too many.
//!
//! Slow or idle sockets cost a file descriptor and a task each while asking nothing of the
//! engines, so a careless or hostile client can hold thousands. The registry closes a
//! connection whose headers or idleness outlast the limits, and at the connection cap sheds
//! the oldest one that never presented a valid key before touching any caller's.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::limits::ConnectionLimits;

/// One connection's state, shared by its task, its requests and the registry's sweeper.
#[derive(Debug)]
pub struct Connection {
    id: u64,
    /// Milliseconds since the registry's epoch, so the fields below fit in atomics.
    opened_ms: u64,
    authenticated: AtomicBool,
    served_any: AtomicBool,
    in_flight: AtomicUsize,
    idle_since_ms: AtomicU64,
    /// When bytes of a request head began to arrive with nothing in flight (0: none).
    head_started_ms: AtomicU64,
    close: Notify,
    clock: Instant,
}

/// Why the registry closed a connection (logged and counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    HeaderTimeout,
    IdleTimeout,
    Shed,
}

impl CloseReason {
    pub fn label(self) -> &'static str {
        match self {
            Self::HeaderTimeout => "header_timeout",
            Self::IdleTimeout => "idle_timeout",
            Self::Shed => "shed",
        }
    }
}

impl Connection {
    fn now_ms(&self) -> u64 {
        self.clock.elapsed().as_millis() as u64
    }

    /// A request on this connection passed the key check: it belongs to a known caller.
    pub fn mark_authenticated(&self) {
        self.authenticated.store(true, Ordering::Relaxed);
    }

    pub fn is_authenticated(&self) -> bool {
        self.authenticated.load(Ordering::Relaxed)
    }

    /// Bytes arrived from the client.
    pub fn on_bytes_read(&self) {
        if self.in_flight.load(Ordering::Relaxed) == 0 {
            let now = self.now_ms().max(1);
            let _ = self
                .head_started_ms
                .compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    /// A request's head has been read; it is in flight until its response body is dropped.
    pub fn request_started(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.served_any.store(true, Ordering::Relaxed);
        self.head_started_ms.store(0, Ordering::Relaxed);
        InFlight(self.clone())
    }

    pub fn has_requests_in_flight(&self) -> bool {
        self.in_flight.load(Ordering::Relaxed) > 0
    }

    /// Resolves when the registry decides to close this connection.
    pub async fn closed(&self) {
        self.close.notified().await;
    }

    /// Whether the limits want this connection closed now, and why.
    fn verdict(&self, limits: &ConnectionLimits, now_ms: u64) -> Option<CloseReason> {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return None;
        }
        let head = self.head_started_ms.load(Ordering::Relaxed);
        let header_ms = limits.header_timeout.as_millis() as u64;
        if head != 0 {
            return (now_ms.saturating_sub(head) > header_ms).then_some(CloseReason::HeaderTimeout);
        }
        // A connection that never sent a request is held to the header timeout from its opening.
        if !self.served_any.load(Ordering::Relaxed) {
            return (now_ms.saturating_sub(self.opened_ms) > header_ms).then_some(CloseReason::HeaderTimeout);
        }
        let idle = self.idle_since_ms.load(Ordering::Relaxed);
        (now_ms.saturating_sub(idle) > limits.idle_timeout.as_millis() as u64)
            .then_some(CloseReason::IdleTimeout)
    }

    fn idle_for_ms(&self, now_ms: u64) -> Option<u64> {
        (self.in_flight.load(Ordering::Relaxed) == 0)
            .then(|| now_ms.saturating_sub(self.idle_since_ms.load(Ordering::Relaxed)))
    }
}

/// Held by a request from its head to the end of its response; the last one dropped starts
/// the connection's idle time.
#[derive(Debug)]
pub struct InFlight(Arc<Connection>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let connection = &self.0;
        connection
            .idle_since_ms
            .store(connection.now_ms(), Ordering::Relaxed);
        connection.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

pub struct Registry {
    limits: ConnectionLimits,
    clock: Instant,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Connection>>>,
    drained: Notify,
}

/// What the registry said to a new connection.
pub enum Admission {
    Admitted(Arc<Connection>),
    /// At the cap with every connection belonging to a caller with a request in flight.
    Refused,
}

impl Registry {
    pub fn new(limits: ConnectionLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            clock: Instant::now(),
            next_id: AtomicU64::new(1),
            open: Mutex::new(HashMap::new()),
            drained: Notify::new(),
        })
    }

    pub fn limits(&self) -> &ConnectionLimits {
        &self.limits
    }

    pub fn open_count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Connection>>> {
        // A panic while holding this lock cannot leave the map inconsistent (single inserts and
        // removes), so a poisoned lock is still usable.
        self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn now_ms(&self) -> u64 {
        self.clock.elapsed().as_millis() as u64
    }

    /// Registers a new connection, making room for it at the cap if another can go.
    pub fn admit(&self) -> (Admission, Option<CloseReason>) {
        let mut open = self.lock();
        let mut shed = None;
        if open.len() >= self.limits.max_connections.max(1) {
            match self.victim(&open) {
                Some(victim) => {
                    if let Some(connection) = open.remove(&victim) {
                        connection.close.notify_one();
                        shed = Some(CloseReason::Shed);
                    }
                }
                None => return (Admission::Refused, None),
            }
        }
        let now = self.now_ms();
        let connection = Arc::new(Connection {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            opened_ms: now,
            authenticated: AtomicBool::new(false),
            served_any: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(now),
            head_started_ms: AtomicU64::new(0),
            close: Notify::new(),
            clock: self.clock,
        });
        open.insert(connection.id, connection.clone());
        (Admission::Admitted(connection), shed)
    }

    /// The oldest connection that never presented a valid key; else the longest-idle one.
    fn victim(&self, open: &HashMap<u64, Arc<Connection>>) -> Option<u64> {
        let now = self.now_ms();
        let unauthenticated = open
            .values()
            .filter(|c| !c.is_authenticated())
            // Ids count up in the order of opening (two can open in the same millisecond).
            .min_by_key(|c| c.id)
            .map(|c| c.id);
        unauthenticated.or_else(|| {
            open.values()
                .filter_map(|c| c.idle_for_ms(now).map(|idle| (idle, c.id)))
                .max()
                .map(|(_, id)| id)
        })
    }

    /// The connection's task ended.
    pub fn remove(&self, connection: &Connection) {
        let mut open = self.lock();
        open.remove(&connection.id);
        if open.is_empty() {
            self.drained.notify_waiters();
        }
    }

    /// Closes every connection the limits no longer allow; returns how many, by reason.
    pub fn sweep(&self) -> Vec<CloseReason> {
        let now = self.now_ms();
        let mut open = self.lock();
        let expired: Vec<(u64, CloseReason)> = open
            .values()
            .filter_map(|c| c.verdict(&self.limits, now).map(|reason| (c.id, reason)))
            .collect();
        for (id, _) in &expired {
            if let Some(connection) = open.remove(id) {
                connection.close.notify_one();
            }
        }
        expired.into_iter().map(|(_, reason)| reason).collect()
    }

    /// Resolves once no connection is open.
    pub async fn drained(&self) {
        loop {
            let notified = self.drained.notified();
            if self.lock().is_empty() {
                return;
            }
            notified.await;
        }
    }

    /// How often the sweeper looks: often enough that a timeout is kept to within a few percent.
    pub fn sweep_interval(&self) -> Duration {
        let shortest = self.limits.header_timeout.min(self.limits.idle_timeout);
        (shortest / 20).clamp(Duration::from_millis(20), Duration::from_millis(500))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(max_connections: usize) -> Arc<Registry> {
        Registry::new(ConnectionLimits {
            header_timeout: Duration::from_millis(50),
            idle_timeout: Duration::from_millis(200),
            max_connections,
            ..ConnectionLimits::default()
        })
    }

    fn admitted(registry: &Registry) -> Arc<Connection> {
        match registry.admit().0 {
            Admission::Admitted(connection) => connection,
            Admission::Refused => panic!("refused"),
        }
    }

    #[test]
    fn at_the_cap_the_oldest_unauthenticated_connection_goes_first() {
        let registry = registry(3);
        let keyed = admitted(&registry);
        keyed.mark_authenticated();
        let _busy = keyed.request_started();
        let anonymous_old = admitted(&registry);
        let anonymous_new = admitted(&registry);
        let (admission, shed) = registry.admit();
        assert!(matches!(admission, Admission::Admitted(_)));
        assert_eq!(shed, Some(CloseReason::Shed));
        let open = registry.lock();
        assert!(open.contains_key(&keyed.id));
        assert!(!open.contains_key(&anonymous_old.id));
        assert!(open.contains_key(&anonymous_new.id));
    }

    #[test]
    fn callers_with_requests_in_flight_are_never_shed() {
        let registry = registry(2);
        let mut guards = Vec::new();
        for _ in 0..2 {
            let connection = admitted(&registry);
            connection.mark_authenticated();
            guards.push(connection.request_started());
        }
        assert!(matches!(registry.admit().0, Admission::Refused));
        // Once one of them is idle, it is the one to make room.
        guards.pop();
        assert!(matches!(registry.admit().0, Admission::Admitted(_)));
    }

    #[test]
    fn silent_and_slow_heads_time_out_but_requests_in_flight_do_not() {
        let registry = registry(10);
        let silent = admitted(&registry);
        let trickling = admitted(&registry);
        let working = admitted(&registry);
        let _request = working.request_started();
        trickling.on_bytes_read();
        std::thread::sleep(Duration::from_millis(80));
        let mut reasons = registry.sweep();
        reasons.sort_by_key(|r| r.label());
        assert_eq!(
            reasons,
            vec![CloseReason::HeaderTimeout, CloseReason::HeaderTimeout]
        );
        let open = registry.lock();
        assert!(!open.contains_key(&silent.id) && !open.contains_key(&trickling.id));
        assert!(open.contains_key(&working.id));
    }

    #[test]
    fn a_kept_alive_connection_gets_the_idle_timeout() {
        let registry = registry(10);
        let connection = admitted(&registry);
        drop(connection.request_started());
        std::thread::sleep(Duration::from_millis(80));
        // Past the header timeout, but idle after a response: still open.
        assert!(registry.sweep().is_empty());
        std::thread::sleep(Duration::from_millis(150));
        assert_eq!(registry.sweep(), vec![CloseReason::IdleTimeout]);
    }
}
