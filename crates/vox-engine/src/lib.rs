//! What Vox's engines are, independent of HTTP and of OpenAI's wire format: the server, the CLI,
//! the realtime API and tests all drive engines through these traits. Concrete engines live in
//! their own crates; only the binary wires them in.

pub mod audio;
pub mod chat;
pub mod error;
pub mod load;
pub mod speech;
mod status;
pub mod transcribe;
pub mod turns;
pub mod vad;
pub mod voices;
pub mod worker;

use std::sync::Arc;

pub use error::EngineError;
pub use status::EngineStatus;

/// The engines one server runs with. A missing engine means requests that need it are refused
/// as unavailable: there is never a stand-in.
#[derive(Clone, Default)]
pub struct EngineSet {
    pub transcriber: Option<Arc<dyn transcribe::Transcriber>>,
    pub chat: Option<Arc<dyn chat::ChatModel>>,
    pub synthesizer: Option<Arc<dyn speech::Synthesizer>>,
    /// Voice activity detection, for the realtime API's server turn detection.
    pub vad: Option<Arc<dyn vad::VoiceActivity>>,
    /// The end-of-turn model, for `semantic_vad` turn detection.
    pub turn_end: Option<Arc<dyn vad::TurnEnd>>,
}

impl EngineSet {
    /// No engine of the set has stopped.
    pub fn all_working(&self) -> bool {
        let transcriber = self.transcriber.as_ref().is_none_or(|e| e.is_working());
        let chat = self.chat.as_ref().is_none_or(|e| e.is_working());
        let synthesizer = self.synthesizer.as_ref().is_none_or(|e| e.is_working());
        transcriber && chat && synthesizer
    }
}

impl std::fmt::Debug for EngineSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineSet")
            .field("transcriber", &self.transcriber.is_some())
            .field("chat", &self.chat.is_some())
            .field("synthesizer", &self.synthesizer.is_some())
            .field("vad", &self.vad.is_some())
            .field("turn_end", &self.turn_end.is_some())
            .finish()
    }
}
