"""Slow and idle connections against a running Vox: do they stay open, and are keyed callers
still served at normal latency while thousands of them are held?

Opens SLOW header tricklers (a byte every 3 s), BODIES slow bodies (Content-Length 1000000,
a byte every 5 s) and IDLE silent sockets, none with a key, then measures a keyed GET
/v1/models on a fresh connection every 0.2 s for the duration, and counts the server's file
descriptors. Prints one table row per run.

    python bench/door/slow_clients.py --url http://127.0.0.1:8000 --key K --pid PID \
        [--slow 4400 --bodies 300 --idle 300 --seconds 45]
"""

import argparse
import asyncio
import os
import resource
import statistics
import time
from urllib.parse import urlparse


def raise_open_files():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Tally:
    def __init__(self):
        self.opened = 0
        self.failed_to_open = 0
        self.closed_by_server = 0


async def hold(host, port, tally, first, then, every, until):
    """One hostile connection: `first` bytes, then `then` one byte at a time, `every` apart."""
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        tally.failed_to_open += 1
        return
    tally.opened += 1
    try:
        if first:
            writer.write(first)
        for byte in then:
            if time.monotonic() > until:
                break
            if every:
                writer.write(bytes([byte]))
            await writer.drain()
            try:
                data = await asyncio.wait_for(reader.read(4096), timeout=every or 1.0)
                if not data:
                    tally.closed_by_server += 1
                    return
            except asyncio.TimeoutError:
                pass
        # Still open at the end of the run.
    except (ConnectionError, OSError):
        tally.closed_by_server += 1
    finally:
        writer.close()


async def keyed_latency(host, port, key, until, samples, errors):
    request = f"GET /v1/models HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {key}\r\nconnection: close\r\n\r\n".encode()
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
            writer.write(request)
            await writer.drain()
            head = await asyncio.wait_for(reader.read(64), 10)
            writer.close()
            if head.startswith(b"HTTP/1.1 200"):
                samples.append((time.monotonic() - started) * 1000)
            else:
                errors.append(head[:40])
        except (OSError, asyncio.TimeoutError) as err:
            errors.append(repr(err)[:40])
        await asyncio.sleep(0.2)


def open_fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


async def run(args):
    url = urlparse(args.url)
    host, port = url.hostname, url.port
    baseline, errors = [], []
    await keyed_latency(host, port, args.key, time.monotonic() + 5, baseline, errors)
    fds_before = open_fds(args.pid)
    until = time.monotonic() + args.seconds
    tally = Tally()
    head = f"GET /v1/models HTTP/1.1\r\nhost: {host}\r\n".encode() + b"x-pad: " + b"a" * 100000
    body_head = (f"POST /v1/chat/completions HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
                 "content-length: 1000000\r\n\r\n").encode()
    hostile = []
    for i in range(args.slow):
        hostile.append(hold(host, port, tally, b"", head, 3.0, until))
    for i in range(args.bodies):
        hostile.append(hold(host, port, tally, body_head, b" " * 100000, 5.0, until))
    for i in range(args.idle):
        hostile.append(hold(host, port, tally, b"", b"\0" * 100000, 0, until))
    tasks = [asyncio.ensure_future(h) for h in hostile]
    await asyncio.sleep(min(10, args.seconds / 3))
    during, during_errors = [], []
    peak = [0]

    async def watch():
        while time.monotonic() < until:
            peak[0] = max(peak[0], open_fds(args.pid))
            await asyncio.sleep(1)

    watcher = asyncio.ensure_future(watch())
    await keyed_latency(host, port, args.key, until, during, during_errors)
    fds_end = open_fds(args.pid)
    await asyncio.gather(*tasks, return_exceptions=True)
    watcher.cancel()

    def pct(values, q):
        if not values:
            return float("nan")
        values = sorted(values)
        return values[min(len(values) - 1, int(q * len(values)))]

    print(f"| {args.label} | {args.slow}+{args.bodies}+{args.idle} | {tally.opened} | {tally.closed_by_server} | "
          f"{fds_before} -> {peak[0]} (end {fds_end}) | {pct(baseline, 0.5):.1f} / {pct(baseline, 0.95):.1f} | "
          f"{pct(during, 0.5):.1f} / {pct(during, 0.95):.1f} | {len(during)} ok, {len(during_errors)} failed |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--pid", required=True, type=int)
    parser.add_argument("--label", default="vox")
    parser.add_argument("--slow", type=int, default=4400)
    parser.add_argument("--bodies", type=int, default=300)
    parser.add_argument("--idle", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=45)
    args = parser.parse_args()
    raise_open_files()
    print("| server | hostile (slow heads+bodies+idle) | opened | closed by server | server fds (peak) | "
          "keyed ms p50/p95 before | keyed ms p50/p95 during | keyed requests |")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
