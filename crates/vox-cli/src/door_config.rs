//! `[door]` in the file (and its flags): how long connections may take, how many may be
//! open, which browser origins may call, and how long a request may be expected to wait.

use std::time::Duration;

use anyhow::bail;
use clap::Args;
use serde::Deserialize;
use vox_server::cors::CorsOrigins;
use vox_server::defaults;
use vox_server::door::ConnectionLimits;

#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DoorConfig {
    /// Seconds a connection has to send a request's headers [default: 15].
    #[arg(long, env = "VOX_HEADER_TIMEOUT_SECS", value_name = "SECS")]
    pub header_timeout_secs: Option<u64>,

    /// Seconds a kept-alive connection may sit idle [default: 60].
    #[arg(long, env = "VOX_IDLE_TIMEOUT_SECS", value_name = "SECS")]
    pub idle_timeout_secs: Option<u64>,

    /// Longest pause inside a request body, and the grace before its minimum rate [default: 20].
    #[arg(long, env = "VOX_BODY_TIMEOUT_SECS", value_name = "SECS")]
    pub body_timeout_secs: Option<u64>,

    /// Bytes per second a request body must average after the grace [default: 1024].
    #[arg(long, env = "VOX_BODY_MIN_RATE", value_name = "BYTES_PER_SEC")]
    pub body_min_rate: Option<u64>,

    /// Open connections at most; anonymous ones are shed first [default: 4096].
    #[arg(long, env = "VOX_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,

    /// A browser origin allowed to call the API (repeat, or `*` for any) [default: Vox's own origin].
    #[arg(
        long = "cors-origin",
        env = "VOX_CORS_ORIGINS",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// Refuse (429) a request whose first audio or transcript could not start within this many
    /// seconds, judged from the engines' queues [default: 10].
    #[arg(long, env = "VOX_MAX_WAIT_SECS", value_name = "SECS")]
    pub max_wait_secs: Option<f64>,
}

/// The door's settings, defaults applied and checked.
#[derive(Debug, Clone)]
pub struct Door {
    pub connections: ConnectionLimits,
    pub cors: CorsOrigins,
    pub max_wait: Duration,
}

impl DoorConfig {
    pub fn over(self, file: DoorConfig) -> DoorConfig {
        DoorConfig {
            header_timeout_secs: self.header_timeout_secs.or(file.header_timeout_secs),
            idle_timeout_secs: self.idle_timeout_secs.or(file.idle_timeout_secs),
            body_timeout_secs: self.body_timeout_secs.or(file.body_timeout_secs),
            body_min_rate: self.body_min_rate.or(file.body_min_rate),
            max_connections: self.max_connections.or(file.max_connections),
            cors_origins: if self.cors_origins.is_empty() {
                file.cors_origins
            } else {
                self.cors_origins
            },
            max_wait_secs: self.max_wait_secs.or(file.max_wait_secs),
        }
    }

    pub fn resolve(self) -> anyhow::Result<Door> {
        let secs = |value: Option<u64>, default: u64, name: &str| -> anyhow::Result<Duration> {
            match value.unwrap_or(default) {
                0 => bail!("{name} must be at least 1"),
                n => Ok(Duration::from_secs(n)),
            }
        };
        let connections = ConnectionLimits {
            header_timeout: secs(
                self.header_timeout_secs,
                defaults::HEADER_TIMEOUT_SECS,
                "header_timeout_secs",
            )?,
            idle_timeout: secs(
                self.idle_timeout_secs,
                defaults::IDLE_TIMEOUT_SECS,
                "idle_timeout_secs",
            )?,
            body_timeout: secs(
                self.body_timeout_secs,
                defaults::BODY_TIMEOUT_SECS,
                "body_timeout_secs",
            )?,
            body_min_bytes_per_sec: self.body_min_rate.unwrap_or(defaults::BODY_MIN_BYTES_PER_SEC),
            max_connections: match self.max_connections.unwrap_or(defaults::MAX_CONNECTIONS) {
                0 => bail!("max_connections must be at least 1"),
                n => n,
            },
        };
        let max_wait = self.max_wait_secs.unwrap_or(defaults::MAX_WAIT_SECS);
        if !(max_wait.is_finite() && max_wait > 0.0) {
            bail!("max_wait_secs must be a positive number of seconds");
        }
        let origins: Vec<String> = self
            .cors_origins
            .iter()
            .map(|o| o.trim().to_string())
            .filter(|o| !o.is_empty())
            .collect();
        Ok(Door {
            connections,
            cors: CorsOrigins::from_list(&origins).map_err(anyhow::Error::msg)?,
            max_wait: Duration::from_secs_f64(max_wait),
        })
    }
}
