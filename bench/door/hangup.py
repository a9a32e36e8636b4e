"""A caller hangs up during recognition of long audio: how long does Vox keep computing?

Sends FILE to /v1/audio/transcriptions (multipart) or as `input_audio` in a chat request,
closes the socket HANGUP seconds after the upload, then samples the server's CPU time (from
/proc/PID/stat) every 20 ms until it has been idle for 1 s. Prints the seconds the server
stayed busy after the hang-up and the core-seconds it spent in that time.

    python bench/door/hangup.py --url http://127.0.0.1:8000 --pid PID --file speech300.wav \
        [--mode transcription|chat] [--hangup 1.5] [--key K] [--label L]
"""

import argparse
import base64
import json
import os
import socket
import time
import uuid
from urllib.parse import urlparse

TICK = os.sysconf("SC_CLK_TCK")


def stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def cpu_seconds(pid):
    """CPU time of the server, its live child processes (recognizer, decoders) and the
    children it has reaped: utime + stime (+ cutime + cstime)."""
    own = stat(pid)
    total = sum(int(own[i]) for i in (11, 12, 13, 14))
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = stat(entry)
        except OSError:
            continue
        if int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def transcription_request(host, path_key, data):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
            "Content-Type: audio/wav\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    head = (f"POST /v1/audio/transcriptions HTTP/1.1\r\nhost: {host}\r\n{path_key}"
            f"content-type: multipart/form-data; boundary={boundary}\r\ncontent-length: {len(body)}\r\n\r\n")
    return head.encode() + body


def chat_request(host, path_key, data):
    body = json.dumps({
        "model": "gpt-4o-audio-preview", "modalities": ["text"],
        "messages": [{"role": "user", "content": [
            {"type": "input_audio", "input_audio": {"data": base64.b64encode(data).decode(), "format": "wav"}}]}],
    }).encode()
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nhost: {host}\r\n{path_key}"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n")
    return head.encode() + body


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--mode", choices=["transcription", "chat"], default="transcription")
    parser.add_argument("--hangup", type=float, default=1.5)
    parser.add_argument("--key")
    parser.add_argument("--label", default="vox")
    args = parser.parse_args()
    url = urlparse(args.url)
    key = f"authorization: Bearer {args.key}\r\n" if args.key else ""
    data = open(args.file, "rb").read()
    build = transcription_request if args.mode == "transcription" else chat_request
    request = build(url.hostname, key, data)
    # Idle before starting.
    time.sleep(1.0)
    sock = socket.create_connection((url.hostname, url.port))
    sock.sendall(request)
    time.sleep(args.hangup)
    # A reset, as a client killed mid-request leaves.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()
    hung_up = time.monotonic()
    start_cpu = cpu_seconds(args.pid)
    last_busy = hung_up
    previous, previous_t = start_cpu, hung_up
    while time.monotonic() - last_busy < 1.0:
        time.sleep(0.02)
        now, now_t = cpu_seconds(args.pid), time.monotonic()
        # Busy: more than 10 % of a core in this sample.
        if (now - previous) / (now_t - previous_t) > 0.1:
            last_busy = now_t
        previous, previous_t = now, now_t
    spent = cpu_seconds(args.pid) - start_cpu
    print(f"| {args.label} | {args.mode} | {os.path.basename(args.file)} | {args.hangup} s | "
          f"{(last_busy - hung_up) * 1000:.0f} ms | {spent:.2f} core-s |")


if __name__ == "__main__":
    main()
