//! A synthesizer that plays a tone per clause, its length set by the clause's length, at a rate
//! other than the output's (so resampling is exercised).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::BoxStream;
use vox_engine::audio::AudioBuffer;
use vox_engine::speech::{SpeechJob, Synthesizer};
use vox_engine::voices::{VoiceCatalog, VoiceProfile};
use vox_engine::{EngineError, EngineStatus};

/// Piper's rate: not the 24 kHz output.
pub const TONE_RATE: u32 = 22_050;
/// Seconds of tone per character of the clause: even a one-word clause outlasts the
/// resampler's block, so each clause is heard before the next begins.
const SECS_PER_CHAR: f64 = 0.05;
/// Every OpenAI voice name, each a tone.
const VOICES: [&str; 13] = [
    "alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse", "marin",
    "cedar",
];

#[derive(Debug, Default)]
pub struct ToneVoice {
    /// Jobs started so far.
    pub jobs: AtomicUsize,
    /// Refuse the job with this (0-based) number as busy, as a full synthesis queue does.
    pub busy_at_job: Option<usize>,
    /// From this (0-based) job on, never speak: answers stay in flight until dropped.
    pub hang_from_job: Option<usize>,
    /// Before each piece of audio.
    pub delay: Option<Duration>,
    /// Texts it was asked to speak, for tests to inspect.
    pub spoken: std::sync::Mutex<Vec<SpeechJob>>,
}

impl ToneVoice {
    pub fn busy_at(job: usize) -> Self {
        Self {
            busy_at_job: Some(job),
            ..Self::default()
        }
    }

    pub fn hanging_from(job: usize) -> Self {
        Self {
            hang_from_job: Some(job),
            ..Self::default()
        }
    }

    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Samples at [`TONE_RATE`] for a clause.
    pub fn samples_for(text: &str) -> usize {
        (text.chars().count() as f64 * SECS_PER_CHAR * f64::from(TONE_RATE)) as usize
    }
}

impl VoiceCatalog for ToneVoice {
    fn list(&self) -> Vec<VoiceProfile> {
        VOICES
            .iter()
            .map(|name| VoiceProfile {
                id: (*name).into(),
                model: "tone".into(),
                speaker: (*name).into(),
                speed: 1.0,
                description: Some("a test tone".into()),
                language: Some("en-US".into()),
                gender: None,
            })
            .collect()
    }
}

impl Synthesizer for ToneVoice {
    fn voices(&self) -> &dyn VoiceCatalog {
        self
    }

    fn synthesize(&self, job: SpeechJob) -> BoxStream<'static, Result<AudioBuffer, EngineError>> {
        let number = self.jobs.fetch_add(1, Ordering::SeqCst);
        let len = Self::samples_for(&job.text);
        self.spoken.lock().unwrap_or_else(|p| p.into_inner()).push(job);
        if self.busy_at_job == Some(number) {
            let retry_after = Duration::from_secs(3);
            return futures::stream::once(async move { Err(EngineError::Busy { retry_after }) }).boxed();
        }
        if self.hang_from_job.is_some_and(|from| number >= from) {
            return futures::stream::pending().boxed();
        }
        let delay = self.delay;
        // Two pieces, as a real voice streams a clause.
        let tone = |from: usize, to: usize| AudioBuffer {
            samples: (from..to).map(|i| (i as f32 * 0.05).sin() * 0.3).collect(),
            sample_rate: TONE_RATE,
        };
        let pieces = vec![tone(0, len / 2), tone(len / 2, len)];
        futures::stream::iter(pieces)
            .then(move |piece| async move {
                if let Some(delay) = delay {
                    tokio::time::sleep(delay).await;
                }
                Ok(piece)
            })
            .boxed()
    }
}

impl EngineStatus for ToneVoice {}
