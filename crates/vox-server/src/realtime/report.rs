//! What a realtime response tells the operator: one log line (inside the session's span, so it
//! carries the session id) and the realtime stage histograms, each stage counted from the end of
//! the caller's speech as turn detection decided it.

use std::time::Instant;

use crate::state::AppState;

/// When each stage of a response was reached.
#[derive(Debug, Clone, Copy)]
pub struct Timeline {
    /// Turn detection ended the caller's turn (none for a response asked by `response.create`).
    pub speech_ended: Option<Instant>,
    /// The turn's transcript was ready.
    pub transcript_ready: Option<Instant>,
    /// The response was asked of the engines.
    pub asked: Instant,
    pub first_token: Option<Instant>,
    pub first_audio: Option<Instant>,
}

impl Timeline {
    pub fn asked_now() -> Self {
        Self {
            speech_ended: None,
            transcript_ready: None,
            asked: Instant::now(),
            first_token: None,
            first_audio: None,
        }
    }

    /// Seconds from the stage stages are counted from (the end of speech, else the ask) to `at`.
    fn since_start(&self, at: Option<Instant>) -> Option<f64> {
        let start = self.speech_ended.unwrap_or(self.asked);
        at.map(|at| at.saturating_duration_since(start).as_secs_f64())
    }

    pub fn transcript_secs(&self) -> Option<f64> {
        self.speech_ended.and(self.since_start(self.transcript_ready))
    }

    pub fn first_token_secs(&self) -> Option<f64> {
        self.since_start(self.first_token)
    }

    pub fn first_audio_secs(&self) -> Option<f64> {
        self.since_start(self.first_audio)
    }
}

/// A response ended: its line and its stages.
pub fn response_ended(
    state: &AppState,
    response_id: &str,
    status: &str,
    timeline: &Timeline,
    output_items: usize,
) {
    state.metrics().stages.realtime_response(
        status,
        timeline.transcript_secs(),
        timeline.first_token_secs(),
        timeline.first_audio_secs(),
    );
    tracing::info!(
        response_id,
        status,
        from = if timeline.speech_ended.is_some() {
            "end_of_speech"
        } else {
            "response_create"
        },
        transcript_secs = timeline.transcript_secs(),
        first_token_secs = timeline.first_token_secs(),
        first_audio_secs = timeline.first_audio_secs(),
        total_secs = timeline.since_start(Some(Instant::now())),
        output_items,
        "realtime response"
    );
}
