//! The Realtime API's wire format: client events in, server events out, the session's
//! settings and the conversation's items, in both protocol generations.
//!
//! One implementation speaks both: the GA names (`response.output_audio.delta`, nested
//! `audio.input.format`) and the beta ones (`response.audio.delta`, `input_audio_format`) that
//! clients ask for with `OpenAI-Beta: realtime=v1`. Everything here is pure: parsing and
//! shaping JSON, no I/O.

pub mod client;
pub mod item;
pub mod out_of_band;
pub mod server;
pub mod session;

pub use client::{ClientEvent, RealtimeError, Received};
pub use item::{Content, CreatedItem, Item, ItemKind, ItemRole, ItemStatus};
pub use out_of_band::{InputItem, ResponseRequest};
pub use server::{PartRef, ResponseInfo, ResponseStatus, ServerEvent, Usage};
pub use session::{AudioFormat, Modality, SessionConfig, SessionKind, TurnDetection};

/// Which generation of the protocol a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// The generally available API (`gpt-realtime`).
    Ga,
    /// The preview (`OpenAI-Beta: realtime=v1`).
    Beta,
}

/// Ids in OpenAI's style: a prefix and 20 random hex digits.
pub fn new_id(prefix: &str) -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}_{}", &hex[..20])
}
