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
///
/// A caller may present its credential more than once (an `api-key` header, a bearer token, a
/// browser's query parameter or subprotocol): every one must be right and name the same caller,
/// or the request is refused, so that a right key never carries a wrong one through.
pub async fn authenticate(keys: &KeyRing, issuers: &Issuers, headers: &HeaderMap) -> Verdict {
    let mut agreed: Option<Verdict> = None;
    for key in distinct(presented_keys(headers)) {
        let verdict = authenticate_one(keys, issuers, Some(key)).await;
        match (&verdict, &agreed) {
            (Verdict::Allowed(_), None) => agreed = Some(verdict),
            (Verdict::Allowed(caller), Some(Verdict::Allowed(first))) if caller == first => {}
            (Verdict::Allowed(_), Some(_)) => return Verdict::InvalidKey(redact(key)),
            _ => return verdict,
        }
    }
    match agreed {
        Some(verdict) => verdict,
        None => authenticate_one(keys, issuers, None).await,
    }
}

async fn authenticate_one(keys: &KeyRing, issuers: &Issuers, key: Option<&str>) -> Verdict {
    if !issuers.is_empty()
        && let Some(token) = key.filter(|t| jwt::looks_like_jwt(t))
    {
        return match issuers.verify(token).await {
            Ok(identity) => Verdict::allowed(identity.owner, identity.name),
            Err(reason) => Verdict::InvalidToken(reason),
        };
    }
    if keys.is_open() && !issuers.is_empty() {
        return match key {
            None => Verdict::MissingKey,
            Some(key) => Verdict::InvalidKey(redact(key)),
        };
    }
    keys.check_key(key)
}

fn distinct(keys: Vec<&str>) -> Vec<&str> {
    let mut seen: Vec<&str> = Vec::new();
    for key in keys {
        if !seen.contains(&key) {
            seen.push(key);
        }
    }
    seen
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

    fn check_key(&self, presented: Option<&str>) -> Verdict {
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
/// The credential, when every one presented is the same (a client secret is looked up by it).
pub fn sole_key(headers: &HeaderMap) -> Option<&str> {
    match distinct(presented_keys(headers)).as_slice() {
        [key] => Some(key),
        _ => None,
    }
}

/// Every credential presented: each `api-key` value, then the bearer token.
pub fn presented_keys(headers: &HeaderMap) -> Vec<&str> {
    let api_keys = headers
        .get_all("api-key")
        .iter()
        .map(|v| v.to_str().map(str::trim).unwrap_or("\u{fffd}"));
    let bearer = headers
        .get_all(axum::http::header::AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    api_keys.chain(bearer).filter(|k| !k.is_empty()).collect()
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

    impl KeyRing {
        /// The verdict of a server with these keys and no identity provider.
        fn check(&self, headers: &HeaderMap) -> Verdict {
            futures::executor::block_on(authenticate(self, &Issuers::default(), headers))
        }
    }

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
    fn several_credentials_must_all_be_right_and_the_same_caller() {
        let ring = KeyRing::new(&["sk-good-key-1", "sk-good-key-2"]);
        let mut both = headers("authorization", "Bearer sk-good-key-1");
        both.append("api-key", HeaderValue::from_static("sk-good-key-1"));
        assert!(matches!(ring.check(&both), Verdict::Allowed(_)));
        // A wrong key beside a right one, in either place, is refused.
        let mut wrong_header = headers("authorization", "Bearer sk-wrong-key-9");
        wrong_header.append("api-key", HeaderValue::from_static("sk-good-key-1"));
        assert_eq!(
            ring.check(&wrong_header),
            Verdict::InvalidKey("sk-***ey-9".into())
        );
        let mut wrong_query = headers("authorization", "Bearer sk-good-key-1");
        wrong_query.append("api-key", HeaderValue::from_static("sk-wrong-key-9"));
        assert_eq!(ring.check(&wrong_query), Verdict::InvalidKey("sk-***ey-9".into()));
        // Two right keys of different callers are not one caller.
        let mut two_callers = headers("api-key", "sk-good-key-1");
        two_callers.append("api-key", HeaderValue::from_static("sk-good-key-2"));
        assert!(matches!(ring.check(&two_callers), Verdict::InvalidKey(_)));
    }

    #[test]
    fn redaction_keeps_only_the_ends() {
        assert_eq!(redact("sk-1234567890abcd"), "sk-***abcd");
        assert_eq!(redact("short"), "***");
    }
}
