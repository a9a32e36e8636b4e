"""Text chat completions through the official Python SDK: the language model behind Vox's
OpenAI and Azure routes, streaming and not, with tools, limits and concurrency."""

import http.client
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import openai
import pytest

from conftest import API_KEY
from test_sdk_errors import azure_client, openai_client

TEXT_MODEL = "gpt-4o-mini"
QUESTION = [{"role": "user", "content": "Name three colours of the rainbow."}]

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def greedy(**extra):
    return {"model": TEXT_MODEL, "messages": QUESTION, "temperature": 0, "max_tokens": 40, **extra}


def test_text_answer_with_exact_usage(vox):
    completion = openai_client(vox).chat.completions.create(**greedy())
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content.strip()
    assert choice.message.audio is None
    assert choice.finish_reason in ("stop", "length")
    usage = completion.usage
    assert usage.prompt_tokens > 5
    assert 0 < usage.completion_tokens <= 40
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.prompt_tokens_details.text_tokens == usage.prompt_tokens
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == TEXT_MODEL


def test_a_repeated_opening_is_reported_as_cached_tokens(vox):
    # A system prompt no other request has: the first request reads it, the second finds it read.
    system = {"role": "system", "content": f"Ticket {uuid.uuid4().hex}. " + "Answer briefly. " * 30}
    ask = {**greedy(), "messages": [system, *QUESTION], "max_tokens": 8}
    first = openai_client(vox).chat.completions.create(**ask)
    second = openai_client(vox).chat.completions.create(**ask)
    assert first.usage.prompt_tokens == second.usage.prompt_tokens > 100
    assert first.usage.prompt_tokens_details.cached_tokens < 20, first.usage
    # All but the last prompt token (decoded again to start the answer).
    assert second.usage.prompt_tokens_details.cached_tokens == second.usage.prompt_tokens - 1, second.usage


def test_streamed_text_equals_the_whole_answer(vox):
    client = openai_client(vox)
    whole = client.chat.completions.create(**greedy(seed=7))
    chunks = list(client.chat.completions.create(**greedy(seed=7), stream=True, stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finals) == 1 and finals[0].choices[0].finish_reason == whole.choices[0].finish_reason
    usage_chunk = chunks[-1]
    assert usage_chunk.choices == []
    assert usage_chunk.usage.completion_tokens == whole.usage.completion_tokens
    assert usage_chunk.usage.prompt_tokens == whole.usage.prompt_tokens


def test_azure_deployment_route_answers(vox):
    completion = azure_client(vox, deployment=TEXT_MODEL).chat.completions.create(**greedy())
    assert completion.choices[0].message.content.strip()


def test_max_tokens_stops_with_length(vox):
    completion = openai_client(vox).chat.completions.create(
        model=TEXT_MODEL,
        messages=[{"role": "user", "content": "Write a long story about a dragon."}],
        temperature=0,
        max_completion_tokens=6,
    )
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens == 6


def test_stop_sequence_cuts_the_answer(vox):
    client = openai_client(vox)
    free = client.chat.completions.create(**greedy()).choices[0].message.content
    words = free.split()
    assert len(words) >= 3, free
    stop = words[2]
    cut = client.chat.completions.create(**greedy(stop=[stop]))
    assert cut.choices[0].message.content == free[: free.index(stop)]
    assert cut.choices[0].finish_reason == "stop"


def test_forced_tool_call_and_its_result(vox):
    client = openai_client(vox)
    question = [{"role": "user", "content": "What is the weather in Paris?"}]
    completion = client.chat.completions.create(
        model=TEXT_MODEL,
        messages=question,
        tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        temperature=0,
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.function.name == "get_weather"
    assert isinstance(json.loads(call.function.arguments), dict)
    assert call.id.startswith("call_")
    follow_up = client.chat.completions.create(
        model=TEXT_MODEL,
        messages=[
            *question,
            choice.message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": '{"temperature_c": 21, "sky": "clear"}'},
        ],
        tools=[WEATHER_TOOL],
        tool_choice="none",
        temperature=0,
        max_tokens=30,
    )
    assert follow_up.choices[0].message.content.strip()
    assert follow_up.choices[0].message.tool_calls is None


def test_streamed_tool_call(vox):
    chunks = list(
        openai_client(vox).chat.completions.create(
            model=TEXT_MODEL,
            messages=[{"role": "user", "content": "Weather in Oslo?"}],
            tools=[WEATHER_TOOL],
            tool_choice="required",
            temperature=0,
            stream=True,
        )
    )
    calls = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert len(calls) >= 1
    assert calls[0].function.name == "get_weather"
    json.loads(calls[0].function.arguments)
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_context_overflow_is_a_clear_400(vox):
    long = "word " * 6000
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(vox).chat.completions.create(model=TEXT_MODEL, messages=[{"role": "user", "content": long}])
    assert caught.value.code == "context_length_exceeded"
    assert "maximum context length is" in caught.value.body["message"]
    assert caught.value.body["param"] == "messages"


def test_eight_concurrent_requests(vox):
    topics = ["cats", "rain", "bread", "music", "ships", "snow", "books", "coffee"]

    def ask(topic):
        completion = openai_client(vox).chat.completions.create(
            model=TEXT_MODEL,
            messages=[{"role": "user", "content": f"Write one sentence about {topic}."}],
            temperature=0,
            max_tokens=24,
        )
        return topic, completion.choices[0].message.content

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(ask, topics))
    mentions = lambda text: {topic for topic in topics if topic[:-1] in text.lower()}
    # No answer is about another request's topic alone (no mixing between the sequences)...
    for topic, text in answers:
        assert not mentions(text) or topic in mentions(text), (topic, text)
    # ...and nearly all name their own: batched decoding is not bit-identical to solo decoding, and
    # the 135M test model may write about jazz without saying "music".
    on_topic = [topic for topic, text in answers if topic in mentions(text)]
    assert len(on_topic) >= 6, answers


def test_a_client_that_leaves_mid_stream_does_not_block_others(vox):
    body = {
        "model": TEXT_MODEL,
        "messages": [{"role": "user", "content": "Count from one to one thousand in words."}],
        "max_tokens": 2000,
        "stream": True,
    }
    address = urlparse(vox.url)
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    for _ in range(6):  # more abandoned streams than the server has slots
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        connection.request("POST", "/v1/chat/completions", body=json.dumps(body), headers=headers)
        response = connection.getresponse()
        assert response.status == 200
        while b'"content":"' not in response.readline().replace(b'"content":""', b""):
            pass
        connection.close()  # gone after the first words
    completion = openai_client(vox).chat.completions.create(**greedy(max_tokens=5))
    assert completion.choices[0].finish_reason == "length"
