//! vox-audio's integration tests in one binary (one link instead of three).

#[path = "../common/mod.rs"]
mod common;

mod inputs;
mod isolation;
mod roundtrip;
