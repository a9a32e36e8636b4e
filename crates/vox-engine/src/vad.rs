//! Voice activity: how likely each short frame of audio is speech. The realtime API's server
//! turn detection reads it to know when a caller starts and stops talking.

use crate::EngineError;

pub trait VoiceActivity: Send + Sync {
    /// The rate frames must be at (16 kHz for Silero).
    fn sample_rate(&self) -> u32;

    /// Samples per frame.
    fn frame_len(&self) -> usize;

    /// A detector for one stream of audio: it carries that stream's state (a model's memory of
    /// the frames before), so every caller gets its own.
    fn detector(&self) -> Box<dyn SpeechDetector>;
}

pub trait SpeechDetector: Send {
    /// The probability (0 to 1) that `frame`, exactly [`VoiceActivity::frame_len`] samples
    /// following the previous one, is speech.
    fn speech_probability(&mut self, frame: &[f32]) -> Result<f32, EngineError>;
}

/// An end-of-turn model: from how the caller's last seconds sound (words, intonation, pace), how
/// likely they have finished speaking. It runs when a pause begins, so a finished sentence ends
/// the turn at once and a trailing "and then..." waits for more.
pub trait TurnEnd: Send + Sync {
    /// The rate audio must be at.
    fn sample_rate(&self) -> u32;

    /// The most recent audio the model reads; anything earlier can be left out.
    fn context_samples(&self) -> usize;

    /// The probability (0 to 1) that the speaker has finished, given their turn's audio up to
    /// now (speech and the start of the pause).
    fn finished(&self, audio: &[f32]) -> Result<f32, EngineError>;
}
