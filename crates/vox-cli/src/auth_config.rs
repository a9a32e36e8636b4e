//! `[auth]` in the file (and the flags for one issuer): named keys, and the identity providers
//! whose bearer tokens Vox accepts.
//!
//! ```toml
//! [[auth.keys]]
//! name = "team-a"
//! sha256 = "<hex of the key's SHA-256>"     # or key = "sk-..."
//!
//! [[auth.issuers]]
//! issuer = "https://sts.windows.net/<tenant-id>/"
//! audience = "https://cognitiveservices.azure.com"     # or a list
//! jwks = "https://login.microsoftonline.com/<tenant-id>/discovery/keys"   # or a file
//! allow = { tenants = ["<tenant-id>"] }
//! ```

use anyhow::{Context, bail};
use clap::Args;
use serde::Deserialize;
use vox_server::auth::jwks::JwksSource;
use vox_server::auth::{Allow, IssuerConfig, NamedKey};

#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Accept bearer tokens (JWT) from this issuer, its `iss` exactly; with --jwt-audience and
    /// --jwt-jwks. More issuers: `[[auth.issuers]]` in the file.
    #[arg(long = "jwt-issuer", env = "VOX_JWT_ISSUER", value_name = "ISSUER")]
    #[serde(skip)]
    pub jwt_issuer: Option<String>,

    /// The audience a token must carry (repeat, or comma-separated).
    #[arg(
        long = "jwt-audience",
        env = "VOX_JWT_AUDIENCE",
        value_name = "AUDIENCE",
        value_delimiter = ','
    )]
    #[serde(skip)]
    pub jwt_audience: Vec<String>,

    /// The issuer's signing keys: a JWKS URL or file.
    #[arg(long = "jwt-jwks", env = "VOX_JWT_JWKS", value_name = "URL_OR_FILE")]
    #[serde(skip)]
    pub jwt_jwks: Option<String>,

    /// Requests a caller (a key's name, or an identity) may make per minute; over it, 429
    /// with Retry-After and x-ratelimit-* headers [default: unlimited].
    #[arg(
        long = "caller-requests-per-minute",
        env = "VOX_CALLER_REQUESTS_PER_MINUTE",
        value_name = "N"
    )]
    pub requests_per_minute: Option<u32>,

    /// Requests one caller may have in flight (a stream counts until it ends) [default: unlimited].
    #[arg(
        long = "caller-max-requests",
        env = "VOX_CALLER_MAX_REQUESTS",
        value_name = "N"
    )]
    pub max_requests: Option<usize>,

    /// Realtime sessions one caller may have open [default: 16].
    #[arg(
        long = "caller-max-realtime-sessions",
        env = "VOX_CALLER_MAX_REALTIME_SESSIONS",
        value_name = "N"
    )]
    pub max_realtime_sessions: Option<usize>,

    #[arg(skip)]
    pub keys: Vec<KeyEntry>,

    #[arg(skip)]
    pub issuers: Vec<IssuerEntry>,
}

/// `[[auth.keys]]`: a key by name, given as itself or as its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    pub name: String,
    pub sha256: Option<String>,
    pub key: Option<String>,
}

/// `[[auth.issuers]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerEntry {
    pub issuer: String,
    pub audience: Audience,
    pub jwks: String,
    #[serde(default)]
    pub allow: Allow,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl AuthConfig {
    /// `self` (flags and environment) over `file`.
    pub fn over(self, file: AuthConfig) -> AuthConfig {
        AuthConfig {
            jwt_issuer: self.jwt_issuer.or(file.jwt_issuer),
            jwt_audience: if self.jwt_audience.is_empty() {
                file.jwt_audience
            } else {
                self.jwt_audience
            },
            jwt_jwks: self.jwt_jwks.or(file.jwt_jwks),
            requests_per_minute: self.requests_per_minute.or(file.requests_per_minute),
            max_requests: self.max_requests.or(file.max_requests),
            max_realtime_sessions: self.max_realtime_sessions.or(file.max_realtime_sessions),
            keys: file.keys.into_iter().chain(self.keys).collect(),
            issuers: file.issuers.into_iter().chain(self.issuers).collect(),
        }
    }

    pub fn caller_limits(&self) -> anyhow::Result<vox_server::auth::limits::CallerLimits> {
        if self.requests_per_minute == Some(0)
            || self.max_requests == Some(0)
            || self.max_realtime_sessions == Some(0)
        {
            bail!("a caller limit of 0 would refuse everyone: leave it out for no limit");
        }
        Ok(vox_server::auth::limits::CallerLimits {
            requests_per_minute: self.requests_per_minute,
            max_requests: self.max_requests,
            // Each session may hold up to 32 MiB: the cap bounds what one caller can take.
            max_realtime_sessions: Some(
                self.max_realtime_sessions
                    .unwrap_or(vox_server::defaults::CALLER_MAX_REALTIME_SESSIONS),
            ),
        })
    }

    pub fn named_keys(&self) -> anyhow::Result<Vec<NamedKey>> {
        let mut names = std::collections::BTreeSet::new();
        self.keys
            .iter()
            .map(|entry| {
                if !names.insert(entry.name.as_str()) {
                    bail!("two keys are named '{}'", entry.name);
                }
                match (&entry.sha256, &entry.key) {
                    (Some(digest), None) => {
                        NamedKey::from_sha256(&entry.name, digest.trim()).map_err(anyhow::Error::msg)
                    }
                    (None, Some(key)) if !key.trim().is_empty() => {
                        Ok(NamedKey::from_key(&entry.name, key.trim()))
                    }
                    _ => bail!("key '{}' needs exactly one of sha256 or key", entry.name),
                }
            })
            .collect()
    }

    pub fn issuers(&self) -> anyhow::Result<Vec<IssuerConfig>> {
        let mut issuers = Vec::new();
        match (&self.jwt_issuer, &self.jwt_jwks) {
            (Some(issuer), Some(jwks)) => issuers.push(issuer_config(
                issuer,
                self.jwt_audience.clone(),
                jwks,
                Allow::default(),
            )?),
            (None, None) => {}
            _ => bail!("--jwt-issuer and --jwt-jwks go together (with --jwt-audience)"),
        }
        for entry in &self.issuers {
            let audiences = match &entry.audience {
                Audience::One(one) => vec![one.clone()],
                Audience::Many(many) => many.clone(),
            };
            issuers.push(issuer_config(
                &entry.issuer,
                audiences,
                &entry.jwks,
                entry.allow.clone(),
            )?);
        }
        Ok(issuers)
    }
}

fn issuer_config(
    issuer: &str,
    audiences: Vec<String>,
    jwks: &str,
    allow: Allow,
) -> anyhow::Result<IssuerConfig> {
    if issuer.trim().is_empty() {
        bail!("an issuer needs its `iss` value");
    }
    if audiences.iter().all(|a| a.trim().is_empty()) {
        bail!("issuer '{issuer}' needs an audience: tokens for any audience would be accepted");
    }
    let jwks = JwksSource::parse(jwks.trim());
    if let JwksSource::File(path) = &jwks {
        std::fs::metadata(path)
            .with_context(|| format!("issuer '{issuer}': JWKS file {}", path.display()))?;
    }
    Ok(IssuerConfig {
        issuer: issuer.to_string(),
        audiences,
        jwks,
        allow,
    })
}

/// `vox keys add NAME`: a new random key, and the entry that admits it without holding it.
pub fn new_key(name: &str) -> anyhow::Result<String> {
    use sha2::Digest;
    if name.trim().is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        bail!("a key's name is letters, digits, '-', '_' and '.'");
    }
    let mut bytes = [0u8; 24];
    getrandom_fill(&mut bytes)?;
    let key = format!("sk-vox-{}", hex::encode(bytes));
    let digest = hex::encode(sha2::Sha256::digest(key.as_bytes()));
    Ok(format!(
        "key: {key}\n\n# Give the key to its holder; put this in the server's file (it holds only the digest):\n[[auth.keys]]\nname = \"{name}\"\nsha256 = \"{digest}\"\n"
    ))
}

fn getrandom_fill(bytes: &mut [u8]) -> anyhow::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(bytes))
        .context("reading /dev/urandom")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> AuthConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn keys_come_by_name_as_keys_or_digests() {
        let digest = "0".repeat(64);
        let auth = parse(&format!(
            "[[keys]]\nname = \"a\"\nkey = \"sk-a\"\n[[keys]]\nname = \"b\"\nsha256 = \"{digest}\"\n"
        ));
        let keys = auth.named_keys().unwrap();
        assert_eq!(
            keys.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        let both = parse("[[keys]]\nname = \"a\"\nkey = \"k\"\nsha256 = \"00\"\n");
        assert!(both.named_keys().is_err());
        let twice = parse("[[keys]]\nname = \"a\"\nkey = \"k\"\n[[keys]]\nname = \"a\"\nkey = \"j\"\n");
        assert!(twice.named_keys().is_err());
    }

    #[test]
    fn issuers_need_an_audience_and_read_one_or_many() {
        let auth = parse(
            "[[issuers]]\nissuer = \"https://sts.windows.net/t/\"\naudience = [\"a\", \"b\"]\njwks = \"https://x/keys\"\nallow = { tenants = [\"t\"] }\n",
        );
        let issuers = auth.issuers().unwrap();
        assert_eq!(issuers[0].audiences, ["a", "b"]);
        assert_eq!(issuers[0].allow.tenants, ["t"]);
        let no_audience = AuthConfig {
            jwt_issuer: Some("i".into()),
            jwt_jwks: Some("https://x".into()),
            ..Default::default()
        };
        assert!(no_audience.issuers().is_err());
    }

    #[test]
    fn a_new_key_comes_with_its_digest_entry() {
        let printed = new_key("team-a").unwrap();
        let key = printed.lines().next().unwrap().strip_prefix("key: ").unwrap();
        let entry: toml::Value = toml::from_str(
            printed
                .split_once("\n[[")
                .map(|(_, e)| format!("[[{e}"))
                .unwrap()
                .as_str(),
        )
        .unwrap();
        let digest = entry["auth"]["keys"][0]["sha256"].as_str().unwrap();
        assert_eq!(
            NamedKey::from_sha256("x", digest).unwrap(),
            NamedKey::from_key("x", key)
        );
        assert!(new_key("bad name").is_err());
    }
}
