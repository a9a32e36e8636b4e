"""Overload: N streamed spoken answers at once. Are callers refused promptly (429) rather than
admitted into a long silence? Uses the official `openai` SDK (no retries, so a 429 is seen).

Warms the server with two answers one after the other (so its engines have measured their
service times), then starts N at the same moment and prints: completed, refused (429, with
the Retry-After range), other errors, and the time to first audio of the admitted ones.

    python bench/door/overload.py --url http://127.0.0.1:8000/v1 [--key K] [--label L] 8 16 32
"""

import argparse
import asyncio
import statistics
import time

import openai

QUESTION = "In two or three sentences, why are golden retrievers good family dogs?"


async def one(client, results):
    started = time.monotonic()
    first_audio = None
    try:
        stream = await client.chat.completions.create(
            model="gpt-4o-audio-preview", modalities=["text", "audio"],
            audio={"voice": "alloy", "format": "pcm16"}, stream=True, max_tokens=80,
            messages=[{"role": "user", "content": QUESTION}])
        async for chunk in stream:
            # `audio` is not a field of the SDK's delta type: read it from the raw chunk.
            choices = chunk.model_dump().get("choices") or [{}]
            audio = (choices[0].get("delta") or {}).get("audio") or {}
            if first_audio is None and audio.get("data"):
                first_audio = time.monotonic() - started
        results["completed"].append(first_audio if first_audio is not None else float("nan"))
    except openai.RateLimitError as err:
        results["refused"].append((time.monotonic() - started, err.response.headers.get("retry-after")))
    except Exception as err:  # noqa: BLE001 - counted and shown
        results["errors"].append(repr(err)[:80])


def pct(values, q):
    values = sorted(v for v in values if v == v)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))]


async def run(args):
    client = openai.AsyncOpenAI(base_url=args.url, api_key=args.key, max_retries=0, timeout=600)
    warm = {"completed": [], "refused": [], "errors": []}
    for _ in range(2):
        await one(client, warm)
    print("| server | concurrent | completed | refused (429) | refused in | Retry-After | errors | "
          "first audio p50 / p95 / max (admitted) |")
    for n in args.concurrency:
        results = {"completed": [], "refused": [], "errors": []}
        await asyncio.gather(*(one(client, results) for _ in range(n)))
        admitted = results["completed"]
        refused_in = [t for t, _ in results["refused"]]
        retry = sorted(int(r) for _, r in results["refused"] if r)
        retry_range = f"{retry[0]}-{retry[-1]} s" if retry else "-"
        refused_time = f"{max(refused_in):.2f} s max" if refused_in else "-"
        print(f"| {args.label} | {n} | {len(admitted)} | {len(results['refused'])} | {refused_time} | {retry_range} | "
              f"{len(results['errors'])} | {pct(admitted, 0.5):.1f} / {pct(admitted, 0.95):.1f} / "
              f"{max(admitted, default=float('nan')):.1f} s |", flush=True)
        if results["errors"]:
            print("   errors:", results["errors"][:3])
        # Let the queues drain before the next level.
        await asyncio.sleep(5)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", default="none")
    parser.add_argument("--label", default="vox")
    parser.add_argument("concurrency", nargs="+", type=int)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
