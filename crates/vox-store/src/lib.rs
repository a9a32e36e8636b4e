//! Where Vox remembers its spoken answers, so that a later turn can refer to one by `audio.id`.
//!
//! The [`AudioStore`] trait is what the server uses; the backends are features the binary turns
//! on: `EmbeddedStore` (`embedded`, the default store, a crash-safe file under `$VOX_HOME`) and
//! `RedisStore` (`redis`, shared by several replicas).

#[cfg(feature = "embedded")]
mod embedded;
mod owner;
mod record;
#[cfg(feature = "redis")]
mod redis_store;

use async_trait::async_trait;

#[cfg(feature = "embedded")]
pub use embedded::EmbeddedStore;
pub use owner::Owner;
pub use record::{AudioRecord, new_audio_id};
#[cfg(feature = "redis")]
pub use redis_store::{RedisStore, without_password};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("audio store backend failed: {0}")]
    Backend(String),
    /// The store cannot be reached now (a Redis outage); it may come back by itself.
    #[error("{0}")]
    Unavailable(String),
    /// The store's settings are wrong (a malformed URL).
    #[error("{0}")]
    Config(String),
}

/// Seconds since the Unix epoch.
#[cfg(feature = "redis")]
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[async_trait]
pub trait AudioStore: Send + Sync {
    /// Records a spoken answer. An existing id is overwritten (ids are random, so this only
    /// happens when the same answer is stored twice).
    async fn insert(&self, record: AudioRecord) -> Result<(), StoreError>;

    /// The record with this id, if `owner` created it and it has not expired at `now` (Unix
    /// seconds). Another owner's id and an unknown id look the same: `None`.
    async fn get(&self, id: &str, owner: &Owner, now: u64) -> Result<Option<AudioRecord>, StoreError>;

    /// Deletes every record expired at `now`; returns how many went.
    async fn purge_expired(&self, now: u64) -> Result<usize, StoreError>;
}
