# Shared by scripts/setup-and-serve and scripts/test. Every install step Vox needs lives here.

# Each step prints its name; the time the previous one took is printed when the next begins,
# and `steps_summary` prints them all (CI's breakdown of where its minutes go).
STEP_NAME=""
STEP_STARTED=$SECONDS
STEP_TIMES=()
step() {
  end_step
  STEP_NAME="$*"
  STEP_STARTED=$SECONDS
  printf '\n==> %s\n' "$*"
}
end_step() {
  [ -n "$STEP_NAME" ] || return 0
  local took=$((SECONDS - STEP_STARTED))
  STEP_TIMES+=("$(printf '%5ds  %s' "$took" "$STEP_NAME")")
  printf '    (%ds)\n' "$took"
  STEP_NAME=""
}
steps_summary() {
  end_step
  printf '\n==> time per step (%ds in all)\n' "$SECONDS"
  printf '%s\n' "${STEP_TIMES[@]}"
}

# System packages a build needs. Installed only when something is missing, so repeated runs
# cost nothing; needs root (or sudo) the first time on a fresh machine.
# libopus and LAME are linked by vox-audio; ffmpeg encodes AAC at run time and is the
# independent decoder of the audio tests.
# curl fetches model files from their usual homes when PyPI cannot serve them.
# cmake builds CTranslate2 (ct2rs, speech recognition); pocketsphinx-testdata holds the labelled
# utterances the recognition tests measure word error rate on.
# libclang-dev lets bindgen read llama.cpp's headers (llama-cpp-2, the language model).
# libespeak-ng-dev (with espeak-ng-data) turns text into the phonemes the voices speak.
# openssl makes the TLS tests' self-signed certificates.
SYSTEM_PACKAGES=(build-essential pkg-config ca-certificates curl cmake libclang-dev libopus-dev libmp3lame-dev
  libespeak-ng-dev ffmpeg pocketsphinx-testdata openssl mold)

ensure_system_packages() {
  local missing=()
  for package in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  # A Python without venv or pip (Debian's own python3, bare) gets them from apt: pip is the
  # client that downloads model weights from PyPI.
  python3 -m venv --help >/dev/null 2>&1 || missing+=(python3-venv)
  python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
  if ((${#missing[@]})); then
    step "installing system packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
  fi
  command -v cargo >/dev/null || { echo "cargo not found: install Rust (rustup) first" >&2; exit 1; }
  ensure_intel_mkl
}

# Intel oneMKL (static archives from its PyPI wheels) for CTranslate2, the speech recognition
# backend: its int8 products run 2.7x faster on MKL than on the bundled ruy here.
# .cargo/config.toml points the build at this directory; pinned by hash in the requirements.
INTEL_MKL_DIR=.deps/intel-mkl-2026.2.0-gomp
ensure_intel_mkl() {
  [ -f "$INTEL_MKL_DIR/lib/libmkl_core.a" ] && return
  step "fetching Intel MKL static libraries from PyPI (build-time only)"
  local wheels
  wheels="$(mktemp -d)"
  python3 -m pip download -q --no-deps --only-binary=:all: --require-hashes \
    -r scripts/intel-mkl/requirements.txt -d "$wheels"
  rm -rf "$INTEL_MKL_DIR.partial"
  python3 scripts/intel-mkl/unpack.py "$wheels" "$INTEL_MKL_DIR.partial"
  mv "$INTEL_MKL_DIR.partial" "$INTEL_MKL_DIR"
  rm -rf "$wheels"
}

# The browser the playground tests drive: Debian's Chromium (Playwright's own browser download
# cannot work offline; the tests point Playwright at /usr/bin/chromium).
ensure_test_browser() {
  command -v chromium >/dev/null && return
  step "installing Chromium for the playground tests"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium
}

# The servers the scale-out tests start on free ports of their own (never as system services):
# Redis as the replicas' shared store, nginx as their balancer.
ensure_test_services() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && command -v nginx >/dev/null && return
  step "installing redis-server and nginx for the scale-out tests"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server redis-tools nginx
}

# The official SDKs the end-to-end tests use as clients, the browser the playground's run in,
# and the servers of the scale-out tests.
ensure_test_clients() {
  ensure_test_browser
  ensure_test_services
  # A stamp of the pinned lists: a changed pin reinstalls, an unchanged one costs nothing.
  local python_pins node_pins
  python_pins="$(sha256sum tests/e2e/python/requirements.txt | cut -d' ' -f1)"
  if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.pins 2>/dev/null)" != "$python_pins" ]; then
    step "installing the Python test clients into .venv"
    python3 -m venv .venv
    .venv/bin/pip install -q -r tests/e2e/python/requirements.txt
    echo "$python_pins" >.venv/.pins
  fi
  node_pins="$(sha256sum tests/e2e/node/package-lock.json | cut -d' ' -f1)"
  if [ "$(cat tests/e2e/node/node_modules/.pins 2>/dev/null)" != "$node_pins" ]; then
    step "installing the npm test clients"
    (cd tests/e2e/node && npm ci --no-audit --no-fund)
    echo "$node_pins" >tests/e2e/node/node_modules/.pins
  fi
}

# faster-whisper, the independent recogniser the listening benchmarks hear Vox with.
ensure_bench_recogniser() {
  if ! .venv-bench/bin/python -c 'import faster_whisper, numpy' 2>/dev/null; then
    step "installing faster-whisper (the independent recogniser) into .venv-bench"
    python3 -m venv .venv-bench
    .venv-bench/bin/pip install -q -r bench/tts/requirements.txt
  fi
}

# Starts the built vox on a free local port for a benchmark (stopped when the script exits) and
# sets BENCH_URL once it is ready.
start_bench_vox() {
  local models="$1" profile="$2" port
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  VOX_HOME="$(mktemp -d)" target/release/vox serve --addr "127.0.0.1:$port" --models-dir "$models" \
    --profile "$profile" >/tmp/vox-bench.log 2>&1 &
  BENCH_VOX_PID=$!
  trap 'kill $BENCH_VOX_PID 2>/dev/null' EXIT
  trap 'exit 130' INT TERM
  BENCH_URL="http://127.0.0.1:$port"
  for _ in $(seq 300); do
    curl -sf "$BENCH_URL/readyz" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "vox did not become ready; see /tmp/vox-bench.log" >&2
  return 1
}
