"""semantic_vad against server_vad on a running Vox (started here), on a labelled set of turns:
finished ones and the same speech cut mid-phrase (at the quietest gap between words in its
middle, so the cut keeps the voice of a sentence that goes on). Recorded speech comes from
Debian's pocketsphinx-testdata, synthetic speech from Vox's own voices. Each turn is sent to a
realtime session as a microphone would send it, followed by silence at real-time pace; the bench
notes whether and when the turn ended (`input_audio_buffer.speech_stopped`), counted from the
last speech sample sent.

A finished turn judged unfinished waits semantic_vad's longest silence (4 s at the default
eagerness): the bench stops listening after WAIT_S and counts it at 4 s."""

import asyncio
import base64
import json
import os
import statistics
import sys
import time
import wave

import numpy as np
import websockets

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "realtime"))
from realtime_bench import RATE, speech, start  # noqa: E402

TESTDATA = "/usr/share/pocketsphinx/test/data"
SENTENCES = [
    "I would like to book a table for two people tonight.",
    "Can you tell me what the weather will be like tomorrow?",
    "My name is Anna and I am calling about my order.",
    "Please turn off the lights in the kitchen.",
    "What time does the pharmacy close on Sundays?",
    "I think we should leave a little earlier than planned.",
    "Could you send the report to my manager by Friday?",
    "The train to Boston leaves from platform nine.",
    "How much does it cost to ship a parcel to France?",
    "I lost my keys somewhere between the car and the office.",
    "Remind me to call my mother at six o'clock.",
    "Is there a vegetarian option on the menu today?",
]
VOICES = os.environ.get("VOX_BENCH_VOICES", "echo,alloy,ash,shimmer").split(",")
CHUNK_MS = 20
WAIT_S = 2.5
LONGEST_SILENCE_S = 4.0
SERVER_VAD_MS = 500


def recorded():
    turns = []
    for folder, listing in [("librivox", "librivox/transcription"), ("cards", "cards/cards.transcription")]:
        for line in open(f"{TESTDATA}/{listing}"):
            if not line.strip():
                continue
            name = line.rsplit("(", 1)[1].strip().rstrip(")")
            with wave.open(f"{TESTDATA}/{folder}/{name}.wav") as w:
                data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32)
                rate = w.getframerate()
            times = np.arange(int(len(data) * RATE / rate)) / RATE
            turns.append((name, np.interp(times, np.arange(len(data)) / rate, data).astype(np.int16)))
    return turns


def synthetic(port):
    turns = []
    for i, sentence in enumerate(SENTENCES):
        voice = VOICES[i % len(VOICES)]
        pcm = np.frombuffer(speech(port, sentence, voice), dtype=np.int16)
        turns.append((f"{voice}: {sentence}", pcm))
    return turns


def frame_levels(samples):
    frame = RATE // 50
    usable = len(samples) // frame * frame
    frames = samples[:usable].astype(np.float32).reshape(-1, frame)
    return np.sqrt((frames ** 2).mean(axis=1))


def trimmed(samples):
    levels = frame_levels(samples)
    loud = np.where(levels > levels.max() * 0.1)[0]
    frame = RATE // 50
    return samples[loud[0] * frame:(loud[-1] + 1) * frame]


def quietest_gap(samples, low=0.35, high=0.7):
    """The sample at the quietest 60 ms between `low` and `high` of the speech."""
    levels = frame_levels(samples)
    window = levels[:-2] + levels[1:-1] + levels[2:]
    first, last = int(len(levels) * low), int(len(levels) * high)
    return (first + int(np.argmin(window[first:last])) + 1) * (RATE // 50)


def labelled(port):
    turns = []
    for name, audio in recorded() + synthetic(port):
        speech_only = trimmed(audio)
        turns.append((name, speech_only, True))
        turns.append((name, speech_only[:quietest_gap(speech_only)], False))
    return turns


async def turn_end_after(port, pcm, detection):
    """Seconds from the last speech sample sent to speech_stopped, or None within WAIT_S."""
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime", max_size=None)
    try:
        session = {"type": "realtime", "audio": {"input": {"turn_detection": {**detection, "create_response": False}}}}
        await ws.send(json.dumps({"type": "session.update", "session": session}))
        while json.loads(await ws.recv())["type"] != "session.updated":
            pass
        lead_in = np.zeros(RATE // 5, dtype=np.int16)
        await ws.send(json.dumps({"type": "input_audio_buffer.append",
                                  "audio": base64.b64encode(np.concatenate([lead_in, pcm]).tobytes()).decode()}))
        speech_sent = time.monotonic()
        stopped = asyncio.Event()
        stopped_at = []

        async def listen():
            async for message in ws:
                if json.loads(message)["type"] == "input_audio_buffer.speech_stopped":
                    stopped_at.append(time.monotonic())
                    stopped.set()
                    return

        listener = asyncio.create_task(listen())
        step = np.zeros(RATE * CHUNK_MS // 1000, dtype=np.int16).tobytes()
        chunk = base64.b64encode(step).decode()
        for i in range(int(WAIT_S * 1000 / CHUNK_MS)):
            if stopped.is_set():
                break
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": chunk}))
            await asyncio.sleep(max(0.0, speech_sent + (i + 1) * CHUNK_MS / 1000 - time.monotonic()))
        await asyncio.sleep(0.1)
        listener.cancel()
        return stopped_at[0] - speech_sent if stopped_at else None
    finally:
        await ws.close()


async def main():
    binary, models = sys.argv[1], sys.argv[2]
    profile = sys.argv[3] if len(sys.argv) > 3 else "default"
    process, port = start(binary, models, "2", profile)
    try:
        turns = labelled(port)
        semantic = {"type": "semantic_vad"}
        server = {"type": "server_vad", "silence_duration_ms": SERVER_VAD_MS}
        rows = []
        for name, pcm, finished in turns:
            judged = await turn_end_after(port, pcm, semantic)
            plain = await turn_end_after(port, pcm, server)
            rows.append((name, finished, judged, plain))
            verdict = "ended" if judged is not None else "waited"
            print(f"{'finished' if finished else 'cut':8} semantic {verdict:6} "
                  f"{(judged or 0) * 1000:5.0f} ms | server_vad {(plain or 0) * 1000:5.0f} ms | {name}", flush=True)
        report(rows)
    finally:
        process.terminate()
        process.wait(timeout=30)


def report(rows):
    def part(source):
        return [r for r in rows if source(r[0])]
    for label, source in [("recorded", lambda n: ":" not in n), ("synthetic", lambda n: ":" in n),
                          ("all", lambda n: True)]:
        chosen = part(source)
        finished = [r for r in chosen if r[1]]
        cut = [r for r in chosen if not r[1]]
        ended_right = sum(r[2] is not None for r in finished)
        waited_right = sum(r[2] is None for r in cut)
        semantic_ms = [(r[2] if r[2] is not None else LONGEST_SILENCE_S) * 1000 for r in finished]
        server_ms = [r[3] * 1000 for r in finished if r[3] is not None]
        print(f"{label}: finished turns ended at the pause {ended_right}/{len(finished)}, cut turns kept open "
              f"{waited_right}/{len(cut)} (server_vad keeps 0/{len(cut)}), accuracy "
              f"{100 * (ended_right + waited_right) / len(chosen):.0f} %; finished turn ends after: semantic_vad "
              f"median {statistics.median(semantic_ms):.0f} ms, mean {statistics.mean(semantic_ms):.0f} ms; "
              f"server_vad median {statistics.median(server_ms):.0f} ms, mean {statistics.mean(server_ms):.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
