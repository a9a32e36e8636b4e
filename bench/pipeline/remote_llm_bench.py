"""The cost of the hop to a remote language model: the pipeline benchmark's first audio byte and
whole-answer time with the language model in process, then with it on a second Vox on the same
machine (`[profiles.remote.llm] kind = "openai"`), the voices staying local either way.

Usage: python3 bench/pipeline/remote_llm_bench.py VOX_BINARY MODELS_DIR THREADS PROFILE
"""

import os
import statistics
import subprocess
import sys
import tempfile

from pipeline_bench import QUESTION, RUNS, VOICES, first_audio, resident_mb, whole_time

FRONT_PORT, UPSTREAM_PORT = 8795, 8796


def start(vox_binary, models_dir, threads, port, *args):
    process = subprocess.Popen(
        [vox_binary, "serve", "--addr", f"127.0.0.1:{port}", "--models-dir", models_dir, "--threads", threads, *args],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert process.stdout.readline().startswith("vox listening on "), "vox did not start"
    return process


def measure(label, port, pid):
    prompt = [{"role": "user", "content": QUESTION}]
    for voice in VOICES:
        first_audio(port, voice, prompt)  # warm-up
        firsts = [first_audio(port, voice, prompt)[0] for _ in range(RUNS)]
        wholes = [whole_time(port, voice) for _ in range(RUNS)]
        print(f"{label:12} {voice:7} first audio byte {statistics.median(firsts) * 1000:5.0f} ms "
              f"({min(firsts) * 1000:4.0f}-{max(firsts) * 1000:4.0f}) | whole answer {statistics.median(wholes):5.2f} s "
              f"({min(wholes):.2f}-{max(wholes):.2f})", flush=True)
    print(f"{label:12} resident memory of the answering server: {resident_mb(pid)[0]} MiB", flush=True)


def main():
    vox_binary, models_dir, threads, profile = sys.argv[1:5]
    print(f"profile {profile}, {threads} threads each, median of {RUNS}; same machine for both servers")
    local = start(vox_binary, models_dir, threads, FRONT_PORT, "--profile", profile)
    try:
        measure("in process", FRONT_PORT, local.pid)
    finally:
        local.terminate(), local.wait(timeout=30)
    upstream = start(vox_binary, models_dir, threads, UPSTREAM_PORT, "--profile", profile)
    front = None
    try:
        with tempfile.TemporaryDirectory() as directory:
            config = os.path.join(directory, "vox.toml")
            with open(config, "w") as file:
                file.write(f'[profiles.remote]\nmodels = "{profile}"\n[profiles.remote.llm]\nkind = "openai"\n'
                           f'base_url = "http://127.0.0.1:{UPSTREAM_PORT}/v1"\nmodel = "gpt-4o-mini"\n')
            # A home of its own: the upstream holds the default home's audio store.
            front = start(vox_binary, models_dir, threads, FRONT_PORT, "--config", config, "--profile", "remote",
                          "--home", directory)
            measure("remote LLM", FRONT_PORT, front.pid)
    finally:
        for server in (front, upstream):
            if server is not None:
                server.terminate(), server.wait(timeout=30)

if __name__ == "__main__":
    main()
