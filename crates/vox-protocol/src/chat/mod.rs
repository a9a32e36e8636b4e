//! Chat completions: request, response, stream chunk, validation.

pub mod chunk;
pub mod request;
pub mod response;
pub mod tools;
pub mod validate;
