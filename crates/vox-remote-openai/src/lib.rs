//! Remote engines: the language model, speech recognition or the voice of a profile served by
//! any OpenAI-compatible server (`/v1/chat/completions`, `/v1/audio/transcriptions`,
//! `/v1/audio/speech`). They implement the same engine traits as the in-process engines, so the
//! voice pipeline streams a remote model's tokens into clauses exactly as a local one's.
//!
//! Failures are the engine layer's own: a server that cannot be reached or answers 5xx is
//! [`EngineError::UpstreamUnavailable`], a 429 is [`EngineError::Busy`] with its Retry-After,
//! a timeout [`EngineError::UpstreamTimeout`], output that is not the API's shape
//! [`EngineError::UpstreamMalformed`]. The engine is named by role, model and address; the key
//! never appears in a message or a log.

mod chat;
mod client;
mod speech;
mod sse;
mod transcribe;

use std::time::Duration;

pub use chat::RemoteChat;
pub use speech::RemoteVoices;
pub use transcribe::RemoteTranscriber;
pub use vox_engine::EngineError;

/// Where a remote engine is and how to call it.
#[derive(Clone)]
pub struct Endpoint {
    /// `http://vllm:8000/v1`: the routes are appended to it.
    pub base_url: String,
    /// The model name the upstream knows (`Qwen/Qwen2.5-7B-Instruct`, `whisper-1`, `tts-1`).
    pub model: String,
    /// Sent as `Authorization: Bearer`; never shown.
    pub api_key: Option<String>,
    /// The longest the upstream may stay silent: before its answer starts, and between the
    /// pieces of a streamed one (a long answer that keeps coming is never cut).
    pub timeout: Duration,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .finish()
    }
}
