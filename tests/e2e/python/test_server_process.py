"""The `vox` process itself: safe defaults, keys from the environment, shutdown, config check."""

import json
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import start_server, stop_server, vox_binary


def get(url, key=None):
    request = urllib.request.Request(url, headers={"api-key": key} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_refuses_a_public_address_without_keys():
    with tempfile.TemporaryDirectory() as home:
        result = subprocess.run(
            [vox_binary(), "serve", "--addr", "0.0.0.0:0"],
            env={"VOX_HOME": home, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode != 0
    assert "refusing to listen on 0.0.0.0:0 without API keys" in result.stderr


def test_keyless_server_serves_loopback_and_is_ready():
    with tempfile.TemporaryDirectory() as home:
        server = start_server(home)
        try:
            assert server.url.startswith("http://127.0.0.1:")
            assert get(f"{server.url}/readyz") == (200, {"status": "ready"})
            status, body = get(f"{server.url}/v1/models")
            assert status == 200 and body["object"] == "list"
        finally:
            assert stop_server(server) == 0


def test_keys_from_the_environment_and_the_flag():
    with tempfile.TemporaryDirectory() as home:
        server = start_server(home, "--api-key", "flag-key", env={"VOX_API_KEYS": "env-a,env-b"})
        try:
            # A flag replaces the environment list, like every other setting.
            assert get(f"{server.url}/v1/models", "flag-key")[0] == 200
            assert get(f"{server.url}/v1/models", "env-a")[0] == 401
            assert get(f"{server.url}/v1/models")[0] == 401
        finally:
            stop_server(server)
        server = start_server(home, env={"VOX_API_KEYS": "env-a,env-b"})
        try:
            assert get(f"{server.url}/v1/models", "env-b")[0] == 200
            assert get(f"{server.url}/v1/models", "env-c")[0] == 401
        finally:
            stop_server(server)


def test_config_file_and_config_check(tmp_path: Path):
    config = tmp_path / "vox.toml"
    config.write_text(
        'api_keys = ["file-key"]\naudio_ttl_secs = 120\n'
        '[deployments.vox-text]\nprofile = "test"\nrequire_audio = false\n'
    )
    check = subprocess.run([vox_binary(), "config", "check", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert "audio_ttl_secs = 120" in check.stdout
    assert "[deployments.vox-text]" in check.stdout
    assert "file-key" not in check.stdout

    server = start_server(str(tmp_path / "home"), "--config", str(config))
    try:
        status, body = get(f"{server.url}/v1/models", "file-key")
        assert status == 200
        assert "vox-text" in [model["id"] for model in body["data"]]
    finally:
        stop_server(server)

    config.write_text('adr = "127.0.0.1:1"\n')
    bad = subprocess.run([vox_binary(), "config", "check", str(config)], capture_output=True, text=True)
    assert bad.returncode != 0
    assert "unknown field `adr`" in bad.stderr


def test_second_server_on_the_same_home_fails_clearly():
    with tempfile.TemporaryDirectory() as home:
        first = start_server(home)
        try:
            with pytest.raises(RuntimeError):
                start_server(home)
        finally:
            stop_server(first)
