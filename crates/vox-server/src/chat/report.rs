//! What a finished answer tells the operator: its stage metrics and one log line, inside the
//! request's span so the line carries the request id.

use vox_pipeline::Summary;

use crate::state::AppState;

/// The stages measured before the answer started, kept for its end.
pub struct AnswerReport {
    pub state: AppState,
    /// Recognising the request's speech (none without spoken input).
    pub recognition_secs: Option<f64>,
    /// From asking the language model to its first output.
    pub first_token_secs: f64,
}

impl AnswerReport {
    /// A spoken answer ended (completed, cancelled or failed).
    pub fn spoken(&self, summary: &Summary) {
        self.state.metrics().stages.spoken_answer(summary);
        tracing::info!(
            ending = ?summary.ending,
            recognition_secs = self.recognition_secs,
            first_token_secs = self.first_token_secs,
            first_audio_secs = summary.timings.first_audio_secs,
            synthesis_real_time_factor = summary.synthesis_real_time_factor(),
            audio_secs = summary.audio_secs,
            completion_tokens = summary.completion_tokens,
            total_secs = summary.timings.total_secs,
            "spoken answer"
        );
    }

    /// The client hung up before the spoken answer ended.
    pub fn client_left(&self) {
        self.state.metrics().stages.cancelled("client_left");
        tracing::info!(
            recognition_secs = self.recognition_secs,
            first_token_secs = self.first_token_secs,
            "spoken answer stopped: the client left"
        );
    }
}
