//! Language model engine of Vox: a GGUF model on llama.cpp, on one thread that decodes every
//! active request together (continuous batching), prompts built by the model's own chat
//! template, tool calls parsed from its output.

mod batch;
mod decision;
mod engine;
mod grammar;
mod measure;
mod opening;
mod output;
mod placement;
mod prompt;
mod sampler;
mod slot;
mod tool_calls;
mod utf8;

pub use engine::{LlamaConfig, LlamaEngine};

/// Why the model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LlamaError {
    #[error("cannot load the language model: {0}")]
    Load(String),
}
