"""Realtime sessions speaking at once: N callers (1, 4, 8, 16) each open a session and speak the
same question at the same moment, at real-time pace. Per N: sessions opened, refused before the
upgrade (429), turns answered, turns refused in the session (error events, by code), and the
end of speech -> first audio of the answered ones (median, max). Run for each binary given:

    VOX_MODELS_DIR=target/vox-test-models \\
        python bench/door/realtime_crowd.py --binary /tmp/vox-before --binary target/release/vox
"""

import argparse
import asyncio
import collections
import json
import os
import statistics
import sys
import time

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "realtime"))
import realtime_bench as rt  # noqa: E402  (the realtime bench's server, speech and pacing)

CROWDS = [1, 4, 8, 16]
ANSWER_WAIT_SECS = 90


async def caller(port, question, speech_end, outcome):
    try:
        ws = await rt.open_session(port, "alloy")
    except websockets.InvalidStatus as refused:
        outcome["refused"].append(refused.response.status_code)
        return
    except Exception as error:  # noqa: BLE001 - a bench counts every way a caller fails
        outcome["failed"].append(type(error).__name__)
        return
    outcome["opened"] += 1
    loop = asyncio.get_running_loop()
    started = loop.time()
    sender = asyncio.create_task(rt.send_paced(ws, question, started))
    try:
        async with asyncio.timeout(ANSWER_WAIT_SECS):
            async for message in ws:
                event = json.loads(message)
                if event["type"] == "response.output_audio.delta":
                    outcome["first_audio"].append(loop.time() - (started + speech_end))
                    break
                if event["type"] == "error":
                    outcome["errors"][event["error"].get("code")] += 1
                    break
                # A turn that could not be recognised is answered by this event, not `error`.
                if event["type"].endswith("input_audio_transcription.failed"):
                    outcome["errors"]["transcription " + str(event["error"].get("code"))] += 1
                    break
    except TimeoutError:
        outcome["errors"]["no answer in 90 s"] += 1
    sender.cancel()
    await ws.close()


async def crowd(port, size, question, speech_end):
    outcome = {"opened": 0, "refused": [], "failed": [], "first_audio": [], "errors": collections.Counter()}
    await asyncio.gather(*(caller(port, question, speech_end, outcome) for _ in range(size)))
    audio = outcome["first_audio"]
    timing = f"first audio median {statistics.median(audio):.1f} s, max {max(audio):.1f} s" if audio else "no audio"
    errors = ", ".join(f"{code} x{n}" for code, n in outcome["errors"].items()) or "none"
    refused = f"{len(outcome['refused'])} ({sorted(set(outcome['refused']))})" if outcome["refused"] else "0"
    print(f"  {size:>2} at once: opened {outcome['opened']}, refused at the door {refused}, "
          f"answered {len(audio)}, refused in session: {errors}; {timing}", flush=True)


async def run(binary, models, threads):
    process, port = rt.start(binary, models, threads, "default")
    try:
        question = rt.speech(port, rt.QUESTION)
        speech_end = rt.speech_end_secs(question)
        # Silence after it, as a microphone keeps sending: the server's window closes the turn.
        question += bytes(2 * rt.RATE * 4)
        await crowd(port, 1, question, speech_end)  # warm-up: the engines measure their costs
        print(f"== {binary}", flush=True)
        for size in CROWDS:
            await crowd(port, size, question, speech_end)
            time.sleep(2)
        print(f"  resident after: {rt.rss_mib(process.pid):.0f} MiB")
    finally:
        process.kill()
        process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", action="append", required=True)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    models = os.environ["VOX_MODELS_DIR"]
    for binary in args.binary:
        asyncio.run(run(binary, models, args.threads))


if __name__ == "__main__":
    main()
