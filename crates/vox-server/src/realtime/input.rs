//! The input audio buffer: what the caller has said since the last commit, at the session's
//! input rate, on a clock that counts from the session's first sample. With server turn
//! detection on, every chunk also goes (resampled to the detector's rate) through the turn
//! detector.

use vox_audio::StreamResampler;
use vox_engine::audio::AudioBuffer;
use vox_engine::vad::VoiceActivity;
use vox_pipeline::{TurnDetector, TurnEnding, TurnEvent, TurnSettings};
use vox_protocol::realtime::{AudioFormat, RealtimeError, TurnDetection};

use super::audio::InputDecoder;

/// Samples per resampling block on the way to the turn detector: about 10 ms at 24 kHz, so the
/// end of speech is seen within a frame of arriving.
const DETECTOR_BLOCK: usize = 240;
/// How long `semantic_vad` lets a caller who has not finished stay silent, by eagerness: `low`
/// 8 s, `medium` (and `auto`) 4 s, `high` 2 s.
fn longest_silence_ms(eagerness: Option<&str>) -> u64 {
    match eagerness {
        Some("low") => 8_000,
        Some("high") => 2_000,
        _ => 4_000,
    }
}

/// The most audio one uncommitted buffer holds (OpenAI bounds a turn too).
pub const MAX_BUFFER_SECS: u64 = 15 * 60;

pub struct InputBuffer {
    format: AudioFormat,
    decoder: InputDecoder,
    samples: Vec<f32>,
    /// The session clock at `samples[0]`.
    start_ms: u64,
    /// The session clock when the input format last changed.
    clock_base_ms: u64,
    /// Samples received since then (at the input rate).
    received: u64,
    turns: Option<Turns>,
}

struct Turns {
    resampler: StreamResampler,
    detector: TurnDetector,
}

impl InputBuffer {
    pub fn new(format: AudioFormat) -> Self {
        Self {
            format,
            decoder: InputDecoder::default(),
            samples: Vec::new(),
            start_ms: 0,
            clock_base_ms: 0,
            received: 0,
            turns: None,
        }
    }

    /// Turn detection on (`Some`) or off, with the session's settings; `judged` when an
    /// end-of-turn model is asked at each pause (`semantic_vad`).
    pub fn detect_turns(
        &mut self,
        vad: Option<&dyn VoiceActivity>,
        detection: Option<&TurnDetection>,
        judged: bool,
    ) -> Result<(), RealtimeError> {
        let (Some(vad), Some(detection)) = (vad, detection) else {
            self.turns = None;
            return Ok(());
        };
        let ending = match judged {
            true => TurnEnding::Judged {
                longest_silence_ms: longest_silence_ms(detection.eagerness.as_deref()),
            },
            false => TurnEnding::Silence,
        };
        let settings = TurnSettings {
            threshold: detection.threshold,
            prefix_padding_ms: detection.prefix_padding_ms,
            silence_duration_ms: detection.silence_duration_ms,
            ending,
        };
        if let Some(turns) = &mut self.turns {
            turns.detector.set_settings(settings);
            return Ok(());
        }
        let resampler = StreamResampler::with_block(self.format.rate(), vad.sample_rate(), DETECTOR_BLOCK)
            .map_err(|e| RealtimeError::server("server_error", e.to_string()))?;
        let detector = TurnDetector::new(vad.detector(), vad.frame_len(), vad.sample_rate(), settings);
        // The detector's clock must match the session's: start it where the stream is now.
        let mut turns = Turns { resampler, detector };
        turns.detector.skip_ms(self.clock_ms());
        self.turns = Some(turns);
        Ok(())
    }

    /// A new input format starts a new buffer.
    pub fn set_format(&mut self, format: AudioFormat) {
        if format != self.format {
            self.clear();
            self.clock_base_ms = self.clock_ms();
            self.received = 0;
            self.format = format;
            self.start_ms = self.clock_base_ms;
            // Rebuilt for the new rate by the next `detect_turns`.
            self.turns = None;
        }
    }

    /// Adds a base64 chunk; says where turns started and stopped.
    pub fn append(&mut self, base64: &str) -> Result<Vec<TurnEvent>, RealtimeError> {
        let samples = self.decoder.decode(self.format, base64)?;
        if self.samples.len() as u64 + samples.len() as u64 > MAX_BUFFER_SECS * u64::from(self.format.rate())
        {
            return Err(RealtimeError::invalid(
                format!(
                    "The input audio buffer holds at most {MAX_BUFFER_SECS} seconds: commit or clear it."
                ),
                "audio",
                "input_audio_buffer_too_large",
            ));
        }
        self.received += samples.len() as u64;
        self.samples.extend_from_slice(&samples);
        let Some(turns) = &mut self.turns else {
            return Ok(Vec::new());
        };
        let at_vad_rate = turns.resampler.push(&samples);
        turns
            .detector
            .push(&at_vad_rate)
            .map_err(|e| RealtimeError::server("server_error", format!("turn detection failed: {e}")))
    }

    /// Ends the turn at the pause that began at `at_ms` (judged finished), unless the caller
    /// has spoken again since.
    pub fn end_at_pause(&mut self, at_ms: u64) -> Option<TurnEvent> {
        self.turns.as_mut()?.detector.end_at_pause(at_ms)
    }

    /// Milliseconds of audio in the buffer.
    pub fn buffered_samples(&self) -> usize {
        self.samples.len()
    }

    pub fn buffered_ms(&self) -> u64 {
        self.samples.len() as u64 * 1000 / u64::from(self.format.rate())
    }

    /// A copy of the buffer between two points of the session clock (for early recognition).
    pub fn copy(&self, from_ms: u64, to_ms: u64) -> AudioBuffer {
        let (from, to) = (self.index(from_ms), self.index(to_ms));
        AudioBuffer {
            samples: self.samples[from..to.max(from)].to_vec(),
            sample_rate: self.format.rate(),
        }
    }

    /// Takes the audio from `from_ms` to `to_ms` as a turn; what came after `keep_from_ms`
    /// stays for the next one.
    pub fn take(&mut self, from_ms: u64, to_ms: u64, keep_from_ms: u64) -> AudioBuffer {
        let turn = self.copy(from_ms, to_ms);
        let keep = self.index(keep_from_ms);
        self.samples.drain(..keep);
        self.start_ms = self.clock_ms() - self.buffered_ms();
        turn
    }

    /// Takes the whole buffer (a manual commit).
    pub fn take_all(&mut self) -> AudioBuffer {
        let turn = AudioBuffer {
            samples: std::mem::take(&mut self.samples),
            sample_rate: self.format.rate(),
        };
        self.start_ms = self.clock_ms();
        if let Some(turns) = &mut self.turns {
            turns.detector.reset_turn();
        }
        turn
    }

    pub fn clear(&mut self) {
        self.take_all();
        self.decoder.forget();
    }

    /// The session clock: milliseconds of audio received.
    pub fn clock_ms(&self) -> u64 {
        self.clock_base_ms + self.received * 1000 / u64::from(self.format.rate())
    }

    /// Where the turn detector has read up to (it lags the input by the resampler's block).
    pub fn detected_up_to_ms(&self) -> u64 {
        self.turns
            .as_ref()
            .map_or(self.clock_ms(), |t| t.detector.position_ms())
    }

    pub fn buffer_start_ms(&self) -> u64 {
        self.start_ms
    }

    fn index(&self, ms: u64) -> usize {
        let offset = ms.saturating_sub(self.start_ms) * u64::from(self.format.rate()) / 1000;
        (offset as usize).min(self.samples.len())
    }
}
