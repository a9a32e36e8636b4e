//! Per-caller limits (by key name or identity): requests per minute, requests in flight, and
//! realtime sessions open. One caller flooding the server is refused at the door with a 429
//! that says when to come back, and never takes another caller's share.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Callers remembered at most; beyond, the idle ones (full allowance, nothing open) are forgotten.
const MAX_CALLERS: usize = 10_000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallerLimits {
    pub requests_per_minute: Option<u32>,
    /// Requests in flight (a stream counts until it ends).
    pub max_requests: Option<usize>,
    pub max_realtime_sessions: Option<usize>,
}

/// OpenAI's `x-ratelimit-*-requests` values for one answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateHeaders {
    pub limit: u32,
    pub remaining: u32,
    /// Until the allowance is full again.
    pub reset: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Over the per-minute rate: come back after `retry_after`.
    Rate {
        headers: RateHeaders,
        retry_after: Duration,
    },
    Concurrent {
        limit: usize,
    },
    Sessions {
        limit: usize,
    },
}

struct Allowance {
    tokens: f64,
    refreshed: Instant,
    in_flight: usize,
    sessions: usize,
}

pub struct CallerMeter {
    limits: CallerLimits,
    callers: Mutex<HashMap<String, Allowance>>,
}

/// Held while a request (or realtime session) is open; gives its place back when dropped.
pub struct Held {
    meter: Arc<CallerMeter>,
    caller: String,
    session: bool,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Ok(mut callers) = self.meter.callers.lock()
            && let Some(allowance) = callers.get_mut(&self.caller)
        {
            match self.session {
                true => allowance.sessions = allowance.sessions.saturating_sub(1),
                false => allowance.in_flight = allowance.in_flight.saturating_sub(1),
            }
        }
    }
}

impl CallerMeter {
    pub fn new(limits: CallerLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            callers: Mutex::new(HashMap::new()),
        })
    }

    /// A request by `caller`: admitted with its rate headers (when a rate is set), or refused.
    pub fn admit_request(self: &Arc<Self>, caller: &str) -> Result<(Held, Option<RateHeaders>), Refusal> {
        let mut callers = self.callers.lock().unwrap_or_else(|p| p.into_inner());
        let allowance = self.allowance(&mut callers, caller);
        if let Some(limit) = self.limits.max_requests
            && allowance.in_flight >= limit
        {
            return Err(Refusal::Concurrent { limit });
        }
        let headers = match self.limits.requests_per_minute {
            Some(rpm) => Some(take_token(allowance, rpm)?),
            None => None,
        };
        allowance.in_flight += 1;
        Ok((self.held(caller, false), headers))
    }

    /// A realtime session by `caller`.
    pub fn admit_session(self: &Arc<Self>, caller: &str) -> Result<Held, Refusal> {
        let mut callers = self.callers.lock().unwrap_or_else(|p| p.into_inner());
        let allowance = self.allowance(&mut callers, caller);
        if let Some(limit) = self.limits.max_realtime_sessions
            && allowance.sessions >= limit
        {
            return Err(Refusal::Sessions { limit });
        }
        allowance.sessions += 1;
        Ok(self.held(caller, true))
    }

    fn held(self: &Arc<Self>, caller: &str, session: bool) -> Held {
        Held {
            meter: self.clone(),
            caller: caller.to_string(),
            session,
        }
    }

    fn allowance<'a>(&self, callers: &'a mut HashMap<String, Allowance>, caller: &str) -> &'a mut Allowance {
        let full = self.limits.requests_per_minute.map_or(0.0, burst);
        if callers.len() >= MAX_CALLERS && !callers.contains_key(caller) {
            callers.retain(|_, a| a.in_flight > 0 || a.sessions > 0 || a.tokens < full);
        }
        callers.entry(caller.to_string()).or_insert_with(|| Allowance {
            tokens: full,
            refreshed: Instant::now(),
            in_flight: 0,
            sessions: 0,
        })
    }
}

/// The most of a minute's allowance one burst may take: a whole minute's at once filled the
/// language model's queue for everyone (a neighbour's p95 went from 240 ms to 1.1 s when a
/// flooder's 60 requests landed together; see docs/door.md).
const BURST_SHARE: f64 = 0.1;

/// A token bucket refilled evenly over a minute, holding a tenth of the minute's requests.
fn burst(rpm: u32) -> f64 {
    (f64::from(rpm) * BURST_SHARE).max(1.0)
}

fn take_token(allowance: &mut Allowance, rpm: u32) -> Result<RateHeaders, Refusal> {
    let per_sec = f64::from(rpm) / 60.0;
    let full = burst(rpm);
    let now = Instant::now();
    let elapsed = now.duration_since(allowance.refreshed).as_secs_f64();
    allowance.tokens = (allowance.tokens + elapsed * per_sec).min(full);
    allowance.refreshed = now;
    let headers = |tokens: f64| RateHeaders {
        limit: rpm,
        remaining: tokens.max(0.0).floor() as u32,
        reset: Duration::from_secs_f64(((full - tokens) / per_sec).max(0.0)),
    };
    if allowance.tokens < 1.0 {
        let retry_after = Duration::from_secs_f64((1.0 - allowance.tokens) / per_sec);
        return Err(Refusal::Rate {
            headers: headers(allowance.tokens),
            retry_after,
        });
    }
    allowance.tokens -= 1.0;
    Ok(headers(allowance.tokens))
}

/// OpenAI's duration style for `x-ratelimit-reset-requests`: `1s`, `6m0s`, `120ms`.
pub fn reset_text(reset: Duration) -> String {
    let ms = reset.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = reset.as_secs_f64().ceil() as u64;
    match secs / 60 {
        0 => format!("{secs}s"),
        minutes => format!("{minutes}m{}s", secs % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_over_its_rate_is_refused_and_another_is_not() {
        let meter = CallerMeter::new(CallerLimits {
            requests_per_minute: Some(30),
            ..CallerLimits::default()
        });
        let mut held = Vec::new();
        // A burst takes a tenth of the minute's 30.
        for remaining in [2, 1, 0] {
            let (guard, headers) = meter.admit_request("a").unwrap();
            assert_eq!(headers.unwrap().remaining, remaining);
            held.push(guard);
        }
        let Err(Refusal::Rate { retry_after, headers }) = meter.admit_request("a") else {
            panic!()
        };
        assert!(retry_after > Duration::from_millis(1500) && retry_after <= Duration::from_secs(2));
        assert_eq!(headers.limit, 30);
        assert!(
            meter.admit_request("b").is_ok(),
            "another caller keeps its own allowance"
        );
    }

    #[test]
    fn requests_in_flight_and_sessions_come_back_when_dropped() {
        let meter = CallerMeter::new(CallerLimits {
            max_requests: Some(1),
            max_realtime_sessions: Some(1),
            ..CallerLimits::default()
        });
        let first = meter.admit_request("a").unwrap();
        assert_eq!(
            meter.admit_request("a").err(),
            Some(Refusal::Concurrent { limit: 1 })
        );
        drop(first);
        assert!(meter.admit_request("a").is_ok());
        let session = meter.admit_session("a").unwrap();
        assert_eq!(
            meter.admit_session("a").err(),
            Some(Refusal::Sessions { limit: 1 })
        );
        drop(session);
        assert!(meter.admit_session("a").is_ok());
    }

    #[test]
    fn resets_read_like_openai() {
        assert_eq!(reset_text(Duration::from_millis(120)), "120ms");
        assert_eq!(reset_text(Duration::from_secs(20)), "20s");
        assert_eq!(reset_text(Duration::from_secs(360)), "6m0s");
    }
}
