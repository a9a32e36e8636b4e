//! The decoder entry point on arbitrary bytes: it must return, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vox_audio::{DecodeLimits, decode_at};

fuzz_target!(|bytes: &[u8]| {
    contained_panics_only_in_symphonia();
    // A short duration cap keeps each run fast without hiding any code path.
    let limits = DecodeLimits::up_to(20 << 20, std::time::Duration::from_secs(60));
    let _ = decode_at(bytes, &limits, 16_000);
});

/// `vox_audio::decode` contains panics of its codec libraries (`catch_unwind`), so a panic inside
/// symphonia is survivable and is recorded in tests/fuzz-regressions instead of stopping the run.
/// Any other panic, in Vox's own code above all, aborts: that is a finding.
fn contained_panics_only_in_symphonia() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            // Vox never calls back out of symphonia, so symphonia frames on the stack mean the
            // panic started inside it (possibly in core code it called, like `step_by`).
            let at_symphonia = info.location().is_some_and(|l| l.file().contains("/symphonia-"));
            let stack = std::backtrace::Backtrace::force_capture().to_string();
            if !at_symphonia && !stack.contains("symphonia_") {
                eprintln!("{info}");
                std::process::abort();
            }
        }));
    });
}
