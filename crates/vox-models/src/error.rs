use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model manifest: {0}")]
    Manifest(String),
    #[error("unknown model '{0}' (see `vox models list`)")]
    UnknownModel(String),
    #[error(
        "{path}: sha256 is {actual}, the manifest says {expected}; the file was removed. \
         Run the command again to fetch it anew"
    )]
    HashMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("{path}: {actual} bytes, the manifest says {expected}; the file was removed")]
    SizeMismatch {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },
    #[error("{package} has no member '{member}'")]
    MissingMember { package: String, member: String },
    #[error("could not download {what}: {detail}")]
    Download { what: String, detail: String },
    #[error("disk full while writing {path}: free some space and run the command again")]
    DiskFull { path: PathBuf },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    NotInstalled(#[from] crate::store::Missing),
}

impl ModelError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::StorageFull {
            return Self::DiskFull {
                path: path.to_path_buf(),
            };
        }
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
