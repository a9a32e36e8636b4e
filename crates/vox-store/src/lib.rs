//! Where Vox remembers its spoken answers, so that a later turn can refer to one by `audio.id`.
//!
//! The [`AudioStore`] trait is what the server uses; [`EmbeddedStore`] is the default, a crash-safe
//! file under `$VOX_HOME`. A store shared by several replicas implements the same trait.

mod embedded;
mod owner;
mod record;

use async_trait::async_trait;

pub use embedded::EmbeddedStore;
pub use owner::Owner;
pub use record::{AudioRecord, new_audio_id};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("audio store backend failed: {0}")]
    Backend(String),
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
