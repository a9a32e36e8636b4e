//! The default store: one redb file. redb commits are atomic and durable (copy-on-write pages
//! with a checksummed commit slot), so a kill -9 at any moment leaves the last commit intact.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use crate::{AudioRecord, AudioStore, Owner, StoreError};

/// id -> JSON of the record.
const RECORDS: TableDefinition<&str, &[u8]> = TableDefinition::new("audio_records");
/// (expires_at, id): lets purging read only what has expired.
const EXPIRY: TableDefinition<(u64, &str), ()> = TableDefinition::new("audio_expiry");

#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
}

impl EmbeddedStore {
    /// Opens (or creates) the store file. Fails if another process holds it open.
    /// The file holds other callers' audio: its folder is 0700 and the file 0600, also when
    /// an older Vox created them more open.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        make_private(path).map_err(|e| backend(format!("{}: {e}", path.display())))?;
        let db = Database::create(path).map_err(|e| backend(format!("{}: {e}", path.display())))?;
        let txn = db.begin_write().map_err(backend)?;
        txn.open_table(RECORDS).map_err(backend)?;
        txn.open_table(EXPIRY).map_err(backend)?;
        txn.commit().map_err(backend)?;
        Ok(Self { db: Arc::new(db) })
    }

    fn insert_blocking(&self, record: &AudioRecord) -> Result<(), StoreError> {
        let json = serde_json::to_vec(record).map_err(backend)?;
        let txn = self.db.begin_write().map_err(backend)?;
        {
            let mut records = txn.open_table(RECORDS).map_err(backend)?;
            let mut expiry = txn.open_table(EXPIRY).map_err(backend)?;
            let previous = records
                .insert(record.id.as_str(), json.as_slice())
                .map_err(backend)?;
            if let Some(old) = previous.map(|g| decode(g.value())).transpose()? {
                expiry
                    .remove((old.expires_at, old.id.as_str()))
                    .map_err(backend)?;
            }
            expiry
                .insert((record.expires_at, record.id.as_str()), ())
                .map_err(backend)?;
        }
        txn.commit().map_err(backend)
    }

    fn get_blocking(&self, id: &str, owner: &Owner, now: u64) -> Result<Option<AudioRecord>, StoreError> {
        let txn = self.db.begin_read().map_err(backend)?;
        let records = txn.open_table(RECORDS).map_err(backend)?;
        let Some(guard) = records.get(id).map_err(backend)? else {
            return Ok(None);
        };
        let record = decode(guard.value())?;
        let visible = &record.owner == owner && record.expires_at > now;
        Ok(visible.then_some(record))
    }

    fn purge_blocking(&self, now: u64) -> Result<usize, StoreError> {
        let txn = self.db.begin_write().map_err(backend)?;
        let expired = {
            let mut records = txn.open_table(RECORDS).map_err(backend)?;
            let mut expiry = txn.open_table(EXPIRY).map_err(backend)?;
            let mut expired: Vec<(u64, String)> = Vec::new();
            for entry in expiry.iter().map_err(backend)? {
                let (key, _) = entry.map_err(backend)?;
                let (expires_at, id) = key.value();
                if expires_at > now {
                    break;
                }
                expired.push((expires_at, id.to_string()));
            }
            for (expires_at, id) in &expired {
                records.remove(id.as_str()).map_err(backend)?;
                expiry.remove((*expires_at, id.as_str())).map_err(backend)?;
            }
            expired.len()
        };
        txn.commit().map_err(backend)?;
        Ok(expired)
    }
}

#[async_trait]
impl AudioStore for EmbeddedStore {
    async fn insert(&self, record: AudioRecord) -> Result<(), StoreError> {
        let store = self.clone();
        blocking(move || store.insert_blocking(&record)).await
    }

    async fn get(&self, id: &str, owner: &Owner, now: u64) -> Result<Option<AudioRecord>, StoreError> {
        let (store, id, owner) = (self.clone(), id.to_string(), owner.clone());
        blocking(move || store.get_blocking(&id, &owner, now)).await
    }

    async fn purge_expired(&self, now: u64) -> Result<usize, StoreError> {
        let store = self.clone();
        blocking(move || store.purge_blocking(now)).await
    }
}

/// File I/O and fsync stay off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| backend(format!("store task failed: {e}")))?
}

fn decode(bytes: &[u8]) -> Result<AudioRecord, StoreError> {
    serde_json::from_slice(bytes).map_err(backend)
}

fn backend(err: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(err.to_string())
}

/// Creates the store's folder (0700) and file (0600) before redb opens it, and narrows the
/// modes of ones that already exist.
#[cfg(unix)]
fn make_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn make_private(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(dir) => std::fs::create_dir_all(dir),
        None => Ok(()),
    }
}
