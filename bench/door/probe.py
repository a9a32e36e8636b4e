"""The hardening probe: what one keyed caller can do to a Vox (default profile) and everyone
else on it. Prints one line per finding, so two binaries can be compared with the same command:

    python bench/door/probe.py --binary /tmp/vox-before --binary target/release/vox

1. a 25 MB text chat body: its answer's time and status, and a short chat's time meanwhile;
2. a session.update with 2 MB of instructions, then a response: accepted or refused;
3. 20 realtime items of 9.8 MB: the server's resident memory before and after;
4. a realtime client that stops reading: seconds until the server lets go (cut at 60 s);
5. a 17 MiB frame: the events and close code the client gets;
6. tool_choice naming an undeclared function, a 100 KB eagerness: accepted or refused;
7. chat with response_format yaml / top_logprobs 999: status;
8. a wrong header key beside a right ?api-key: status.
"""

import argparse
import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "realtime"))
from realtime_bench import free_port, rss_mib  # noqa: E402  (the realtime bench's helpers)

KEY = "probe-key"


def start(binary):
    port = free_port()
    home = tempfile.mkdtemp(prefix="vox-probe-")
    env = {**os.environ, "RUST_LOG": "warn"}
    process = subprocess.Popen([binary, "serve", "--addr", f"127.0.0.1:{port}", "--home", home,
                                "--api-key", KEY], stdout=subprocess.PIPE, env=env, text=True)
    assert process.stdout.readline().startswith("vox listening")
    for _ in range(600):
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz").status == 200:
                break
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.5)
    return process, port


def post(port, path, body, headers=None, timeout=300):
    data = json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {KEY}", **(headers or {})})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


def chat(text, **extra):
    return {"model": "gpt-4o-mini", "max_tokens": 8, "messages": [{"role": "user", "content": text}], **extra}


async def flood_and_short(port):
    loop = asyncio.get_running_loop()
    flood = loop.run_in_executor(None, post, port, "/v1/chat/completions", chat("word " * 5_000_000))
    await asyncio.sleep(1.0)
    short = await loop.run_in_executor(None, post, port, "/v1/chat/completions", chat("Say hi."))
    flood_status, flood_secs = await flood
    return f"25 MB body: {flood_status} after {flood_secs:.1f} s; short chat meanwhile {short[1]:.2f} s ({short[0]})"


async def session(port, query=""):
    return await websockets.connect(f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime{query}",
                                    additional_headers={"Authorization": f"Bearer {KEY}"}, max_size=None)


async def until(ws, kinds, timeout=60):
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if event["type"] in kinds:
            return event


async def huge_instructions(port):
    ws = await session(port)
    await ws.send(json.dumps({"type": "session.update", "session": {"instructions": "Be brief. " * 200_000}}))
    first = await until(ws, {"session.updated", "error"})
    await ws.send(json.dumps({"type": "response.create", "response": {"output_modalities": ["text"]}}))
    done = await until(ws, {"response.done", "error"}, timeout=120)
    await ws.close()
    answer = done["response"]["status"] if done["type"] == "response.done" else done["error"]["code"]
    return f"2 MB instructions: {first['type']} ({first.get('error', {}).get('code', '')}); next response: {answer}"


async def big_items(port, pid):
    before = rss_mib(pid)
    ws = await session(port)
    text = "x" * 9_800_000
    refused = 0
    for _ in range(20):
        await ws.send(json.dumps({"type": "conversation.item.create", "item": {
            "type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}}))
        event = await until(ws, {"conversation.item.added", "error"})
        refused += event["type"] == "error"
    after = rss_mib(pid)
    await ws.close()
    return f"20 items of 9.8 MB: {refused} refused, resident {before:.0f} -> {after:.0f} MiB (+{after - before:.0f})"


def server_side_state(server_port, client_port):
    """The TCP state of the server's end of our connection ("01" is established), from the kernel."""
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
                return state
    return None


def non_reader(port):
    """Asks for a big item again and again without reading; then watches, in the kernel's table,
    how long the server keeps its end of the connection open."""
    from websockets.sync.client import connect
    # No keepalive: the client's own ping timeout would close the connection and spoil the count.
    ws = connect(f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime",
                 additional_headers={"Authorization": f"Bearer {KEY}"}, max_size=None, ping_interval=None)
    ws.send(json.dumps({"type": "conversation.item.create", "item": {
        "type": "message", "role": "user", "content": [{"type": "input_text", "text": "word " * 800}]}}))
    while (event := json.loads(ws.recv()))["type"] != "conversation.item.added":
        pass
    retrieve = json.dumps({"type": "conversation.item.retrieve", "item_id": event["item"]["id"]})
    client_port = ws.socket.getsockname()[1]
    ws.socket.settimeout(2)
    started = time.monotonic()
    for _ in range(10_000):
        try:
            ws.socket.sendall(frame(retrieve))
        except OSError:
            break
    while time.monotonic() - started < 60:
        if server_side_state(port, client_port) != "01":
            break
        time.sleep(0.5)
    held = time.monotonic() - started
    ws.socket.close()
    return f"client that stops reading: let go after {held:.0f} s" + (" (still held at 60 s)" if held >= 60 else "")


def frame(text):
    """A masked WebSocket text frame, written straight to the socket (the client never reads)."""
    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    if len(payload) < 126:
        header += bytes([0x80 | len(payload)])
    elif len(payload) < 1 << 16:
        header += bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
    else:
        header += bytes([0x80 | 127]) + len(payload).to_bytes(8, "big")
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def oversized_frame(port):
    ws = await session(port)
    await until(ws, {"session.created"})
    sending = asyncio.create_task(ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": "A" * (17 << 20)})))
    seen = []
    try:
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), 20))
            seen.append(event.get("error", {}).get("code") or event["type"])
    except websockets.ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd else None
    except asyncio.TimeoutError:
        code = "none within 20 s"
    sending.cancel()
    return f"17 MiB frame: events {seen or 'none'}, close code {code}"


async def loose_update(port):
    ws = await session(port)
    await until(ws, {"session.created"})
    results = []
    for update in ({"tool_choice": {"type": "function", "name": "launch"}},
                   {"audio": {"input": {"turn_detection": {"type": "semantic_vad", "eagerness": "e" * 100_000}}}}):
        await ws.send(json.dumps({"type": "session.update", "session": update}))
        event = await until(ws, {"session.updated", "error"})
        results.append("accepted" if event["type"] == "session.updated" else event["error"]["code"])
    await ws.close()
    return f"undeclared tool_choice: {results[0]}; 100 KB eagerness: {results[1]}"


def loose_chat(port):
    yaml = post(port, "/v1/chat/completions", chat("Hi", response_format={"type": "yaml"}))[0]
    top = post(port, "/v1/chat/completions", chat("Hi", logprobs=True, top_logprobs=999))[0]
    return f"response_format yaml: {yaml}; top_logprobs 999: {top}"


async def two_keys(port):
    url = f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime&api-key={KEY}"
    try:
        ws = await websockets.connect(url, additional_headers={"Authorization": "Bearer wrong-key"})
        await ws.close()
        return "wrong header key + right ?api-key: accepted"
    except websockets.InvalidStatus as refused:
        return f"wrong header key + right ?api-key: {refused.response.status_code}"


async def probe(binary, steps):
    process, port = start(binary)
    loop = asyncio.get_running_loop()
    checks = {
        1: flood_and_short,
        2: huge_instructions,
        3: lambda port: big_items(port, process.pid),
        4: lambda port: loop.run_in_executor(None, non_reader, port),
        5: oversized_frame,
        6: loose_update,
        7: lambda port: loop.run_in_executor(None, loose_chat, port),
        8: two_keys,
    }
    try:
        print(f"== {binary}")
        for step in steps:
            print(f"{step}.", await checks[step](port), flush=True)
        print(f"   resident at the end: {rss_mib(process.pid):.0f} MiB")
    finally:
        process.kill()
        process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", action="append", required=True)
    parser.add_argument("--steps", default="1,2,3,4,5,6,7,8", help="which findings to probe, e.g. 4,5")
    args = parser.parse_args()
    steps = [int(step) for step in args.steps.split(",")]
    for binary in args.binary:
        asyncio.run(probe(binary, steps))


if __name__ == "__main__":
    main()
