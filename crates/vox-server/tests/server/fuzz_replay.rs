//! Replays the fuzzers' seeds and every input they found (`tests/fuzz-regressions`) through the
//! router, as the audio decoder's regressions are replayed: each must stay a clean answer.

use crate::common::fuzz_harness::{JSON_ROUTES, MULTIPART_ROUTES, MULTIPART_TYPE, check};

fn inputs(kind: &str) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    for folder in ["fuzz-seeds", "fuzz-regressions"] {
        let dir = format!("{}/tests/{folder}/{kind}", env!("CARGO_MANIFEST_DIR"));
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == ".gitkeep") {
                continue;
            }
            found.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    found
}

/// Like the fuzzer, the first byte of an input picks the route; here every route gets every
/// body too.
fn replay(kind: &str, routes: &[&str], content_type: &str, at_least: usize) {
    let inputs = inputs(kind);
    assert!(inputs.len() >= at_least, "the seeds are missing");
    for (name, bytes) in inputs {
        let body = bytes.split_first().map_or(&[][..], |(_, rest)| rest);
        for route in routes {
            println!("{name} -> {route}");
            check(route, content_type, body);
        }
    }
}

#[test]
fn json_inputs_are_answered_cleanly_on_every_route() {
    replay("json", &JSON_ROUTES, "application/json", 5);
}

#[test]
fn multipart_inputs_are_answered_cleanly_on_every_route() {
    replay("multipart", &MULTIPART_ROUTES, MULTIPART_TYPE, 3);
}
