//! Bearer tokens of a trusted issuer at the door (ES256, keys from a JWKS file): the good token
//! is admitted, and every way a token can be wrong is a 401 that says which, in the route's
//! error shape, never a 500.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{Request, StatusCode};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use vox_server::auth::jwks::JwksSource;
use vox_server::auth::{Allow, IssuerConfig, Issuers};

use crate::common::{TestServer, server_with_settings, settings};

const ISSUER: &str = "https://sts.windows.net/00000000-0000-0000-0000-00000000000a/";
const TENANT: &str = "00000000-0000-0000-0000-00000000000a";
const AUDIENCE: &str = "https://cognitiveservices.azure.com";
const KID: &str = "test-key-1";

struct Signer {
    key: rcgen::KeyPair,
    _dir: tempfile::TempDir,
    jwks: std::path::PathBuf,
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn signer() -> Signer {
    let key = rcgen::KeyPair::generate().unwrap();
    let point = key.public_key_raw();
    let (x, y) = (&point[1..33], &point[33..65]);
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("keys.json");
    let set = json!({"keys": [{"kty": "EC", "crv": "P-256", "use": "sig", "kid": KID, "x": b64url(x), "y": b64url(y)}]});
    std::fs::write(&jwks, set.to_string()).unwrap();
    Signer { key, _dir: dir, jwks }
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn claims() -> Value {
    json!({"iss": ISSUER, "aud": AUDIENCE, "tid": TENANT, "oid": "user-1", "sub": "s",
           "nbf": now() - 10, "exp": now() + 3600})
}

impl Signer {
    fn sign(&self, claims: &Value) -> String {
        self.sign_with(claims, Some(KID))
    }

    fn sign_with(&self, claims: &Value, kid: Option<&str>) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = kid.map(str::to_string);
        let key = EncodingKey::from_ec_pem(self.key.serialize_pem().as_bytes()).unwrap();
        jsonwebtoken::encode(&header, claims, &key).unwrap()
    }

    fn server(&self) -> TestServer {
        let issuer = IssuerConfig {
            issuer: ISSUER.into(),
            audiences: vec![AUDIENCE.into()],
            jwks: JwksSource::File(self.jwks.clone()),
            allow: Allow {
                tenants: vec![TENANT.into()],
                ..Allow::default()
            },
        };
        let mut settings = settings();
        settings.issuers = Arc::new(Issuers::new(vec![issuer]));
        server_with_settings(true, settings)
    }
}

fn with(claims: Value, change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut claims = claims;
    change(claims.as_object_mut().unwrap());
    claims
}

async fn models_with(server: &TestServer, token: &str) -> crate::common::Reply {
    server.get("/v1/models", Some(token)).await
}

#[tokio::test]
async fn a_good_token_is_admitted_and_keys_still_work() {
    let signer = signer();
    let server = signer.server();
    let reply = models_with(&server, &signer.sign(&claims())).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        models_with(&server, crate::common::KEY).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn every_bad_token_is_a_401_saying_what_was_wrong() {
    let signer = signer();
    let server = signer.server();
    let header_json = |value: Value| b64url(value.to_string().as_bytes());
    let good = signer.sign(&claims());
    let mut parts: Vec<&str> = good.split('.').collect();
    let tampered_payload = b64url(
        with(claims(), |c| {
            c.insert("oid".into(), json!("admin"));
        })
        .to_string()
        .as_bytes(),
    );
    parts[1] = &tampered_payload;
    let tampered = parts.join(".");
    let unsigned = format!(
        "{}.{}.",
        header_json(json!({"alg": "none", "kid": KID})),
        b64url(claims().to_string().as_bytes())
    );
    let hs256 = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(KID.into());
        let public = std::fs::read(&signer.jwks).unwrap();
        jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(&public)).unwrap()
    };
    let garbage = format!("eyJ{}.eyJ.x", "A".repeat(10_000));
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "expired",
            signer.sign(&with(claims(), |c| {
                c.insert("exp".into(), json!(now() - 120));
            })),
            "expired",
        ),
        (
            "not yet valid",
            signer.sign(&with(claims(), |c| {
                c.insert("nbf".into(), json!(now() + 600));
            })),
            "not valid yet",
        ),
        (
            "wrong audience",
            signer.sign(&with(claims(), |c| {
                c.insert("aud".into(), json!("api://other"));
            })),
            "audience",
        ),
        (
            "wrong issuer",
            signer.sign(&with(claims(), |c| {
                c.insert("iss".into(), json!("https://evil.example/"));
            })),
            "issuer",
        ),
        (
            "unknown kid",
            signer.sign_with(&claims(), Some("other-key")),
            "signing key",
        ),
        ("no kid", signer.sign_with(&claims(), None), "kid"),
        // The algorithm enum has no "none": the header does not even parse.
        ("alg none", unsigned, "malformed"),
        ("HS256 with the public key", hs256, "algorithm"),
        ("tampered payload", tampered, "signature"),
        (
            "another tenant",
            signer.sign(&with(claims(), |c| {
                c.insert("tid".into(), json!("someone-else"));
            })),
            "tenant",
        ),
        ("garbage", garbage, "malformed"),
    ];
    for (case, token, says) in cases {
        let reply = models_with(&server, &token).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{case}: {}", reply.text);
        assert_eq!(reply.code(), Some("invalid_token"), "{case}");
        assert!(reply.message().contains(says), "{case}: {}", reply.message());
        let payload = token.split('.').nth(1).unwrap_or_default();
        assert!(
            payload.len() < 8 || !reply.text.contains(payload),
            "{case}: the token was echoed"
        );
    }
}

#[tokio::test]
async fn azure_routes_answer_a_bad_token_in_azure_shape() {
    let signer = signer();
    let server = signer.server();
    let expired = signer.sign(&with(claims(), |c| {
        c.insert("exp".into(), json!(now() - 120));
    }));
    let request = Request::get("/openai/deployments?api-version=2025-01-01-preview")
        .header("authorization", format!("Bearer {expired}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = server.send(request).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.body["error"]["code"], "401");
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    assert!(reply.body["error"].get("type").is_none());
}

#[tokio::test]
async fn a_rotated_key_file_is_read_again() {
    let signer = signer();
    let server = signer.server();
    assert_eq!(
        models_with(&server, &signer.sign(&claims())).await.status,
        StatusCode::OK
    );
    let other = self::signer();
    // The file now holds only the other key (mtime moves on: wait past its resolution).
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::copy(&other.jwks, &signer.jwks).unwrap();
    assert_eq!(
        models_with(&server, &signer.sign(&claims())).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        models_with(&server, &other.sign(&claims())).await.status,
        StatusCode::OK
    );
}
