//! The wire types against whole requests and events, in one test binary: chat request
//! validation (chat_validation) and the realtime events' fuzz regressions and seeds replayed
//! (realtime_fuzz_replay).

mod chat_validation;
mod realtime_fuzz_replay;
