//! Sessions of the speech models, on the process's one ONNX Runtime environment.

use std::path::Path;

use ort::session::Session;

use crate::TtsError;

pub fn session(library: &Path, model: &Path, threads: usize) -> Result<Session, TtsError> {
    vox_onnx::session(library, model, threads).map_err(TtsError::Load)
}
