//! The model manifest and pulling, in one test binary: the shipped manifest's rules (manifest),
//! pulling from a local package index (pull) and from npm tarballs (pull_npm).

mod manifest;
mod pull;
mod pull_npm;
