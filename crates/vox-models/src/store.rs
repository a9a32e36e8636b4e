//! The installed models: `<models_dir>/<model>/<file>`, with a record of what was verified so
//! that start-up need not hash gigabytes again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::hash::sha256_file;
use crate::manifest::{Manifest, Model, Role};

const RECORD: &str = ".vox-verified.json";

#[derive(Debug, Clone)]
pub struct ModelStore {
    root: PathBuf,
}

/// What is known of one installed file: its hash, checked when it had this size and mtime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Verified {
    size: u64,
    modified_ns: u128,
    sha256: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Installed,
    /// Some files are missing, changed since verified, or of the wrong hash.
    Incomplete,
    Missing,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Installed => "installed",
            Self::Incomplete => "incomplete",
            Self::Missing => "missing",
        }
    }
}

/// Models a profile needs that are not installed, with the command that installs them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} not installed for profile '{profile}': run `vox models pull {}`", describe(.models), self.pull_arguments())]
pub struct Missing {
    pub profile: String,
    pub models: Vec<String>,
    /// Some of the profile's roles run elsewhere: only the named models are wanted.
    pub some_roles_remote: bool,
}

impl Missing {
    /// What `vox models pull` needs to install exactly what is missing: the whole profile, or
    /// only the named models when some roles run elsewhere (their weights are not wanted).
    pub fn pull_arguments(&self) -> String {
        if self.some_roles_remote {
            self.models.join(" ")
        } else {
            format!("--profile {}", self.profile)
        }
    }
}

fn describe(models: &[String]) -> String {
    match models {
        [one] => format!("model {one} is"),
        many => format!("models {} are", many.join(", ")),
    }
}

impl ModelStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn model_dir(&self, model: &str) -> PathBuf {
        self.root.join(model)
    }

    /// Where partial files are assembled before their atomic move into place (same filesystem).
    pub fn partial_dir(&self) -> PathBuf {
        self.root.join(".partial")
    }

    /// Installed, by the verification record (cheap: no hashing).
    pub fn status(&self, model: &Model) -> Status {
        let records = self.records(&model.name);
        let present = model
            .files
            .iter()
            .filter(|f| self.file_matches_record(&model.name, &f.path, &f.sha256, &records))
            .count();
        match present {
            0 if !self.model_dir(&model.name).exists() => Status::Missing,
            n if n == model.files.len() && self.generated_present(model) => Status::Installed,
            _ => Status::Incomplete,
        }
    }

    fn generated_present(&self, model: &Model) -> bool {
        model
            .generated
            .iter()
            .all(|g| self.model_dir(&model.name).join(&g.path).is_file())
    }

    pub(crate) fn file_is_verified(&self, model: &str, path: &str, sha256: &str) -> bool {
        self.file_matches_record(model, path, sha256, &self.records(model))
    }

    fn file_matches_record(
        &self,
        model: &str,
        path: &str,
        sha256: &str,
        records: &BTreeMap<String, Verified>,
    ) -> bool {
        let Some(record) = records.get(path) else {
            return false;
        };
        record.sha256 == sha256
            && stat(&self.model_dir(model).join(path)).as_ref() == Some(&(record.size, record.modified_ns))
    }

    /// Hashes every file of `model` again; returns the files that are missing or wrong.
    pub fn verify(&self, model: &Model) -> Result<Vec<String>, ModelError> {
        let mut bad = Vec::new();
        for file in &model.files {
            let path = self.model_dir(&model.name).join(&file.path);
            match path.is_file() {
                false => bad.push(format!("{} (missing)", file.path)),
                true => {
                    let actual = sha256_file(&path)?;
                    if actual == file.sha256 {
                        self.record(&model.name, &file.path, &actual)?;
                    } else {
                        bad.push(format!("{} (sha256 {actual})", file.path));
                    }
                }
            }
        }
        for generated in &model.generated {
            let path = self.model_dir(&model.name).join(&generated.path);
            if !path.is_file() || sha256_file(&path)? != generated.sha256 {
                bad.push(format!("{} (generated file missing or changed)", generated.path));
            }
        }
        Ok(bad)
    }

    pub fn remove(&self, model: &str) -> Result<bool, ModelError> {
        let dir = self.model_dir(model);
        if !dir.exists() {
            return Ok(false);
        }
        std::fs::remove_dir_all(&dir).map_err(|e| ModelError::io(&dir, e))?;
        Ok(true)
    }

    /// The installed models of a profile by role, or the exact command that installs what is
    /// missing. Engines call this at start-up.
    pub fn require(
        &self,
        manifest: &Manifest,
        profile: &str,
    ) -> Result<BTreeMap<Role, Vec<PathBuf>>, ModelError> {
        self.require_local(manifest, profile, &[])
    }

    /// Like [`Self::require`], leaving out the `remote` roles: a front door whose language
    /// model runs elsewhere needs none of its weights on disk.
    pub fn require_local(
        &self,
        manifest: &Manifest,
        profile: &str,
        remote: &[Role],
    ) -> Result<BTreeMap<Role, Vec<PathBuf>>, ModelError> {
        let mut models = manifest.profile(profile)?;
        models.retain(|model| !remote.contains(&model.role));
        let missing: Vec<String> = models
            .iter()
            .filter(|m| self.status(m) != Status::Installed)
            .map(|m| m.name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(Missing {
                profile: profile.to_string(),
                models: missing,
                some_roles_remote: !remote.is_empty(),
            }
            .into());
        }
        let mut by_role: BTreeMap<Role, Vec<PathBuf>> = BTreeMap::new();
        for model in models {
            by_role
                .entry(model.role)
                .or_default()
                .push(self.model_dir(&model.name));
        }
        Ok(by_role)
    }

    pub(crate) fn record(&self, model: &str, path: &str, sha256: &str) -> Result<(), ModelError> {
        let file = self.model_dir(model).join(path);
        let (size, modified_ns) =
            stat(&file).ok_or_else(|| ModelError::io(&file, std::io::ErrorKind::NotFound.into()))?;
        let mut records = self.records(model);
        records.insert(
            path.to_string(),
            Verified {
                size,
                modified_ns,
                sha256: sha256.to_string(),
            },
        );
        let record_path = self.model_dir(model).join(RECORD);
        let json = serde_json::to_vec_pretty(&records).map_err(|e| ModelError::Manifest(e.to_string()))?;
        crate::assemble::write_atomically(&self.partial_dir(), &record_path, &json)
    }

    fn records(&self, model: &str) -> BTreeMap<String, Verified> {
        std::fs::read(self.model_dir(model).join(RECORD))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }
}

fn stat(path: &Path) -> Option<(u64, u128)> {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_nanos();
    Some((meta.len(), modified))
}
