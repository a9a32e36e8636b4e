//! What can go wrong inside the pipeline; each front door maps these to its own errors.

use vox_engine::EngineError;

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// An engine refused or failed (busy, context too long, its thread died...).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Audio could not be brought to the rate an engine or the output needs.
    #[error("resampling: {0}")]
    Resample(String),
    /// A step stopped without saying how it ended: a bug in an engine, never the caller's.
    #[error("{0}")]
    EndedEarly(&'static str),
}
