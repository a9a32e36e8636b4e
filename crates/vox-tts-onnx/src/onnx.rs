//! ONNX Runtime, loaded from the library the model manifest installed (no download at build or
//! run time). One environment per process; sessions run on the engine's thread.

use std::path::Path;
use std::sync::OnceLock;

use ort::environment::Environment;
use ort::session::Session;

use crate::TtsError;

fn environment(library: &Path) -> Result<&'static Environment, TtsError> {
    static ENVIRONMENT: OnceLock<Result<Environment, String>> = OnceLock::new();
    ENVIRONMENT
        .get_or_init(|| {
            ort::init_from(library)
                .map_err(|e| format!("cannot load ONNX Runtime from {}: {e}", library.display()))?
                .with_name("vox")
                .build()
                .map_err(|e| format!("cannot start ONNX Runtime: {e}"))
        })
        .as_ref()
        .map_err(|e| TtsError::Load(e.clone()))
}

pub fn session(library: &Path, model: &Path, threads: usize) -> Result<Session, TtsError> {
    let environment = environment(library)?;
    let load = |e: String| TtsError::Load(format!("{}: {e}", model.display()));
    Session::builder(environment)
        .map_err(|e| load(e.to_string()))?
        .with_intra_threads(threads.max(1))
        .map_err(|e| load(e.to_string()))?
        .with_inter_threads(1)
        .map_err(|e| load(e.to_string()))?
        // Spinning threads would take the cores the language model is decoding on while the
        // answer's next clause is written (measured: first audio 2.6 s with spinning, 0.9 s without).
        .with_intra_op_spinning(false)
        .map_err(|e| load(e.to_string()))?
        .commit_from_file(model)
        .map_err(|e| load(e.to_string()))
}
