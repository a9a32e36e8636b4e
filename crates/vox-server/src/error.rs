//! The one place where failures become HTTP: status code, headers and the OpenAI or Azure JSON.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use vox_audio::AudioError;
use vox_engine::EngineError;
use vox_protocol::error::{AzureErrorEnvelope, AzureErrorObject, ErrorEnvelope, ErrorObject};
use vox_protocol::{ProtocolError, ProtocolErrorKind};
use vox_store::StoreError;

/// Which error JSON a client expects: Azure answers key and route errors in its own shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorShape {
    OpenAi,
    Azure,
}

/// The engines a request may need; named in 503 answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    Transcriber,
    ChatModel,
    Synthesizer,
}

impl EngineKind {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Transcriber => "speech recognition",
            Self::ChatModel => "language model",
            Self::Synthesizer => "speech synthesis",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub kind: &'static str,
    pub param: Option<String>,
    pub code: Option<String>,
    pub shape: ErrorShape,
    pub retry_after_secs: Option<u64>,
}

const INVALID_REQUEST: &str = "invalid_request_error";
const SERVER_ERROR: &str = "server_error";
/// nginx's status for a request whose client went away; never sent, only logged and counted.
pub const CLIENT_CLOSED_REQUEST: StatusCode = match StatusCode::from_u16(499) {
    Ok(status) => status,
    Err(_) => StatusCode::BAD_REQUEST,
};

impl ApiError {
    fn openai(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            kind,
            param: None,
            code: None,
            shape: ErrorShape::OpenAi,
            retry_after_secs: None,
        }
    }

    fn azure(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            shape: ErrorShape::Azure,
            code: Some(code.into()),
            ..Self::openai(status, INVALID_REQUEST, message)
        }
    }

    fn with_code(mut self, code: &str) -> Self {
        self.code = Some(code.into());
        self
    }

    fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    pub fn missing_key(shape: ErrorShape) -> Self {
        match shape {
            ErrorShape::Azure => Self::azure_access_denied(),
            ErrorShape::OpenAi => Self::openai(
                StatusCode::UNAUTHORIZED,
                INVALID_REQUEST,
                "You didn't provide an API key. Provide it in an Authorization header using Bearer \
                 auth (Authorization: Bearer YOUR_KEY) or in an api-key header.",
            )
            .with_code("missing_api_key"),
        }
    }

    /// `redacted_key` shows only the ends of the key that was presented.
    pub fn invalid_key(shape: ErrorShape, redacted_key: &str) -> Self {
        match shape {
            ErrorShape::Azure => Self::azure_access_denied(),
            ErrorShape::OpenAi => Self::openai(
                StatusCode::UNAUTHORIZED,
                INVALID_REQUEST,
                format!("Incorrect API key provided: {redacted_key}."),
            )
            .with_code("invalid_api_key"),
        }
    }

    /// A caller over one of its own limits (not the server's load): 429 with `Retry-After`.
    pub fn caller_limited(message: String, retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs),
            ..Self::openai(StatusCode::TOO_MANY_REQUESTS, "requests", message)
                .with_code("rate_limit_exceeded")
        }
    }

    /// A request the door refused: no key, a wrong key, or a token that did not verify.
    pub fn refused(shape: ErrorShape, verdict: crate::auth::Verdict) -> Self {
        use crate::auth::Verdict;
        match verdict {
            Verdict::MissingKey | Verdict::Allowed(_) => Self::missing_key(shape),
            Verdict::InvalidKey(redacted) => Self::invalid_key(shape, &redacted),
            Verdict::InvalidToken(reason) => Self::invalid_token(shape, &reason),
        }
    }

    /// `reason` says what was wrong with the token; the token itself is never echoed.
    pub fn invalid_token(shape: ErrorShape, reason: &str) -> Self {
        match shape {
            ErrorShape::Azure => Self::azure(
                StatusCode::UNAUTHORIZED,
                "401",
                format!(
                    "Unauthorized. Access token is missing, invalid, audience is incorrect, or have \
                     expired: {reason}."
                ),
            ),
            ErrorShape::OpenAi => Self::openai(
                StatusCode::UNAUTHORIZED,
                INVALID_REQUEST,
                format!("Invalid bearer token: {reason}."),
            )
            .with_code("invalid_token"),
        }
    }

    fn azure_access_denied() -> Self {
        Self::azure(
            StatusCode::UNAUTHORIZED,
            "401",
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to \
             provide a valid key for an active subscription and use a correct regional API \
             endpoint for your resource.",
        )
    }

    /// Azure's answer to a route it does not serve, or to a missing `api-version`.
    pub fn azure_resource_not_found() -> Self {
        Self::azure(StatusCode::NOT_FOUND, "404", "Resource not found")
    }

    pub fn route_not_found(method: &str, path: &str) -> Self {
        Self::openai(
            StatusCode::NOT_FOUND,
            INVALID_REQUEST,
            format!("Invalid URL ({method} {path})"),
        )
    }

    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::openai(
            StatusCode::METHOD_NOT_ALLOWED,
            INVALID_REQUEST,
            format!("Invalid method for URL ({method} {path})"),
        )
    }

    pub fn deployment_not_found() -> Self {
        Self::azure(
            StatusCode::NOT_FOUND,
            "DeploymentNotFound",
            "The API deployment for this resource does not exist. If you created the deployment \
             within the last 5 minutes, please wait a moment and try again.",
        )
    }

    pub fn model_not_found(model: &str) -> Self {
        Self::openai(
            StatusCode::NOT_FOUND,
            INVALID_REQUEST,
            format!("The model '{model}' does not exist or you do not have access to it."),
        )
        .with_code("model_not_found")
        .with_param("model")
    }

    pub fn body_too_large(limit: usize) -> Self {
        Self::openai(
            StatusCode::PAYLOAD_TOO_LARGE,
            INVALID_REQUEST,
            format!("The request body is larger than the {limit}-byte limit of this server."),
        )
        .with_code("request_too_large")
    }

    /// 413 for a body without audio over the text limit, which is much smaller than the limit
    /// made to fit audio.
    pub fn text_body_too_large(limit: usize) -> Self {
        Self::openai(
            StatusCode::PAYLOAD_TOO_LARGE,
            INVALID_REQUEST,
            format!(
                "The request body carries no audio and is larger than the {limit}-byte limit of this \
                 server for text."
            ),
        )
        .with_code("request_too_large")
    }

    /// 408: the body came too slowly for the connection limits.
    pub fn body_too_slow(limits: &crate::door::ConnectionLimits) -> Self {
        Self::openai(
            StatusCode::REQUEST_TIMEOUT,
            INVALID_REQUEST,
            format!(
                "The request body arrived too slowly: this server waits at most {} s between two \
                 pieces of a body and, after that, for at least {} bytes per second.",
                limits.body_timeout.as_secs(),
                limits.body_min_bytes_per_sec
            ),
        )
        .with_code("request_timeout")
    }

    /// The body's own framing (chunked encoding) is broken.
    pub fn malformed_body() -> Self {
        Self::openai(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST,
            "The request body could not be read: its transfer encoding is malformed.",
        )
        .with_code("invalid_request_body")
    }

    /// The client left before its request was read or answered. Nobody reads the answer: it
    /// is logged at debug and counted under status 499, apart from the server's own errors.
    pub fn client_gone(detail: impl std::fmt::Display) -> Self {
        tracing::debug!(%detail, "client closed the connection");
        Self::openai(
            CLIENT_CLOSED_REQUEST,
            INVALID_REQUEST,
            "Client closed the request.",
        )
        .with_code("client_closed_request")
    }

    pub fn audio_not_found(id: &str, param: &str) -> Self {
        Self::openai(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST,
            format!("Assistant audio {id} not found."),
        )
        .with_code("audio_not_found")
        .with_param(param)
    }

    pub fn engine_unavailable(engine: EngineKind) -> Self {
        Self::openai(
            StatusCode::SERVICE_UNAVAILABLE,
            SERVER_ERROR,
            format!(
                "This Vox server has no {} engine loaded, so it cannot answer this request. \
                 Requests that need no {} engine still work.",
                engine.describe(),
                engine.describe()
            ),
        )
        .with_code("engine_unavailable")
    }

    /// The engine was loaded but its thread has died; only a restart brings it back.
    pub fn engine_stopped(engine: &str) -> Self {
        Self::openai(
            StatusCode::SERVICE_UNAVAILABLE,
            SERVER_ERROR,
            format!(
                "This Vox server's {engine} engine has stopped working, so it cannot answer this \
                 request until it is restarted. Requests that do not need it still work."
            ),
        )
        .with_code("engine_unavailable")
    }

    /// The shared audio store (Redis) cannot be reached: a request that must read an earlier
    /// answer waits for nothing and is told so; it may be retried once the store is back.
    pub fn store_unavailable(detail: &str) -> Self {
        Self::openai(
            StatusCode::SERVICE_UNAVAILABLE,
            SERVER_ERROR,
            format!(
                "This request refers to an earlier answer by its audio id, but {detail}. Try again \
                 shortly; requests that do not refer to earlier answers still work."
            ),
        )
        .with_code("store_unavailable")
    }

    /// A remote engine is down or refusing: 503 naming it (role, model, address; never a key).
    pub fn upstream_unavailable(engine: &str, detail: &str) -> Self {
        Self::openai(
            StatusCode::SERVICE_UNAVAILABLE,
            SERVER_ERROR,
            format!("The {engine} behind this Vox server is unavailable ({detail}). Try again shortly."),
        )
        .with_code("upstream_unavailable")
    }

    pub fn upstream_timeout(engine: &str, timeout: std::time::Duration) -> Self {
        Self::openai(
            StatusCode::GATEWAY_TIMEOUT,
            SERVER_ERROR,
            format!(
                "The {engine} behind this Vox server sent nothing for {} s.",
                timeout.as_secs_f64()
            ),
        )
        .with_code("upstream_timeout")
    }

    pub fn upstream_malformed(engine: &str, detail: &str) -> Self {
        Self::openai(
            StatusCode::BAD_GATEWAY,
            SERVER_ERROR,
            format!("The {engine} behind this Vox server answered something Vox cannot read ({detail})."),
        )
        .with_code("upstream_malformed")
    }

    pub fn not_ready() -> Self {
        Self {
            retry_after_secs: Some(5),
            ..Self::openai(
                StatusCode::SERVICE_UNAVAILABLE,
                SERVER_ERROR,
                "Vox is still loading its models; try again shortly.",
            )
            .with_code("not_ready")
        }
    }

    pub fn busy(retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs.max(1)),
            ..Self::openai(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                format!("The server is at capacity; {HEADER_HINT}"),
            )
            .with_code("rate_limit_exceeded")
        }
    }

    /// The engines' queues would hold this request past the server's bound: 429, retry once
    /// the queue should have come down to it.
    pub fn overloaded(expected_wait: std::time::Duration, bound: std::time::Duration) -> Self {
        let retry = (expected_wait.saturating_sub(bound)).as_secs_f64().ceil() as u64;
        Self {
            retry_after_secs: Some(retry.max(1)),
            ..Self::openai(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                format!(
                    "The server is at capacity (this request would wait about {:.0} s before its \
                     first output, beyond this server's {:.0} s limit); {HEADER_HINT}",
                    expected_wait.as_secs_f64(),
                    bound.as_secs_f64()
                ),
            )
            .with_code("rate_limit_exceeded")
        }
    }

    /// Logs what went wrong; the client learns only that it was on our side.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        Self::openai(
            StatusCode::INTERNAL_SERVER_ERROR,
            SERVER_ERROR,
            "The server had an error while processing your request. Check its logs with the \
             request id.",
        )
    }

    /// A realtime route called without a WebSocket upgrade.
    pub fn websocket_expected() -> Self {
        Self::openai(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST,
            "This route opens a realtime session: connect with a WebSocket (Upgrade: websocket).",
        )
        .with_code("websocket_expected")
    }

    /// A realtime setting refused before any session exists (a client secret's session).
    pub fn realtime(err: vox_protocol::realtime::RealtimeError) -> Self {
        Self {
            param: err.param,
            code: err.code,
            ..Self::openai(StatusCode::BAD_REQUEST, INVALID_REQUEST, err.message)
        }
    }

    pub fn shaped(mut self, shape: ErrorShape) -> Self {
        self.shape = shape;
        self
    }

    pub(crate) fn body(&self) -> serde_json::Value {
        let json = match self.shape {
            ErrorShape::Azure => serde_json::to_value(AzureErrorEnvelope {
                error: AzureErrorObject {
                    code: self
                        .code
                        .clone()
                        .unwrap_or_else(|| self.status.as_u16().to_string()),
                    message: self.message.clone(),
                },
            }),
            ErrorShape::OpenAi => serde_json::to_value(ErrorEnvelope {
                error: ErrorObject {
                    message: self.message.clone(),
                    kind: self.kind.to_string(),
                    param: self.param.clone(),
                    code: self.code.clone(),
                },
            }),
        };
        json.unwrap_or_default()
    }
}

impl ApiError {
    /// An audio failure, pointing at the parameter that carried the audio.
    pub fn audio(err: AudioError, param: &str) -> Self {
        let base = match &err {
            AudioError::Undecodable { detail } => {
                tracing::info!(%detail, param, "undecodable audio");
                Self::openai(StatusCode::BAD_REQUEST, INVALID_REQUEST, err.to_string())
                    .with_code("invalid_value")
            }
            AudioError::TooLarge { .. } => {
                Self::openai(StatusCode::PAYLOAD_TOO_LARGE, INVALID_REQUEST, err.to_string())
                    .with_code("request_too_large")
            }
            AudioError::TooLargeToDecode { .. } => {
                Self::openai(StatusCode::BAD_REQUEST, INVALID_REQUEST, err.to_string())
                    .with_code("audio_too_large")
            }
            AudioError::TooLong { .. } => {
                Self::openai(StatusCode::BAD_REQUEST, INVALID_REQUEST, err.to_string())
                    .with_code("audio_too_long")
            }
            AudioError::Encoder(detail) => return Self::internal(detail),
        };
        base.with_param(param)
    }
}

impl From<ProtocolError> for ApiError {
    fn from(err: ProtocolError) -> Self {
        let status = match err.kind {
            ProtocolErrorKind::InvalidRequest => StatusCode::BAD_REQUEST,
            ProtocolErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        };
        Self {
            param: err.param,
            code: err.code.map(str::to_string),
            ..Self::openai(status, INVALID_REQUEST, err.message)
        }
    }
}

impl From<vox_pipeline::PipelineError> for ApiError {
    fn from(err: vox_pipeline::PipelineError) -> Self {
        use vox_pipeline::PipelineError;
        match err {
            PipelineError::Engine(err) => err.into(),
            PipelineError::Resample(detail) => ApiError::internal(detail),
            PipelineError::EndedEarly(what) => ApiError::internal(what),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(err: EngineError) -> Self {
        match err {
            EngineError::Busy { retry_after } => Self::busy(retry_after.as_secs()),
            EngineError::InvalidInput(message) => {
                Self::openai(StatusCode::BAD_REQUEST, INVALID_REQUEST, message)
            }
            EngineError::ContextLengthExceeded { .. } | EngineError::PromptTooLong { .. } => Self {
                param: Some("messages".into()),
                code: Some("context_length_exceeded".into()),
                ..Self::openai(StatusCode::BAD_REQUEST, INVALID_REQUEST, err.to_string())
            },
            EngineError::Cancelled => Self::client_gone("the engine stopped a cancelled request"),
            EngineError::Stopped { engine } => Self::engine_stopped(engine),
            EngineError::UpstreamUnavailable { engine, detail } => {
                Self::upstream_unavailable(&engine, &detail)
            }
            EngineError::UpstreamTimeout { engine, timeout } => Self::upstream_timeout(&engine, timeout),
            EngineError::UpstreamMalformed { engine, detail } => Self::upstream_malformed(&engine, &detail),
            EngineError::Internal(detail) => Self::internal(detail),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(detail) => Self::store_unavailable(&detail),
            other => Self::internal(other),
        }
    }
}

/// How an HTTP answer says when to come back; an event has no header, so it says the delay.
const HEADER_HINT: &str = "retry after the delay in the Retry-After header.";

/// Inside a realtime session a failure is an `error` event, worded as its HTTP answer would be,
/// except that the delay is said in words: an event has no Retry-After header.
impl From<ApiError> for vox_protocol::realtime::RealtimeError {
    fn from(err: ApiError) -> Self {
        let message = match err.retry_after_secs {
            Some(secs) => format!(
                "{} try again in {secs} s.",
                err.message.trim_end_matches(HEADER_HINT).trim_end()
            ),
            None => err.message,
        };
        Self {
            kind: err.kind,
            code: err.code,
            message,
            param: err.param,
            event_id: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(status = %self.status, message = %self.message, "request failed");
        }
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_shape_always_carries_param_and_code_keys() {
        let body = ApiError::route_not_found("POST", "/v1/nope").body();
        let error = body["error"].as_object().unwrap();
        for key in ["message", "type", "param", "code"] {
            assert!(error.contains_key(key), "missing {key}");
        }
    }

    #[test]
    fn azure_shape_has_only_code_and_message() {
        let body = ApiError::deployment_not_found().body();
        let error = body["error"].as_object().unwrap();
        assert_eq!(error.len(), 2);
        assert_eq!(error["code"], "DeploymentNotFound");
    }

    #[test]
    fn too_large_audio_is_a_413() {
        let err = ApiError::from(ProtocolError::too_large("big", "messages[0]"));
        assert_eq!(err.status, StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[test]
    fn a_store_outage_is_a_503_saying_so_and_other_store_failures_stay_internal() {
        let err = ApiError::from(StoreError::Unavailable(
            "the audio store at redis://r:6379/0 is unavailable".into(),
        ));
        assert_eq!(err.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(err.code.as_deref(), Some("store_unavailable"));
        assert!(err.message.contains("redis://r:6379/0"), "{}", err.message);
        let err = ApiError::from(StoreError::Backend("/var/lib/vox/store corrupted".into()));
        assert_eq!(err.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!err.message.contains("/var/lib"));
    }

    #[test]
    fn internal_details_are_not_sent() {
        let err = ApiError::internal("disk /secret/path failed");
        assert!(!err.message.contains("secret"));
    }
}
