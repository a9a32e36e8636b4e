"""Helpers for the realtime tests: a real recording at 24 kHz, paced sending, event collection."""

import asyncio
import base64
import wave

import numpy as np

TESTDATA = "/usr/share/pocketsphinx/test/data"
# "he was not an ill disposed young man", 2.99 s, 16 kHz.
RECORDING = f"{TESTDATA}/librivox/sense_and_sensibility_01_austen_64kb-0880.wav"
RECORDING_WORDS = "he was not an ill disposed young man".split()
RATE = 24_000


def pcm16_24k(path: str = RECORDING) -> bytes:
    """The recording as 24 kHz mono pcm16 (linear interpolation is enough for a test client)."""
    with wave.open(path) as w:
        rate, channels = w.getframerate(), w.getnchannels()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)[::channels].astype(np.float32)
    times = np.arange(int(len(data) * RATE / rate)) / RATE
    return np.interp(times, np.arange(len(data)) / rate, data).astype(np.int16).tobytes()


def silence(secs: float) -> bytes:
    return bytes(2 * int(RATE * secs))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def send_paced(append, audio: bytes, chunk_ms: int = 40) -> None:
    """Sends `audio` in `chunk_ms` pieces at real-time pace, as a microphone would."""
    step = 2 * RATE * chunk_ms // 1000
    loop = asyncio.get_running_loop()
    start = loop.time()
    for i, at in enumerate(range(0, len(audio), step)):
        await append(audio=b64(audio[at:at + step]))
        await asyncio.sleep(max(0.0, start + (i + 1) * chunk_ms / 1000 - loop.time()))


def words(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in text.lower()).split()


def overlap(heard: str, said: str) -> float:
    """The share of `said`'s words found in `heard`."""
    said_words, heard_words = words(said), set(words(heard))
    return sum(w in heard_words for w in said_words) / max(1, len(said_words))
