"""The chat playground's time to first audio, as a person meets it, beside the API's.

Starts Vox, opens the page in Debian's Chromium (Playwright), and for each voice asks the same
typed question RUNS times (greedy decoding, no system message, a fresh chat each time): the
page's own "first audio" figure is from pressing Enter to the first answer audio starting to
sound (Web Audio). The API's figure is the same request streamed by a plain HTTP client, to the
first audio byte. Their difference is what the page adds: the browser, base64 and scheduling.

Usage: python3 bench/playground/playground_bench.py VOX_BINARY MODELS_DIR THREADS PROFILE
"""

import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time

from playwright.sync_api import sync_playwright

QUESTION = "Is a golden retriever a good family dog?"
RUNS = int(os.environ.get("VOX_BENCH_RUNS", "10"))
VOICES = os.environ.get("VOX_BENCH_VOICES", "alloy,echo,ash").split(",")
MAX_TOKENS = 60


def api_first_audio(port, voice):
    body = {"model": "gpt-4o-audio-preview", "modalities": ["text", "audio"], "audio": {"voice": voice, "format": "pcm16"},
            "messages": [{"role": "user", "content": QUESTION}], "stream": True, "temperature": 0,
            "top_p": 1, "max_completion_tokens": MAX_TOKENS}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 200, response.read()[:300]
    for raw in response:
        line = raw.decode().strip()
        if line.startswith("data: {") and '"data":' in line:
            elapsed = time.perf_counter() - started
            connection.close()
            return elapsed
    raise AssertionError("no audio in the answer")


def page_first_audio(page, voice):
    page.get_by_role("button", name="Clear chat").click()
    page.get_by_role("combobox", name="Voice").select_option(voice)
    page.get_by_role("textbox", name="Message").fill(QUESTION)
    page.get_by_role("textbox", name="Message").press("Enter")
    note = page.locator("li.turn.assistant").first.get_by_text("first audio")
    note.wait_for(timeout=120_000)
    seconds = float(re.search(r"first audio ([\d.]+) s", note.inner_text()).group(1))
    # Let the answer arrive whole before the next run, so that runs do not overlap.
    page.locator("li.turn.assistant audio").first.wait_for(timeout=120_000)
    return seconds


def prepare(page):
    page.wait_for_function("() => document.querySelectorAll('#voice option').length > 0")
    page.get_by_label("Sample instructions").select_option(label="None")
    page.locator("#temperature").evaluate("e => { e.value = '0'; e.dispatchEvent(new Event('input')) }")
    page.get_by_label("Max response tokens").fill(str(MAX_TOKENS))


def main():
    vox_binary, models_dir, threads, profile = sys.argv[1:5]
    port = 8794
    vox = subprocess.Popen(
        [vox_binary, "serve", "--addr", f"127.0.0.1:{port}", "--profile", profile, "--models-dir", models_dir,
         "--threads", threads],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert vox.stdout.readline().startswith("vox listening on ")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=["--autoplay-policy=no-user-gesture-required"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            prepare(page)
            print(f"profile {profile}, {threads} threads, median of {RUNS} (min-max), seconds")
            print(f"{'voice':8} {'page: first audio sounds':>26} {'API: first audio byte':>24} {'page adds':>10}")
            for voice in VOICES:
                page_first_audio(page, voice)  # warm-up
                on_page = [page_first_audio(page, voice) for _ in range(RUNS)]
                by_api = [api_first_audio(port, voice) for _ in range(RUNS)]
                p, a = statistics.median(on_page), statistics.median(by_api)
                print(f"{voice:8} {p:>10.3f} ({min(on_page):.3f}-{max(on_page):.3f}) "
                      f"{a:>10.3f} ({min(by_api):.3f}-{max(by_api):.3f}) {p - a:>10.3f}")
            browser.close()
    finally:
        vox.terminate()
        vox.wait(timeout=30)


if __name__ == "__main__":
    main()
