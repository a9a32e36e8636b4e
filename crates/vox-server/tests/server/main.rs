//! vox-server's integration tests, one binary: a real router (and, where a test needs one, a
//! real socket) over scripted engines. One binary links once; twelve took twelve links.

#[path = "../common/mod.rs"]
mod common;

mod admission;
mod caller_limits;
mod cors;
mod door;
mod errors;
mod fuzz_replay;
mod hostile;
mod playground;
mod realtime;
mod routes;
mod spoken_answers;
mod tls;
mod tokens;
