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

pub trait Synthesizer: Send + Sync {
    /// The voices this synthesizer can speak, by OpenAI name or custom id.
    fn voices(&self) -> &dyn crate::voices::VoiceCatalog;

    /// Audio arrives clause by clause; dropping the stream cancels the job.
    fn synthesize(&self, job: SpeechJob) -> BoxStream<'static, Result<AudioBuffer, EngineError>>;

    /// How long a new job's first piece would wait (zero until measured).
    fn expected_wait(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }

    /// False once the engine can no longer serve (its thread panicked): readiness turns false
    /// and requests needing it are refused as unavailable.
    fn is_working(&self) -> bool {
        true
    }

    /// From now on, report each job's wait in the engine's queue to `observer` (for metrics).
    fn report_queue_waits(&self, observer: crate::worker::QueueWaitObserver) {
        let _ = observer;
    }
}
