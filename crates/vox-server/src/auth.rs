//! API keys: who may call, and under which identity their audio is stored.

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use vox_store::Owner;

/// The configured keys, kept only as SHA-256 digests. Comparing fixed-length digests in constant
/// time reveals neither a key's content nor its length through timing.
#[derive(Clone, Default)]
pub struct KeyRing {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyRing({} keys)", self.digests.len())
    }
}

/// How a request fared at the door.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allowed(Owner),
    MissingKey,
    /// Carries the key redacted, for the error message.
    InvalidKey(String),
}

impl KeyRing {
    pub fn new<S: AsRef<str>>(keys: &[S]) -> Self {
        let digests = keys.iter().map(|k| digest(k.as_ref())).collect();
        Self { digests }
    }

    /// No keys configured: the server is open (and must then listen on loopback only).
    pub fn is_open(&self) -> bool {
        self.digests.is_empty()
    }

    pub fn len(&self) -> usize {
        self.digests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    pub fn check(&self, headers: &HeaderMap) -> Verdict {
        let presented = presented_key(headers);
        if self.is_open() {
            // Still separate callers that present different keys, so they never share audio.
            return Verdict::Allowed(presented.map_or_else(Owner::anonymous, Owner::from_api_key));
        }
        let Some(key) = presented else {
            return Verdict::MissingKey;
        };
        let wanted = digest(key);
        let matched = self
            .digests
            .iter()
            .fold(0u8, |hit, known| hit | known.ct_eq(&wanted).unwrap_u8());
        if matched == 1 {
            Verdict::Allowed(Owner::from_api_key(key))
        } else {
            Verdict::InvalidKey(redact(key))
        }
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// `api-key: K` (Azure) or `Authorization: Bearer K` (OpenAI); both are accepted everywhere.
pub fn presented_key(headers: &HeaderMap) -> Option<&str> {
    let api_key = headers
        .get("api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    api_key.or(bearer).filter(|k| !k.is_empty())
}

/// The start and end of a key, for error messages that help without disclosing it.
pub fn redact(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "***".into();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}***{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(name, HeaderValue::from_str(value).unwrap());
        map
    }

    #[test]
    fn accepts_bearer_and_api_key_headers() {
        let ring = KeyRing::new(&["sk-good"]);
        let expected = Verdict::Allowed(Owner::from_api_key("sk-good"));
        assert_eq!(ring.check(&headers("authorization", "Bearer sk-good")), expected);
        assert_eq!(ring.check(&headers("api-key", "sk-good")), expected);
    }

    #[test]
    fn refuses_missing_and_wrong_keys() {
        let ring = KeyRing::new(&["sk-good", "sk-other"]);
        assert_eq!(ring.check(&HeaderMap::new()), Verdict::MissingKey);
        assert_eq!(
            ring.check(&headers("authorization", "Bearer sk-bad")),
            Verdict::InvalidKey("***".into())
        );
        assert_eq!(
            ring.check(&headers("api-key", "sk-wrong-but-long")),
            Verdict::InvalidKey("sk-***long".into())
        );
        assert_eq!(
            ring.check(&headers("authorization", "Basic sk-good")),
            Verdict::MissingKey
        );
    }

    #[test]
    fn an_open_server_still_separates_callers_by_key() {
        let ring = KeyRing::default();
        assert!(ring.is_open());
        assert_eq!(
            ring.check(&HeaderMap::new()),
            Verdict::Allowed(Owner::anonymous())
        );
        assert_eq!(
            ring.check(&headers("api-key", "a")),
            Verdict::Allowed(Owner::from_api_key("a"))
        );
    }

    #[test]
    fn redaction_keeps_only_the_ends() {
        assert_eq!(redact("sk-1234567890abcd"), "sk-***abcd");
        assert_eq!(redact("short"), "***");
    }
}
