//! Vox's wire contract: the OpenAI and Azure OpenAI request, response, stream and error types,
//! and the validation that turns a request into something an engine may see. No I/O lives here.

pub mod audio;
pub mod chat;
pub mod error;
pub mod json;
pub mod models;
pub mod realtime;
pub mod speech;
pub mod transcription;

pub use error::{ProtocolError, ProtocolErrorKind};
