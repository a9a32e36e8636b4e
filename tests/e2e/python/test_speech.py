"""Text to speech through the official Python SDK: every response format decodes with ffmpeg
(an independent decoder), says what was asked (heard back by Vox's recogniser), and streams."""

import base64
import io
import json
import subprocess

import openai
import pytest
from openai import AzureOpenAI, OpenAI

from conftest import API_KEY, API_VERSION
from test_transcriptions import words

TEXT = "Golden retrievers are gentle and loyal family dogs."
OPENAI_VOICES = ["alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse", "marin", "cedar"]


def client(vox):
    return OpenAI(base_url=f"{vox.url}/v1", api_key=API_KEY, max_retries=0)


def ffmpeg_to_wav(data: bytes, input_args=()) -> bytes:
    """Decodes with ffmpeg, not Vox: 16 kHz mono WAV, or an exception."""
    result = subprocess.run(
        ["ffmpeg", "-v", "error", *input_args, "-i", "pipe:0", "-ac", "1", "-ar", "16000", "-f", "wav", "pipe:1"],
        input=data,
        capture_output=True,
        check=True,
    )
    return result.stdout


def heard(vox, wav: bytes) -> list[str]:
    result = client(vox).audio.transcriptions.create(model="whisper-1", file=("speech.wav", io.BytesIO(wav)))
    return words(result.text)


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav", "pcm"])
def test_every_format_decodes_independently_and_says_the_text(vox, fmt):
    response = client(vox).audio.speech.create(model="tts-1", voice="echo", input=TEXT, response_format=fmt)
    data = response.read()
    raw = ["-f", "s16le", "-ar", "24000", "-ac", "1"] if fmt == "pcm" else []
    wav = ffmpeg_to_wav(data, raw)
    seconds = (len(wav) - 44) / 32000
    assert 1.5 < seconds < 8, seconds
    # The test profile hears with whisper-tiny.en and Piper samples its noise: most words, not all.
    said = set(heard(vox, wav))
    expected = set(words(TEXT))
    assert len(said & expected) >= 0.75 * len(expected), (said, expected)


def test_sse_stream_reassembles_to_the_file(vox):
    with client(vox).audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts", voice="alloy", input=TEXT, response_format="pcm", stream_format="sse"
    ) as response:
        events = [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]
    deltas = [e for e in events if e["type"] == "speech.audio.delta"]
    assert len(deltas) >= 1
    assert events[-1]["type"] == "speech.audio.done"
    usage = events[-1]["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0
    pcm = b"".join(base64.b64decode(e["audio"]) for e in deltas)
    assert len(pcm) % 2 == 0 and len(pcm) > 24000 * 2
    said = set(heard(vox, ffmpeg_to_wav(pcm, ["-f", "s16le", "-ar", "24000", "-ac", "1"])))
    assert len(said & set(words(TEXT))) >= 0.75 * len(set(words(TEXT))), said


def test_azure_deployment_route(vox):
    azure = AzureOpenAI(azure_endpoint=vox.url, api_key=API_KEY, api_version=API_VERSION, max_retries=0)
    data = azure.audio.speech.create(model="gpt-4o-audio-preview", voice="shimmer", input="Hello there.").read()
    assert data[:3] == b"ID3" or data[0] == 0xFF  # MP3, the default format


def test_voices_are_listed_with_their_speakers(vox):
    listing = client(vox).get("/audio/voices", cast_to=object)
    names = [voice["id"] for voice in listing["data"]]
    for name in OPENAI_VOICES:
        assert name in names
    for voice in listing["data"]:
        assert voice["speaker"] and voice["engine"] in ("piper", "kokoro", "hibari"), voice
        assert voice["gender"] in ("female", "male"), voice
        assert voice["language"].startswith("en-"), voice  # the test profile: English speakers only
    quickstart = {v["id"]: (v["engine"], v["speaker"], v["gender"]) for v in listing["data"]}
    # The fast models, three different speakers (hibari, Piper joe, hibari brightened).
    assert quickstart["alloy"] == ("hibari", "heart", "female")
    assert quickstart["echo"] == ("piper", "en_US-joe-medium", "male")
    assert quickstart["shimmer"] == ("hibari", "heart_bright", "female")


def test_unknown_voice_and_bad_speed_are_clear_400s(vox):
    with pytest.raises(openai.BadRequestError) as caught:
        client(vox).audio.speech.create(model="tts-1", voice="nobody", input="Hi")
    assert caught.value.body["param"] == "voice"
    assert caught.value.body["message"].startswith("Invalid value: 'nobody'. Supported values are: 'alloy'")
    with pytest.raises(openai.BadRequestError) as caught:
        client(vox).audio.speech.create(model="tts-1", voice="alloy", input="Hi", speed=9)
    assert caught.value.body["param"] == "speed"
