//! What the server is told at start. Every default of Vox is defined in [`defaults`], once.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::auth::KeyRing;

pub mod defaults {
    use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

    pub const ADDR: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8000));
    /// The deployment that answers when no configuration names one.
    pub const DEPLOYMENT: &str = "gpt-4o-audio-preview";
    pub const PROFILE: &str = "default";
    /// OpenAI keeps spoken answers referable for about an hour.
    pub const AUDIO_TTL_SECS: u64 = 3600;
    /// OpenAI's limit for one input audio: 20 MB.
    pub const MAX_AUDIO_BYTES: usize = 20 * 1024 * 1024;
    /// The longest input audio decoded: 30 minutes.
    pub const MAX_AUDIO_SECS: u64 = 30 * 60;
    /// Room in a request body besides the base64 audio (messages, tools, JSON syntax).
    pub const BODY_OVERHEAD_BYTES: usize = 2 * 1024 * 1024;
    /// How often expired audio records are swept from the store.
    pub const STORE_PURGE_SECS: u64 = 60;
    /// Other model names the default deployment answers to on OpenAI routes, so code written
    /// for OpenAI's dated snapshots and audio models works unchanged.
    pub const DEPLOYMENT_ALIASES: [&str; 9] = [
        "gpt-4o-audio-preview-2024-12-17",
        "gpt-4o-audio-preview-2025-06-03",
        "gpt-4o-mini-audio-preview",
        "whisper-1",
        "gpt-4o-transcribe",
        "gpt-4o-mini-transcribe",
        "tts-1",
        "tts-1-hd",
        "gpt-4o-mini-tts",
    ];
    /// The deployment for text-only chat (no audio required), on the same engines.
    pub const TEXT_DEPLOYMENT: &str = "gpt-4o-mini";
    /// Names of OpenAI's text chat models that code may send to it.
    pub const TEXT_DEPLOYMENT_ALIASES: [&str; 4] = ["gpt-4o", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano"];
    /// Time a connection has to send a request's headers (and a new one its first request).
    pub const HEADER_TIMEOUT_SECS: u64 = 15;
    /// A kept-alive connection with nothing in flight is closed after this long.
    pub const IDLE_TIMEOUT_SECS: u64 = 60;
    /// The longest pause inside a request body, and the grace before its minimum rate.
    pub const BODY_TIMEOUT_SECS: u64 = 20;
    /// A request body must average at least this many bytes per second after the grace.
    pub const BODY_MIN_BYTES_PER_SEC: u64 = 1024;
    /// Open connections at most (the file descriptor limit is raised to fit them).
    pub const MAX_CONNECTIONS: usize = 4096;
    /// Longest expected wait for a request's first audio or transcript before 429.
    pub const MAX_WAIT_SECS: f64 = 10.0;
    /// The deployment realtime sessions open when the client names none.
    pub const REALTIME_DEPLOYMENT: &str = "gpt-realtime";
    /// OpenAI's other realtime model names, answered by the same deployment.
    pub const REALTIME_DEPLOYMENT_ALIASES: [&str; 5] = [
        "gpt-4o-realtime-preview",
        "gpt-4o-mini-realtime-preview",
        "gpt-realtime-mini",
        "gpt-4o-realtime-preview-2024-12-17",
        "gpt-4o-realtime-preview-2025-06-03",
    ];
    /// Realtime sessions one caller may have open unless configured otherwise.
    pub const CALLER_MAX_REALTIME_SESSIONS: usize = 16;
    /// The first Azure OpenAI API version with audio chat completions.
    pub const AZURE_API_VERSION: &str = "2025-01-01-preview";
}

/// A named pipeline: which model profile answers, and the model's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    #[serde(default)]
    pub name: String,
    /// The model profile (`default`, `fast`, `test`) whose engines answer.
    #[serde(default = "default_profile")]
    pub profile: String,
    /// Refuse requests with audio neither in nor out, as gpt-4o-audio-preview does.
    #[serde(default = "default_true")]
    pub require_audio: bool,
    /// Other names it answers to in a request's `model`.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// What the language model is told when its answer is spoken: unset is
    /// [`vox_pipeline::DEFAULT_SPOKEN_STYLE`], `""` tells it nothing.
    #[serde(default)]
    pub spoken_style: Option<String>,
}

fn default_profile() -> String {
    defaults::PROFILE.to_string()
}

fn default_true() -> bool {
    true
}

impl Deployment {
    /// `gpt-4o-audio-preview` on the default profile with OpenAI's model names as aliases.
    pub fn default_deployment() -> Self {
        Self {
            name: defaults::DEPLOYMENT.to_string(),
            profile: default_profile(),
            require_audio: true,
            aliases: defaults::DEPLOYMENT_ALIASES
                .iter()
                .map(|a| a.to_string())
                .collect(),
            spoken_style: None,
        }
    }

    /// `gpt-4o-mini`: text chat on the default profile, audio optional.
    pub fn text_deployment() -> Self {
        Self {
            name: defaults::TEXT_DEPLOYMENT.to_string(),
            profile: default_profile(),
            require_audio: false,
            aliases: defaults::TEXT_DEPLOYMENT_ALIASES
                .iter()
                .map(|a| a.to_string())
                .collect(),
            spoken_style: None,
        }
    }

    /// `gpt-realtime`: realtime sessions on the default profile (chat completions accept it too).
    pub fn realtime_deployment() -> Self {
        Self {
            name: defaults::REALTIME_DEPLOYMENT.to_string(),
            profile: default_profile(),
            require_audio: true,
            aliases: defaults::REALTIME_DEPLOYMENT_ALIASES
                .iter()
                .map(|a| a.to_string())
                .collect(),
            spoken_style: None,
        }
    }

    /// The text put before the caller's system message when an answer is spoken, if any.
    pub fn spoken_style(&self) -> Option<&str> {
        match self.spoken_style.as_deref() {
            None => Some(vox_pipeline::DEFAULT_SPOKEN_STYLE),
            Some(style) if style.trim().is_empty() => None,
            Some(style) => Some(style),
        }
    }

    pub fn answers_to(&self, model: &str) -> bool {
        self.name == model || self.aliases.iter().any(|a| a == model)
    }
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub keys: KeyRing,
    /// Identity providers whose bearer tokens are accepted beside the keys.
    pub issuers: std::sync::Arc<crate::auth::Issuers>,
    /// Per caller (key name or identity): requests per minute, in flight, realtime sessions.
    pub caller_limits: crate::auth::limits::CallerLimits,
    pub deployments: Vec<Deployment>,
    pub max_audio_bytes: usize,
    pub max_audio_duration: Duration,
    pub audio_ttl: Duration,
    /// Where untrusted input audio is decoded (a child process in production).
    pub decode_place: vox_audio::DecodePlace,
    pub connections: crate::door::ConnectionLimits,
    pub cors: crate::cors::CorsOrigins,
    /// A request whose first audio or transcript is expected later than this is refused (429).
    pub max_wait: Duration,
    /// Serve the chat playground at `/` and `/playground/`.
    pub playground: bool,
}

impl ServerSettings {
    /// Sized so that `max_audio_bytes` of audio fits as base64 inside a JSON body.
    pub fn max_body_bytes(&self) -> usize {
        self.max_audio_bytes.div_ceil(3) * 4 + defaults::BODY_OVERHEAD_BYTES
    }

    pub fn decode_limits(&self) -> vox_audio::DecodeLimits {
        vox_audio::DecodeLimits::up_to(self.max_audio_bytes, self.max_audio_duration)
    }

    pub fn deployment(&self, model: &str) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.answers_to(model))
    }

    /// The profile of the default deployment (by name, else the first one configured).
    pub fn default_profile(&self) -> &str {
        self.deployments
            .iter()
            .find(|d| d.name == defaults::DEPLOYMENT)
            .or(self.deployments.first())
            .map_or(defaults::PROFILE, |d| d.profile.as_str())
    }
}
