#!/usr/bin/env bash
# Slow-client bench: starts `vox serve` (test profile) from each binary given, floods it with
# slow and idle connections, prints one row per binary.
#   bench/door/run.sh target/release/vox [/tmp/vox-before ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${PYTHON:-.venv/bin/python}
export VOX_MODELS_DIR=${VOX_MODELS_DIR:-$PWD/target/vox-test-models} VOX_PROFILE=${VOX_PROFILE:-test}
for bin in "$@"; do
  home=$(mktemp -d)
  log=$home/serve.log
  "$bin" serve --addr 127.0.0.1:0 --home "$home" --api-key bench-key >"$home/out" 2>"$log" &
  pid=$!
  for _ in $(seq 600); do grep -q "listening on" "$home/out" 2>/dev/null && break; sleep 0.2; done
  url=$(sed -n 's/.*listening on //p' "$home/out")
  # The server re-executes itself once (OpenMP policy): its pid is the same process.
  "$python" bench/door/slow_clients.py --url "$url" --key bench-key --pid "$pid" --label "$bin" ${BENCH_ARGS:-} | { [ "$bin" = "$1" ] && cat || tail -n 1; }
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$home"
done
