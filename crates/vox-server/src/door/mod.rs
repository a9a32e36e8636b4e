//! The front door below HTTP: connections, their time limits and how many may be open.

mod connections;
mod limits;
mod listen;

pub use connections::{CloseReason, Connection, Registry};
pub use limits::ConnectionLimits;
pub use listen::{ConnectionTag, serve};
