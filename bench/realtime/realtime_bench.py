"""The Realtime API on a running Vox (started here), as a caller meets it: the end of a spoken
question -> the first audio delta of the answer (the server VAD's silence window included),
and speech over an answer -> its last audio delta (barge-in), per voice; plus the server's
memory with sessions open. Median of RUNS runs each; greedy decoding so every run answers the
same. The question is spoken by Vox's own echo voice and sent at real-time pace in 20 ms
chunks, as a microphone would."""

import asyncio
import base64
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time

import websockets

QUESTION = "Is a golden retriever a good family dog?"
RUNS = int(os.environ.get("VOX_BENCH_RUNS", "10"))
# Piper (echo), hibari (alloy) and Kokoro (ash); VOX_BENCH_VOICES=a,b overrides.
VOICES = os.environ.get("VOX_BENCH_VOICES", "echo,alloy,ash").split(",")
SILENCE_MS = int(os.environ.get("VOX_BENCH_SILENCE_MS", "500"))
RATE = 24_000
CHUNK_MS = 20
# -40 dBFS: where the question's speech ends.
SPEECH_LEVEL = 328
SESSION = {"temperature": 0, "max_output_tokens": 60,
           "instructions": "Answer in one or two short sentences."}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, models, threads, profile):
    port = free_port()
    env = {**os.environ, "VOX_MODELS_DIR": models, "RUST_LOG": "warn", "VOX_HOME": f"/tmp/vox-rt-bench-{port}"}
    process = subprocess.Popen([binary, "serve", "--addr", f"127.0.0.1:{port}", "--profile", profile,
                                "--threads", str(threads)], stdout=subprocess.PIPE, env=env, text=True)
    line = process.stdout.readline()
    assert line.startswith("vox listening"), line
    for _ in range(600):
        connection = http.client.HTTPConnection("127.0.0.1", port)
        connection.request("GET", "/readyz")
        if connection.getresponse().status == 200:
            break
        time.sleep(0.5)
    return process, port


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def speech(port, text, voice="echo"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("POST", "/v1/audio/speech", json.dumps(
        {"model": "tts-1", "voice": voice, "input": text, "response_format": "pcm"}),
        {"Content-Type": "application/json"})
    return connection.getresponse().read()


def speech_end_secs(pcm):
    samples = memoryview(pcm).cast("h")
    last = max((i for i in range(len(samples)) if abs(samples[i]) > SPEECH_LEVEL), default=0)
    return (last + 1) / RATE


async def send_paced(ws, pcm, started_at):
    """Sends `pcm` at real-time pace from `started_at` (loop time)."""
    loop = asyncio.get_running_loop()
    step = 2 * RATE * CHUNK_MS // 1000
    for i, at in enumerate(range(0, len(pcm), step)):
        await ws.send(json.dumps({"type": "input_audio_buffer.append",
                                  "audio": base64.b64encode(pcm[at:at + step]).decode()}))
        await asyncio.sleep(max(0.0, started_at + (i + 1) * CHUNK_MS / 1000 - loop.time()))


async def open_session(port, voice, turn_detection=True):
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime", max_size=None)
    session = {"type": "realtime", **SESSION, "audio": {"output": {"voice": voice}, "input": {
        "turn_detection": {"type": "server_vad", "silence_duration_ms": SILENCE_MS} if turn_detection else None}}}
    await ws.send(json.dumps({"type": "session.update", "session": session}))
    while json.loads(await ws.recv())["type"] != "session.updated":
        pass
    return ws


async def end_of_speech_to_first_audio(port, voice, question, speech_end):
    """Seconds from the moment the question's last spoken sample was sent to the first delta."""
    ws = await open_session(port, voice)
    loop = asyncio.get_running_loop()
    started = loop.time()
    sender = asyncio.create_task(send_paced(ws, question, started))
    first = None
    async for message in ws:
        event = json.loads(message)
        if event["type"] == "response.output_audio.delta" and first is None:
            first = loop.time() - (started + speech_end)
        if event["type"] == "response.done":
            break
    sender.cancel()
    await ws.close()
    return first


async def barge_in(port, voice, interruption):
    """Seconds from speech_started to the last audio delta after it (0 if none came after)."""
    ws = await open_session(port, voice)
    await ws.send(json.dumps({"type": "conversation.item.create", "item": {"type": "message", "role": "user",
        "content": [{"type": "input_text", "text": "Tell me a long story about a dragon, in ten sentences."}]}}))
    await ws.send(json.dumps({"type": "response.create", "response": {"max_output_tokens": 400}}))
    loop = asyncio.get_running_loop()
    sender = None
    started_at, last_delta, status = None, None, None
    async for message in ws:
        event = json.loads(message)
        now = loop.time()
        if event["type"] == "response.output_audio.delta":
            last_delta = now
            if sender is None:
                sender = asyncio.create_task(send_paced(ws, interruption, now + 0.3))
        elif event["type"] == "input_audio_buffer.speech_started":
            started_at = now
        elif event["type"] == "response.done":
            status = event["response"]["status"]
            break
    if sender:
        sender.cancel()
    await ws.close()
    assert status == "cancelled" and started_at is not None, status
    return max(0.0, last_delta - started_at)


async def idle_sessions(port, count):
    return [await open_session(port, "echo") for _ in range(count)]


def median_ms(values):
    return f"{statistics.median(values) * 1000:.0f}"


def spread_ms(values):
    return f"{min(values) * 1000:.0f}-{max(values) * 1000:.0f}"


async def main():
    binary, models = sys.argv[1], sys.argv[2]
    threads = sys.argv[3] if len(sys.argv) > 3 else "2"
    profile = sys.argv[4] if len(sys.argv) > 4 else "default"
    process, port = start(binary, models, threads, profile)
    try:
        ready = rss_mib(process.pid)
        question = speech(port, QUESTION)
        speech_end = speech_end_secs(question)
        question += bytes(2 * RATE * 2)  # two seconds of silence after it
        interruption = speech(port, "Wait, stop, I have a question.")
        print(f"Vox realtime, profile {profile}, {threads} threads, silence window {SILENCE_MS} ms, "
              f"median of {RUNS} (range)")
        print(f"question: {QUESTION!r}, speech ends at {speech_end:.2f} s")
        print("| voice | end of speech -> first audio (ms) | barge-in: speech_started -> last audio delta (ms) |")
        print("|---|---|---|")
        for voice in VOICES:
            await end_of_speech_to_first_audio(port, voice, question, speech_end)  # warm-up
            firsts = [await end_of_speech_to_first_audio(port, voice, question, speech_end) for _ in range(RUNS)]
            barges = [await barge_in(port, voice, interruption) for _ in range(RUNS)]
            print(f"| {voice} | {median_ms(firsts)} ({spread_ms(firsts)}) | {median_ms(barges)} ({spread_ms(barges)}) |",
                  flush=True)
        after_runs = rss_mib(process.pid)
        sessions = await idle_sessions(port, 20)
        with_sessions = rss_mib(process.pid)
        for ws in sessions:
            await ws.close()
        print(f"memory: {ready:.0f} MiB ready, {after_runs:.0f} MiB after the runs, "
              f"{with_sessions:.0f} MiB with 20 sessions open "
              f"({(with_sessions - after_runs) * 1024 / 20:.0f} KiB per open session)")
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
