//! The front door below HTTP: connections, their time limits and how many may be open, and
//! TLS.

mod connections;
mod limits;
mod listen;
mod tls;

pub use connections::{CloseReason, Connection, Registry};
pub use limits::ConnectionLimits;
pub use listen::{ConnectionTag, serve};
pub use tls::{Tls, TlsError, TlsFiles};
