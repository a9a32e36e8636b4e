"""Speech synthesis, Vox against the piper-tts package (PyPI), same voice (Piper en_US-joe-medium),
same text, in one run. Real-time factor = synthesis time / audio duration (lower is faster);
first audio = time from the request to the first audio bytes (Vox: over HTTP, pcm from
/v1/audio/speech; piper-tts: its first chunk, in process)."""

import http.client
import json
import statistics
import subprocess
import sys
import time

from piper import PiperVoice

PARAGRAPH = (
    "Golden retrievers are gentle, patient and loyal family dogs. They love to play fetch and to swim. "
    "With daily exercise and a little training, they fit well into most homes."
)
RUNS = 5


def piper_tts(model):
    voice = PiperVoice.load(model)
    list(voice.synthesize("Warm up."))
    firsts, rtfs = [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        first, samples = None, 0
        for chunk in voice.synthesize(PARAGRAPH):
            first = first or time.perf_counter() - started
            samples += len(chunk.audio_int16_bytes) // 2
        elapsed = time.perf_counter() - started
        firsts.append(first)
        rtfs.append(elapsed / (samples / voice.config.sample_rate))
    return statistics.median(firsts), statistics.median(rtfs)


def vox_speech(port):
    body = json.dumps({"model": "tts-1", "voice": "echo", "input": PARAGRAPH, "response_format": "pcm"})
    firsts, rtfs = [], []
    for run in range(RUNS + 1):
        connection = http.client.HTTPConnection("127.0.0.1", port)
        started = time.perf_counter()
        connection.request("POST", "/v1/audio/speech", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        first, size = None, 0
        while chunk := response.read1(65536):
            first = first or time.perf_counter() - started
            size += len(chunk)
        elapsed = time.perf_counter() - started
        connection.close()
        if run == 0:
            continue  # warm-up
        firsts.append(first)
        rtfs.append(elapsed / (size / 2 / 24000))
    return statistics.median(firsts), statistics.median(rtfs)


def main():
    vox_binary, models_dir, threads = sys.argv[1], sys.argv[2], sys.argv[3]
    model = f"{models_dir}/piper-en-us-joe-medium/en_US-joe-medium.onnx"
    vox = subprocess.Popen(
        [vox_binary, "serve", "--addr", "127.0.0.1:8792", "--profile", "test", "--models-dir", models_dir, "--threads", threads],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert vox.stdout.readline().startswith("vox listening on ")
        first, rtf = vox_speech(8792)
    finally:
        vox.terminate()
        vox.wait()
    print(f"vox        joe: first audio {first * 1000:6.0f} ms, real-time factor {rtf:.3f}", flush=True)
    first, rtf = piper_tts(model)
    print(f"piper-tts  joe: first audio {first * 1000:6.0f} ms, real-time factor {rtf:.3f}", flush=True)


if __name__ == "__main__":
    main()
