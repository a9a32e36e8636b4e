"""Per-caller limits through the official SDK: the 429 with Retry-After and OpenAI's
x-ratelimit headers, another key untouched, and realtime sessions counted per caller."""

import asyncio
import tempfile

import openai
import pytest
import websockets
from openai import AsyncOpenAI, OpenAI

from conftest import API_KEY, OTHER_KEY, start_server, stop_server


@pytest.fixture(scope="module")
def limited_vox():
    with tempfile.TemporaryDirectory() as home:
        server = start_server(home, "--caller-requests-per-minute", "30", "--caller-max-realtime-sessions", "1",
                              env={"VOX_API_KEYS": f"{API_KEY},{OTHER_KEY}"})
        yield server
        assert stop_server(server) == 0


def test_a_caller_over_its_rate_is_told_when_to_come_back(limited_vox):
    client = OpenAI(base_url=f"{limited_vox.url}/v1", api_key=API_KEY, max_retries=0)
    first = client.models.with_raw_response.list()
    # A burst may take a tenth of the minute's 30.
    assert first.headers["x-ratelimit-limit-requests"] == "30"
    assert first.headers["x-ratelimit-remaining-requests"] == "2"
    client.models.list()
    client.models.list()
    with pytest.raises(openai.RateLimitError) as refused:
        client.models.list()
    response = refused.value.response
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 2
    assert response.headers["x-ratelimit-remaining-requests"] == "0"
    assert refused.value.code == "rate_limit_exceeded"
    other = OpenAI(base_url=f"{limited_vox.url}/v1", api_key=OTHER_KEY, max_retries=0)
    assert other.models.list().data


def test_realtime_sessions_are_counted_per_caller(limited_vox):
    async def scenario():
        client = AsyncOpenAI(base_url=f"{limited_vox.url}/v1", api_key=OTHER_KEY, max_retries=0)
        async with client.realtime.connect(model="gpt-realtime") as first:
            assert (await first.recv()).type == "session.created"
            with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
                async with client.realtime.connect(model="gpt-realtime") as second:
                    await second.recv()
            assert refused.value.response.status_code == 429
        # The first session closed: its place is free again once the server has seen it end.
        for _ in range(20):
            try:
                async with client.realtime.connect(model="gpt-realtime") as again:
                    assert (await again.recv()).type == "session.created"
                    return
            except websockets.exceptions.InvalidStatus:
                await asyncio.sleep(0.1)
        raise AssertionError("the closed session's place never came back")

    asyncio.run(scenario())
