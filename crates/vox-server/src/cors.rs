//! Cross-origin calls from browsers. A page on another origin may call Vox only when the
//! configuration lists its origin (or `*`); preflights are answered on every route, the Azure
//! ones and WebSocket upgrades included, before the key check (browsers send no key there).
//!
//! Vox never sends `Access-Control-Allow-Credentials`: keys travel in headers the page sets,
//! not in cookies, so `*` cannot expose anything a browser holds for the user.

use axum::http::{HeaderName, HeaderValue, Method, request::Parts};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer, ExposeHeaders};

/// Which other origins may call Vox from a browser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CorsOrigins {
    /// Only pages Vox serves itself (the same origin needs no CORS headers).
    #[default]
    SameOrigin,
    /// These exact origins (`https://app.example.com`), plus Vox's own.
    List(Vec<String>),
    /// Any origin.
    Any,
}

impl CorsOrigins {
    /// From the configured list: empty is same-origin only; `*` alone is any origin.
    pub fn from_list(origins: &[String]) -> Result<Self, String> {
        if origins.is_empty() {
            return Ok(Self::SameOrigin);
        }
        if origins.iter().any(|o| o == "*") {
            if origins.len() > 1 {
                return Err(
                    "cors_origins: '*' allows every origin and cannot be combined with others".into(),
                );
            }
            return Ok(Self::Any);
        }
        for origin in origins {
            let valid = (origin.starts_with("http://") || origin.starts_with("https://"))
                && !origin.trim_end_matches('/').contains(['?', '#'])
                && origin.matches('/').count() == 2
                && HeaderValue::from_str(origin).is_ok();
            if !valid {
                return Err(format!(
                    "cors_origins: '{origin}' is not an origin (scheme://host[:port], no path)"
                ));
            }
        }
        Ok(Self::List(origins.to_vec()))
    }
}

/// Response headers a page may read: the request id, and the ones that say when to retry.
const EXPOSED: [&str; 5] = [
    "x-request-id",
    "retry-after",
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-reset-requests",
];

pub fn layer(origins: &CorsOrigins) -> CorsLayer {
    let allow = match origins {
        CorsOrigins::Any => AllowOrigin::any(),
        CorsOrigins::SameOrigin => AllowOrigin::predicate(is_same_origin),
        CorsOrigins::List(list) => {
            let list = list.clone();
            AllowOrigin::predicate(move |origin, parts| {
                list.iter().any(|allowed| allowed.as_bytes() == origin.as_bytes())
                    || is_same_origin(origin, parts)
            })
        }
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        // SDKs add their own headers (x-stainless-*, openai-beta, api-key); the page asks for
        // what it sends and, once its origin is allowed, may send it.
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers(ExposeHeaders::list(EXPOSED.map(HeaderName::from_static)))
        .max_age(std::time::Duration::from_secs(600))
}

/// `Origin` names the host the request was sent to: the page came from Vox itself.
fn is_same_origin(origin: &HeaderValue, parts: &Parts) -> bool {
    let (Ok(origin), Some(host)) = (
        origin.to_str(),
        parts.headers.get("host").and_then(|h| h.to_str().ok()),
    ) else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configured_list_is_checked() {
        assert_eq!(CorsOrigins::from_list(&[]), Ok(CorsOrigins::SameOrigin));
        assert_eq!(CorsOrigins::from_list(&["*".into()]), Ok(CorsOrigins::Any));
        assert!(CorsOrigins::from_list(&["*".into(), "https://a.example".into()]).is_err());
        assert!(CorsOrigins::from_list(&["a.example".into()]).is_err());
        assert!(CorsOrigins::from_list(&["https://a.example/path".into()]).is_err());
        assert_eq!(
            CorsOrigins::from_list(&["https://a.example:8443".into()]),
            Ok(CorsOrigins::List(vec!["https://a.example:8443".into()]))
        );
    }
}
