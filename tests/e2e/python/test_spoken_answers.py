"""Answers written for the ear, as the quickstart's own request meets them: audio out and no
system message gets a few conversational sentences, not a document read aloud; a caller's
own system message still gets exactly what it asks for, its list markers kept in the text and
kept out of the voice; markdown given to /v1/audio/speech is said as words. The language model
is the default profile's (Qwen2.5-Coder 1.5B), the one users meet."""

import base64
import io
import re
import wave

from openai import OpenAI

from conftest import API_KEY
from test_transcriptions import words

# Before the spoken style, this question (seed 1) was answered with a six-step numbered list:
# 58 s of audio.
LIST_PRONE_QUESTION = "How do I make a good cup of tea?"
MARKDOWN = re.compile(r"(?m)^\s*(?:[-*+]|\d+[.)])\s|\*\*|^#{1,6}\s|`")


def client(server) -> OpenAI:
    return OpenAI(base_url=f"{server.url}/v1", api_key=API_KEY)


def spoken_answer(server, messages: list[dict], **extra):
    completion = client(server).chat.completions.create(
        model="gpt-4o-audio-preview", modalities=["text", "audio"], audio={"voice": "alloy", "format": "wav"},
        messages=messages, **extra)
    audio = completion.choices[0].message.audio
    wav = base64.b64decode(audio.data)
    with wave.open(io.BytesIO(wav)) as file:
        secs = file.getnframes() / file.getframerate()
    return audio.transcript, wav, secs


def heard(server, wav: bytes) -> str:
    return client(server).audio.transcriptions.create(model="whisper-1", file=("a.wav", io.BytesIO(wav))).text


def test_an_answer_with_audio_is_a_few_spoken_sentences(default_vox):
    transcript, _, secs = spoken_answer(default_vox, [{"role": "user", "content": LIST_PRONE_QUESTION}], seed=1)
    assert not MARKDOWN.search(transcript), transcript
    assert secs <= 30, f"{secs:.1f} s of audio: {transcript!r}"


def test_the_callers_own_system_message_still_wins_and_its_list_is_not_read_out(default_vox):
    transcript, wav, _ = spoken_answer(default_vox, [
        {"role": "system", "content": "Answer with a numbered markdown list of exactly three items and nothing else."},
        {"role": "user", "content": "Name three dog breeds."},
    ], temperature=0)
    items = re.findall(r"(?m)^\s*\d\.\s+\S", transcript)
    assert len(items) == 3, transcript
    said = heard(default_vox, wav)
    assert not re.search(r"\b(?:1|2|3|one|two|three)\b", said, re.I), f"heard {said!r} for {transcript!r}"


def test_markdown_given_to_speech_is_said_as_words(vox):
    audio = client(vox).audio.speech.create(
        model="tts-1", voice="alloy", response_format="wav",
        input="**Hello** there! 🐶 Visit [our menu](https://example.com/menu) or www.example.com today.")
    said = words(heard(vox, audio.read()))
    assert said[:2] == ["hello", "there"], said
    for symbol in ["asterisk", "star", "https", "http", "dog", "face", "bracket", "parenthesis"]:
        assert symbol not in said, said
    assert "menu" in said and "today" in said, said
