#!/usr/bin/env bash
# Seeds the decoder fuzzer with one small real file per container (made by ffmpeg), then runs it
# for a bounded time. Usage: crates/vox-audio/fuzz/seed.sh [SECONDS]   (default 300)
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-300}"
mkdir -p corpus/decode
tone=(-f lavfi -i "sine=frequency=440:duration=0.3")
make() { ffmpeg -loglevel error -y "${tone[@]}" "$@"; }
make -ar 16000 corpus/decode/seed.wav
make -ar 16000 corpus/decode/seed.mp3
make -ar 16000 corpus/decode/seed.flac
make -c:a libvorbis corpus/decode/seed.ogg
make -c:a libopus corpus/decode/seed.opus
make -c:a libopus corpus/decode/seed.webm
make -c:a aac corpus/decode/seed.m4a
make -c:a aac -f adts corpus/decode/seed.aac
# cargo fuzz needs nightly features; RUSTC_BOOTSTRAP lets the stable toolchain provide them.
RUSTC_BOOTSTRAP=1 cargo fuzz run decode -- -max_total_time="$seconds" -max_len=16384 -rss_limit_mb=4096
