//! ONNX Runtime, loaded from the library the model manifest installed (no download at build or
//! run time). ONNX Runtime wants one environment per process: every engine that runs on it
//! (speech synthesis, voice activity) opens its sessions here.

use std::path::Path;
use std::sync::OnceLock;

use ort::environment::Environment;
pub use ort::session::Session;

fn environment(library: &Path) -> Result<&'static Environment, String> {
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
        .map_err(Clone::clone)
}

/// A session on `threads` threads that never spin: spinning threads would take the cores the
/// language model is decoding on while the answer's next clause is written (measured: first
/// audio 2.6 s with spinning, 0.9 s without).
pub fn session(library: &Path, model: &Path, threads: usize) -> Result<Session, String> {
    let environment = environment(library)?;
    let load = |e: String| format!("{}: {e}", model.display());
    Session::builder(environment)
        .map_err(|e| load(e.to_string()))?
        .with_intra_threads(threads.max(1))
        .map_err(|e| load(e.to_string()))?
        .with_inter_threads(1)
        .map_err(|e| load(e.to_string()))?
        .with_intra_op_spinning(false)
        .map_err(|e| load(e.to_string()))?
        .commit_from_file(model)
        .map_err(|e| load(e.to_string()))
}
