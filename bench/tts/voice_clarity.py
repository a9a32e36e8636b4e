"""How well each voice is understood: speaks eight book and chat sentences through a running
Vox's /v1/audio/speech, transcribes each with its /v1/audio/transcriptions (language en), and
prints the word error rate per voice with the worst-heard sentences.

python3 bench/tts/voice_clarity.py PORT VOICE...   (e.g. 8000 alloy echo shimmer)
"""

import http.client
import json
import re
import sys

SENTENCES = [
    "And Mr. John Dashwood had then leisure to consider how much there might be prudently in his power to do for them.",
    "He was not an ill-disposed young man.",
    "Unless to be rather cold-hearted and rather selfish is to be ill-disposed.",
    "Had he married a more amiable woman, he might have been made still more respectable than he was.",
    "He might even have been made amiable himself.",
    "John Dashwood had then leisure to come.",
    "Yes, a golden retriever is a good family dog.",
    "The weather today is sunny with a light breeze from the west.",
]
BOUNDARY = "vox-clarity"


def post(port, path, body, content_type):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    connection.request("POST", path, body, {"Content-Type": content_type})
    response = connection.getresponse()
    data = response.read()
    assert response.status == 200, data[:300]
    return data


def transcribe(port, wav):
    fields = "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (("model", "whisper-1"), ("language", "en"))
    )
    head = f'{fields}--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
    body = (head + "Content-Type: audio/wav\r\n\r\n").encode() + wav + f"\r\n--{BOUNDARY}--\r\n".encode()
    return json.loads(post(port, "/v1/audio/transcriptions", body, f"multipart/form-data; boundary={BOUNDARY}"))["text"]


def words(text):
    return re.sub(r"[^\w']", " ", text.lower()).split()


def errors(reference, hypothesis):
    """Word-level edit distance."""
    row = list(range(len(hypothesis) + 1))
    for i in range(1, len(reference) + 1):
        diagonal, row[0] = row[0], i
        for j in range(1, len(hypothesis) + 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (reference[i - 1] != hypothesis[j - 1]))
    return row[len(hypothesis)]


def main():
    port = int(sys.argv[1])
    for voice in sys.argv[2:]:
        wrong = total = 0
        worst = []
        for sentence in SENTENCES:
            request = {"model": "tts-1", "voice": voice, "input": sentence, "response_format": "wav"}
            heard = transcribe(port, post(port, "/v1/audio/speech", json.dumps(request), "application/json"))
            count = errors(words(sentence), words(heard))
            wrong, total = wrong + count, total + len(words(sentence))
            if count > 1:
                worst.append(heard)
        print(f"{voice:8} WER {wrong / total * 100:5.1f} %  {worst[:2]}", flush=True)


if __name__ == "__main__":
    main()
