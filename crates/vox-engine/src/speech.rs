//! Speech synthesis.

use futures::stream::BoxStream;

use crate::EngineError;
use crate::audio::AudioBuffer;
use crate::voices::VoiceProfile;

#[derive(Debug, Clone, PartialEq)]
pub struct SpeechJob {
    pub text: String,
    pub voice: VoiceProfile,
    /// Multiplies the voice's own speed; 0.25 to 4.
    pub speed: f64,
    /// ISO-639-1 language of `text`; detected when absent.
    pub language: Option<String>,
    /// Someone hears this audio as it comes (a stream), so its first piece goes before the
    /// language model's next step; a whole answer, heard only once complete, waits its turn.
    pub heard_live: bool,
}

pub trait Synthesizer: crate::EngineStatus {
    /// The voices this synthesizer can speak, by OpenAI name or custom id.
    fn voices(&self) -> &dyn crate::voices::VoiceCatalog;

    /// Audio arrives clause by clause; dropping the stream cancels the job.
    fn synthesize(&self, job: SpeechJob) -> BoxStream<'static, Result<AudioBuffer, EngineError>>;
}
