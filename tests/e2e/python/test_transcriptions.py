"""Speech to text through the official SDK, against the real Whisper engine (test profile)."""

import json

import openai
import pytest
from openai import AzureOpenAI, OpenAI

from conftest import API_KEY, API_VERSION

TESTDATA = "/usr/share/pocketsphinx/test/data"
CARDS = f"{TESTDATA}/cards/005.wav"  # "eight of spades four of clubs seven of hearts"


def clients(vox):
    yield OpenAI(base_url=f"{vox.url}/v1", api_key=API_KEY, max_retries=0)
    yield AzureOpenAI(azure_endpoint=vox.url, api_key=API_KEY, api_version=API_VERSION, max_retries=0)


NUMBERS = "zero one two three four five six seven eight nine ten".split()


def words(text):
    """Lower-case words, digits spelled out: Whisper writes "8 of spades" or "eight of spades"."""
    said = "".join(c if c.isalnum() else " " for c in text.lower()).split()
    return [NUMBERS[int(w)] if w.isdigit() and int(w) < len(NUMBERS) else w for w in said]


def test_json_through_both_clients(vox):
    for client in clients(vox):
        with open(CARDS, "rb") as audio:
            result = client.audio.transcriptions.create(model="whisper-1", file=audio)
        said = words(result.text)
        assert said[:3] == ["eight", "of", "spades"], result.text
        assert "hearts" in said


def test_text_srt_and_vtt(vox):
    client = next(clients(vox))
    with open(CARDS, "rb") as audio:
        text = client.audio.transcriptions.create(model="whisper-1", file=audio, response_format="text")
    assert isinstance(text, str) and "spades" in text.lower()
    with open(CARDS, "rb") as audio:
        srt = client.audio.transcriptions.create(model="whisper-1", file=audio, response_format="srt")
    assert srt.startswith("1\n00:00:00,000 --> 00:00:0"), srt
    with open(CARDS, "rb") as audio:
        vtt = client.audio.transcriptions.create(model="whisper-1", file=audio, response_format="vtt")
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> "), vtt


def test_verbose_json_has_segments(vox):
    client = next(clients(vox))
    with open(f"{TESTDATA}/librivox/sense_and_sensibility_01_austen_64kb-0870.wav", "rb") as audio:
        result = client.audio.transcriptions.create(model="whisper-1", file=audio, response_format="verbose_json")
    assert result.language == "english"
    assert 6.5 < result.duration < 7.5
    assert result.segments and result.segments[0].start >= 0
    assert result.segments[-1].end <= result.duration + 0.5
    assert "dashwood" in words(result.text)


def test_streaming_deltas_join_to_the_text(vox):
    client = next(clients(vox))
    with open(CARDS, "rb") as audio:
        stream = client.audio.transcriptions.create(model="whisper-1", file=audio, stream=True)
        events = list(stream)
    deltas = "".join(e.delta for e in events if e.type == "transcript.text.delta")
    done = [e for e in events if e.type == "transcript.text.done"]
    assert len(done) == 1 and done[0].text == deltas
    assert "spades" in deltas.lower()


def test_bad_audio_is_a_400(vox):
    client = next(clients(vox))
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.transcriptions.create(model="whisper-1", file=("a.wav", b"not audio at all", "audio/wav"))
    assert caught.value.param == "file"
    assert caught.value.body["message"] == "The audio file could not be decoded or its format is not supported."
