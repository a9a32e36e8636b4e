"""Starts the real `vox` binary on a free port for the end-to-end tests."""

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
API_KEY = "sk-vox-e2e-key-0001"
OTHER_KEY = "sk-vox-e2e-key-0002"
API_VERSION = "2025-01-01-preview"
# The test profile's models, pulled by scripts/test (`vox models pull --profile test`).
TEST_MODELS = os.environ.setdefault("VOX_MODELS_DIR", str(ROOT / "target" / "vox-test-models"))
os.environ.setdefault("VOX_PROFILE", "test")


@dataclass
class VoxServer:
    url: str  # http://127.0.0.1:PORT
    process: subprocess.Popen


def vox_binary() -> str:
    binary = os.environ.get("VOX_BIN", str(ROOT / "target" / "release" / "vox"))
    if not Path(binary).exists():
        raise RuntimeError(f"{binary} not found: build it with `cargo build --release` or set VOX_BIN")
    return binary


def start_server(home: str, *extra_args: str, env: dict | None = None) -> VoxServer:
    process_env = {**os.environ, "VOX_HOME": home, "RUST_LOG": "warn", **(env or {})}
    process = subprocess.Popen(
        [vox_binary(), "serve", "--addr", "127.0.0.1:0", *extra_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=process_env,
        text=True,
    )
    line = process.stdout.readline()
    if not line.startswith("vox listening on "):
        process.kill()
        raise RuntimeError(f"vox did not start: {line!r}")
    return VoxServer(url=line.strip().removeprefix("vox listening on "), process=process)


def stop_server(server: VoxServer) -> int:
    server.process.terminate()
    return server.process.wait(timeout=10)


@pytest.fixture(scope="session")
def vox():
    with tempfile.TemporaryDirectory() as home:
        server = start_server(home, env={"VOX_API_KEYS": f"{API_KEY},{OTHER_KEY}"})
        yield server
        assert stop_server(server) == 0, "vox did not shut down cleanly"


@pytest.fixture(scope="session")
def default_vox():
    """Vox on the default profile (Qwen2.5-Coder 1.5B, whisper-base, Kokoro): for what the test
    profile's 135M language model cannot do (pick tools, follow a style)."""
    with tempfile.TemporaryDirectory() as home:
        server = start_server(home, env={"VOX_API_KEYS": API_KEY, "VOX_PROFILE": "default"})
        yield server
        # Known bug, left to the hardening issue: a stop while the language model's thread is
        # still inside a decoding step (a barge-in's cancelled answer ends at its next step)
        # crashes the process exit in llama.cpp's static destructors (SIGSEGV, seen 2 in 5
        # runs). Let the last step end; the clean exit is still asserted.
        time.sleep(3)
        assert stop_server(server) == 0


@pytest.fixture(autouse=True)
def realtime_events_match_the_sdk_types(monkeypatch):
    """Every realtime event an SDK connection receives in a test must validate strictly against
    the SDK's own GA or beta server-event union."""
    from event_types import EventRecorder

    recorder = EventRecorder()
    recorder.install(monkeypatch)
    yield recorder
    problems = recorder.mismatches()
    assert not problems, f"{len(problems)} events do not match the SDK's types:\n" + "\n".join(problems[:5])
