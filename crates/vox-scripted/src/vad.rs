//! Voice activity by loudness: a frame is speech when its RMS level is above -34 dBFS. Tests
//! drive turn detection with tones and silence. The end-of-turn model gives the verdict it is
//! told to, and counts what it was asked.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use vox_engine::EngineError;
use vox_engine::vad::{SpeechDetector, TurnEnd, VoiceActivity};

const RATE: u32 = 16_000;
const FRAME: usize = 512;
const SPEECH_RMS: f32 = 0.02;

#[derive(Debug, Default)]
pub struct LoudnessVad;

impl VoiceActivity for LoudnessVad {
    fn sample_rate(&self) -> u32 {
        RATE
    }

    fn frame_len(&self) -> usize {
        FRAME
    }

    fn detector(&self) -> Box<dyn SpeechDetector> {
        Box::new(Loudness)
    }
}

struct Loudness;

impl SpeechDetector for Loudness {
    fn speech_probability(&mut self, frame: &[f32]) -> Result<f32, EngineError> {
        let rms = (frame.iter().map(|s| s * s).sum::<f32>() / frame.len().max(1) as f32).sqrt();
        Ok(if rms > SPEECH_RMS { 0.95 } else { 0.02 })
    }
}

/// An end-of-turn model that finds every turn finished with the same probability, taking
/// `takes` to say so.
#[derive(Debug)]
pub struct ScriptedTurnEnd {
    probability: f32,
    takes: Duration,
    asked: AtomicUsize,
}

impl ScriptedTurnEnd {
    pub fn finding(probability: f32) -> Self {
        Self::slowly_finding(probability, Duration::ZERO)
    }

    pub fn slowly_finding(probability: f32, takes: Duration) -> Self {
        Self {
            probability,
            takes,
            asked: AtomicUsize::new(0),
        }
    }

    /// How many pauses it was asked about.
    pub fn asked(&self) -> usize {
        self.asked.load(Ordering::SeqCst)
    }
}

impl TurnEnd for ScriptedTurnEnd {
    fn sample_rate(&self) -> u32 {
        RATE
    }

    fn context_samples(&self) -> usize {
        8 * RATE as usize
    }

    fn finished(&self, _audio: &[f32]) -> Result<f32, EngineError> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(self.takes);
        Ok(self.probability)
    }
}
