use std::time::Duration;

/// Failures an engine reports; the server decides what each means on the wire.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The engine's queue is full; try again after the given delay.
    #[error("the engine is busy")]
    Busy { retry_after: Duration },
    /// The input cannot be processed (too long for the context window, say). Safe to show.
    #[error("{0}")]
    InvalidInput(String),
    /// The conversation does not fit the language model's context window.
    #[error(
        "This model's maximum context length is {limit} tokens. However, your messages resulted in \
         {requested} tokens. Please reduce the length of the messages."
    )]
    ContextLengthExceeded { limit: u64, requested: u64 },
    /// A prompt so long in bytes that it cannot fit the context whatever it says; refused
    /// without counting its tokens.
    #[error(
        "This model's maximum context length is {limit} tokens. However, your messages are {bytes} \
         bytes long, more than that many tokens can hold. Please reduce the length of the messages."
    )]
    PromptTooLong { limit: u64, bytes: u64 },
    /// The request was cancelled (its client went away).
    #[error("cancelled")]
    Cancelled,
    /// The engine's thread is gone (its model panicked); requests needing it cannot be served
    /// until the server restarts.
    #[error("the {engine} engine has stopped")]
    Stopped { engine: &'static str },
    /// A remote engine could not be reached, or refused to serve (connection refused, 5xx).
    /// `engine` names it for the caller: its role, model and address, never its key.
    #[error("the {engine} upstream is unavailable: {detail}")]
    UpstreamUnavailable { engine: String, detail: String },
    /// A remote engine sent nothing for its timeout (before answering, or mid-stream).
    #[error("the {engine} upstream sent nothing for {timeout:?}")]
    UpstreamTimeout { engine: String, timeout: Duration },
    /// A remote engine answered something that is not its API's shape.
    #[error("the {engine} upstream answered malformed output: {detail}")]
    UpstreamMalformed { engine: String, detail: String },
    /// Something broke inside the engine. Logged, never shown to clients.
    #[error("internal engine failure: {0}")]
    Internal(String),
}
