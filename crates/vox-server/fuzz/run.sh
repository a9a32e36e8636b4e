#!/usr/bin/env bash
# Fuzzes the JSON and multipart request paths through the real router, seeded with the bodies
# in tests/fuzz-seeds, each target for a bounded time. A crash is saved under artifacts/; copy it
# into tests/fuzz-regressions/{json,multipart}/ so `cargo test` replays it from then on.
# Usage: crates/vox-server/fuzz/run.sh [SECONDS_PER_TARGET]   (default 300)
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-300}"
for target in ${TARGETS:-json multipart}; do
  mkdir -p "corpus/${target}_requests"
  cp ../tests/fuzz-seeds/$target/*.seed "corpus/${target}_requests/"
  # cargo fuzz needs nightly features; RUSTC_BOOTSTRAP lets the stable toolchain provide them.
  RUSTC_BOOTSTRAP=1 cargo fuzz run "${target}_requests" -- -max_total_time="$seconds" -max_len=65536 \
    -rss_limit_mb=4096 -print_final_stats=1
done
