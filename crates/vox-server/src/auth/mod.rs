//! Who may call, and under which identity their audio is stored: API keys (named, kept as
//! digests) and bearer tokens of trusted identity providers.

pub mod jwks;
pub mod jwt;
pub mod limits;
pub mod limits_response;

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use vox_store::Owner;

pub use jwt::{Allow, IssuerConfig, Issuers};

/// A key by its name: logs and metrics show the name, never the key.
#[derive(Clone, PartialEq, Eq)]
pub struct NamedKey {
    pub name: String,
    sha256: [u8; 32],
}

impl NamedKey {
    pub fn from_key(name: impl Into<String>, key: &str) -> Self {
        Self {
            name: name.into(),
            sha256: digest(key),
        }
    }

    /// From the hex SHA-256 of the key, so a configuration file need not hold the key.
    pub fn from_sha256(name: impl Into<String>, hex_digest: &str) -> Result<Self, String> {
        let name = name.into();
        let bytes: Vec<u8> = (0..hex_digest.len())
            .step_by(2)
            .map(|i| {
                hex_digest
                    .get(i..i + 2)
                    .and_then(|b| u8::from_str_radix(b, 16).ok())
            })
            .collect::<Option<_>>()
            .ok_or_else(|| format!("key '{name}': sha256 is not hexadecimal"))?;
        let sha256 = bytes
            .try_into()
            .map_err(|_| format!("key '{name}': sha256 must be 64 hexadecimal digits"))?;
        Ok(Self { name, sha256 })
    }
}

impl std::fmt::Debug for NamedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NamedKey({})", self.name)
    }
}

/// The configured keys, kept only as SHA-256 digests. Comparing fixed-length digests in constant
/// time reveals neither a key's content nor its length through timing.
#[derive(Clone, Default)]
pub struct KeyRing {
    keys: Vec<NamedKey>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.keys.iter().map(|k| k.name.as_str()).collect();
        write!(f, "KeyRing({names:?})")
    }
}

/// Who is calling: the identity their audio is stored under, and a name for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub owner: Owner,
    pub name: String,
}

/// How a request fared at the door.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allowed(Caller),
    MissingKey,
    /// Carries the key redacted, for the error message.
    InvalidKey(String),
    /// A bearer token that did not verify, and why (never its content).
    InvalidToken(String),
}

impl Verdict {
    fn allowed(owner: Owner, name: impl Into<String>) -> Self {
        Self::Allowed(Caller {
            owner,
            name: name.into(),
        })
    }
}

/// Checks the caller's key or token: a bearer JWT goes to the trusted issuers, anything else is
/// compared with the keys. Without keys and issuers the server is open (loopback only).
pub async fn authenticate(keys: &KeyRing, issuers: &Issuers, headers: &HeaderMap) -> Verdict {
    if !issuers.is_empty()
        && let Some(token) = presented_key(headers).filter(|t| jwt::looks_like_jwt(t))
    {
        return match issuers.verify(token).await {
            Ok(identity) => Verdict::allowed(identity.owner, identity.name),
            Err(reason) => Verdict::InvalidToken(reason),
        };
    }
    if keys.is_open() && !issuers.is_empty() {
        return match presented_key(headers) {
            None => Verdict::MissingKey,
            Some(key) => Verdict::InvalidKey(redact(key)),
        };
    }
    keys.check(headers)
}

impl KeyRing {
    /// Unnamed keys, called `key-1`, `key-2`, ... in logs.
    pub fn new<S: AsRef<str>>(keys: &[S]) -> Self {
        let keys = keys
            .iter()
            .enumerate()
            .map(|(i, k)| NamedKey::from_key(format!("key-{}", i + 1), k.as_ref()))
            .collect();
        Self { keys }
    }

    pub fn named(keys: Vec<NamedKey>) -> Self {
        Self { keys }
    }

    /// No keys configured: the server is open (and must then listen on loopback only).
    pub fn is_open(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn check(&self, headers: &HeaderMap) -> Verdict {
        let presented = presented_key(headers);
        if self.is_open() {
            // Still separate callers that present different keys, so they never share audio.
            let owner = presented.map_or_else(Owner::anonymous, Owner::from_api_key);
            return Verdict::allowed(owner, "anonymous");
        }
        let Some(key) = presented else {
            return Verdict::MissingKey;
        };
        let wanted = digest(key);
        // Every key is compared, whichever matches: the time taken says nothing about which.
        let mut matched = None;
        for known in &self.keys {
            if bool::from(known.sha256.ct_eq(&wanted)) {
                matched = Some(known.name.clone());
            }
        }
        match matched {
            Some(name) => Verdict::allowed(Owner::from_api_key(key), name),
            None => Verdict::InvalidKey(redact(key)),
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
        let expected = Verdict::allowed(Owner::from_api_key("sk-good"), "key-1");
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
            Verdict::allowed(Owner::anonymous(), "anonymous")
        );
        assert_eq!(
            ring.check(&headers("api-key", "a")),
            Verdict::allowed(Owner::from_api_key("a"), "anonymous")
        );
    }

    #[test]
    fn named_keys_answer_by_name_and_may_be_given_as_digests() {
        let digest: String = Sha256::digest(b"sk-team-b")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let ring = KeyRing::named(vec![
            NamedKey::from_key("team-a", "sk-team-a"),
            NamedKey::from_sha256("team-b", &digest).unwrap(),
        ]);
        let Verdict::Allowed(caller) = ring.check(&headers("api-key", "sk-team-b")) else {
            panic!()
        };
        assert_eq!(caller.name, "team-b");
        assert_eq!(caller.owner, Owner::from_api_key("sk-team-b"));
        assert!(NamedKey::from_sha256("x", "abc").is_err());
        assert!(NamedKey::from_sha256("x", &"zz".repeat(32)).is_err());
    }

    #[test]
    fn redaction_keeps_only_the_ends() {
        assert_eq!(redact("sk-1234567890abcd"), "sk-***abcd");
        assert_eq!(redact("short"), "***");
    }
}
