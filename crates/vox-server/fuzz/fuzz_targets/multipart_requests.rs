//! Arbitrary multipart bodies (boundary `voxfuzz`) to the recognition routes: never a panic,
//! never a server error other than "no engine loaded".
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/fuzz_harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| {
    let Some((&route, body)) = data.split_first() else { return };
    let path = harness::MULTIPART_ROUTES[route as usize % harness::MULTIPART_ROUTES.len()];
    harness::check(path, harness::MULTIPART_TYPE, body);
});
