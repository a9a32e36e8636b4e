"""How Vox's spoken answers sound to a listener: 20 everyday questions asked as a chat
completion with audio out (`modalities: ["text", "audio"]`, no system message, as the quickstart
does), each answer measured in seconds of audio, its text checked for markdown, and its audio
heard by an independent recogniser (faster-whisper on Vox's whisper-base weights) that counts
the list markers and symbols a listener would hear.

python3 bench/voice/spoken_answers.py --url http://127.0.0.1:8000 --whisper DIR [--voice alloy]
    [--key KEY] [--seed 1] [--questions N] [-v]
(scripts/bench-spoken sets it up and runs it on a Vox it starts.)
"""

import argparse
import base64
import io
import json
import re
import statistics
import sys
import time
import urllib.request
import wave

import numpy as np
from faster_whisper import WhisperModel

QUESTIONS = [
    "Is a golden retriever a good family dog?",
    "How do I make a good cup of tea?",
    "What are some tips for sleeping better?",
    "What should I pack for a weekend at the beach?",
    "How do I boil an egg?",
    "What's the difference between a virus and bacteria?",
    "Can you recommend a few good books for a long flight?",
    "How can I save money on groceries?",
    "What is the capital of Australia?",
    "How do I change a flat tire?",
    "Why is drinking water good for you?",
    "How do I make pancakes?",
    "What's a good way to start learning Spanish?",
    "How does a rainbow form?",
    "What are the planets in our solar system?",
    "How long should I cook pasta?",
    "My phone is running slow. What can I do?",
    "How does a credit score work?",
    "What are some fun things to do in Paris?",
    "How do I write a good cover letter?",
]

# Written forms a voice should never meet: list markers, emphasis, headings, code, tables, links.
MARKDOWN = re.compile(
    r"(?m)^\s*(?:[-*+•]|\d+[.)])\s|\*\*|__|^#{1,6}\s|`|^\s*\|.*\|\s*$|\]\(|^\s*>\s"
)
# What a listener hears when a symbol is read aloud (counted only when the answer's own words
# do not say it: "a dash of salt" is no symbol).
SYMBOL_WORDS = re.compile(
    r"\b(asterisks?|hashtags?|hash|pound signs?|bullets?|backticks?|back ticks?|underscores?|"
    r"slash(?:es)?|pipe|dash(?:es)?|hyphens?|tilde|emoji|smiley|number sign)\b",
    re.I,
)
# A list item's number read out: "1." / "One." / "Two:" at the start of a sentence.
HEARD_LIST_MARKER = re.compile(
    r"(?:^|[.!?:]\s+)(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\s*[.):]",
    re.I,
)


def ask(url: str, key: str | None, question: str, voice: str, seed: int) -> dict:
    body = {
        "model": "gpt-4o-audio-preview",
        "modalities": ["text", "audio"],
        "audio": {"voice": voice, "format": "wav"},
        "messages": [{"role": "user", "content": question}],
        "seed": seed,
    }
    request = urllib.request.Request(
        f"{url}/v1/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})},
    )
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=900) as response:
        answer = json.load(response)
    audio = answer["choices"][0]["message"]["audio"]
    return {"wav": base64.b64decode(audio["data"]), "text": audio["transcript"],
            "secs_to_answer": time.monotonic() - started}


def wav_samples(data: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(data)) as wav:
        frames = wav.readframes(wav.getnframes())
        return np.frombuffer(frames, dtype=np.int16).astype(np.float32) / 32768.0, wav.getframerate()


def resample_16k(samples: np.ndarray, rate: int) -> np.ndarray:
    if rate == 16_000:
        return samples
    positions = np.arange(0, len(samples), rate / 16_000)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def hear(model: WhisperModel, samples: np.ndarray, rate: int) -> str:
    segments, _ = model.transcribe(resample_16k(samples, rate), language="en", beam_size=1,
                                   condition_on_previous_text=False)
    return " ".join(segment.text.strip() for segment in segments)


def heard_symbols(text: str, heard: str) -> list[str]:
    written = {word.lower() for word in re.findall(r"[a-z]+", text, re.I)}
    return [word for word in SYMBOL_WORDS.findall(heard) if word.lower() not in written]


def heard_markers(heard: str) -> list[str]:
    """A number said alone as a sentence ("... tea. 2. Steep it"): a list read out."""
    return HEARD_LIST_MARKER.findall(heard)


def rescore(log: str) -> int:
    """Counts again from a verbose run's log (its texts and hearings), with today's rules."""
    lines = open(log, encoding="utf-8").read().splitlines()
    pairs = [(eval(a.split("text:", 1)[1]), eval(b.split("heard:", 1)[1]))  # noqa: S307 - our own log
             for a, b in zip(lines, lines[1:]) if a.strip().startswith("text:") and b.strip().startswith("heard:")]
    markdown = sum(bool(MARKDOWN.search(text)) for text, _ in pairs)
    symbols = sum(len(heard_symbols(text, heard)) for text, heard in pairs)
    markers = sum(len(heard_markers(heard)) for _, heard in pairs)
    print(f"{log}: {len(pairs)} answers, markdown {markdown}, symbol words {symbols}, list markers {markers}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rescore", metavar="LOG", help="count again from a verbose run's log, then stop")
    parser.add_argument("--url")
    parser.add_argument("--whisper", help="a CTranslate2 Whisper directory (Vox's whisper-base)")
    parser.add_argument("--key")
    parser.add_argument("--voice", default="alloy")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--questions", type=int, default=len(QUESTIONS))
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    if args.rescore:
        return rescore(args.rescore)
    if not (args.url and args.whisper):
        parser.error("--url and --whisper are needed for a run")
    recogniser = WhisperModel(args.whisper, device="cpu", compute_type="int8", cpu_threads=2)

    durations, with_markdown, symbols, markers = [], 0, 0, 0
    print(f"{'#':>2} {'audio s':>7} {'md':>3} {'sym':>3} {'list':>4}  question")
    for number, question in enumerate(QUESTIONS[: args.questions], 1):
        answer = ask(args.url, args.key, question, args.voice, args.seed)
        samples, rate = wav_samples(answer["wav"])
        secs = len(samples) / rate
        heard = hear(recogniser, samples, rate)
        markdown = bool(MARKDOWN.search(answer["text"]))
        symbols_heard = heard_symbols(answer["text"], heard)
        markers_heard = heard_markers(heard)
        durations.append(secs)
        with_markdown += markdown
        symbols += len(symbols_heard)
        markers += len(markers_heard)
        print(f"{number:>2} {secs:7.1f} {'yes' if markdown else 'no':>3} {len(symbols_heard):>3} "
              f"{len(markers_heard):>4}  {question}")
        if args.verbose:
            print(f"   text:  {answer['text']!r}\n   heard: {heard!r}\n   symbols {symbols_heard} markers {markers_heard}")
        sys.stdout.flush()
    count = len(durations)
    print(f"\nanswers {count}, voice {args.voice}, seed {args.seed}")
    print(f"spoken answer: median {statistics.median(durations):.1f} s, longest {max(durations):.1f} s, "
          f"total {sum(durations):.0f} s")
    print(f"answers with markdown in their text: {with_markdown}/{count}")
    print(f"heard by the independent recogniser: {symbols} symbol words, {markers} list markers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
