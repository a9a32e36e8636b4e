"""One caller flooding at ten times its limit, another caller's latency measured alone and
during the flood. Starts Vox itself (test profile unless told otherwise) with a per-caller
limit of LIMIT requests per minute; caller A sends chat completions at 10 x LIMIT per minute,
caller B one a second after the last answer. Prints B's p50/p95 both ways and what A got.

    .venv/bin/python bench/door/caller_flood.py target/release/vox [MODELS_DIR] [PROFILE]
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

LIMIT = 60  # requests per minute per caller
SECONDS = 40
KEYS = ("sk-bench-flooder", "sk-bench-neighbour")
BODY = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hi."}],
                   "max_tokens": 8, "temperature": 0}).encode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url, key):
    started = time.perf_counter()
    call = urllib.request.Request(f"{url}/v1/chat/completions", data=BODY, method="POST",
                                  headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(call, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.perf_counter() - started


def neighbour(url, seconds):
    latencies = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        status, secs = request(url, KEYS[1])
        assert status == 200, status
        latencies.append(secs)
        time.sleep(1.0)  # under its own 60 a minute
    return latencies


def flood(url, seconds, outcome):
    interval = 60.0 / (10 * LIMIT)
    end = time.monotonic() + seconds
    threads = []
    while time.monotonic() < end:
        thread = threading.Thread(target=lambda: outcome.append(request(url, KEYS[0])[0]))
        thread.start()
        threads.append(thread)
        time.sleep(interval)
    for thread in threads:
        thread.join()


def ms(values, q):
    return statistics.quantiles(values, n=20)[q] * 1000 if len(values) > 2 else float("nan")


def main():
    binary = sys.argv[1]
    env = {**os.environ, "RUST_LOG": "warn", "VOX_API_KEYS": ",".join(KEYS), "VOX_HOME": f"/tmp/vox-flood-{os.getpid()}"}
    if len(sys.argv) > 2:
        env["VOX_MODELS_DIR"] = sys.argv[2]
    port = free_port()
    process = subprocess.Popen([binary, "serve", "--addr", f"127.0.0.1:{port}", "--profile",
                                sys.argv[3] if len(sys.argv) > 3 else "test",
                                "--caller-requests-per-minute", str(LIMIT)], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env=env, text=True)
    line = process.stdout.readline()
    assert line.startswith("vox listening on "), line
    url = line.strip().removeprefix("vox listening on ")
    try:
        for _ in range(3):
            request(url, KEYS[1])
        alone = neighbour(url, SECONDS)
        outcome = []
        flooder = threading.Thread(target=flood, args=(url, SECONDS, outcome))
        flooder.start()
        during = neighbour(url, SECONDS)
        flooder.join()
    finally:
        process.terminate()
        process.wait(timeout=30)
    admitted = outcome.count(200)
    refused = outcome.count(429)
    print(f"per-caller limit {LIMIT}/min; caller A sent {len(outcome)} in {SECONDS} s ({len(outcome) * 60 // SECONDS}/min): "
          f"{admitted} admitted, {refused} refused with 429, {len(outcome) - admitted - refused} other")
    print("| caller B (chat completion, 8 tokens) | requests | p50 (ms) | p95 (ms) |")
    print("|---|---|---|---|")
    print(f"| alone | {len(alone)} | {ms(alone, 9):.0f} | {ms(alone, 18):.0f} |")
    print(f"| during A's flood | {len(during)} | {ms(during, 9):.0f} | {ms(during, 18):.0f} |")


if __name__ == "__main__":
    main()
