"""Language model throughput, Vox against llama.cpp's own server, same GGUF, same threads and
slots, same client: streamed chat completions at 1 and 4 concurrent requests.

Per request: prompt tokens per second = prompt tokens / time to the first token; generation
tokens per second = (completion tokens - 1) / (last token - first token). Aggregate = all
completion tokens of a round / the round's wall time."""

import http.client
import json
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

PROMPT = (
    "You are helping with a counting exercise for a school class. The class has {n} pupils and "
    "each pupil will read one number aloud. Please write the numbers from 1 to 400 in digits, "
    "separated by commas, with nothing else before or after the list."
)
MAX_TOKENS = 128
ROUNDS = 3


def stream_one(url, model, n):
    address = urlparse(url)
    body = {
        "model": model,
        "messages": [{"role": "user", "content": PROMPT.format(n=n)}],
        "max_tokens": MAX_TOKENS,
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=600)
    started = time.perf_counter()
    connection.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 200, response.read()
    first = usage = None
    for raw in response:
        line = raw.decode().strip()
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = json.loads(line[6:])
        if chunk.get("usage"):
            usage = chunk["usage"]
        choices = chunk.get("choices") or []
        if first is None and choices and choices[0].get("delta", {}).get("content"):
            first = time.perf_counter()
    ended = time.perf_counter()
    connection.close()
    return {"start": started, "first": first, "end": ended, "prompt": usage["prompt_tokens"], "completion": usage["completion_tokens"]}


def round_of(url, model, concurrency, round_index):
    with ThreadPoolExecutor(concurrency) as pool:
        # Distinct prompts: no request may reuse another's cached prefix wholesale.
        results = list(pool.map(lambda i: stream_one(url, model, 1000 * round_index + i), range(concurrency)))
    wall = max(r["end"] for r in results) - min(r["start"] for r in results)
    return results, sum(r["completion"] for r in results) / wall


def measure(name, url, model):
    stream_one(url, model, 999_999)  # warm-up
    for concurrency in (1, 4):
        prompt_rates, gen_rates, aggregates = [], [], []
        for round_index in range(ROUNDS):
            results, aggregate = round_of(url, model, concurrency, round_index + concurrency * 10)
            aggregates.append(aggregate)
            for r in results:
                prompt_rates.append(r["prompt"] / (r["first"] - r["start"]))
                gen_rates.append((r["completion"] - 1) / (r["end"] - r["first"]))
        print(
            f"{name:10} concurrency {concurrency}: prompt {statistics.median(prompt_rates):6.1f} tok/s, "
            f"generation per stream {statistics.median(gen_rates):5.1f} tok/s, "
            f"aggregate {statistics.median(aggregates):5.1f} tok/s",
            flush=True,
        )


def wait_for_line(process, prefix):
    for line in process.stdout:
        if line.startswith(prefix):
            return line.strip()
    raise RuntimeError(f"server exited before printing {prefix!r}")


def main():
    vox_binary, models_dir, profile, gguf, threads = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
    slots, context = 4, 4096
    vox = subprocess.Popen(
        [vox_binary, "serve", "--addr", "127.0.0.1:8790", "--profile", profile, "--models-dir", models_dir,
         "--threads", threads, "--llm-slots", str(slots), "--llm-context", str(context)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        wait_for_line(vox, "vox listening on ")
        measure("vox", "http://127.0.0.1:8790", "gpt-4o-mini")
    finally:
        vox.terminate()
        vox.wait()
    reference = subprocess.Popen(
        [sys.executable, __file__.replace("llm_bench.py", "llamacpp_server.py"), gguf, "8791", threads, str(slots), str(context)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        wait_for_line(reference, "listening ")
        measure("llama.cpp", "http://127.0.0.1:8791", "reference")
    finally:
        reference.kill()
        reference.wait()


if __name__ == "__main__":
    main()
