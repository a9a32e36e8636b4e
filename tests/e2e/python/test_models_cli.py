"""`vox models` and the model check of `vox serve`, against the real test-profile weights."""

import os
import subprocess
import tempfile
from pathlib import Path

from conftest import TEST_MODELS, vox_binary


def vox(*args, env=None):
    return subprocess.run([vox_binary(), *args], capture_output=True, text=True, env={**os.environ, **(env or {})})


def test_serve_without_models_says_how_to_install_them():
    with tempfile.TemporaryDirectory() as empty, tempfile.TemporaryDirectory() as home:
        result = vox("serve", "--addr", "127.0.0.1:0", "--models-dir", empty, env={"VOX_HOME": home, "VOX_PROFILE": "test"})
    assert result.returncode != 0
    assert "smollm2-135m-instruct" in result.stderr
    assert f"Install with: vox models pull --profile test --models-dir {empty}" in result.stderr


def test_the_test_profile_is_installed_and_verifies():
    listing = vox("models", "list", "--models-dir", TEST_MODELS)
    assert listing.returncode == 0, listing.stderr
    rows = {line.split()[0]: line for line in listing.stdout.splitlines() if line and not line.startswith("model")}
    for model in ["whisper-tiny-en", "smollm2-135m-instruct", "piper-en-us-joe-medium", "hibari-heart-int8",
                  "silero-vad", "smart-turn-v3.2", "onnxruntime"]:
        assert " installed " in rows[model], rows[model]
    assert " missing " in rows["qwen2.5-coder-1.5b-instruct"] or " installed " in rows["qwen2.5-coder-1.5b-instruct"]
    verify = vox("models", "verify", "smollm2-135m-instruct", "--models-dir", TEST_MODELS)
    assert verify.returncode == 0, verify.stderr
    assert "smollm2-135m-instruct: ok" in verify.stdout


def test_voice_packs_from_npm_are_installed_and_verify():
    # scripts/test pulls kokoro-82m-int8, whose English and other-language voice packs come from
    # the npm registry (kokoro-js), each file hashed against the manifest.
    verify = vox("models", "verify", "kokoro-82m-int8", "--models-dir", TEST_MODELS)
    assert verify.returncode == 0, verify.stderr
    assert "kokoro-82m-int8: ok" in verify.stdout
    packs = sorted(p.name for p in (Path(TEST_MODELS) / "kokoro-82m-int8" / "voices").iterdir())
    assert {"af_heart.bin", "am_onyx.bin", "bm_fable.bin", "ff_siwis.bin", "ef_dora.bin", "em_alex.bin"} <= set(packs)
    assert all((Path(TEST_MODELS) / "kokoro-82m-int8" / "voices" / p).stat().st_size == 510 * 256 * 4 for p in packs)


def test_pull_is_idempotent():
    result = vox("models", "pull", "--profile", "test", "--models-dir", TEST_MODELS)
    assert result.returncode == 0, result.stderr
    assert "installed, sha256 verified" not in result.stdout
    assert result.stdout.count("already installed") >= 7


def test_unknown_models_and_profiles_are_refused():
    assert "unknown model 'nope'" in vox("models", "pull", "nope", "--models-dir", TEST_MODELS).stderr
    assert "unknown profile 'turbo'" in vox("models", "pull", "--profile", "turbo", "--models-dir", TEST_MODELS).stderr
