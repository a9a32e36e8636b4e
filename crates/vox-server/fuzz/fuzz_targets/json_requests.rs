//! Arbitrary JSON bodies through the real router: never a panic, never a server error other
//! than "no engine loaded" (this router has none, so a valid request ends there).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/fuzz_harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| {
    let Some((&route, body)) = data.split_first() else { return };
    let path = harness::JSON_ROUTES[route as usize % harness::JSON_ROUTES.len()];
    harness::check(path, "application/json", body);
});
