//! What every handler shares.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::watch;
use vox_engine::EngineSet;
use vox_engine::load::FirstOutputMeter;
use vox_protocol::audio::OPENAI_VOICES;
use vox_store::AudioStore;

use crate::metrics::Metrics;
use crate::settings::ServerSettings;

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    settings: ServerSettings,
    engines: EngineSet,
    store: Arc<dyn AudioStore>,
    metrics: Metrics,
    /// Spoken answers in flight and their measured time to first audio.
    spoken_answers: Arc<FirstOutputMeter>,
    ready: watch::Receiver<bool>,
    started_at: u64,
}

impl AppState {
    /// `ready` turns true once every engine has loaded and warmed up.
    pub fn new(
        settings: ServerSettings,
        engines: EngineSet,
        store: Arc<dyn AudioStore>,
        ready: watch::Receiver<bool>,
    ) -> Self {
        let inner = Inner {
            settings,
            engines,
            store,
            metrics: Metrics::new(),
            spoken_answers: FirstOutputMeter::new(),
            ready,
            started_at: unix_now(),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    pub fn settings(&self) -> &ServerSettings {
        &self.inner.settings
    }

    pub fn engines(&self) -> &EngineSet {
        &self.inner.engines
    }

    pub fn spoken_answers(&self) -> &Arc<FirstOutputMeter> {
        &self.inner.spoken_answers
    }

    pub fn store(&self) -> &dyn AudioStore {
        self.inner.store.as_ref()
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Unix seconds; reported as the `created` time of the models this server lists.
    pub fn started_at(&self) -> u64 {
        self.inner.started_at
    }

    pub fn is_ready(&self) -> bool {
        *self.inner.ready.borrow()
    }

    /// The voice names requests may use: the synthesizer's catalog, or OpenAI's names while no
    /// synthesizer is loaded (so a wrong name is still a 400, not a 503).
    pub fn voice_names(&self) -> Vec<String> {
        match &self.inner.engines.synthesizer {
            Some(synthesizer) => synthesizer.voices().list().into_iter().map(|v| v.id).collect(),
            None => OPENAI_VOICES.iter().map(|v| v.to_string()).collect(),
        }
    }
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
