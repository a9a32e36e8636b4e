//! Where the client commands send requests and how they authenticate: local Vox (default),
//! Azure OpenAI (`--azure`) or OpenAI (`--openai`), each configured the way its own tools are.

use std::process::Command;

use clap::Args;
use reqwest::blocking::RequestBuilder;

use super::failure::Failure;

#[derive(Debug, Clone, Args)]
pub struct EndpointArgs {
    /// Vox's address [env: VOX_ENDPOINT; default: http://127.0.0.1:8000]. Key from VOX_API_KEY.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Use Azure OpenAI: AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_DEPLOYMENT_NAME, OPENAI_API_VERSION,
    /// and AZURE_OPENAI_API_KEY, AZURE_OPENAI_AD_TOKEN or `az account get-access-token`.
    #[arg(long, global = true, conflicts_with = "openai")]
    pub azure: bool,
    /// Use OpenAI (api.openai.com) with OPENAI_API_KEY.
    #[arg(long, global = true)]
    pub openai: bool,
    /// The model (or deployment) to ask [default: gpt-4o-audio-preview].
    #[arg(long, global = true)]
    pub model: Option<String>,
}

/// The Azure API version Vox's clients default to: the first with audio chat completions.
const AZURE_API_VERSION: &str = "2025-01-01-preview";
const DEFAULT_MODEL: &str = "gpt-4o-audio-preview";
const COGNITIVE_SERVICES: &str = "https://cognitiveservices.azure.com";

#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Up to, not including, the operation (`.../v1` or `.../openai/deployments/NAME`).
    base: String,
    /// `?api-version=...` for Azure, else empty.
    query: String,
    /// A header name and value, or none (Vox on loopback without keys).
    auth: Option<(&'static str, String)>,
    pub model: String,
}

impl Endpoint {
    pub fn url(&self, operation: &str) -> String {
        format!("{}/{operation}{}", self.base, self.query)
    }

    pub fn authorize(&self, request: RequestBuilder) -> RequestBuilder {
        match &self.auth {
            Some((name, value)) => request.header(*name, value),
            None => request,
        }
    }
}

impl EndpointArgs {
    /// The model a non-chat operation names: the one chosen (`--model`, or the Azure deployment),
    /// else the operation's usual OpenAI model (`whisper-1`, `tts-1`).
    pub fn model_or(&self, endpoint: &Endpoint, default: &str) -> String {
        if self.model.is_some() || self.azure {
            endpoint.model.clone()
        } else {
            default.to_string()
        }
    }

    pub fn resolve(&self) -> Result<Endpoint, Failure> {
        if self.azure {
            return self.azure();
        }
        let model = self.model.clone().unwrap_or_else(|| DEFAULT_MODEL.into());
        if self.openai {
            let key = env("OPENAI_API_KEY").ok_or_else(|| Failure::config("OPENAI_API_KEY is not set"))?;
            return Ok(Endpoint {
                base: "https://api.openai.com/v1".into(),
                query: String::new(),
                auth: Some(("Authorization", format!("Bearer {key}"))),
                model,
            });
        }
        let root = self
            .endpoint
            .clone()
            .or_else(|| env("VOX_ENDPOINT"))
            .unwrap_or_else(|| "http://127.0.0.1:8000".into());
        Ok(Endpoint {
            base: format!("{}/v1", root.trim_end_matches('/')),
            query: String::new(),
            auth: env("VOX_API_KEY").map(|key| ("Authorization", format!("Bearer {key}"))),
            model,
        })
    }

    fn azure(&self) -> Result<Endpoint, Failure> {
        let root = self
            .endpoint
            .clone()
            .or_else(|| env("AZURE_OPENAI_ENDPOINT"))
            .ok_or_else(|| Failure::config("AZURE_OPENAI_ENDPOINT is not set"))?;
        let deployment = self
            .model
            .clone()
            .or_else(|| env("AZURE_OPENAI_DEPLOYMENT_NAME"))
            .ok_or_else(|| Failure::config("AZURE_OPENAI_DEPLOYMENT_NAME is not set (or pass --model)"))?;
        let version = env("OPENAI_API_VERSION").unwrap_or_else(|| AZURE_API_VERSION.into());
        let auth = match (env("AZURE_OPENAI_API_KEY"), env("AZURE_OPENAI_AD_TOKEN")) {
            (Some(key), _) => ("api-key", key),
            (None, Some(token)) => ("Authorization", format!("Bearer {token}")),
            (None, None) => ("Authorization", format!("Bearer {}", az_token()?)),
        };
        Ok(Endpoint {
            base: format!("{}/openai/deployments/{deployment}", root.trim_end_matches('/')),
            query: format!("?api-version={version}"),
            auth: Some(auth),
            model: deployment,
        })
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Keyless Azure: a Microsoft Entra token from the Azure CLI the user is signed in to.
fn az_token() -> Result<String, Failure> {
    let output = Command::new("az")
        .args([
            "account",
            "get-access-token",
            "--resource",
            COGNITIVE_SERVICES,
            "--query",
            "accessToken",
            "-o",
            "tsv",
        ])
        .output()
        .map_err(|e| {
            Failure::config(format!(
                "no AZURE_OPENAI_API_KEY or AZURE_OPENAI_AD_TOKEN, and the Azure CLI could not run: {e}"
            ))
        })?;
    if !output.status.success() {
        return Err(Failure::config(format!(
            "az account get-access-token failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}
