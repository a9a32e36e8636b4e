"""Audio chat completions end to end on a running Vox (started here): time to the first audio
byte for a streamed text prompt, time from the end of a spoken question to the first audio
byte, and the whole (non-streamed) response time against generation + the last clause's
synthesis. Median of RUNS runs each; greedy decoding so every run answers the same."""

import base64
import http.client
import json
import os
import statistics
import struct
import subprocess
import sys
import time

QUESTION = "Is a golden retriever a good family dog?"
RUNS = 10
# The quickstart's three voices (hibari, Piper, hibari brighter); VOX_BENCH_VOICES=a,b overrides.
VOICES = os.environ.get("VOX_BENCH_VOICES", "alloy,echo,shimmer").split(",")
MAX_TOKENS = 60
# A spoken question takes longer than this to recognise: hanging up then stops recognition.
RECOGNITION_HANG_UP_SECS = 0.25
# -60 dBFS in 16-bit samples: anything louder is sound.
AUDIBLE = 33
PCM_RATE = 24000


def post(port, path, body, on_line=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 200, response.read()[:300]
    if on_line is None:
        data = response.read()
        connection.close()
        return data
    for raw in response:
        line = raw.decode().strip()
        if line.startswith("data: ") and line != "data: [DONE]":
            if on_line(json.loads(line[6:])):
                break
    connection.close()
    return None


def chat_body(voice, messages, stream, fmt="pcm16"):
    return {"model": "gpt-4o-audio-preview", "modalities": ["text", "audio"], "audio": {"voice": voice, "format": fmt},
            "messages": messages, "stream": stream, "temperature": 0, "max_tokens": MAX_TOKENS}


def first_audio(port, voice, messages):
    """Seconds to the first audio byte, and until the first sound (a sample above -60 dBFS) is
    heard by a listener whose player starts at the first byte: a voice that begins with silence
    is heard later than its first byte."""
    started = time.perf_counter()
    found = {"silent_samples": 0}

    def on_line(chunk):
        audio = (chunk.get("choices") or [{}])[0].get("delta", {}).get("audio") or {}
        if audio.get("data"):
            found.setdefault("byte", time.perf_counter() - started)
            samples = [s for (s,) in struct.iter_unpack("<h", base64.b64decode(audio["data"]))]
            sound = next((i for i, s in enumerate(samples) if abs(s) > AUDIBLE), None)
            if sound is not None:
                played = (found["silent_samples"] + sound) / PCM_RATE
                found["heard"] = max(found["byte"] + played, time.perf_counter() - started)
                return True
            found["silent_samples"] += len(samples)
        return False

    post(port, "/v1/chat/completions", chat_body(voice, messages, True), on_line)
    return found["byte"], found["heard"]


def spoken_question(port):
    """The question as 3 s of speech (Vox's own echo voice, padded with silence), as WAV."""
    pcm = post(port, "/v1/audio/speech", {"model": "tts-1", "voice": "echo", "input": QUESTION, "response_format": "pcm"})
    pcm = pcm[: 3 * 48000].ljust(3 * 48000, b"\0")
    header = b"RIFF" + (36 + len(pcm)).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
    header += (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + (24000).to_bytes(4, "little")
    header += (48000).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
    header += b"data" + len(pcm).to_bytes(4, "little")
    return base64.b64encode(header + pcm).decode()


def generation_time(port):
    """Streamed text-only: request to the last token, and the answer's last clause."""
    started = time.perf_counter()
    text = []

    def on_line(chunk):
        delta = (chunk.get("choices") or [{}])[0].get("delta", {})
        text.append(delta.get("content") or "")
        return False

    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": QUESTION}], "stream": True,
            "temperature": 0, "max_tokens": MAX_TOKENS}
    post(port, "/v1/chat/completions", body, on_line)
    answer = "".join(text).strip()
    sentences = [s for s in answer.replace("!", ".").replace("?", ".").split(".") if s.strip()]
    return time.perf_counter() - started, (sentences[-1].strip() + ".") if sentences else answer


def synthesis_time(port, voice, text):
    started = time.perf_counter()
    post(port, "/v1/audio/speech", {"model": "tts-1", "voice": voice, "input": text, "response_format": "pcm"})
    return time.perf_counter() - started


def whole_time(port, voice):
    started = time.perf_counter()
    post(port, "/v1/chat/completions", chat_body(voice, [{"role": "user", "content": QUESTION}], False, "wav"))
    return time.perf_counter() - started


def resident_mb(pid):
    """The server's resident memory now and at its peak (VmRSS, VmHWM), in MiB."""
    with open(f"/proc/{pid}/status") as status:
        fields = dict(line.split(":", 1) for line in status if ":" in line)
    return tuple(int(fields[key].split()[0]) // 1024 for key in ("VmRSS", "VmHWM"))


def cpu_ticks(pid):
    """User + system CPU time of the server so far, in clock ticks (10 ms)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def stop_after_disconnect(port, pid, body, close_when):
    """Sends a streamed request, hangs up once `close_when(chunk)` says so, and returns how long
    the server kept computing afterwards: the time of the last CPU tick it spent within 1 s."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
    if close_when is None:
        time.sleep(RECOGNITION_HANG_UP_SECS)  # the answer's headers wait for the recognised question
    else:
        for raw in connection.getresponse():
            line = raw.decode().strip()
            if line.startswith("data: ") and line != "data: [DONE]" and close_when(json.loads(line[6:])):
                break
    connection.sock.shutdown(2)
    connection.close()
    closed = time.perf_counter()
    last_busy, ticks = closed, cpu_ticks(pid)
    while time.perf_counter() - closed < 1.0:
        time.sleep(0.002)
        now = cpu_ticks(pid)
        if now != ticks:
            last_busy, ticks = time.perf_counter(), now
    return last_busy - closed


def disconnects(port, pid, voice, spoken):
    """Hang-ups while the answer is recognised, generated, and spoken."""
    delta = lambda chunk: (chunk.get("choices") or [{}])[0].get("delta", {})
    long_answer = [{"role": "user", "content": "Tell me a long story about a golden retriever."}]
    body = lambda messages: {**chat_body(voice, messages, True), "max_tokens": 400}
    stages = {
        "recognition": (body(spoken), None),
        "generation": (body(long_answer), lambda chunk: bool((delta(chunk).get("audio") or {}).get("transcript"))),
        "synthesis": (body(long_answer), lambda chunk: bool((delta(chunk).get("audio") or {}).get("data"))),
    }
    return {stage: median(lambda: stop_after_disconnect(port, pid, *stages[stage])) for stage in stages}


def median(f):
    return statistics.median(f() for _ in range(RUNS))


def medians(f):
    """Runs `f` RUNS times; the median of each element of the tuples it returns."""
    runs = [f() for _ in range(RUNS)]
    return tuple(statistics.median(column) for column in zip(*runs))


def measure(profile, port, pid):
    text_prompt = [{"role": "user", "content": QUESTION}]
    question = spoken_question(port)
    spoken = [{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": question, "format": "wav"}}]}]
    for voice in VOICES:
        first_audio(port, voice, text_prompt)  # warm-up
        text_first, text_heard = medians(lambda: first_audio(port, voice, text_prompt))
        speech_first, speech_heard = medians(lambda: first_audio(port, voice, spoken))
        generation, last_clause = statistics.median([generation_time(port)[0] for _ in range(3)]), generation_time(port)[1]
        last_synthesis = median(lambda: synthesis_time(port, voice, last_clause))
        whole = median(lambda: whole_time(port, voice))
        print(
            f"{profile:8} {voice:6} first audio byte (first sound): text {text_first * 1000:5.0f} ms "
            f"({text_heard * 1000:5.0f}), after 3 s of speech {speech_first * 1000:5.0f} ms ({speech_heard * 1000:5.0f})"
            f" | whole {whole:5.2f} s vs generation {generation:5.2f} s + last "
            f"clause {last_synthesis:4.2f} s = {whole / (generation + last_synthesis):4.2f}x",
            flush=True,
        )
        busy = disconnects(port, pid, voice, spoken)
        print(f"{profile:8} {voice:6} busy after the client hangs up: "
              + ", ".join(f"during {stage} {secs * 1000:4.0f} ms" for stage, secs in busy.items()), flush=True)


def main():
    vox_binary, models_dir, threads = sys.argv[1], sys.argv[2], sys.argv[3]
    for profile in sys.argv[4:]:
        port = 8793
        vox = subprocess.Popen(
            [vox_binary, "serve", "--addr", f"127.0.0.1:{port}", "--profile", profile, "--models-dir", models_dir,
             "--threads", threads],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        try:
            assert vox.stdout.readline().startswith("vox listening on ")
            idle = resident_mb(vox.pid)[0]
            measure(profile, port, vox.pid)
            now, peak = resident_mb(vox.pid)
            print(f"{profile:8} memory: {idle} MiB resident when ready, {now} MiB after the runs, peak {peak} MiB")
        finally:
            vox.terminate()
            vox.wait()


if __name__ == "__main__":
    main()
