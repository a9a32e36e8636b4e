"""Replicas on one Redis behind nginx (round robin), with real servers: a conversation whose
turns land on different replicas resolves every audio id, a replica killed with SIGKILL
mid-conversation, Redis stopped and started again, records that outlive a Vox restart and
expire by Redis's TTL, and stay their owner's."""

import os
import signal
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import openai
import pytest
from openai import OpenAI

from conftest import API_KEY, OTHER_KEY, start_server, stop_server
from scale_out_servers import Nginx, Redis, free_port

KEYS = {"VOX_API_KEYS": f"{API_KEY},{OTHER_KEY}"}
# Long enough for a Vox restart in between, short enough to wait for.
TTL_SECS = 12


@pytest.fixture
def redis():
    with tempfile.TemporaryDirectory() as directory:
        server = Redis(free_port(), Path(directory)).start()
        yield server
        server.stop()


def replica(home: str, redis: Redis, *args: str):
    return start_server(home, "--store", redis.url, *args, env=KEYS)


def client(url: str, key: str = API_KEY) -> OpenAI:
    return OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=120)


def spoken_turn(client: OpenAI, messages: list[dict]):
    """One spoken answer; returns its raw response (headers) and the parsed completion."""
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-audio-preview", modalities=["text", "audio"], audio={"voice": "alloy", "format": "wav"},
        messages=messages, max_tokens=20, temperature=0,
    )
    return raw, raw.parse()


def conversation_step(client: OpenAI, history: list[dict], text: str):
    history.append({"role": "user", "content": text})
    raw, completion = spoken_turn(client, history)
    audio = completion.choices[0].message.audio
    assert audio.id.startswith("audio_") and audio.transcript
    history.append({"role": "assistant", "audio": {"id": audio.id}})
    return raw.headers.get("x-upstream"), audio


@contextmanager
def two_replicas_behind_nginx(redis):
    """Two Vox replicas on `redis`, and nginx sending requests to them in turn."""
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b, \
            tempfile.TemporaryDirectory() as proxy_dir:
        first, second = replica(a, redis), replica(b, redis)
        nginx = Nginx(free_port(), Path(proxy_dir)).start([port_of(first), port_of(second)])
        try:
            yield nginx, first, second
        finally:
            nginx.stop()
            for server in (first, second):
                if server.process.poll() is None:
                    stop_server(server)


def test_a_conversation_across_replicas_resolves_every_audio_id(redis):
    with two_replicas_behind_nginx(redis) as (nginx, _, _):
        history, upstreams = [], set()
        for text in ["My name is Ada.", "What is my name?", "Say it once more.", "Thank you."]:
            upstream, _ = conversation_step(client(nginx.url), history, text)
            upstreams.add(upstream)
        # Round robin: both replicas answered, each reading ids the other wrote.
        assert len(upstreams) == 2, upstreams


def test_a_replica_killed_mid_conversation_is_not_noticed(redis):
    with two_replicas_behind_nginx(redis) as (nginx, first, second):
        history = []
        conversation_step(client(nginx.url), history, "Remember the word lighthouse.")
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=10)
        for text in ["Which word did I ask you to remember?", "And again?"]:
            upstream, _ = conversation_step(client(nginx.url), history, text)
            assert upstream.endswith(f":{port_of(second)}"), upstream


def test_a_redis_outage_refuses_only_what_needs_it_and_recovers(redis):
    with tempfile.TemporaryDirectory() as home:
        vox = replica(home, redis)
        try:
            history = []
            conversation_step(client(vox.url), history, "Hello.")
            redis.stop()
            # A turn that refers to an earlier answer cannot be served: 503, said plainly, at once.
            started = time.monotonic()
            with pytest.raises(openai.InternalServerError) as refused:
                spoken_turn(client(vox.url), history + [{"role": "user", "content": "And now?"}])
            assert time.monotonic() - started < 10
            assert refused.value.status_code == 503
            assert refused.value.body["code"] == "store_unavailable"
            assert "127.0.0.1" in refused.value.body["message"]
            # A first turn needs no stored id: it is still answered in speech.
            _, completion = spoken_turn(client(vox.url), [{"role": "user", "content": "Hi there."}])
            assert completion.choices[0].message.audio.data
            redis.start()
            time.sleep(1.1)  # a failed connection is retried after a second, not per request
            # Back by itself: the earlier id (persisted by Redis) resolves, new ones are kept.
            conversation_step(client(vox.url), history, "Are you back?")
            conversation_step(client(vox.url), history, "Good.")
        finally:
            stop_server(vox)


def test_records_outlive_a_vox_restart_stay_their_owners_and_expire_by_ttl(redis):
    with tempfile.TemporaryDirectory() as home:
        vox = replica(home, redis, "--audio-ttl-secs", str(TTL_SECS))
        history = []
        _, audio = conversation_step(client(vox.url), history, "Hello.")
        expires = time.monotonic() + TTL_SECS
        assert 1 <= int(redis.cli("TTL", f"vox:audio:{audio.id}")) <= TTL_SECS
        assert stop_server(vox) == 0
        vox = replica(home, redis, "--audio-ttl-secs", str(TTL_SECS))
        try:
            conversation_step(client(vox.url), list(history), "Still there?")
            with pytest.raises(openai.BadRequestError):
                spoken_turn(client(vox.url, OTHER_KEY), history + [{"role": "user", "content": "Mine?"}])
            time.sleep(max(0.0, expires - time.monotonic()) + 1.5)
            assert redis.cli("EXISTS", f"vox:audio:{audio.id}") == "0"
            with pytest.raises(openai.BadRequestError):
                spoken_turn(client(vox.url), history + [{"role": "user", "content": "Expired?"}])
        finally:
            stop_server(vox)


def port_of(server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def test_rediss_verifies_the_redis_certificate():
    with tempfile.TemporaryDirectory() as directory, tempfile.TemporaryDirectory() as home:
        redis = Redis(free_port(), Path(directory), tls=True).start()
        # Trusted through SSL_CERT_FILE, as a private CA would be: the store works over TLS.
        trusted = start_server(home, "--store", redis.url, env={**KEYS, "SSL_CERT_FILE": str(redis.certificate)})
        try:
            history = []
            _, audio = conversation_step(client(trusted.url), history, "Hello.")
            conversation_step(client(trusted.url), history, "Again.")
            assert redis.cli("EXISTS", f"vox:audio:{audio.id}") == "1"
        finally:
            stop_server(trusted)
        # Without that trust the certificate is refused: answers are spoken, ids cannot be kept.
        with tempfile.TemporaryDirectory() as other_home:
            untrusted = start_server(other_home, "--store", redis.url, env=KEYS)
            try:
                with pytest.raises(openai.InternalServerError) as refused:
                    spoken_turn(client(untrusted.url), history + [{"role": "user", "content": "And now?"}])
                assert refused.value.body["code"] == "store_unavailable"
            finally:
                stop_server(untrusted)
                redis.stop()
