//! Where a request's time goes, stage by stage: the engines' queues, recognition, the language
//! model's first token, the first audio, and synthesis against real time.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use vox_engine::worker::QueueWaitObserver;
use vox_pipeline::{Ending, Summary};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EngineLabels {
    /// `recognition`, `language_model` or `synthesis`.
    pub engine: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutputLabels {
    /// `text` or `audio`: what the answer was asked to be.
    pub output: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RealtimeStageLabels {
    /// `transcript`, `first_token` or `first_audio`.
    pub stage: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    /// `completed`, `cancelled`, `incomplete` or `failed`.
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CancelLabels {
    /// `client_left` (the connection went) or `cancelled` (stopped by its front door).
    pub reason: String,
}

/// Seconds from a few milliseconds to a long queue.
const SECONDS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2,
];
/// Compute seconds per second of audio: below 1 keeps up with a listener.
const REAL_TIME_FACTORS: [f64; 10] = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0];

pub struct StageMetrics {
    queue_wait: Family<EngineLabels, Histogram>,
    recognition: Histogram,
    recognition_rtf: Histogram,
    first_token: Family<OutputLabels, Histogram>,
    first_audio: Histogram,
    synthesis_rtf: Histogram,
    answers_cancelled: Family<CancelLabels, Counter>,
    realtime_stages: Family<RealtimeStageLabels, Histogram>,
    realtime_responses: Family<StatusLabels, Counter>,
}

fn seconds() -> Histogram {
    Histogram::new(SECONDS)
}

fn real_time_factors() -> Histogram {
    Histogram::new(REAL_TIME_FACTORS)
}

impl StageMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let stages = Self {
            queue_wait: Family::new_with_constructor(seconds),
            recognition: seconds(),
            recognition_rtf: real_time_factors(),
            first_token: Family::new_with_constructor(seconds),
            first_audio: seconds(),
            synthesis_rtf: real_time_factors(),
            answers_cancelled: Family::default(),
            realtime_stages: Family::new_with_constructor(seconds),
            realtime_responses: Family::default(),
        };
        registry.register(
            "engine_queue_wait_seconds",
            "Time a job waited in an engine's queue before its work began",
            stages.queue_wait.clone(),
        );
        registry.register(
            "recognition_seconds",
            "Time to recognise a request's speech, queue included",
            stages.recognition.clone(),
        );
        registry.register(
            "recognition_real_time_factor",
            "Recognition seconds per second of speech",
            stages.recognition_rtf.clone(),
        );
        registry.register(
            "first_token_seconds",
            "Time from asking the language model to its first output",
            stages.first_token.clone(),
        );
        registry.register(
            "first_audio_seconds",
            "Time from a spoken answer's admission to its first audio",
            stages.first_audio.clone(),
        );
        registry.register(
            "synthesis_real_time_factor",
            "Seconds a spoken answer waited on the voice per second of audio",
            stages.synthesis_rtf.clone(),
        );
        registry.register(
            "answers_cancelled",
            "Spoken answers stopped before their end",
            stages.answers_cancelled.clone(),
        );
        registry.register(
            "realtime_stage_seconds",
            "Realtime responses: time from the end of the caller's speech (as turn detection \
             decided it; from response.create otherwise) to each stage",
            stages.realtime_stages.clone(),
        );
        registry.register(
            "realtime_responses",
            "Realtime responses by how they ended",
            stages.realtime_responses.clone(),
        );
        stages
    }

    /// A realtime response ended; each stage it reached, in seconds from its start.
    pub fn realtime_response(
        &self,
        status: &str,
        transcript: Option<f64>,
        first_token: Option<f64>,
        first_audio: Option<f64>,
    ) {
        let status = StatusLabels {
            status: status.to_string(),
        };
        self.realtime_responses.get_or_create(&status).inc();
        for (stage, seconds) in [
            ("transcript", transcript),
            ("first_token", first_token),
            ("first_audio", first_audio),
        ] {
            if let Some(seconds) = seconds {
                let labels = RealtimeStageLabels {
                    stage: stage.to_string(),
                };
                self.realtime_stages.get_or_create(&labels).observe(seconds);
            }
        }
    }

    /// What an engine calls with each job's wait in its queue.
    pub fn queue_wait_observer(&self, engine: &str) -> QueueWaitObserver {
        let labels = EngineLabels {
            engine: engine.to_string(),
        };
        // A clone shares the family's histogram.
        let histogram = self.queue_wait.get_or_create(&labels).clone();
        Arc::new(move |wait| histogram.observe(wait.as_secs_f64()))
    }

    pub fn recognised(&self, seconds: f64, audio_secs: f64) {
        self.recognition.observe(seconds);
        if audio_secs > 0.0 {
            self.recognition_rtf.observe(seconds / audio_secs);
        }
    }

    pub fn first_token(&self, spoken: bool, seconds: f64) {
        let output = if spoken { "audio" } else { "text" };
        let labels = OutputLabels {
            output: output.to_string(),
        };
        self.first_token.get_or_create(&labels).observe(seconds);
    }

    /// A spoken answer that ran to its end (completed, cancelled or failed).
    pub fn spoken_answer(&self, summary: &Summary) {
        if let Some(first_audio) = summary.timings.first_audio_secs {
            self.first_audio.observe(first_audio);
        }
        if let Some(factor) = summary.synthesis_real_time_factor() {
            self.synthesis_rtf.observe(factor);
        }
        if summary.ending == Ending::Cancelled {
            self.cancelled("cancelled");
        }
    }

    pub fn cancelled(&self, reason: &str) {
        let labels = CancelLabels {
            reason: reason.to_string(),
        };
        self.answers_cancelled.get_or_create(&labels).inc();
    }
}
