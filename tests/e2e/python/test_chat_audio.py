"""Audio chat completions end to end, as gpt-4o-audio-preview code runs them: the official
Python SDK (OpenAI and AzureOpenAI) and raw HTTP against the real server (test profile)."""

import base64
import io
import json
import urllib.request

import openai
import pytest
from openai import OpenAI

from conftest import API_KEY, OTHER_KEY
from test_sdk_errors import azure_client, openai_client
from test_speech import ffmpeg_to_wav
from test_transcriptions import words

MODEL = "gpt-4o-audio-preview"
QUESTION = "Is a golden retriever a good family dog?"
# Greedy: sampled, the 135M test model now and then answers only in emoji, which has nothing
# to say aloud, and what the tests check about the speech would depend on the draw.
SPOKEN = {"modalities": ["text", "audio"], "audio": {"voice": "alloy", "format": "wav"}, "temperature": 0}


def heard(vox, wav: bytes) -> list[str]:
    text = openai_client(vox).audio.transcriptions.create(model="whisper-1", file=("a.wav", io.BytesIO(wav))).text
    return words(text)


def overlap(said: list[str], written: list[str]) -> float:
    return len(set(said) & set(written)) / max(1, len(set(written)))


@pytest.fixture(scope="module")
def first_answer(vox):
    """Text in, text and speech out, through AzureOpenAI."""
    completion = azure_client(vox, deployment=MODEL).chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": QUESTION}], max_tokens=40, **SPOKEN
    )
    return completion


def test_text_to_speech_answer_is_valid_audio_that_says_its_transcript(vox, first_answer):
    message = first_answer.choices[0].message
    assert message.content is None
    audio = message.audio
    assert audio.id.startswith("audio_") and len(audio.id) == 38
    assert audio.transcript.strip()
    assert audio.expires_at > first_answer.created
    wav = base64.b64decode(audio.data)
    assert wav[:4] == b"RIFF"
    said = heard(vox, ffmpeg_to_wav(wav))
    assert overlap(said, words(audio.transcript)) >= 0.6, (said, audio.transcript)
    usage = first_answer.usage
    assert usage.completion_tokens_details.audio_tokens > 0
    assert usage.completion_tokens == usage.completion_tokens_details.audio_tokens + usage.completion_tokens_details.text_tokens


def test_speech_in_gets_text_and_speech_out(vox, first_answer):
    data = first_answer.choices[0].message.audio.data
    completion = openai_client(vox).chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": [
            {"type": "text", "text": "Answer what you hear."},
            {"type": "input_audio", "input_audio": {"data": data, "format": "wav"}},
        ]}],
        max_tokens=30,
        **SPOKEN,
    )
    message = completion.choices[0].message
    assert message.audio.transcript.strip() and message.audio.data
    assert completion.usage.prompt_tokens_details.audio_tokens > 0


def test_a_second_turn_refers_to_the_first_answer_by_id(vox, first_answer):
    audio_id = first_answer.choices[0].message.audio.id
    completion = openai_client(vox).chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "audio": {"id": audio_id}},
            {"role": "user", "content": "Say that again, shorter."},
        ],
        max_tokens=30,
        **SPOKEN,
    )
    assert completion.choices[0].message.audio.transcript.strip()


def test_another_key_cannot_use_the_audio_id(vox, first_answer):
    audio_id = first_answer.choices[0].message.audio.id
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(vox, key=OTHER_KEY).chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "Hi"}, {"role": "assistant", "audio": {"id": audio_id}}, {"role": "user", "content": "More."}],
            **SPOKEN,
        )
    assert caught.value.code == "audio_not_found"


def test_speech_in_text_out(vox, first_answer):
    data = first_answer.choices[0].message.audio.data
    completion = openai_client(vox).chat.completions.create(
        model=MODEL,
        modalities=["text"],
        messages=[{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": data, "format": "wav"}}]}],
        max_tokens=20,
    )
    message = completion.choices[0].message
    assert message.content.strip()
    assert message.audio is None


def test_streamed_answer_reassembles(vox):
    stream = openai_client(vox).chat.completions.create(
        model=MODEL,
        modalities=["text", "audio"],
        audio={"voice": "echo", "format": "pcm16"},
        messages=[{"role": "system", "content": "Answer in one sentence."}, {"role": "user", "content": QUESTION}],
        max_tokens=40,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    header = chunks[1].choices[0].delta
    opening = header.audio.model_dump(exclude_none=True)
    assert header.content is None and opening["id"].startswith("audio_") and opening["transcript"] == ""
    audio_deltas = [c.choices[0].delta.audio.model_dump(exclude_none=True) for c in chunks if c.choices and c.choices[0].delta.audio]
    pieces = [a["data"] for a in audio_deltas if a.get("data")]
    assert pieces and all(len(base64.b64decode(p)) % 6 == 0 for p in pieces)
    assert all("=" not in p for p in pieces)
    pcm = base64.b64decode("".join(pieces))
    transcript = "".join(a.get("transcript") or "" for a in audio_deltas)
    assert transcript.strip()
    assert any(a.get("expires_at") for a in audio_deltas)
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finals and finals[0].choices[0].finish_reason in ("stop", "length")
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens_details.audio_tokens > 0
    wav = ffmpeg_to_wav(pcm, ["-f", "s16le", "-ar", "24000", "-ac", "1"])
    said = heard(vox, wav)
    assert overlap(said, words(transcript)) >= 0.6, (said, transcript)


def test_tool_calls_come_back_without_audio_and_the_follow_up_speaks(vox):
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
    question = [{"role": "user", "content": "What is the weather in Paris?"}]
    client = openai_client(vox)
    # Bounded (and greedy, as SPOKEN is): sampled, the 135M test model can write one argument string
    # until the context is full (minutes at grammar-constrained speed), not what this test is about.
    completion = client.chat.completions.create(
        model=MODEL, messages=question, tools=[tool], tool_choice="required", max_tokens=60, **SPOKEN
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.audio is None
    call = choice.message.tool_calls[0]
    follow_up = client.chat.completions.create(
        model=MODEL,
        messages=[*question, choice.message.model_dump(exclude_none=True), {"role": "tool", "tool_call_id": call.id, "content": "Sunny, 21 degrees."}],
        tools=[tool],
        tool_choice="none",
        max_tokens=30,
        **SPOKEN,
    )
    assert follow_up.choices[0].message.audio.data


def test_raw_http_stream_follows_the_chunk_order(vox):
    body = json.dumps({
        "model": MODEL, "modalities": ["text", "audio"], "audio": {"voice": "echo", "format": "pcm16"},
        "messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 12, "temperature": 0, "stream": True,
    }).encode()
    request = urllib.request.Request(f"{vox.url}/v1/chat/completions", data=body, headers={
        "Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        lines = [line.decode().strip() for line in response if line.strip().startswith(b"data: ")]
    assert lines[-1] == "data: [DONE]"
    deltas = [json.loads(line[6:])["choices"][0]["delta"] for line in lines[:-1]]
    assert deltas[0] == {"role": "assistant"}
    assert "content" in deltas[1] and deltas[1]["content"] is None and "id" in deltas[1]["audio"]
    kinds = [next(iter(d.get("audio", {"finish": 1}))) for d in deltas[2:]]
    assert kinds[-2] == "expires_at"
    assert "data" in kinds and "transcript" in kinds
    assert kinds.index("transcript") < kinds.index("data")
