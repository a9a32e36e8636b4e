//! The decoder entry point on arbitrary bytes: it must return, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vox_audio::{DecodeLimits, decode_at};

fuzz_target!(|bytes: &[u8]| {
    // A short duration cap keeps each run fast without hiding any code path.
    let limits = DecodeLimits { max_duration: std::time::Duration::from_secs(60), ..DecodeLimits::DEFAULT };
    let _ = decode_at(bytes, &limits, 16_000);
});
