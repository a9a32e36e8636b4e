"""A profile whose language model, recognition and voice are a second Vox process (a real,
independent server speaking the OpenAI API), as a vLLM or a hosted API would be: spoken and
streamed answers through it, tools passed through, and every upstream failure a clear error."""

import base64
import os
import re
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import openai
import pytest
from openai import OpenAI

from conftest import API_KEY, TEST_MODELS, start_server, stop_server, vox_binary
from realtime_client import RECORDING, RECORDING_WORDS, overlap

UPSTREAM_KEY = "sk-upstream-e2e-0001"


def profile_file(directory: str, upstream_url: str, timeout_secs: int = 60) -> Path:
    """A `remote` profile: every role on the upstream, the test profile's VAD and runtime."""
    path = Path(directory) / "vox.toml"
    roles = {"llm": "gpt-4o-mini", "asr": "whisper-1", "tts": "tts-1"}
    text = '[profiles.remote]\nmodels = "test"\n'
    for role, model in roles.items():
        text += (f'[profiles.remote.{role}]\nkind = "openai"\nbase_url = "{upstream_url}/v1"\nmodel = "{model}"\n'
                 f'api_key_env = "VOX_TEST_UPSTREAM_KEY"\ntimeout_secs = {timeout_secs}\n')
    path.write_text(text)
    return path


@pytest.fixture
def upstream():
    with tempfile.TemporaryDirectory() as home:
        server = start_server(home, env={"VOX_API_KEYS": UPSTREAM_KEY})
        yield server
        if server.process.poll() is None:
            stop_server(server)


# What a front door whose three roles are remote keeps on disk: voice activity detection and
# the end-of-turn model (for realtime turns) and the runtime they run on; no language model,
# recogniser or voice.
LOCAL_MODELS = ["silero-vad", "smart-turn-v3.2", "onnxruntime"]


def local_models_dir(home: str, names: list[str] = LOCAL_MODELS) -> Path:
    """A models folder holding only the models `names` (linked from the test's)."""
    folder = Path(home) / "models"
    folder.mkdir()
    for name in names:
        (folder / name).symlink_to(Path(TEST_MODELS) / name, target_is_directory=True)
    return folder


@contextmanager
def front_door(upstream_url: str, key: str = UPSTREAM_KEY):
    """A Vox whose default deployments answer on the `remote` profile, knowing the upstream by
    `key`, with only its local models installed."""
    with tempfile.TemporaryDirectory() as home:
        config = profile_file(home, upstream_url)
        server = start_server(home, "--config", str(config), "--profile", "remote",
                              env={"VOX_API_KEYS": API_KEY, "VOX_TEST_UPSTREAM_KEY": key,
                                   "VOX_MODELS_DIR": str(local_models_dir(home))})
        try:
            yield server
        finally:
            stop_server(server)


def client(server) -> OpenAI:
    return OpenAI(base_url=f"{server.url}/v1", api_key=API_KEY, max_retries=0, timeout=120)


def upstream_requests(upstream, route: str) -> int:
    """How many requests the upstream answered on `route` (its own /metrics)."""
    metrics = OpenAI(base_url=f"{upstream.url}", api_key=UPSTREAM_KEY).get("/metrics", cast_to=str)
    return sum(int(float(m.group(1))) for m in re.finditer(
        rf'vox_http_requests_total{{[^}}]*route="{re.escape(route)}"[^}}]*}} (\S+)', metrics))


def question_wav() -> bytes:
    return Path(RECORDING).read_bytes()


def test_a_front_door_asks_only_for_its_local_models():
    # The spoken question test below runs on a folder holding only LOCAL_MODELS; with one of
    # them missing, Vox names it and the command that installs just it, not the whole profile.
    with tempfile.TemporaryDirectory() as home:
        config = profile_file(home, "http://127.0.0.1:9")
        models = local_models_dir(home, ["onnxruntime"])
        result = subprocess.run(
            [vox_binary(), "serve", "--addr", "127.0.0.1:0", "--config", str(config), "--profile", "remote"],
            env={**os.environ, "VOX_HOME": home, "VOX_MODELS_DIR": str(models), "VOX_API_KEYS": API_KEY,
                 "VOX_TEST_UPSTREAM_KEY": UPSTREAM_KEY},
            capture_output=True, text=True, timeout=60,
        )
    assert result.returncode != 0
    assert "silero-vad, smart-turn-v3.2 not installed for profile 'remote'" in result.stderr, result.stderr
    assert f"Install with: vox models pull silero-vad smart-turn-v3.2 --models-dir {models}" in result.stderr, \
        result.stderr


def test_a_spoken_question_is_heard_answered_and_spoken_by_the_upstream(upstream):
    with front_door(upstream.url) as front:
        completion = client(front).chat.completions.create(
            model="gpt-4o-audio-preview", modalities=["text", "audio"], audio={"voice": "echo", "format": "wav"},
            messages=[{"role": "user", "content": [{"type": "input_audio", "input_audio": {
                "data": base64.b64encode(question_wav()).decode(), "format": "wav"}}]}],
            max_tokens=30,
        )
        audio = completion.choices[0].message.audio
        assert audio.transcript and len(base64.b64decode(audio.data)) > 24_000
        assert completion.usage.prompt_tokens > 0 and completion.usage.completion_tokens > 0
        for route in ["/v1/chat/completions", "/v1/audio/transcriptions", "/v1/audio/speech"]:
            assert upstream_requests(upstream, route) >= 1, route
        # The upstream's recognition, through the front door, hears the recording's words.
        heard = client(front).audio.transcriptions.create(model="whisper-1", file=("q.wav", question_wav())).text
        assert overlap(heard, " ".join(RECORDING_WORDS)) >= 0.5, heard


def test_a_streamed_answer_speaks_while_the_upstream_writes(upstream):
    with front_door(upstream.url) as front:
        stream = client(front).chat.completions.create(
            model="gpt-4o-audio-preview", modalities=["text", "audio"], audio={"voice": "alloy", "format": "pcm16"},
            messages=[{"role": "user", "content": "Tell me about the sea in three sentences."}],
            stream=True, stream_options={"include_usage": True}, max_tokens=80,
        )
        transcript, audio_chunks, usage = "", 0, None
        for chunk in stream:
            if chunk.usage:
                usage = chunk.usage
            if chunk.choices and chunk.choices[0].delta.audio:
                delta = chunk.choices[0].delta.audio
                transcript += delta.transcript or ""
                audio_chunks += bool(delta.data)
        assert transcript.strip() and audio_chunks >= 2
        assert usage and usage.completion_tokens > 0


def test_tools_pass_through_to_the_upstream(upstream):
    with front_door(upstream.url) as front:
        tools = [{"type": "function", "function": {
            "name": "get_weather", "description": "The weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
        completion = client(front).chat.completions.create(
            model="gpt-4o-audio-preview", modalities=["text", "audio"], audio={"voice": "alloy", "format": "wav"},
            messages=[{"role": "user", "content": "What is the weather in Paris?"}],
            tools=tools, tool_choice={"type": "function", "function": {"name": "get_weather"}},
            # Greedy, as in test_chat_text: sampled at temperature 1 the small test model once
            # in about 16 runs wrote a "city" without end (a 2-minute answer, not a failure
            # of the pass-through); the token limit bounds any such run.
            temperature=0, max_tokens=60,
        )
        calls = completion.choices[0].message.tool_calls
        assert calls and calls[0].function.name == "get_weather"
        assert completion.choices[0].finish_reason == "tool_calls"


def test_an_upstream_that_is_down_or_refuses_the_key_is_a_clear_503(upstream):
    hello = [{"role": "user", "content": "Hi"}]
    with front_door(upstream.url, key="sk-not-the-upstream-key") as wrong_key:
        with pytest.raises(openai.InternalServerError) as refused:
            client(wrong_key).chat.completions.create(model="gpt-4o-mini", messages=hello)
        assert refused.value.status_code == 503
        assert refused.value.body["code"] == "upstream_unavailable"
        assert "credentials" in refused.value.body["message"]
        assert "sk-not-the-upstream-key" not in str(refused.value.body)
    with front_door(upstream.url) as front:
        stop_server(upstream)
        started = time.monotonic()
        with pytest.raises(openai.InternalServerError) as down:
            client(front).chat.completions.create(model="gpt-4o-mini", messages=hello)
        assert time.monotonic() - started < 10
        assert down.value.status_code == 503 and down.value.body["code"] == "upstream_unavailable"
        message = down.value.body["message"]
        assert "language model" in message and upstream.url.split("//")[1] in message, message
        assert UPSTREAM_KEY not in str(down.value.body)


def test_an_upstream_429_comes_back_as_a_429_with_its_retry_after():
    with tempfile.TemporaryDirectory() as up_home:
        # One request per 30 s for the front door's key at the upstream, and the front door
        # spent it at start asking for the upstream's voices: its next request is refused.
        busy = start_server(up_home, "--caller-requests-per-minute", "2", env={"VOX_API_KEYS": UPSTREAM_KEY})
        try:
            with front_door(busy.url) as front:
                assert upstream_requests(busy, "/v1/audio/voices") == 1
                with pytest.raises(openai.RateLimitError) as limited:
                    client(front).chat.completions.create(
                        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}], max_tokens=5)
                assert 20 <= int(limited.value.response.headers["retry-after"]) <= 30
        finally:
            stop_server(busy)


def test_an_upstream_killed_mid_stream_ends_the_stream_with_an_error(upstream):
    with front_door(upstream.url) as front:
        stream = client(front).chat.completions.create(
            model="gpt-4o-audio-preview", modalities=["text", "audio"], audio={"voice": "alloy", "format": "pcm16"},
            messages=[{"role": "user", "content": "Tell me a very long story about a lighthouse keeper."}],
            stream=True, max_tokens=400,
        )
        started = time.monotonic()
        with pytest.raises(openai.APIError) as failed:
            for i, chunk in enumerate(stream):
                if i == 2:
                    os.kill(upstream.process.pid, signal.SIGKILL)
        assert time.monotonic() - started < 60, "the stream hung"
        assert "upstream" in str(failed.value).lower() or "unavailable" in str(failed.value).lower(), failed.value
