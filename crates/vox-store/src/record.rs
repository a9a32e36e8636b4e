use serde::{Deserialize, Serialize};

use crate::Owner;

/// One stored spoken answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioRecord {
    /// `audio_<32 hex>`
    pub id: String,
    pub owner: Owner,
    /// What was said: it stands in for the audio when the id comes back in a later turn.
    pub transcript: String,
    /// Unix seconds.
    pub created: u64,
    /// Unix seconds.
    pub expires_at: u64,
}

/// A fresh, unguessable audio id: `audio_` and 32 hex digits (122 random bits).
pub fn new_audio_id() -> String {
    format!("audio_{}", uuid::Uuid::new_v4().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_openai_shape_and_differ() {
        let id = new_audio_id();
        let hex = id.strip_prefix("audio_").unwrap();
        assert_eq!(hex.len(), 32);
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(id, new_audio_id());
    }
}
