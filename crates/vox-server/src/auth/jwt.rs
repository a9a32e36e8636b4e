//! Bearer tokens from identity providers (Microsoft Entra ID, any OpenID issuer): the quickstart's
//! keyless sign-in. A token is accepted when its issuer is configured, its `kid` names a key of
//! that issuer's JWKS, its signature verifies with the algorithm pinned to that key (RS256 for
//! RSA keys, ES256 for P-256 keys: never the algorithm the token claims), it is within its
//! `nbf`..`exp` (60 s leeway), its audience is one configured, and it passes the issuer's filters.

use std::collections::HashSet;

use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use vox_store::Owner;

use super::jwks::{Jwks, JwksSource};

/// Clock skew allowed on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 60;

/// Who may sign in with one issuer's tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allow {
    /// Entra tenant ids (`tid`): none means any.
    #[serde(default)]
    pub tenants: Vec<String>,
    /// App roles (`roles`): the token needs one of them; none means any.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Object ids or subjects (`oid`, else `sub`): none means any.
    #[serde(default)]
    pub subjects: Vec<String>,
}

/// One trusted issuer, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerConfig {
    /// Compared exactly with the token's `iss`.
    pub issuer: String,
    /// The token's `aud` must be one of these.
    pub audiences: Vec<String>,
    pub jwks: JwksSource,
    pub allow: Allow,
}

pub struct Issuer {
    config: IssuerConfig,
    keys: Jwks,
}

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub owner: Owner,
    /// `issuer/subject`, for logs.
    pub name: String,
}

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    sub: Option<String>,
    oid: Option<String>,
    tid: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
}

impl Issuer {
    pub fn new(config: IssuerConfig) -> Self {
        let keys = Jwks::new(config.jwks.clone());
        Self { config, keys }
    }

    pub fn name(&self) -> &str {
        &self.config.issuer
    }

    /// Verifies `token`, whose unverified `iss` named this issuer. The error says what was wrong,
    /// never what the token held.
    pub async fn verify(&self, token: &str) -> Result<Identity, String> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| "the token is malformed".to_string())?;
        let kid = header.kid.ok_or("the token names no signing key (kid)")?;
        let key = self.keys.key(&kid).await?;
        if header.alg != key.algorithm {
            return Err(format!(
                "the token's algorithm {:?} is not its key's ({:?})",
                header.alg, key.algorithm
            ));
        }
        let mut validation = Validation::new(key.algorithm);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&self.config.audiences);
        validation.algorithms = vec![key.algorithm];
        let data = jsonwebtoken::decode::<Claims>(token, &key.decoding, &validation)
            .map_err(|e| describe(e.kind()))?;
        self.admit(data.claims)
    }

    fn admit(&self, claims: Claims) -> Result<Identity, String> {
        let allow = &self.config.allow;
        let subject = claims
            .oid
            .or(claims.sub)
            .ok_or("the token names no subject (oid or sub)")?;
        if !allow.tenants.is_empty() && !claims.tid.as_ref().is_some_and(|t| allow.tenants.contains(t)) {
            return Err("the token is for a tenant this server does not admit".into());
        }
        if !allow.roles.is_empty() && !claims.roles.iter().any(|r| allow.roles.contains(r)) {
            return Err("the token carries none of the roles this server requires".into());
        }
        if !allow.subjects.is_empty() && !allow.subjects.contains(&subject) {
            return Err("the token's subject is not admitted by this server".into());
        }
        Ok(Identity {
            owner: Owner::from_identity(&claims.iss, &subject),
            name: format!("{}/{subject}", claims.iss.trim_end_matches('/')),
        })
    }
}

fn describe(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::ExpiredSignature => "the token has expired",
        ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)",
        ErrorKind::InvalidAudience => "the token is for another audience",
        ErrorKind::InvalidIssuer => "the token's issuer is not trusted",
        ErrorKind::InvalidSignature => "the token's signature does not verify",
        ErrorKind::InvalidAlgorithm => "the token's algorithm is not its key's",
        ErrorKind::MissingRequiredClaim(claim) => return format!("the token has no '{claim}' claim"),
        _ => "the token is malformed",
    }
    .to_string()
}

/// Whether `presented` has the shape of a JWT (three base64url parts, a JSON header).
pub fn looks_like_jwt(presented: &str) -> bool {
    presented.starts_with("eyJ") && presented.split('.').count() == 3
}

/// The token's `iss`, read before anything is verified: it only chooses whose keys verify it.
pub fn unverified_issuer(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    #[derive(Deserialize)]
    struct Iss {
        iss: String,
    }
    serde_json::from_slice::<Iss>(&bytes).ok().map(|c| c.iss)
}

/// The configured issuers.
#[derive(Default)]
pub struct Issuers {
    list: Vec<Issuer>,
}

impl Issuers {
    pub fn new(configs: Vec<IssuerConfig>) -> Self {
        Self {
            list: configs.into_iter().map(Issuer::new).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn names(&self) -> HashSet<&str> {
        self.list.iter().map(Issuer::name).collect()
    }

    pub async fn verify(&self, token: &str) -> Result<Identity, String> {
        let issuer = unverified_issuer(token).ok_or("the token is malformed")?;
        let trusted = self
            .list
            .iter()
            .find(|i| i.config.issuer == issuer)
            .ok_or("the token's issuer is not trusted")?;
        trusted.verify(token).await
    }
}

impl std::fmt::Debug for Issuers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.list.iter().map(|i| &i.config.issuer))
            .finish()
    }
}

/// The algorithm a JWK's key signs with: pinned by its type, never read from a token.
pub fn algorithm_of(kty: &str, crv: Option<&str>) -> Option<Algorithm> {
    match (kty, crv) {
        ("RSA", _) => Some(Algorithm::RS256),
        ("EC", Some("P-256")) => Some(Algorithm::ES256),
        _ => None,
    }
}
