use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Who created a record: a digest of the API key, never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Owner(String);

impl Owner {
    /// The identity of a caller that presented `key`.
    pub fn from_api_key(key: &str) -> Self {
        Self(format!("key:{}", hex::encode(Sha256::digest(key.as_bytes()))))
    }

    /// The identity of a caller an identity provider vouched for: its issuer and subject.
    pub fn from_identity(issuer: &str, subject: &str) -> Self {
        let issuer = issuer.trim_end_matches('/');
        Self(format!(
            "id:{}",
            hex::encode(Sha256::digest(format!("{issuer}|{subject}").as_bytes()))
        ))
    }

    /// The single identity of a server that runs without keys (loopback only).
    pub fn anonymous() -> Self {
        Self("anonymous".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_distinct_identities_without_revealing_them() {
        let a = Owner::from_api_key("sk-one");
        assert_eq!(a, Owner::from_api_key("sk-one"));
        assert_ne!(a, Owner::from_api_key("sk-two"));
        assert_ne!(a, Owner::anonymous());
        assert!(!a.as_str().contains("sk-one"));
    }
}
