#!/usr/bin/env bash
# Fuzzes the realtime client-event parser, seeded with the events in tests/fuzz-seeds/realtime,
# for a bounded time. A crash is saved under artifacts/; copy it into
# tests/fuzz-regressions/realtime/ so `cargo test` replays it from then on.
# Usage: crates/vox-protocol/fuzz/run.sh [SECONDS]   (default 300; needs `cargo install cargo-fuzz`)
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-300}"
mkdir -p corpus/realtime_events
cp ../tests/fuzz-seeds/realtime/* corpus/realtime_events/
# cargo fuzz needs nightly features; RUSTC_BOOTSTRAP lets the stable toolchain provide them.
RUSTC_BOOTSTRAP=1 cargo fuzz run realtime_events -- -max_total_time="$seconds" -max_len=65536 \
  -rss_limit_mb=2048 -print_final_stats=1
