//! One HTTP client per remote engine, and the mapping of everything that can go wrong on the
//! way to the upstream into engine errors.

use std::time::Duration;

use vox_engine::EngineError;

use crate::Endpoint;

/// Time to open a connection: a host that does not answer is unavailable, not slow.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Upstream {
    pub endpoint: Endpoint,
    /// `language model "Qwen/Qwen2.5-7B-Instruct" at http://vllm:8000/v1`.
    pub name: String,
    http: reqwest::Client,
}

impl Upstream {
    pub fn new(role: &str, endpoint: Endpoint) -> Result<Self, EngineError> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            // Per read, not per request: a streamed answer may rightly run for minutes, an
            // upstream that stops sending is what must not hold the caller.
            .read_timeout(endpoint.timeout)
            .build()
            .map_err(|err| EngineError::Internal(format!("building the HTTP client: {err}")))?;
        let name = format!(
            "{role} \"{}\" at {}",
            endpoint.model,
            endpoint.base_url.trim_end_matches('/')
        );
        Ok(Self { endpoint, name, http })
    }

    pub fn url(&self, route: &str) -> String {
        format!("{}/{route}", self.endpoint.base_url.trim_end_matches('/'))
    }

    pub fn post(&self, route: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, route)
    }

    pub fn get(&self, route: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, route)
    }

    fn request(&self, method: reqwest::Method, route: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, self.url(route));
        match &self.endpoint.api_key {
            Some(key) => request.bearer_auth(key),
            None => request,
        }
    }

    /// Sends `request`; a 2xx response, or the engine error its failure means.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, EngineError> {
        let response = request.send().await.map_err(|err| self.transport_error(&err))?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(self.status_error(response).await)
    }

    /// A connection refused, reset or timed out.
    pub fn transport_error(&self, err: &reqwest::Error) -> EngineError {
        if err.is_timeout() {
            return EngineError::UpstreamTimeout {
                engine: self.name.clone(),
                timeout: self.endpoint.timeout,
            };
        }
        let detail = if err.is_connect() {
            "the connection was refused or could not be made"
        } else if err.is_decode() || err.is_body() {
            "the connection broke while it answered"
        } else {
            "the request failed"
        };
        tracing::warn!(engine = %self.name, error = %without_url(err), "remote engine request failed");
        self.unavailable(detail)
    }

    async fn status_error(&self, response: reqwest::Response) -> EngineError {
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let message = upstream_message(&response.text().await.unwrap_or_default());
        tracing::warn!(engine = %self.name, %status, %message, "remote engine refused the request");
        match status.as_u16() {
            429 => EngineError::Busy { retry_after },
            // The request itself was wrong for this model (too long a prompt, say): the
            // caller can act on the upstream's own words.
            400 | 422 => EngineError::InvalidInput(message),
            401 | 403 => self.unavailable(&format!("it refused Vox's credentials ({status})")),
            404 => self.unavailable(&format!("it does not serve this model or route ({status})")),
            _ => self.unavailable(&format!("it answered {status}")),
        }
    }

    pub fn unavailable(&self, detail: &str) -> EngineError {
        EngineError::UpstreamUnavailable {
            engine: self.name.clone(),
            detail: detail.to_string(),
        }
    }

    pub fn malformed(&self, detail: impl Into<String>) -> EngineError {
        EngineError::UpstreamMalformed {
            engine: self.name.clone(),
            detail: detail.into(),
        }
    }
}

/// `Retry-After` in seconds (at least one).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    let secs = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(1.0);
    Duration::from_secs_f64(secs.clamp(1.0, 3600.0))
}

/// The `error.message` of an OpenAI-shaped body, else the start of the body.
pub fn upstream_message(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let message = parsed
        .as_ref()
        .and_then(|v| {
            v.pointer("/error/message")
                .or_else(|| v.get("message"))
                .or_else(|| v.get("detail"))
        })
        .and_then(|m| m.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| body.trim().to_string());
    let mut short: String = message.chars().take(300).collect();
    if short.is_empty() {
        short = "no reason given".into();
    }
    short
}

/// reqwest's error text names the URL; the base URL is in the engine's name already.
fn without_url(err: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(err);
    let mut text = String::new();
    while let Some(cause) = source {
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if text.is_empty() { "unknown".into() } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_in_seconds_and_bounded() {
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&headers), Duration::from_secs(1));
        headers.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Duration::from_secs(7));
        headers.insert(reqwest::header::RETRY_AFTER, "0".parse().unwrap());
        assert_eq!(retry_after(&headers), Duration::from_secs(1));
    }

    #[test]
    fn upstream_messages_are_read_from_openai_and_other_shapes() {
        assert_eq!(
            upstream_message(r#"{"error":{"message":"too long"}}"#),
            "too long"
        );
        assert_eq!(upstream_message(r#"{"detail":"Not Found"}"#), "Not Found");
        assert_eq!(upstream_message("Bad Gateway"), "Bad Gateway");
        assert_eq!(upstream_message(""), "no reason given");
        assert_eq!(upstream_message(&"x".repeat(1000)).len(), 300);
    }
}
