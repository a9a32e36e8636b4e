//! Server turn detection: a caller's audio, as it streams in, read frame by frame by a voice
//! activity detector, tells when they start talking and when they have stopped (a long enough
//! silence). Times count in milliseconds from the start of the stream.
//!
//! A pause is reported as soon as silence begins, before the turn is confirmed: recognition can
//! start on the speech so far while the silence window runs, so confirming a turn costs no
//! extra recognition time. If the caller speaks again, the pause was not the end.
//!
//! With an end-of-turn model (`semantic_vad`), the caller of the detector asks the model at each
//! pause and ends the turn there ([`TurnDetector::end_at_pause`]) when it says the speaker has
//! finished; otherwise the silence may last up to a longer limit before the turn ends.

use vox_engine::EngineError;
use vox_engine::vad::SpeechDetector;

/// Frames in a row above the threshold before speech is said to start: one loud frame (a
/// click, a cough's onset) does not interrupt an answer.
const START_FRAMES: u32 = 2;
/// Silence this long (or half the silence window, if shorter) is a pause worth recognising
/// early: the gaps between words are shorter, and each early recognition the caller speaks
/// past costs the recogniser time that the real end of the turn then waits for.
const PAUSE_MS: u64 = 160;
/// Below the threshold by this much counts as silence once speaking (hysteresis, as Silero's
/// own iterator does), so a soft syllable does not end a turn.
const SILENCE_MARGIN: f32 = 0.15;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TurnSettings {
    /// Speech probability from which a frame is speech (0 to 1).
    pub threshold: f32,
    /// Audio kept before the detected start of speech.
    pub prefix_padding_ms: u64,
    /// Silence that ends a turn.
    pub silence_duration_ms: u64,
    pub ending: TurnEnding,
}

/// What ends a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnEnding {
    /// Silence as long as `silence_duration_ms` (`server_vad`).
    Silence,
    /// The end-of-turn model's verdict at a pause, or at the latest this much silence
    /// (`semantic_vad`: the more eager, the shorter).
    Judged { longest_silence_ms: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnEvent {
    /// Speech began at `start_ms` (the prefix padding already subtracted).
    SpeechStarted { start_ms: u64 },
    /// Silence began at `at_ms`: speech up to here may be the whole turn.
    Paused { at_ms: u64 },
    /// Speech again after a pause that did not last.
    Resumed,
    /// The silence lasted: the turn ended at `end_ms` (where the silence began).
    SpeechStopped { end_ms: u64 },
}

pub struct TurnDetector {
    detector: Box<dyn SpeechDetector>,
    settings: TurnSettings,
    frame_len: usize,
    rate: u32,
    /// Samples not yet a whole frame.
    pending: Vec<f32>,
    frames: u64,
    loud_run: u32,
    speaking: bool,
    /// Where the current silence began, while speaking.
    silent_since_ms: Option<u64>,
    /// The current silence was reported as a pause.
    paused: bool,
}

impl TurnDetector {
    pub fn new(
        detector: Box<dyn SpeechDetector>,
        frame_len: usize,
        rate: u32,
        settings: TurnSettings,
    ) -> Self {
        Self {
            detector,
            settings,
            frame_len,
            rate,
            pending: Vec::new(),
            frames: 0,
            loud_run: 0,
            speaking: false,
            silent_since_ms: None,
            paused: false,
        }
    }

    pub fn set_settings(&mut self, settings: TurnSettings) {
        self.settings = settings;
    }

    pub fn is_speaking(&self) -> bool {
        self.speaking
    }

    /// Ends the turn at the pause that began at `at_ms`, which an end-of-turn model judged the
    /// end; `None` if the caller has spoken again since.
    pub fn end_at_pause(&mut self, at_ms: u64) -> Option<TurnEvent> {
        let still_paused = self.speaking && self.paused && self.silent_since_ms == Some(at_ms);
        still_paused.then(|| {
            self.reset_turn();
            TurnEvent::SpeechStopped { end_ms: at_ms }
        })
    }

    /// Milliseconds of audio read so far.
    pub fn position_ms(&self) -> u64 {
        self.ms(self.frames)
    }

    /// Starts the clock at `ms`: a detector switched on mid-stream counts from where the
    /// stream already is.
    pub fn skip_ms(&mut self, ms: u64) {
        self.pending.clear();
        self.frames = ms * u64::from(self.rate) / 1000 / self.frame_len as u64;
        self.reset_turn();
    }

    /// Forget the turn in progress (the buffer was cleared or committed by hand); the stream's
    /// clock keeps running.
    pub fn reset_turn(&mut self) {
        self.loud_run = 0;
        self.speaking = false;
        self.silent_since_ms = None;
        self.paused = false;
    }

    /// Reads `samples` (at the detector's rate) and says what they changed.
    pub fn push(&mut self, samples: &[f32]) -> Result<Vec<TurnEvent>, EngineError> {
        self.pending.extend_from_slice(samples);
        let mut events = Vec::new();
        let whole = self.pending.len() / self.frame_len * self.frame_len;
        let frames: Vec<f32> = self.pending.drain(..whole).collect();
        for frame in frames.chunks(self.frame_len) {
            let probability = self.detector.speech_probability(frame)?;
            self.frames += 1;
            events.extend(self.step(probability));
        }
        Ok(events)
    }

    fn step(&mut self, probability: f32) -> Option<TurnEvent> {
        let frame_start_ms = self.ms(self.frames - 1);
        let frame_end_ms = self.ms(self.frames);
        if !self.speaking {
            self.loud_run = if probability >= self.settings.threshold {
                self.loud_run + 1
            } else {
                0
            };
            if self.loud_run < START_FRAMES {
                return None;
            }
            self.speaking = true;
            let began_ms = self.ms(self.frames - u64::from(START_FRAMES));
            let start_ms = began_ms.saturating_sub(self.settings.prefix_padding_ms);
            return Some(TurnEvent::SpeechStarted { start_ms });
        }
        let silent = probability < (self.settings.threshold - SILENCE_MARGIN).max(0.01);
        let (pause_ms, longest_silence_ms) = match self.settings.ending {
            TurnEnding::Silence => {
                let window = self.settings.silence_duration_ms;
                (PAUSE_MS.min(window / 2), window)
            }
            TurnEnding::Judged { longest_silence_ms } => (PAUSE_MS, longest_silence_ms),
        };
        match (silent, self.silent_since_ms) {
            (true, None) => {
                self.silent_since_ms = Some(frame_start_ms);
                None
            }
            (true, Some(since)) if frame_end_ms - since >= longest_silence_ms => {
                self.reset_turn();
                Some(TurnEvent::SpeechStopped { end_ms: since })
            }
            (true, Some(since)) if !self.paused && frame_end_ms - since >= pause_ms => {
                self.paused = true;
                Some(TurnEvent::Paused { at_ms: since })
            }
            (false, Some(_)) if probability >= self.settings.threshold => {
                self.silent_since_ms = None;
                std::mem::take(&mut self.paused).then_some(TurnEvent::Resumed)
            }
            _ => None,
        }
    }

    fn ms(&self, frames: u64) -> u64 {
        frames * self.frame_len as u64 * 1000 / u64::from(self.rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Speech where the frame's first sample is loud.
    struct Loudness;

    impl SpeechDetector for Loudness {
        fn speech_probability(&mut self, frame: &[f32]) -> Result<f32, EngineError> {
            Ok(frame[0].abs())
        }
    }

    const FRAME: usize = 160; // 10 ms at 16 kHz

    fn detector(silence_ms: u64) -> TurnDetector {
        let settings = TurnSettings {
            threshold: 0.5,
            prefix_padding_ms: 30,
            silence_duration_ms: silence_ms,
            ending: TurnEnding::Silence,
        };
        TurnDetector::new(Box::new(Loudness), FRAME, 16_000, settings)
    }

    fn judged(longest_silence_ms: u64) -> TurnDetector {
        let mut turns = detector(500);
        turns.set_settings(TurnSettings {
            ending: TurnEnding::Judged { longest_silence_ms },
            ..turns.settings
        });
        turns
    }

    fn frames(level: f32, count: usize) -> Vec<f32> {
        vec![level; FRAME * count]
    }

    #[test]
    fn speech_then_a_long_silence_is_one_turn() {
        let mut turns = detector(100);
        assert!(turns.push(&frames(0.0, 20)).unwrap().is_empty());
        let started = turns.push(&frames(0.9, 30)).unwrap();
        // Speech began at frame 20 (200 ms), minus 30 ms of padding.
        assert_eq!(started, vec![TurnEvent::SpeechStarted { start_ms: 170 }]);
        let ended = turns.push(&frames(0.0, 12)).unwrap();
        // Half the 100 ms window in, a pause; at its end, the turn's end.
        assert_eq!(
            ended,
            vec![
                TurnEvent::Paused { at_ms: 500 },
                TurnEvent::SpeechStopped { end_ms: 500 }
            ]
        );
        assert!(!turns.is_speaking());
    }

    #[test]
    fn a_short_pause_is_not_the_end() {
        let mut turns = detector(100);
        turns.push(&frames(0.9, 10)).unwrap();
        // A gap between words (20 ms) is not even a pause.
        assert!(turns.push(&frames(0.0, 2)).unwrap().is_empty());
        assert!(turns.push(&frames(0.9, 3)).unwrap().is_empty());
        let paused = turns.push(&frames(0.0, 6)).unwrap();
        assert_eq!(paused, vec![TurnEvent::Paused { at_ms: 150 }]);
        assert_eq!(turns.push(&frames(0.9, 3)).unwrap(), vec![TurnEvent::Resumed]);
        assert!(turns.is_speaking());
    }

    #[test]
    fn one_loud_frame_is_not_speech() {
        let mut turns = detector(100);
        let mut audio = frames(0.0, 5);
        audio.extend(frames(0.9, 1));
        audio.extend(frames(0.0, 5));
        assert!(turns.push(&audio).unwrap().is_empty());
    }

    #[test]
    fn a_soft_frame_within_the_margin_keeps_the_turn() {
        let mut turns = detector(50);
        turns.push(&frames(0.9, 5)).unwrap();
        assert!(turns.push(&frames(0.4, 20)).unwrap().is_empty());
        assert!(turns.is_speaking());
    }

    #[test]
    fn partial_frames_wait_for_the_rest() {
        let mut turns = detector(100);
        let audio = frames(0.9, 2);
        assert!(turns.push(&audio[..FRAME + 10]).unwrap().is_empty());
        assert_eq!(
            turns.push(&audio[FRAME + 10..]).unwrap(),
            vec![TurnEvent::SpeechStarted { start_ms: 0 }]
        );
        assert_eq!(turns.position_ms(), 20);
    }

    #[test]
    fn a_judged_pause_ends_the_turn_where_the_silence_began() {
        let mut turns = judged(2_000);
        turns.push(&frames(0.9, 30)).unwrap();
        let paused = turns.push(&frames(0.0, 17)).unwrap();
        // A judged turn pauses after 160 ms, whatever the silence window.
        assert_eq!(paused, vec![TurnEvent::Paused { at_ms: 300 }]);
        assert_eq!(turns.end_at_pause(290), None, "not the pause that began");
        assert_eq!(
            turns.end_at_pause(300),
            Some(TurnEvent::SpeechStopped { end_ms: 300 })
        );
        assert!(!turns.is_speaking());
        assert_eq!(turns.end_at_pause(300), None, "a turn ends once");
    }

    #[test]
    fn a_judged_pause_the_caller_spoke_past_is_not_ended() {
        let mut turns = judged(2_000);
        turns.push(&frames(0.9, 30)).unwrap();
        turns.push(&frames(0.0, 17)).unwrap();
        assert_eq!(turns.push(&frames(0.9, 3)).unwrap(), vec![TurnEvent::Resumed]);
        assert_eq!(turns.end_at_pause(300), None);
        assert!(turns.is_speaking());
    }

    #[test]
    fn an_unfinished_turn_ends_after_the_longest_silence_not_the_window() {
        let mut turns = judged(1_000);
        turns.push(&frames(0.9, 30)).unwrap();
        // 500 ms (the silence window) is not the end of a judged turn.
        let events = turns.push(&frames(0.0, 60)).unwrap();
        assert_eq!(events, vec![TurnEvent::Paused { at_ms: 300 }]);
        let events = turns.push(&frames(0.0, 40)).unwrap();
        assert_eq!(events, vec![TurnEvent::SpeechStopped { end_ms: 300 }]);
    }
}
