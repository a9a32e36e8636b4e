//! Ephemeral client secrets: short-lived keys a server mints for a browser or phone, so the
//! real key never leaves the server. They open realtime sessions only, as the minting caller.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngCore;
use sha2::{Digest, Sha256};
use vox_store::Owner;

/// OpenAI's default lifetime of a client secret, and its bounds.
pub const DEFAULT_TTL: Duration = Duration::from_secs(600);
pub const MIN_TTL: Duration = Duration::from_secs(10);
pub const MAX_TTL: Duration = Duration::from_secs(7200);
/// Secrets alive at once: minting more forgets the expired ones first, then refuses.
const MAX_LIVE: usize = 100_000;

/// What a secret grants: sessions as `owner`, starting from `session` (a `session.update`).
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    pub owner: Owner,
    /// The caller's key name or identity (of the minting caller, for a secret).
    pub name: String,
    pub session: serde_json::Value,
}

#[derive(Default)]
pub struct ClientSecrets {
    /// By the SHA-256 of the secret: the secrets themselves are never kept.
    live: Mutex<HashMap<[u8; 32], (Grant, Instant)>>,
}

impl ClientSecrets {
    /// A new secret for `owner`, valid for `ttl`; `None` when too many are alive.
    pub fn mint(&self, grant: Grant, ttl: Duration) -> Option<String> {
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        let secret = format!("ek_{}", hex(&bytes));
        let mut live = self.live.lock().ok()?;
        if live.len() >= MAX_LIVE {
            let now = Instant::now();
            live.retain(|_, (_, expires)| *expires > now);
            if live.len() >= MAX_LIVE {
                return None;
            }
        }
        live.insert(digest(&secret), (grant, Instant::now() + ttl));
        Some(secret)
    }

    /// What a live secret grants.
    pub fn grant(&self, secret: &str) -> Option<Grant> {
        let live = self.live.lock().ok()?;
        let (grant, expires) = live.get(&digest(secret))?;
        (*expires > Instant::now()).then(|| grant.clone())
    }
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_opens_for_its_owner_until_it_expires() {
        let secrets = ClientSecrets::default();
        let grant = Grant {
            owner: Owner::from_api_key("k"),
            name: "key-1".into(),
            session: serde_json::json!({"voice": "echo"}),
        };
        let live = secrets.mint(grant.clone(), Duration::from_secs(60)).unwrap();
        assert!(live.starts_with("ek_"));
        assert_eq!(secrets.grant(&live), Some(grant.clone()));
        let gone = secrets.mint(grant, Duration::ZERO).unwrap();
        assert_eq!(secrets.grant(&gone), None);
        assert_eq!(secrets.grant("ek_unknown"), None);
    }
}
