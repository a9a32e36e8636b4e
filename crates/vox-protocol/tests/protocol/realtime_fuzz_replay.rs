//! Replays the realtime fuzzer's seeds and every input it found (`tests/fuzz-regressions`):
//! each must stay a clean parse or a small error.

#[path = "../common/realtime_fuzz.rs"]
mod realtime_fuzz;

#[test]
fn every_seed_and_found_input_is_parsed_or_refused_cleanly() {
    let mut replayed = 0;
    for folder in ["fuzz-seeds", "fuzz-regressions"] {
        let dir = format!("{}/tests/{folder}/realtime", env!("CARGO_MANIFEST_DIR"));
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == ".gitkeep") {
                continue;
            }
            println!("{}", path.display());
            realtime_fuzz::check(&std::fs::read(&path).unwrap());
            replayed += 1;
        }
    }
    assert!(replayed >= 15, "the seeds are missing");
}
