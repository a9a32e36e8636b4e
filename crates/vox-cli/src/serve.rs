//! `vox serve`: load configuration, open the store, load engines, listen.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tokio::net::TcpListener;
use vox_models::Role;
use vox_server::{AppState, ProfileEngines, defaults};
use vox_store::{AudioStore, EmbeddedStore};

use crate::config::{Config, ServeConfig, StoreLocation};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A TOML file with the same keys as the flags (see `vox config check`).
    #[arg(long, env = "VOX_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub settings: ServeConfig,
}

/// llama.cpp's OpenMP threads busy-wait between decoding steps by default. On a small machine
/// that steals the cores speech synthesis needs while the language model writes the next clause
/// (measured: first audio 2.6 s busy-waiting, 0.9 s passive). OpenMP reads its settings when
/// the library loads, before `main`, so `vox serve` re-executes itself once with the passive
/// policy unless the variable is already set (a user's choice wins).
pub fn with_passive_openmp() -> anyhow::Result<()> {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("OMP_WAIT_POLICY").is_some() {
        return Ok(());
    }
    let exe = std::env::current_exe().context("locating the vox binary")?;
    let err = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("OMP_WAIT_POLICY", "PASSIVE")
        .exec();
    Err(anyhow::anyhow!(
        "re-executing vox with OMP_WAIT_POLICY=PASSIVE: {err}"
    ))
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_tracing();
    let file = match &args.config {
        Some(path) => ServeConfig::from_file(path)?,
        None => ServeConfig::default(),
    };
    let config = args.settings.over(file).resolve()?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(config))?;
    exit_without_static_destructors()
}

/// The server has stopped and its runtime is gone (connections closed, the store closed), but
/// the engine threads may still be letting go of their models: returning from `main` would run
/// the C++ libraries' static destructors (llama.cpp's, OpenMP's) under them, and the process
/// sometimes died of SIGSEGV on a clean SIGTERM. Nothing is left to do, so it ends here.
fn exit_without_static_destructors() -> ! {
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: `_exit` ends the process at once; every Rust value that needed dropping was
    // dropped with the runtime above.
    unsafe { libc::_exit(0) }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    fit_open_file_limit(config.door.connections.max_connections);
    // Before any model loads: a wrong certificate path fails in a moment, not after a minute.
    let tls = match &config.tls {
        Some(files) => Some(vox_server::door::Tls::load(files.clone())?),
        None => None,
    };
    let installed = check_models(&config)?;
    let store = open_store(&config)?;
    // After the store: a second vox on the same home fails before loading any model.
    let engines = load_engines(&config, &installed).await?;
    let (ready_tx, ready_rx) = tokio::sync::watch::channel(false);
    let state = AppState::new(
        config.server_settings(isolated_decoding()?),
        engines,
        store.clone(),
        ready_rx,
    );
    let listener = TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("binding {}", config.addr))?;
    let local = listener.local_addr()?;
    announce(&config, local);
    vox_server::spawn_store_janitor(store, Duration::from_secs(defaults::STORE_PURGE_SECS));
    ready_tx.send_replace(true);
    match tls {
        Some(tls) => {
            tokio::spawn(reload_tls_on_hangup(tls.clone()));
            vox_server::serve_tls(listener, tls, state, shutdown_signal()).await?;
        }
        None => vox_server::serve(listener, state, shutdown_signal()).await?,
    }
    tracing::info!("stopped");
    Ok(())
}

/// File descriptors besides connections: models, the store, decoder children, logs.
const RESERVED_FILES: u64 = 256;

/// Raises the soft open-file limit (often 1024) toward the hard one, so the connection cap and
/// not the kernel decides how many sockets are held; warns if even the hard limit is below it.
fn fit_open_file_limit(max_connections: usize) {
    let wanted = max_connections as u64 + RESERVED_FILES;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed to them.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return;
    }
    if limit.rlim_cur < wanted {
        let raised = libc::rlimit {
            rlim_cur: wanted.min(limit.rlim_max),
            rlim_max: limit.rlim_max,
        };
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        }
    }
    if limit.rlim_cur < wanted {
        tracing::warn!(
            open_files = limit.rlim_cur,
            max_connections,
            "the open-file limit is below max_connections; lower max_connections or raise `ulimit -n`"
        );
    }
}

/// Untrusted audio is decoded by this same binary in a child process (`vox internal-decode-audio`).
fn isolated_decoding() -> anyhow::Result<vox_audio::DecodePlace> {
    let program = std::env::current_exe().context("locating the vox binary for audio decoding")?;
    Ok(vox_audio::DecodePlace::Isolated {
        program,
        args: vec!["internal-decode-audio".into()],
    })
}

/// Every model the deployments' profiles need must be installed; if not, say how to install it.
/// Returns the installed model folders of each profile, by role.
fn check_models(config: &Config) -> anyhow::Result<BTreeMap<String, BTreeMap<Role, Vec<PathBuf>>>> {
    let manifest = config.models.manifest()?;
    let store = config.model_store();
    let profiles: BTreeSet<&str> = config.deployments.iter().map(|d| d.profile.as_str()).collect();
    let mut installed = BTreeMap::new();
    for profile in profiles {
        // A profile of the file takes its local models from another; its remote roles need no weights.
        let (models_of, remote_roles) = match config.profiles.get(profile) {
            Some(configured) => (configured.models.as_str(), configured.remote_roles()),
            None => (profile, Vec::new()),
        };
        match store.require_local(&manifest, models_of, &remote_roles) {
            Ok(models) => {
                installed.insert(profile.to_string(), models);
            }
            Err(vox_models::ModelError::NotInstalled(missing)) => {
                let folder = match &config.models.models_dir {
                    Some(dir) => format!(" --models-dir {}", dir.display()),
                    None => String::new(),
                };
                anyhow::bail!(
                    "{} not installed for profile '{profile}' in {}. Install with: vox models pull {}{folder}",
                    missing.models.join(", "),
                    store.root().display(),
                    missing.pull_arguments()
                );
            }
            Err(other) => return Err(other.into()),
        }
        tracing::info!(profile, models = %store.root().display(), "models installed");
    }
    Ok(installed)
}

/// The engines of every profile a deployment names; a model two profiles share is loaded once.
async fn load_engines(
    config: &Config,
    installed: &BTreeMap<String, BTreeMap<Role, Vec<PathBuf>>>,
) -> anyhow::Result<ProfileEngines> {
    let mut loaded = crate::engines::Loaded::new(config, installed.values());
    let mut engines = ProfileEngines::default();
    for (profile, models) in installed {
        tracing::info!(profile, "loading engines");
        let remote = config.profiles.get(profile);
        engines = engines.with(profile.clone(), loaded.profile(models, remote).await?);
    }
    Ok(engines)
}

fn announce(config: &Config, local: std::net::SocketAddr) {
    if config.api_keys.is_empty() {
        match local.ip().is_loopback() {
            true => tracing::warn!("no API key configured: serving loopback only ({local})"),
            false => tracing::warn!(
                "no API key configured and --insecure-no-auth given: {local} is open to anyone"
            ),
        }
    } else {
        tracing::info!(keys = config.api_keys.len(), "API keys required");
    }
    tracing::info!(home = %config.home.display(), "Vox home");
    // Tests and scripts read the address (port 0 picks one) from this exact line on stdout.
    let scheme = if config.tls.is_some() { "https" } else { "http" };
    println!("vox listening on {scheme}://{local}");
    let _ = std::io::stdout().flush();
}

/// SIGHUP re-reads the certificate and key (a renewed certificate needs no restart); a bad
/// file is logged and the certificate in use stays.
async fn reload_tls_on_hangup(tls: Arc<vox_server::door::Tls>) {
    #[cfg(unix)]
    {
        let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP: the TLS certificate is read at start only");
            return;
        };
        while hangups.recv().await.is_some() {
            match tls.reload() {
                Ok(()) => tracing::info!(cert = %tls.files().cert.display(), "TLS certificate reloaded"),
                Err(err) => tracing::error!(%err, "TLS reload failed: the certificate in use stays"),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tls;
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// The embedded file (locked: a second vox on the same home fails here, before any model
/// loads), or Redis, connected on first use so that Vox starts while Redis is down.
fn open_store(config: &Config) -> anyhow::Result<Arc<dyn AudioStore>> {
    Ok(match &config.store {
        StoreLocation::Embedded(path) => Arc::new(EmbeddedStore::open(path).with_context(|| {
            format!(
                "opening the audio store (is another vox using {}?)",
                path.display()
            )
        })?),
        StoreLocation::Redis(url) => {
            let store = vox_store::RedisStore::open(url)?;
            tracing::info!(store = %store.shown_as(), "audio ids are kept in Redis");
            Arc::new(store)
        }
    })
}
