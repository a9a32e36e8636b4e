//! Configuration: `--flags`, `VOX_*` variables and an optional TOML file with the same keys.
//! Precedence: flag, then environment, then file, then the defaults of
//! [`vox_server::defaults`], where every default is defined.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use serde::Deserialize;
use vox_llm_llama::LlamaConfig;
use vox_server::auth::KeyRing;
use vox_server::{Deployment, ServerSettings, defaults};

use crate::auth_config::AuthConfig;
use crate::door_config::{Door, DoorConfig};
use crate::models::ModelLocation;
use crate::profiles_config::{Profile, ProfileSettings};

/// Settings a person may set. Every field is optional here so that a flag, a variable and the
/// file can be layered; [`ServeConfig::resolve`] fills the defaults.
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServeConfig {
    /// Address to listen on [default: 127.0.0.1:8000].
    #[arg(long, env = "VOX_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<SocketAddr>,

    /// An API key clients must present (repeat for several). VOX_API_KEYS takes a
    /// comma-separated list. Without keys Vox serves loopback only.
    #[arg(
        long = "api-key",
        env = "VOX_API_KEYS",
        value_name = "KEY",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub api_keys: Vec<String>,

    /// Allow a non-loopback address without API keys: anyone who can reach it may use it.
    #[arg(long, env = "VOX_INSECURE_NO_AUTH")]
    pub insecure_no_auth: bool,

    /// Do not serve the chat playground (the web page at `/`); the API is unchanged.
    #[arg(long, env = "VOX_NO_PLAYGROUND")]
    pub no_playground: bool,

    /// TLS certificate chain, PEM: Vox then serves https:// (and wss://), HTTP/2 and HTTP/1.1.
    /// Re-read on SIGHUP.
    #[arg(long, env = "VOX_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,

    /// The certificate's private key, PEM (PKCS#8, PKCS#1 or SEC1). Re-read on SIGHUP.
    #[arg(long, env = "VOX_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,

    /// Where models and the audio store live [default: ~/.local/share/vox].
    #[arg(long, env = "VOX_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// Where spoken answers are kept for later turns: `redis://[user:password@]host[:port][/db]`
    /// (or `rediss://`) for a store shared by replicas, else a file [default: HOME/store/audio.redb].
    #[arg(long, env = "VOX_STORE", value_name = "URL|FILE", hide_env_values = true)]
    pub store: Option<String>,

    /// Seconds a spoken answer stays referable by its audio id [default: 3600].
    #[arg(long, env = "VOX_AUDIO_TTL_SECS", value_name = "SECS")]
    pub audio_ttl_secs: Option<u64>,

    /// Largest input audio accepted, in bytes [default: 20 MiB].
    #[arg(long, env = "VOX_MAX_AUDIO_BYTES", value_name = "BYTES")]
    pub max_audio_bytes: Option<usize>,

    /// Longest input audio decoded, in seconds [default: 1800].
    #[arg(long, env = "VOX_MAX_AUDIO_SECS", value_name = "SECS")]
    pub max_audio_secs: Option<u64>,

    /// The model profile of the default deployment: default, fast or test [default: default].
    #[arg(long, env = "VOX_PROFILE", value_name = "PROFILE")]
    pub profile: Option<String>,

    /// CPU threads each engine computes with [default: all cores].
    #[arg(long, env = "VOX_THREADS", value_name = "N")]
    pub threads: Option<usize>,

    /// Language model requests decoded together [default: 4].
    #[arg(long, env = "VOX_LLM_SLOTS", value_name = "N")]
    pub llm_slots: Option<usize>,

    /// Tokens each language model request may use, prompt and answer [default: 4096].
    #[arg(long, env = "VOX_LLM_CONTEXT", value_name = "TOKENS")]
    pub llm_context: Option<usize>,

    #[command(flatten)]
    #[serde(flatten)]
    pub models: ModelLocation,

    /// `[door]`: connection limits, browser origins, the longest expected wait.
    #[command(flatten)]
    pub door: DoorConfig,

    /// `[auth]`: named keys and trusted token issuers.
    #[command(flatten)]
    pub auth: AuthConfig,

    /// Voices by name (file only): new ids, or OpenAI names given another speaker.
    #[arg(skip)]
    pub voices: BTreeMap<String, VoiceSettings>,

    /// Deployments by name (file only). The default deployment is always present; a file entry
    /// with its name replaces it.
    #[arg(skip)]
    pub deployments: BTreeMap<String, Deployment>,

    /// Profiles with remote engines (file only): `[profiles.NAME.llm|asr|tts]`.
    #[arg(skip)]
    pub profiles: BTreeMap<String, ProfileSettings>,
}

/// `[voices.NAME]` in the file: which model and speaker say it, and how fast.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceSettings {
    /// `piper`, `kokoro` or `hibari`.
    pub model: String,
    /// `en_US-joe-medium` (Piper), `heart` or `heart_bright` (hibari), or a Kokoro speaker:
    /// `af_heart`, `bm_george`, `ff_siwis`, `jf_alpha`... (`GET /v1/audio/voices` lists them).
    pub speaker: String,
    #[serde(default = "normal_speed")]
    pub speed: f64,
    pub description: Option<String>,
}

fn normal_speed() -> f64 {
    1.0
}

/// Everything `vox serve` needs, defaults applied and checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub api_keys: Vec<String>,
    /// `[[auth.keys]]`.
    pub named_keys: Vec<vox_server::auth::NamedKey>,
    pub issuers: Vec<vox_server::auth::IssuerConfig>,
    pub caller_limits: vox_server::auth::limits::CallerLimits,
    pub insecure_no_auth: bool,
    pub playground: bool,
    pub tls: Option<vox_server::door::TlsFiles>,
    pub home: PathBuf,
    pub store: StoreLocation,
    pub audio_ttl: Duration,
    pub max_audio_bytes: usize,
    pub max_audio_duration: Duration,
    pub deployments: Vec<Deployment>,
    pub models: ModelLocation,
    pub threads: usize,
    pub llm_slots: usize,
    pub llm_context: usize,
    pub voices: BTreeMap<String, VoiceSettings>,
    /// Profiles with remote engines, by name.
    pub profiles: BTreeMap<String, Profile>,
    pub door: Door,
}

impl ServeConfig {
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("in {}", path.display()))
    }

    /// `self` (flags and environment) over `file`.
    pub fn over(self, file: ServeConfig) -> ServeConfig {
        ServeConfig {
            addr: self.addr.or(file.addr),
            api_keys: if self.api_keys.is_empty() {
                file.api_keys
            } else {
                self.api_keys
            },
            insecure_no_auth: self.insecure_no_auth || file.insecure_no_auth,
            no_playground: self.no_playground || file.no_playground,
            tls_cert: self.tls_cert.or(file.tls_cert),
            tls_key: self.tls_key.or(file.tls_key),
            home: self.home.or(file.home),
            store: self.store.or(file.store),
            audio_ttl_secs: self.audio_ttl_secs.or(file.audio_ttl_secs),
            max_audio_bytes: self.max_audio_bytes.or(file.max_audio_bytes),
            max_audio_secs: self.max_audio_secs.or(file.max_audio_secs),
            profile: self.profile.or(file.profile),
            threads: self.threads.or(file.threads),
            llm_slots: self.llm_slots.or(file.llm_slots),
            llm_context: self.llm_context.or(file.llm_context),
            models: self.models.over(file.models),
            door: self.door.over(file.door),
            auth: self.auth.over(file.auth),
            deployments: file.deployments.into_iter().chain(self.deployments).collect(),
            voices: file.voices.into_iter().chain(self.voices).collect(),
            profiles: file.profiles.into_iter().chain(self.profiles).collect(),
        }
    }

    pub fn resolve(self) -> anyhow::Result<Config> {
        let addr = self.addr.unwrap_or(defaults::ADDR);
        let api_keys: Vec<String> = self
            .api_keys
            .into_iter()
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .collect();
        let named_keys = self.auth.named_keys()?;
        let issuers = self.auth.issuers()?;
        let caller_limits = self.auth.caller_limits()?;
        let open = api_keys.is_empty() && named_keys.is_empty() && issuers.is_empty();
        if open && !addr.ip().is_loopback() && !self.insecure_no_auth {
            bail!(
                "refusing to listen on {addr} without API keys: anyone who reaches it could use it. \
                 Set --api-key or VOX_API_KEYS, [[auth.keys]] or a token issuer, listen on \
                 127.0.0.1, or pass --insecure-no-auth"
            );
        }
        let tls = match (self.tls_cert, self.tls_key) {
            (Some(cert), Some(key)) => Some(vox_server::door::TlsFiles { cert, key }),
            (None, None) => None,
            _ => bail!("TLS needs both tls_cert and tls_key"),
        };
        let home = match self.home {
            Some(home) => home,
            None => default_home()?,
        };
        let store = StoreLocation::parse(self.store.as_deref(), &home);
        let ttl = self.audio_ttl_secs.unwrap_or(defaults::AUDIO_TTL_SECS);
        if ttl == 0 {
            bail!("audio_ttl_secs must be at least 1");
        }
        let max_audio_bytes = self.max_audio_bytes.unwrap_or(defaults::MAX_AUDIO_BYTES);
        if max_audio_bytes == 0 {
            bail!("max_audio_bytes must be at least 1");
        }
        let max_audio_secs = self.max_audio_secs.unwrap_or(defaults::MAX_AUDIO_SECS);
        if max_audio_secs == 0 {
            bail!("max_audio_secs must be at least 1");
        }
        let threads = match self.threads {
            Some(0) => bail!("threads must be at least 1"),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(2, |n| n.get()),
        };
        let llm_slots = self.llm_slots.unwrap_or(LlamaConfig::DEFAULT_SLOTS);
        if llm_slots == 0 {
            bail!("llm_slots must be at least 1");
        }
        let llm_context = self.llm_context.unwrap_or(LlamaConfig::DEFAULT_CONTEXT_PER_SLOT);
        if llm_context < 256 {
            bail!("llm_context must be at least 256 tokens");
        }
        for (name, voice) in &self.voices {
            if !(0.25..=4.0).contains(&voice.speed) {
                bail!("voice '{name}': speed must be between 0.25 and 4");
            }
        }
        let profiles = self
            .profiles
            .iter()
            .map(|(name, settings)| Ok((name.clone(), settings.resolve(name, |v| std::env::var(v).ok())?)))
            .collect::<anyhow::Result<BTreeMap<_, _>>>()?;
        Ok(Config {
            profiles,
            voices: self.voices,
            threads,
            llm_slots,
            llm_context,
            addr,
            api_keys,
            named_keys,
            issuers,
            caller_limits,
            insecure_no_auth: self.insecure_no_auth,
            playground: !self.no_playground,
            tls,
            home,
            store,
            audio_ttl: Duration::from_secs(ttl),
            max_audio_bytes,
            max_audio_duration: Duration::from_secs(max_audio_secs),
            deployments: deployments(self.deployments, self.profile.as_deref())?,
            models: self.models,
            door: self.door.resolve()?,
        })
    }
}

/// Where the audio ids live: a file of this server's own, or a Redis its replicas share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    Embedded(PathBuf),
    Redis(String),
}

impl StoreLocation {
    fn parse(value: Option<&str>, home: &Path) -> Self {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
                Self::Redis(url.to_string())
            }
            Some(file) => Self::Embedded(PathBuf::from(file)),
            None => Self::Embedded(home.join("store").join("audio.redb")),
        }
    }

    /// As shown in logs and `vox config check`: a Redis password never is.
    pub fn describe(&self) -> String {
        match self {
            Self::Embedded(path) => path.display().to_string(),
            Self::Redis(url) => vox_store::without_password(url),
        }
    }
}

pub fn default_home() -> anyhow::Result<PathBuf> {
    let home = std::env::var_os("HOME").context("HOME is not set: set VOX_HOME or --home")?;
    Ok(PathBuf::from(home).join(".local/share/vox"))
}

/// The built-in deployments (on `profile`, if given) plus the configured ones; every model name
/// must lead to one place.
fn deployments(
    configured: BTreeMap<String, Deployment>,
    profile: Option<&str>,
) -> anyhow::Result<Vec<Deployment>> {
    let mut all = BTreeMap::new();
    for mut builtin in [
        Deployment::default_deployment(),
        Deployment::text_deployment(),
        Deployment::realtime_deployment(),
    ] {
        if let Some(profile) = profile {
            builtin.profile = profile.to_string();
        }
        all.insert(builtin.name.clone(), builtin);
    }
    for (name, deployment) in configured {
        all.insert(name.clone(), Deployment { name, ..deployment });
    }
    let deployments: Vec<Deployment> = all.into_values().collect();
    let mut seen = BTreeMap::new();
    for deployment in &deployments {
        for name in std::iter::once(&deployment.name).chain(&deployment.aliases) {
            if let Some(other) = seen.insert(name.clone(), deployment.name.clone()) {
                bail!(
                    "model name '{name}' is claimed by deployments '{other}' and '{}'",
                    deployment.name
                );
            }
        }
    }
    Ok(deployments)
}

impl Config {
    /// Configured voices as the speech engine takes them.
    pub fn custom_voices(&self) -> Vec<vox_engine::voices::VoiceProfile> {
        self.voices
            .iter()
            .map(|(id, v)| vox_engine::voices::VoiceProfile {
                id: id.clone(),
                model: v.model.clone(),
                speaker: v.speaker.clone(),
                speed: v.speed,
                description: v.description.clone(),
                // The synthesizer knows its speakers.
                language: None,
                gender: None,
            })
            .collect()
    }

    /// `decode_place`: where input audio is decoded (see [`vox_audio::DecodePlace`]).
    pub fn server_settings(&self, decode_place: vox_audio::DecodePlace) -> ServerSettings {
        ServerSettings {
            keys: self.key_ring(),
            issuers: std::sync::Arc::new(vox_server::auth::Issuers::new(self.issuers.clone())),
            caller_limits: self.caller_limits,
            deployments: self.deployments.clone(),
            max_audio_bytes: self.max_audio_bytes,
            max_audio_duration: self.max_audio_duration,
            audio_ttl: self.audio_ttl,
            decode_place,
            connections: self.door.connections,
            cors: self.door.cors.clone(),
            max_wait: self.door.max_wait,
            playground: self.playground,
        }
    }

    /// `--api-key`s (named `key-1`, ...) and `[[auth.keys]]`.
    fn key_ring(&self) -> KeyRing {
        let mut keys: Vec<_> = self
            .api_keys
            .iter()
            .enumerate()
            .map(|(i, k)| vox_server::auth::NamedKey::from_key(format!("key-{}", i + 1), k))
            .collect();
        keys.extend(self.named_keys.iter().cloned());
        KeyRing::named(keys)
    }

    pub fn model_store(&self) -> vox_models::ModelStore {
        self.models.store(&self.home)
    }

    /// A readable summary with the keys counted, never shown.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "addr = \"{}\"\napi_keys = {} configured\nissuers = {:?}\ninsecure_no_auth = {}\nplayground = {}\ntls = {}\nhome = \"{}\"\nstore = \"{}\"\n\
             audio_ttl_secs = {}\nmax_audio_bytes = {}\nmax_audio_secs = {}\nmodels_dir = \"{}\"\nthreads = {}\n\
             llm_slots = {}\nllm_context = {}\n",
            self.addr,
            self.api_keys.len() + self.named_keys.len(),
            self.issuers.iter().map(|i| i.issuer.as_str()).collect::<Vec<_>>(),
            self.insecure_no_auth,
            self.playground,
            match &self.tls {
                Some(files) => format!("{{ cert = {:?}, key = {:?} }}", files.cert, files.key),
                None => "off".to_string(),
            },
            self.home.display(),
            self.store.describe(),
            self.audio_ttl.as_secs(),
            self.max_audio_bytes,
            self.max_audio_duration.as_secs(),
            self.model_store().root().display(),
            self.threads,
            self.llm_slots,
            self.llm_context,
        );
        let limits = &self.door.connections;
        text += &format!(
            "\n[door]\nheader_timeout_secs = {}\nidle_timeout_secs = {}\nbody_timeout_secs = {}\n\
             body_min_rate = {}\nmax_connections = {}\ncors_origins = {:?}\nmax_wait_secs = {}\n",
            limits.header_timeout.as_secs(),
            limits.idle_timeout.as_secs(),
            limits.body_timeout.as_secs(),
            limits.body_min_bytes_per_sec,
            limits.max_connections,
            self.door.cors,
            self.door.max_wait.as_secs_f64(),
        );
        for (name, profile) in &self.profiles {
            text += &format!("\n[profiles.{name}]\nmodels = \"{}\"\n", profile.models);
            for (role, endpoint) in [
                ("llm", &profile.llm),
                ("asr", &profile.asr),
                ("tts", &profile.tts),
            ] {
                if let Some(endpoint) = endpoint {
                    text += &format!(
                        "{role} = {{ model = {:?}, base_url = {:?}, key = {}, timeout_secs = {} }}\n",
                        endpoint.model,
                        endpoint.base_url,
                        if endpoint.api_key.is_some() { "set" } else { "none" },
                        endpoint.timeout.as_secs()
                    );
                }
            }
        }
        for d in &self.deployments {
            text += &format!(
                "\n[deployments.{}]\nprofile = \"{}\"\nrequire_audio = {}\naliases = {:?}\nspoken_style = {:?}\n",
                d.name,
                d.profile,
                d.require_audio,
                d.aliases,
                d.spoken_style().unwrap_or_default()
            );
        }
        text
    }
}

/// `vox config check FILE`.
pub fn check_file(path: &Path) -> anyhow::Result<()> {
    let config = ServeConfig::from_file(path)?.resolve()?;
    println!(
        "{} is valid. Effective configuration:\n\n{}",
        path.display(),
        config.describe()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ServeConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn defaults_are_safe() {
        let config = ServeConfig {
            home: Some("/tmp/vox".into()),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(config.addr, defaults::ADDR);
        assert!(config.addr.ip().is_loopback());
        assert!(config.api_keys.is_empty());
        assert_eq!(config.audio_ttl, Duration::from_secs(defaults::AUDIO_TTL_SECS));
        assert_eq!(
            config.deployments,
            vec![
                Deployment::default_deployment(),
                Deployment::text_deployment(),
                Deployment::realtime_deployment()
            ]
        );
    }

    #[test]
    fn a_public_address_needs_keys_or_an_explicit_opt_out() {
        let public = || ServeConfig {
            addr: Some("0.0.0.0:8000".parse().unwrap()),
            home: Some("/x".into()),
            ..Default::default()
        };
        let err = public().resolve().unwrap_err().to_string();
        assert!(err.contains("refusing to listen on 0.0.0.0:8000"), "{err}");
        assert!(
            ServeConfig {
                api_keys: vec!["k".into()],
                ..public()
            }
            .resolve()
            .is_ok()
        );
        assert!(
            ServeConfig {
                insecure_no_auth: true,
                ..public()
            }
            .resolve()
            .is_ok()
        );
        assert!(
            ServeConfig {
                api_keys: vec![" ".into()],
                ..public()
            }
            .resolve()
            .is_err()
        );
    }

    #[test]
    fn flags_win_over_the_file() {
        let file = parse(
            "addr = \"127.0.0.1:9000\"\napi_keys = [\"file-key\"]\naudio_ttl_secs = 60\nhome = \"/f\"\n",
        );
        let flags = ServeConfig {
            addr: Some("127.0.0.1:7000".parse().unwrap()),
            ..Default::default()
        };
        let config = flags.over(file).resolve().unwrap();
        assert_eq!(config.addr.port(), 7000);
        assert_eq!(config.api_keys, vec!["file-key"]);
        assert_eq!(config.audio_ttl.as_secs(), 60);
        assert_eq!(config.home, PathBuf::from("/f"));
    }

    #[test]
    fn file_deployments_join_or_replace_the_builtin_ones() {
        let file = parse(
            "home = \"/x\"\n[deployments.vox-text]\nrequire_audio = false\n\
             [deployments.gpt-4o-audio-preview]\nprofile = \"fast\"\n",
        );
        let config = file.resolve().unwrap();
        let names: Vec<&str> = config.deployments.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["gpt-4o-audio-preview", "gpt-4o-mini", "gpt-realtime", "vox-text"]
        );
        assert_eq!(config.deployments[0].profile, "fast");
        assert!(
            config.deployments[0].aliases.is_empty(),
            "a replaced deployment keeps only its own aliases"
        );
        assert!(!config.deployments[3].require_audio);
    }

    #[test]
    fn a_deployment_sets_its_spoken_style_and_the_check_prints_it() {
        let file = parse(
            "home = \"/x\"\n[deployments.quiet]\nspoken_style = \"\"\n\
             [deployments.phone]\nspoken_style = \"One sentence only.\"\n",
        );
        let config = file.resolve().unwrap();
        let style = |name: &str| {
            config
                .deployments
                .iter()
                .find(|d| d.name == name)
                .and_then(|d| d.spoken_style())
        };
        let default = style("gpt-4o-audio-preview").unwrap_or_default();
        assert!(default.starts_with("When you answer in words"), "{default}");
        assert_eq!(style("quiet"), None);
        assert_eq!(style("phone"), Some("One sentence only."));
        let described = config.describe();
        assert!(described.contains("[deployments.quiet]\nprofile = \"default\"\nrequire_audio = true\naliases = []\nspoken_style = \"\"\n"), "{described}");
        assert!(
            described.contains("spoken_style = \"One sentence only.\""),
            "{described}"
        );
    }

    #[test]
    fn tls_takes_a_certificate_and_its_key_from_any_layer() {
        let flags = ServeConfig {
            tls_cert: Some("/etc/vox/cert.pem".into()),
            home: Some("/x".into()),
            ..Default::default()
        };
        let file = parse("tls_key = \"/etc/vox/key.pem\"\n");
        let tls = flags.clone().over(file).resolve().unwrap().tls.unwrap();
        assert_eq!(tls.cert, std::path::Path::new("/etc/vox/cert.pem"));
        assert_eq!(tls.key, std::path::Path::new("/etc/vox/key.pem"));
        let error = flags.resolve().unwrap_err().to_string();
        assert!(error.contains("both tls_cert and tls_key"), "{error}");
    }

    #[test]
    fn unknown_keys_and_clashing_names_are_errors() {
        assert!(toml::from_str::<ServeConfig>("adr = \"x\"").is_err());
        assert!(toml::from_str::<ServeConfig>("[deployments.a]\nprofil = \"x\"").is_err());
        let clash = parse("home = \"/x\"\n[deployments.a]\naliases = [\"whisper-1\"]\n");
        let err = clash.resolve().unwrap_err().to_string();
        assert!(err.contains("'whisper-1'"), "{err}");
    }

    #[test]
    fn the_summary_never_shows_keys() {
        let config = ServeConfig {
            api_keys: vec!["sk-secret".into()],
            home: Some("/x".into()),
            ..Default::default()
        };
        let text = config.resolve().unwrap().describe();
        assert!(!text.contains("sk-secret"));
        assert!(text.contains("api_keys = 1 configured"));
    }
}
