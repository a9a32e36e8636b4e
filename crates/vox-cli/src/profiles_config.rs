//! `[profiles.NAME]` in the configuration file: a profile whose language model, speech
//! recognition or voice is a remote OpenAI-compatible server, the other roles coming from the
//! installed models of another profile.
//!
//! ```toml
//! [profiles.big]
//! models = "default"                   # local models for the roles not given below
//! [profiles.big.llm]
//! kind = "openai"                      # any OpenAI-compatible /v1/chat/completions
//! base_url = "http://vllm:8000/v1"
//! model = "Qwen/Qwen2.5-7B-Instruct"
//! api_key_env = "VLLM_API_KEY"         # optional
//! timeout_secs = 120
//! ```

use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;
use vox_models::Role;
use vox_remote_openai::Endpoint;

/// The longest a remote request may take when the file does not say.
const DEFAULT_TIMEOUT_SECS: u64 = 120;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSettings {
    /// The installed profile (`default`, `fast`, `test`) whose models serve the local roles.
    pub models: Option<String>,
    pub llm: Option<RemoteEngineSettings>,
    pub asr: Option<RemoteEngineSettings>,
    pub tts: Option<RemoteEngineSettings>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteEngineSettings {
    /// `openai`: the only kind of remote engine.
    pub kind: String,
    pub base_url: String,
    pub model: String,
    /// The environment variable holding the upstream's key (the key itself never goes in the file).
    pub api_key_env: Option<String>,
    /// The longest the upstream may stay silent, before answering or mid-stream.
    pub timeout_secs: Option<u64>,
}

/// A profile resolved: where its local models come from and which roles are remote.
#[derive(Debug, Clone)]
pub struct Profile {
    pub models: String,
    pub llm: Option<Endpoint>,
    pub asr: Option<Endpoint>,
    pub tts: Option<Endpoint>,
}

impl Profile {
    /// The roles served remotely: their local models are neither required nor loaded.
    pub fn remote_roles(&self) -> Vec<Role> {
        [
            (Role::Llm, &self.llm),
            (Role::Asr, &self.asr),
            (Role::Tts, &self.tts),
        ]
        .into_iter()
        .filter_map(|(role, endpoint)| endpoint.as_ref().map(|_| role))
        .collect()
    }
}

impl ProfileSettings {
    /// Checked at start: a wrong kind, URL or missing key variable fails before any model loads.
    pub fn resolve(&self, name: &str, read_env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Profile> {
        let endpoint =
            |role: &str, settings: &Option<RemoteEngineSettings>| -> anyhow::Result<Option<Endpoint>> {
                settings
                    .as_ref()
                    .map(|s| s.endpoint(&read_env))
                    .transpose()
                    .with_context(|| format!("[profiles.{name}.{role}]"))
            };
        Ok(Profile {
            models: self.models.clone().unwrap_or_else(|| "default".into()),
            llm: endpoint("llm", &self.llm)?,
            asr: endpoint("asr", &self.asr)?,
            tts: endpoint("tts", &self.tts)?,
        })
    }
}

impl RemoteEngineSettings {
    fn endpoint(&self, read_env: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Endpoint> {
        if self.kind != "openai" {
            bail!(
                "kind = \"{}\" is not a kind of remote engine Vox knows: use \"openai\"",
                self.kind
            );
        }
        let base_url = self.base_url.trim().trim_end_matches('/').to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            bail!("base_url must start with http:// or https:// (got \"{base_url}\")");
        }
        if self.model.trim().is_empty() {
            bail!("model must name the upstream's model");
        }
        let api_key = match &self.api_key_env {
            Some(variable) => Some(
                read_env(variable)
                    .filter(|key| !key.trim().is_empty())
                    .with_context(|| format!("api_key_env names {variable}, which is not set"))?,
            ),
            None => None,
        };
        let timeout_secs = self.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS);
        if timeout_secs == 0 {
            bail!("timeout_secs must be at least 1");
        }
        Ok(Endpoint {
            base_url,
            model: self.model.trim().to_string(),
            api_key,
            timeout: Duration::from_secs(timeout_secs),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ProfileSettings {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn a_remote_language_model_with_its_key_from_the_environment() {
        let settings = parse(
            "models = \"fast\"\n[llm]\nkind = \"openai\"\nbase_url = \"http://vllm:8000/v1/\"\n\
             model = \"Qwen/Qwen2.5-7B-Instruct\"\napi_key_env = \"VLLM_API_KEY\"\ntimeout_secs = 30\n",
        );
        let env = |name: &str| (name == "VLLM_API_KEY").then(|| "sk-upstream".to_string());
        let profile = settings.resolve("big", env).unwrap();
        let llm = profile.llm.as_ref().unwrap();
        assert_eq!(llm.base_url, "http://vllm:8000/v1");
        assert_eq!(llm.api_key.as_deref(), Some("sk-upstream"));
        assert_eq!(llm.timeout, Duration::from_secs(30));
        assert_eq!(profile.models, "fast");
        assert_eq!(profile.remote_roles(), vec![Role::Llm]);
        assert!(
            !format!("{llm:?}").contains("sk-upstream"),
            "the key shows in {llm:?}"
        );
    }

    #[test]
    fn mistakes_are_named_at_start() {
        let no_env = |_: &str| None;
        let wrong_kind = parse("[tts]\nkind = \"grpc\"\nbase_url = \"http://x/v1\"\nmodel = \"tts-1\"\n");
        let err = format!("{:#}", wrong_kind.resolve("p", no_env).unwrap_err());
        assert!(err.contains("[profiles.p.tts]") && err.contains("grpc"), "{err}");
        let no_scheme = parse("[asr]\nkind = \"openai\"\nbase_url = \"vllm:8000\"\nmodel = \"whisper-1\"\n");
        assert!(format!("{:#}", no_scheme.resolve("p", no_env).unwrap_err()).contains("http://"));
        let unset = parse(
            "[llm]\nkind = \"openai\"\nbase_url = \"http://x/v1\"\nmodel = \"m\"\napi_key_env = \"NOPE\"\n",
        );
        assert!(format!("{:#}", unset.resolve("p", no_env).unwrap_err()).contains("NOPE"));
        assert!(
            toml::from_str::<ProfileSettings>(
                "[llm]\nkind = \"openai\"\nbase_url = \"http://x\"\nmodel = \"m\"\nkey = \"k\"\n"
            )
            .is_err()
        );
    }
}
