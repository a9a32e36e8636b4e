//! Any message a realtime client may send, through the event parser and into a session's
//! settings, an item or a response: never a panic, never an error that echoes a flood back.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/realtime_fuzz.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::check(data));
