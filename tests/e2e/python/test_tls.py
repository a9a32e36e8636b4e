"""TLS on Vox's own listener: the openai SDK over https with a self-signed certificate, on
HTTP/2 and HTTP/1.1, the Azure client too; clients that do not trust the certificate or speak
plain HTTP fail at once; SIGHUP serves a renewed certificate without a restart."""

import base64
import os
import signal
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import openai
import pytest
from openai import AzureOpenAI, OpenAI

from conftest import API_KEY, API_VERSION, start_server, stop_server

QUESTION = [{"role": "user", "content": "Say hello in five words."}]


def make_certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed P-256 certificate for localhost and 127.0.0.1, made with openssl."""
    cert, key = folder / f"{name}.pem", folder / f"{name}-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={name}",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def https_vox():
    with tempfile.TemporaryDirectory() as home:
        folder = Path(home)
        cert, key = make_certificate(folder, "vox-first")
        # The files Vox reads; a renewal replaces their contents.
        served_cert, served_key = folder / "served.pem", folder / "served-key.pem"
        served_cert.write_bytes(cert.read_bytes())
        served_key.write_bytes(key.read_bytes())
        server = start_server(home, "--tls-cert", str(served_cert), "--tls-key", str(served_key),
                              env={"VOX_API_KEYS": API_KEY})
        yield server, folder, served_cert, served_key
        assert stop_server(server) == 0


def trusting(cert: Path, http2: bool) -> openai.DefaultHttpxClient:
    """The SDK's own HTTP client, told to trust `cert` (as its docs show for a private CA)."""
    return openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=str(cert)), http2=http2, timeout=120)


def test_the_sdk_over_https_and_http2_gets_a_spoken_answer(https_vox):
    server, _, cert, _ = https_vox
    assert server.url.startswith("https://127.0.0.1:")
    client = OpenAI(base_url=f"{server.url}/v1", api_key=API_KEY, max_retries=0, http_client=trusting(cert, True))
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-audio-preview", modalities=["text", "audio"], audio={"voice": "alloy", "format": "wav"},
        messages=QUESTION, max_tokens=20, temperature=0,
    )
    assert raw.http_response.http_version == "HTTP/2"
    answer = raw.parse().choices[0].message.audio
    assert answer.transcript.strip()
    wav = base64.b64decode(answer.data)
    assert wav[:4] == b"RIFF" and len(wav) > 10_000


def test_the_azure_client_streams_over_https_and_http1(https_vox):
    server, _, cert, _ = https_vox
    client = AzureOpenAI(azure_endpoint=server.url, api_key=API_KEY, api_version=API_VERSION, max_retries=0,
                         http_client=trusting(cert, False))
    stream = client.chat.completions.create(
        model="gpt-4o-audio-preview", modalities=["text", "audio"], audio={"voice": "echo", "format": "pcm16"},
        messages=QUESTION, max_tokens=20, temperature=0, stream=True,
    )
    transcript, audio = "", b""
    for chunk in stream:
        if not chunk.choices or not chunk.choices[0].delta.audio:
            continue
        sound = chunk.choices[0].delta.audio.model_dump(exclude_none=True)
        transcript += sound.get("transcript") or ""
        audio += base64.b64decode(sound.get("data") or "")
    assert transcript.strip() and len(audio) > 10_000


def test_a_client_that_does_not_trust_the_certificate_fails_at_once(https_vox):
    server, _, _, _ = https_vox
    client = OpenAI(base_url=f"{server.url}/v1", api_key=API_KEY, max_retries=0, timeout=10)
    started = time.monotonic()
    with pytest.raises(openai.APIConnectionError):
        client.models.list()
    plain = OpenAI(base_url=server.url.replace("https://", "http://") + "/v1", api_key=API_KEY, max_retries=0,
                   timeout=10)
    with pytest.raises(openai.APIConnectionError):
        plain.models.list()
    assert time.monotonic() - started < 8


def test_sighup_serves_a_renewed_certificate_without_a_restart(https_vox):
    server, folder, served_cert, served_key = https_vox
    port = int(server.url.rsplit(":", 1)[1])
    before = ssl.get_server_certificate(("127.0.0.1", port))
    renewed, renewed_key = make_certificate(folder, "vox-renewed")
    served_cert.write_bytes(renewed.read_bytes())
    served_key.write_bytes(renewed_key.read_bytes())
    os.kill(server.process.pid, signal.SIGHUP)
    deadline = time.monotonic() + 10
    while ssl.get_server_certificate(("127.0.0.1", port)) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    now = ssl.get_server_certificate(("127.0.0.1", port))
    assert ssl.PEM_cert_to_DER_cert(now) == ssl.PEM_cert_to_DER_cert(renewed.read_text())
    client = OpenAI(base_url=f"{server.url}/v1", api_key=API_KEY, max_retries=0, http_client=trusting(renewed, True))
    assert client.models.list().data
    assert server.process.poll() is None
