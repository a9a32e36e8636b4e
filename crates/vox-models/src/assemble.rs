//! Building a model file from its sources into a partial file, hashing as it is written, and
//! moving it into place only once it is proven right.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use crate::ModelError;

/// A file being written; removed on drop unless it was committed, so nothing half-written is
/// ever left where a model belongs (or in the partial folder after an error).
pub struct Partial {
    path: PathBuf,
    committed: bool,
}

impl Partial {
    pub fn new(dir: &Path, name: &str) -> Result<Self, ModelError> {
        std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
        Ok(Self {
            path: dir.join(format!("{name}.partial")),
            committed: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// fsyncs and renames into `dest`, creating its folder.
    pub fn commit(mut self, dest: &Path) -> Result<(), ModelError> {
        File::open(&self.path)
            .and_then(|f| f.sync_all())
            .map_err(|e| ModelError::io(&self.path, e))?;
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
        }
        std::fs::rename(&self.path, dest).map_err(|e| ModelError::io(dest, e))?;
        if let Some(dir) = dest.parent() {
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A file built from pieces written in order, hashed on the way; `finish` proves its size and
/// sha256, and on any failure the partial goes (with its [`Partial`]).
pub struct Assembly {
    out: File,
    path: PathBuf,
    hasher: Sha256,
    written: u64,
    expected_size: u64,
    progress: ProgressBar,
}

impl Assembly {
    pub fn create(partial: &Partial, expected_size: u64, label: &str) -> Result<Self, ModelError> {
        let path = partial.path().to_path_buf();
        let out = File::create(&path).map_err(|e| ModelError::io(&path, e))?;
        let progress = progress_bar(expected_size, label);
        Ok(Self {
            out,
            path,
            hasher: Sha256::new(),
            written: 0,
            expected_size,
            progress,
        })
    }

    /// Appends everything `piece` yields; stops as soon as the file would be too long.
    pub fn append(&mut self, piece: &mut dyn Read, label: &str) -> Result<(), ModelError> {
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = piece
                .read(&mut buffer)
                .map_err(|e| ModelError::io(Path::new(label), e))?;
            if n == 0 {
                return Ok(());
            }
            self.written += n as u64;
            if self.written > self.expected_size {
                return Err(self.size_mismatch());
            }
            self.out
                .write_all(&buffer[..n])
                .map_err(|e| ModelError::io(&self.path, e))?;
            self.hasher.update(&buffer[..n]);
            self.progress.set_position(self.written);
        }
    }

    pub fn finish(mut self, expected_sha256: &str) -> Result<(), ModelError> {
        self.out.flush().map_err(|e| ModelError::io(&self.path, e))?;
        self.progress.finish_and_clear();
        if self.written != self.expected_size {
            return Err(self.size_mismatch());
        }
        check_sha256(&self.path, hex::encode(self.hasher.finalize()), expected_sha256)
    }

    fn size_mismatch(&self) -> ModelError {
        ModelError::SizeMismatch {
            path: self.path.clone(),
            expected: self.expected_size,
            actual: self.written,
        }
    }
}

pub fn check_sha256(path: &Path, actual: String, expected: &str) -> Result<(), ModelError> {
    if actual == expected {
        Ok(())
    } else {
        Err(ModelError::HashMismatch {
            path: path.into(),
            expected: expected.into(),
            actual,
        })
    }
}

/// Small files (records, generated configs): write aside, then rename over.
pub fn write_atomically(partial_dir: &Path, dest: &Path, bytes: &[u8]) -> Result<(), ModelError> {
    let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let partial = Partial::new(partial_dir, &format!("{}-{name}", std::process::id()))?;
    std::fs::write(partial.path(), bytes).map_err(|e| ModelError::io(partial.path(), e))?;
    partial.commit(dest)
}

fn progress_bar(total: u64, label: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "  {msg:40} {bytes:>10}/{total_bytes:<10} {bytes_per_sec:>12} {wide_bar} {eta}",
    ) {
        bar.set_style(style);
    }
    bar.set_message(label.to_string());
    bar
}
