//! An issuer's signing keys (JWKS), from its URL or a file, cached. A URL is fetched again when
//! a token names a key it does not have, at most once a minute (keys rotate; a flood of made-up
//! `kid`s must not become a flood of fetches); a file is read again when it changes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::jwt::algorithm_of;

/// The least time between two fetches of a JWKS URL.
const REFETCH_AFTER: Duration = Duration::from_secs(60);
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    Url(String),
    File(PathBuf),
}

impl JwksSource {
    /// An `http(s)://` address, else a file path.
    pub fn parse(text: &str) -> Self {
        match text.starts_with("https://") || text.starts_with("http://") {
            true => Self::Url(text.to_string()),
            false => Self::File(PathBuf::from(text)),
        }
    }
}

#[derive(Clone)]
pub struct SigningKey {
    pub algorithm: Algorithm,
    pub decoding: Arc<DecodingKey>,
}

pub struct Jwks {
    source: JwksSource,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, SigningKey>,
    fetched: Option<Instant>,
    file_modified: Option<SystemTime>,
}

#[derive(Deserialize)]
struct KeySet {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kid: Option<String>,
    kty: String,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
}

impl Jwks {
    pub fn new(source: JwksSource) -> Self {
        Self {
            source,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// The key named `kid`, loading or refreshing the set as its source allows.
    pub async fn key(&self, kid: &str) -> Result<SigningKey, String> {
        let mut cache = self.cache.lock().await;
        if self.stale(&cache, kid) {
            match self.load().await {
                Ok((keys, modified)) => {
                    cache.keys = keys;
                    cache.file_modified = modified;
                }
                Err(err) => tracing::warn!(%err, "the issuer's signing keys could not be loaded"),
            }
            cache.fetched = Some(Instant::now());
        }
        cache
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| "the token's signing key (kid) is not one of its issuer's keys".to_string())
    }

    fn stale(&self, cache: &Cache, kid: &str) -> bool {
        match &self.source {
            JwksSource::File(path) => {
                let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
                cache.fetched.is_none() || modified != cache.file_modified
            }
            JwksSource::Url(_) => {
                let known = cache.keys.contains_key(kid);
                cache
                    .fetched
                    .is_none_or(|at| !known && at.elapsed() >= REFETCH_AFTER)
            }
        }
    }

    async fn load(&self) -> Result<(HashMap<String, SigningKey>, Option<SystemTime>), String> {
        let (text, modified) = match &self.source {
            JwksSource::File(path) => {
                let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
                let text = tokio::fs::read_to_string(path)
                    .await
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                (text, modified)
            }
            JwksSource::Url(url) => (fetch(url).await?, None),
        };
        Ok((parse(&text)?, modified))
    }
}

/// The key set published at `url`; an error status is a failure, as a timeout is.
async fn fetch(url: &str) -> Result<String, String> {
    let client = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|e| format!("fetching {url}: {e}"))?;
    let response = client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("fetching {url}: {e}"))?;
    response.text().await.map_err(|e| format!("reading {url}: {e}"))
}

/// Signing keys by `kid`; keys of other types or uses are skipped.
pub fn parse(text: &str) -> Result<HashMap<String, SigningKey>, String> {
    let set: KeySet = serde_json::from_str(text).map_err(|e| format!("not a JWKS: {e}"))?;
    let mut keys = HashMap::new();
    for jwk in set.keys {
        if jwk.usage.as_deref().is_some_and(|u| u != "sig") {
            continue;
        }
        let (Some(kid), Some(algorithm)) = (jwk.kid.clone(), algorithm_of(&jwk.kty, jwk.crv.as_deref()))
        else {
            continue;
        };
        let decoding = match algorithm {
            Algorithm::RS256 => match (&jwk.n, &jwk.e) {
                (Some(n), Some(e)) => DecodingKey::from_rsa_components(n, e).ok(),
                _ => None,
            },
            _ => match (&jwk.x, &jwk.y) {
                (Some(x), Some(y)) => DecodingKey::from_ec_components(x, y).ok(),
                _ => None,
            },
        };
        if let Some(decoding) = decoding {
            keys.insert(
                kid,
                SigningKey {
                    algorithm,
                    decoding: Arc::new(decoding),
                },
            );
        }
    }
    Ok(keys)
}
