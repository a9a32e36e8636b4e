//! What went wrong in a client command, shown as the server said it, with an exit code per kind
//! so scripts can tell them apart.

use std::fmt;
use std::process::ExitCode;

#[derive(Debug)]
pub struct Failure {
    kind: Kind,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Missing configuration, a file that cannot be read: exit 2.
    Config,
    /// 401/403: exit 3.
    Auth,
    /// Other 4xx (bad request, unknown model, too large): exit 4.
    Request,
    /// 429 and 503: try later: exit 5.
    Busy,
    /// Other 5xx: exit 6.
    Server,
    /// No answer at all (connection refused, TLS, timeout): exit 7.
    Network,
}

impl Failure {
    pub fn config(message: impl Into<String>) -> Self {
        Self {
            kind: Kind::Config,
            message: message.into(),
        }
    }

    pub fn network(message: impl Into<String>) -> Self {
        Self {
            kind: Kind::Network,
            message: message.into(),
        }
    }

    /// An error response: OpenAI's `{"error": {message, param, code}}` or Azure's
    /// `{"error": {code, message}}`, whichever came.
    pub fn from_response(status: u16, body: &str) -> Self {
        let kind = match status {
            401 | 403 => Kind::Auth,
            429 | 503 => Kind::Busy,
            400..=499 => Kind::Request,
            _ => Kind::Server,
        };
        let error = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("error").cloned());
        let message = match error {
            Some(error) => {
                let text = error["message"].as_str().unwrap_or("(no message)");
                let mut line = format!("HTTP {status}: {text}");
                if let Some(param) = error["param"].as_str() {
                    line.push_str(&format!(" [param: {param}]"));
                }
                if let Some(code) = error["code"].as_str() {
                    line.push_str(&format!(" [code: {code}]"));
                }
                line
            }
            None => format!("HTTP {status}: {}", body.chars().take(300).collect::<String>()),
        };
        Self { kind, message }
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self.kind {
            Kind::Config => 2,
            Kind::Auth => 3,
            Kind::Request => 4,
            Kind::Busy => 5,
            Kind::Server => 6,
            Kind::Network => 7,
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_errors_show_message_param_and_code() {
        let body = r#"{"error":{"message":"Invalid value: 'x'.","type":"invalid_request_error","param":"audio.voice","code":"invalid_value"}}"#;
        let failure = Failure::from_response(400, body);
        assert_eq!(
            failure.to_string(),
            "HTTP 400: Invalid value: 'x'. [param: audio.voice] [code: invalid_value]"
        );
        assert_eq!(failure.exit_code(), ExitCode::from(4));
    }

    #[test]
    fn azure_errors_and_statuses_map_to_kinds() {
        let failure = Failure::from_response(401, r#"{"error":{"code":"401","message":"Access denied"}}"#);
        assert_eq!(failure.exit_code(), ExitCode::from(3));
        assert!(failure.to_string().contains("Access denied"));
        assert_eq!(Failure::from_response(429, "").exit_code(), ExitCode::from(5));
        assert_eq!(Failure::from_response(500, "oops").exit_code(), ExitCode::from(6));
    }
}
