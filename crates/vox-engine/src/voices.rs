//! Voice names and the speakers behind them.

/// A voice as configured: the name clients use and how the synthesizer renders it.
#[derive(Debug, Clone, PartialEq)]
pub struct VoiceProfile {
    /// `alloy`, `echo`, ... or a custom id.
    pub id: String,
    /// Which synthesis model speaks it.
    pub model: String,
    /// The speaker within that model.
    pub speaker: String,
    /// Relative speaking rate of this voice (1.0 is the model's own).
    pub speed: f64,
    pub description: Option<String>,
    /// The speaker's language and accent (BCP 47, `en-US`), when the synthesizer knows it.
    pub language: Option<String>,
    /// `female` or `male`, when the synthesizer knows it.
    pub gender: Option<String>,
}

pub trait VoiceCatalog: Send + Sync {
    fn list(&self) -> Vec<VoiceProfile>;

    fn resolve(&self, id: &str) -> Option<VoiceProfile> {
        self.list().into_iter().find(|v| v.id == id)
    }
}
