//! The store's backends against the real thing, in one test binary: a redb file (embedded)
//! and Debian's redis-server (redis), each built with its feature.

#[cfg(feature = "embedded")]
mod embedded;
#[cfg(feature = "redis")]
mod redis;
