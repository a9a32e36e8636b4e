//! Model and deployment listing, and the voice listing.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Model {
    pub id: String,
    /// Always `model`.
    pub object: String,
    pub created: u64,
    pub owned_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModelList {
    /// Always `list`.
    pub object: String,
    pub data: Vec<Model>,
}

impl ModelList {
    pub fn new(data: Vec<Model>) -> Self {
        Self {
            object: "list".into(),
            data,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VoiceList {
    /// Always `list`.
    pub object: String,
    pub data: Vec<VoiceEntry>,
}

impl VoiceList {
    pub fn new(data: Vec<VoiceEntry>) -> Self {
        Self {
            object: "list".into(),
            data,
        }
    }
}

/// One entry of `GET /audio/voices`: a voice name and the speaker behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VoiceEntry {
    pub id: String,
    /// Always `voice`.
    pub object: String,
    /// The synthesis engine that speaks it (`piper`, `kokoro`, `hibari`).
    pub engine: String,
    /// The same as `engine`, kept for clients of earlier versions.
    pub model: String,
    pub speaker: String,
    /// The speaker's language and accent (BCP 47: `en-US`, `en-GB`, `fr-FR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// `female` or `male`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    pub speed: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}
