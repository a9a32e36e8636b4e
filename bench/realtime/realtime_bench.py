"""The Realtime API on a running Vox (started here), as a caller meets it: the end of a spoken
question -> the first audio delta of the answer (the server VAD's silence window included),
and speech over an answer -> its last audio delta (barge-in), per voice; then a fresh voice
agent's first answer, set up as the Agents SDK sets one up (instructions naming the caller, two
function tools, semantic_vad, transcription on; the caller speaks 2 s after connecting), with
where its time went; plus the server's memory with sessions open. Median of RUNS runs each;
greedy decoding so every run answers the same. The question is spoken by Vox's own echo voice
and sent at real-time pace in 20 ms chunks, as a microphone would. VOX_BENCH_ROWS=plain or
=agent runs one kind of row only."""

import asyncio
import base64
import http.client
import json
import os
import re
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
ROWS = os.environ.get("VOX_BENCH_ROWS", "plain,agent").split(",")
AGENT_VOICES = os.environ.get("VOX_BENCH_AGENT_VOICES", "ash,alloy,echo").split(",")
# Each agent session names a different caller first thing, so no run finds another's opening
# in the model's cache: every run is a fresh agent.
CALLERS = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim",
           "Margaret", "Dennis"]
AGENT_INSTRUCTIONS = (
    "You are speaking with {caller}. You are the concierge of the Harbour Hotel: warm, brief and "
    "practical. Answer in one or two short sentences, in plain spoken language. Use get_weather "
    "when the caller asks about the weather and book_table when they want a table at the "
    "restaurant; otherwise answer from what you know. Never invent a booking.")
AGENT_TOOLS = [
    {"type": "function", "name": "get_weather", "description": "Today's weather in a city.",
     "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
    {"type": "function", "name": "book_table", "description": "Books a table at the hotel restaurant.",
     "parameters": {"type": "object", "properties": {
         "time": {"type": "string", "description": "HH:MM, 24-hour"},
         "people": {"type": "integer", "minimum": 1}}, "required": ["time", "people"]}},
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, models, threads, profile):
    port = free_port()
    home = f"/tmp/vox-rt-bench-{port}"
    os.makedirs(home, exist_ok=True)
    # Each response's stage times are read back from its log line.
    env = {**os.environ, "VOX_MODELS_DIR": models, "VOX_HOME": home, "NO_COLOR": "1",
           "RUST_LOG": os.environ.get("VOX_BENCH_LOG", "warn,vox_server::realtime::report=info")}
    log = open(f"{home}/server.log", "w")
    process = subprocess.Popen([binary, "serve", "--addr", f"127.0.0.1:{port}", "--profile", profile,
                                "--threads", str(threads)], stdout=subprocess.PIPE, stderr=log, env=env,
                               text=True)
    process.log_path = log.name
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


def stage_secs(log_path, response_id):
    """The server's stage times of one response (seconds from the end of speech as turn
    detection decided it), from its `realtime response` log line."""
    with open(log_path) as log:
        for line in log:
            if response_id in line and "realtime response" in line:
                return {key: float(value) for key, value in
                        re.findall(r"(transcript_secs|first_token_secs|first_audio_secs)=([0-9.]+)", line)}
    return {}


async def agent_first_answer(port, voice, question, speech_end, caller, log_path):
    """A fresh agent session's first answer: seconds from the question's last spoken sample to
    the pause being detected, the transcript, the first token and the first audio."""
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime", max_size=None)
    session = {"type": "realtime", "temperature": 0, "max_output_tokens": 60,
               "instructions": AGENT_INSTRUCTIONS.format(caller=caller), "tools": AGENT_TOOLS,
               "tool_choice": "auto",
               "audio": {"output": {"voice": voice}, "input": {
                   "turn_detection": {"type": "semantic_vad", "interrupt_response": True},
                   "transcription": {"model": "gpt-4o-mini-transcribe"}}}}
    await ws.send(json.dumps({"type": "session.update", "session": session}))
    while json.loads(await ws.recv())["type"] != "session.updated":
        pass
    loop = asyncio.get_running_loop()
    started = loop.time() + 2.0  # the caller starts speaking 2 s after connecting
    end = started + speech_end
    sender = asyncio.create_task(send_paced(ws, question, started))
    seen, response_id = {}, None
    async for message in ws:
        event = json.loads(message)
        kind, now = event["type"], loop.time() - end
        if kind == "input_audio_buffer.speech_stopped":
            seen.setdefault("pause", now)
        elif kind == "conversation.item.input_audio_transcription.completed":
            seen.setdefault("transcript", now)
        elif kind == "response.created":
            response_id = event["response"]["id"]
        elif kind == "response.output_audio.delta":
            seen.setdefault("audio", now)
        elif kind == "response.done":
            seen["cached"] = event["response"]["usage"]["input_token_details"].get("cached_tokens", 0)
            seen["input"] = event["response"]["usage"]["input_token_details"]["text_tokens"]
            break
    sender.cancel()
    await ws.close()
    await asyncio.sleep(0.2)  # the log line is written as the response ends
    stages = stage_secs(log_path, response_id)
    if "first_token_secs" in stages:
        # The server counts from the pause it detected; the caller from their last word.
        seen["token"] = seen["pause"] + stages["first_token_secs"]
    return seen


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


async def agent_rows(port, question, speech_end, log_path):
    print()
    print("fresh agent session (instructions naming the caller, 2 tools, semantic_vad, transcription), "
          "ms from the end of speech, median (range):")
    print("| voice | pause detected | transcript | first token | **first audio** | prompt read ahead |")
    print("|---|---|---|---|---|---|")
    runs = 0
    for voice in AGENT_VOICES:
        rows = []
        for _ in range(RUNS):
            rows.append(await agent_first_answer(port, voice, question, speech_end,
                                                 f"{CALLERS[runs % len(CALLERS)]} {runs}", log_path))
            runs += 1
        cells = []
        for stage in ["pause", "transcript", "token", "audio"]:
            values = [row[stage] for row in rows if stage in row]
            cells.append(f"{median_ms(values)} ({spread_ms(values)})" if values else "-")
        cached = statistics.median(row["cached"] for row in rows)
        read = statistics.median(row["input"] for row in rows)
        print(f"| {voice} | {' | '.join(cells)} | {cached:.0f} of {read:.0f} tokens |", flush=True)


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
        if "plain" in ROWS:
            print("| voice | end of speech -> first audio (ms) | barge-in: speech_started -> last audio delta (ms) |")
            print("|---|---|---|")
            for voice in VOICES:
                await end_of_speech_to_first_audio(port, voice, question, speech_end)  # warm-up
                firsts = [await end_of_speech_to_first_audio(port, voice, question, speech_end)
                          for _ in range(RUNS)]
                barges = [await barge_in(port, voice, interruption) for _ in range(RUNS)]
                print(f"| {voice} | {median_ms(firsts)} ({spread_ms(firsts)}) | "
                      f"{median_ms(barges)} ({spread_ms(barges)}) |", flush=True)
        if "agent" in ROWS:
            await agent_rows(port, question, speech_end, process.log_path)
        after_runs = rss_mib(process.pid)
        # 16: one caller's default session limit (--caller-max-realtime-sessions).
        sessions = await idle_sessions(port, 16)
        with_sessions = rss_mib(process.pid)
        for ws in sessions:
            await ws.close()
        print(f"memory: {ready:.0f} MiB ready, {after_runs:.0f} MiB after the runs, "
              f"{with_sessions:.0f} MiB with {len(sessions)} sessions open "
              f"({(with_sessions - after_runs) * 1024 / len(sessions):.0f} KiB per open session)")
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
