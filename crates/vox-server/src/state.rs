//! What every handler shares.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::watch;
use vox_engine::EngineSet;
use vox_engine::load::FirstOutputMeter;
use vox_protocol::audio::OPENAI_VOICES;
use vox_store::AudioStore;

use crate::defaults;
use crate::metrics::{Metrics, StageMetrics};
use crate::settings::{Deployment, ServerSettings};

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    settings: ServerSettings,
    engines: ProfileEngines,
    store: Arc<dyn AudioStore>,
    metrics: Metrics,
    /// Spoken answers in flight and their measured time to first audio.
    spoken_answers: Arc<FirstOutputMeter>,
    ready: watch::Receiver<bool>,
    started_at: u64,
    client_secrets: crate::realtime::ClientSecrets,
    callers: Arc<crate::auth::limits::CallerMeter>,
}

impl AppState {
    /// `ready` turns true once every engine has loaded and warmed up.
    pub fn new(
        settings: ServerSettings,
        engines: impl Into<ProfileEngines>,
        store: Arc<dyn AudioStore>,
        ready: watch::Receiver<bool>,
    ) -> Self {
        let engines = engines.into();
        let settings_limits = settings.caller_limits;
        let metrics = Metrics::new();
        engines.report_queue_waits(&metrics.stages);
        let inner = Inner {
            settings,
            engines,
            store,
            metrics,
            spoken_answers: FirstOutputMeter::new(),
            ready,
            started_at: unix_now(),
            client_secrets: Default::default(),
            callers: crate::auth::limits::CallerMeter::new(settings_limits),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    pub fn settings(&self) -> &ServerSettings {
        &self.inner.settings
    }

    /// The engines of the profile a deployment names.
    pub fn engines_for(&self, deployment: &Deployment) -> &EngineSet {
        self.inner.engines.get(&deployment.profile)
    }

    /// The default deployment's engines: what answers routes that name no model.
    pub fn default_engines(&self) -> &EngineSet {
        let profile = self.inner.settings.default_profile();
        self.inner.engines.get(profile)
    }

    pub fn spoken_answers(&self) -> &Arc<FirstOutputMeter> {
        &self.inner.spoken_answers
    }

    pub fn store(&self) -> &dyn AudioStore {
        self.inner.store.as_ref()
    }

    /// What each caller has used of its limits.
    pub fn callers(&self) -> &Arc<crate::auth::limits::CallerMeter> {
        &self.inner.callers
    }

    /// Ephemeral keys minted for realtime clients.
    pub fn client_secrets(&self) -> &crate::realtime::ClientSecrets {
        &self.inner.client_secrets
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Unix seconds; reported as the `created` time of the models this server lists.
    pub fn started_at(&self) -> u64 {
        self.inner.started_at
    }

    /// Every engine has loaded and warmed up.
    pub fn has_started(&self) -> bool {
        *self.inner.ready.borrow()
    }

    /// No loaded engine has stopped (a model thread that panicked stays stopped).
    pub fn engines_working(&self) -> bool {
        self.inner.engines.all_working()
    }

    /// The voice names requests to a deployment may use: its synthesizer's catalog, or OpenAI's
    /// names while no synthesizer is loaded (so a wrong name is still a 400, not a 503).
    pub fn voice_names(&self, deployment: &Deployment) -> Vec<String> {
        match &self.engines_for(deployment).synthesizer {
            Some(synthesizer) => synthesizer.voices().list().into_iter().map(|v| v.id).collect(),
            None => OPENAI_VOICES.iter().map(|v| v.to_string()).collect(),
        }
    }
}

/// The loaded engines of each model profile. Two profiles that name the same model hold the same
/// engine; a profile with nothing loaded answers 503 `engine_unavailable` for every engine.
#[derive(Debug, Default)]
pub struct ProfileEngines {
    by_profile: BTreeMap<String, EngineSet>,
}

/// What a profile with no loaded engines has.
static NO_ENGINES: EngineSet = EngineSet {
    transcriber: None,
    chat: None,
    synthesizer: None,
    vad: None,
    turn_end: None,
};

impl ProfileEngines {
    pub fn with(mut self, profile: impl Into<String>, engines: EngineSet) -> Self {
        self.by_profile.insert(profile.into(), engines);
        self
    }

    pub fn get(&self, profile: &str) -> &EngineSet {
        self.by_profile.get(profile).unwrap_or(&NO_ENGINES)
    }

    /// Every engine reports its queue waits to the server's metrics (a shared engine once).
    fn report_queue_waits(&self, stages: &StageMetrics) {
        for engines in self.by_profile.values() {
            if let Some(engine) = &engines.transcriber {
                engine.report_queue_waits(stages.queue_wait_observer("recognition"));
            }
            if let Some(engine) = &engines.chat {
                engine.report_queue_waits(stages.queue_wait_observer("language_model"));
            }
            if let Some(engine) = &engines.synthesizer {
                engine.report_queue_waits(stages.queue_wait_observer("synthesis"));
            }
        }
    }

    fn all_working(&self) -> bool {
        self.by_profile.values().all(EngineSet::all_working)
    }
}

/// One engine set serves the default profile.
impl From<EngineSet> for ProfileEngines {
    fn from(engines: EngineSet) -> Self {
        Self::default().with(defaults::PROFILE, engines)
    }
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
