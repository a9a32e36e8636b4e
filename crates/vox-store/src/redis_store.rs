//! The shared store of several replicas: records in Redis (or Valkey), one key per audio id,
//! expired by Redis itself.
//!
//! A Redis outage never hangs a request: connecting and every command have a short deadline, the
//! failure is a [`StoreError::Unavailable`], and a request a second later connects again, so the
//! store recovers by itself when Redis returns.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::Mutex;

use crate::{AudioRecord, AudioStore, Owner, StoreError};

/// Every key Vox writes starts with this, so a Redis shared with other programs stays readable.
const KEY_PREFIX: &str = "vox:audio:";
/// Longest wait for a connection or an answer before the store counts as unavailable.
const DEADLINE: Duration = Duration::from_secs(2);

/// After a failed attempt to connect, requests fail at once for this long instead of each
/// waiting for its own attempt: an outage costs callers nothing but the answer "unavailable".
const RETRY_AFTER: Duration = Duration::from_secs(1);

pub struct RedisStore {
    client: redis::Client,
    connection: Mutex<Link>,
    /// For messages and logs: the URL without its password.
    shown_as: String,
}

/// The live connection (made on first use and again after an outage), or when the last
/// attempt to make one failed.
#[derive(Default)]
struct Link {
    live: Option<ConnectionManager>,
    failed_at: Option<Instant>,
}

impl RedisStore {
    /// A store at `url` (`redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS).
    /// Nothing is connected yet: Vox starts while Redis is down and connects when it is needed.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let client =
            redis::Client::open(url).map_err(|err| StoreError::Config(format!("store URL: {err}")))?;
        Ok(Self {
            client,
            connection: Mutex::new(Link::default()),
            shown_as: without_password(url),
        })
    }

    pub fn shown_as(&self) -> &str {
        &self.shown_as
    }

    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        let mut link = self.connection.lock().await;
        if let Some(connection) = link.live.as_ref() {
            return Ok(connection.clone());
        }
        if link.failed_at.is_some_and(|at| at.elapsed() < RETRY_AFTER) {
            return Err(self.unavailable_quietly());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(DEADLINE))
            .set_response_timeout(Some(DEADLINE))
            .set_number_of_retries(1);
        let connected = tokio::time::timeout(
            DEADLINE * 2,
            ConnectionManager::new_with_config(self.client.clone(), config),
        );
        let failure = match connected.await {
            Ok(Ok(connection)) => {
                *link = Link {
                    live: Some(connection.clone()),
                    failed_at: None,
                };
                return Ok(connection);
            }
            Ok(Err(err)) => self.unavailable(err),
            Err(_) => self.unavailable("connecting timed out"),
        };
        link.failed_at = Some(Instant::now());
        Err(failure)
    }

    /// A failed command: the connection is dropped so that the next request connects afresh.
    async fn failed(&self, err: impl std::fmt::Display) -> StoreError {
        *self.connection.lock().await = Link {
            live: None,
            failed_at: Some(Instant::now()),
        };
        self.unavailable(err)
    }

    fn unavailable(&self, err: impl std::fmt::Display) -> StoreError {
        tracing::warn!(store = %self.shown_as, %err, "the audio store is unavailable");
        self.unavailable_quietly()
    }

    /// The same answer without another log line (the failure was logged a moment ago).
    fn unavailable_quietly(&self) -> StoreError {
        StoreError::Unavailable(format!("the audio store at {} is unavailable", self.shown_as))
    }
}

#[async_trait]
impl AudioStore for RedisStore {
    async fn insert(&self, record: AudioRecord) -> Result<(), StoreError> {
        let ttl = record.expires_at.saturating_sub(crate::unix_now()).max(1);
        let value = serde_json::to_string(&record).map_err(|err| StoreError::Backend(err.to_string()))?;
        let mut connection = self.connection().await?;
        let stored: Result<(), _> = connection.set_ex(key(&record.id), value, ttl).await;
        match stored {
            Ok(()) => Ok(()),
            Err(err) => Err(self.failed(err).await),
        }
    }

    async fn get(&self, id: &str, owner: &Owner, now: u64) -> Result<Option<AudioRecord>, StoreError> {
        let mut connection = self.connection().await?;
        let value: Option<String> = match connection.get(key(id)).await {
            Ok(value) => value,
            Err(err) => return Err(self.failed(err).await),
        };
        let Some(value) = value else { return Ok(None) };
        let record: AudioRecord = serde_json::from_str(&value)
            .map_err(|err| StoreError::Backend(format!("record {id} is not Vox's: {err}")))?;
        // Another caller's id looks exactly like an unknown one.
        Ok((record.owner == *owner && record.expires_at > now).then_some(record))
    }

    /// Redis expires each record by its own TTL: nothing to sweep.
    async fn purge_expired(&self, _now: u64) -> Result<usize, StoreError> {
        Ok(0)
    }
}

fn key(id: &str) -> String {
    format!("{KEY_PREFIX}{id}")
}

/// `redis://user:secret@host/0` -> `redis://user:***@host/0`: how a store URL is shown.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest.split_once('/').map_or((rest, None), |(a, p)| (a, Some(p)));
    let authority = match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("***@{host}"),
        },
        None => authority.to_string(),
    };
    match path {
        Some(path) => format!("{scheme}://{authority}/{path}"),
        None => format!("{scheme}://{authority}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            without_password("redis://127.0.0.1:6379/0"),
            "redis://127.0.0.1:6379/0"
        );
        assert_eq!(
            without_password("rediss://u:secret@redis.local/2"),
            "rediss://u:***@redis.local/2"
        );
        assert_eq!(
            without_password("redis://:secret@redis.local"),
            "redis://:***@redis.local"
        );
        assert_eq!(
            without_password("redis://secret@redis.local"),
            "redis://***@redis.local"
        );
    }

    #[test]
    fn a_bad_url_is_a_configuration_error() {
        assert!(matches!(RedisStore::open("http://x"), Err(StoreError::Config(_))));
    }
}
