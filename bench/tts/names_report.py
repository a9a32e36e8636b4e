"""Names said right: common first names and places, each in two carrier sentences (first word
and mid-sentence), spoken by each voice through /v1/audio/speech and heard by an independent
recogniser (faster-whisper on Vox's whisper-base weights); then the voices' check sentence,
several times per voice, scored by word error rate. Voices sample noise, so one hearing decides
nothing: every figure is over several.

python3 bench/tts/names_report.py --url http://127.0.0.1:8000 --whisper DIR [--voices alloy,echo,shimmer]
    [--tries 5] [-v]
(scripts/bench-names starts a Vox and runs it.)
"""

import argparse
import io
import json
import sys
import urllib.request
import wave

import numpy as np
from faster_whisper import WhisperModel

# The voice report's normaliser (numbers spelled out, "Dr." as "doctor") and word error count.
from voice_report import errors, words

# Held out: none of these was listened to while the pronunciation fixes were made (those used
# "Laura", "Lauren", "Lucy", "Logan", "London", "Louis" and "Lola").
NAMES = ["Emma", "Olivia", "Sophia", "Michael", "David", "Sarah", "Daniel", "Jessica", "Matthew", "Emily",
         "Andrew", "Hannah", "Grace", "Ryan", "Chloe", "Nathan", "Megan", "Jacob", "Carlos", "Priya",
         "Lorenzo", "Laurel", "Paula", "Noah"]
PLACES = ["Boston", "Chicago", "Seattle", "Denver", "Phoenix", "Atlanta", "Paris", "Berlin", "Madrid",
          "Tokyo", "Sydney", "Toronto", "Dublin", "Florida", "Portland", "Lourdes"]
CARRIERS = ["{} is on the list.", "We talked about {} today."]
CHECK_SENTENCE = ("Laura and James met Doctor Patel in Chicago on Monday, bought two coffees near the old "
                  "library, and talked about their trip to Seattle in June.")


def speak(url: str, key: str | None, text: str, voice: str) -> np.ndarray:
    body = {"model": "tts-1", "input": text, "voice": voice, "response_format": "wav"}
    request = urllib.request.Request(
        f"{url}/v1/audio/speech", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})})
    with urllib.request.urlopen(request, timeout=120) as response:
        with wave.open(io.BytesIO(response.read())) as wav:
            rate = wav.getframerate()
            samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16).astype(np.float32) / 32768
    positions = np.arange(0, len(samples), rate / 16_000)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--whisper", required=True)
    parser.add_argument("--key")
    parser.add_argument("--voices", default="alloy,echo,shimmer")
    parser.add_argument("--tries", type=int, default=5, help="hearings of the check sentence per voice")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    recogniser = WhisperModel(args.whisper, device="cpu", compute_type="int8", cpu_threads=2)

    def hear(text: str, voice: str) -> str:
        segments, _ = recogniser.transcribe(speak(args.url, args.key, text, voice), language="en", beam_size=1,
                                            condition_on_previous_text=False)
        return " ".join(segment.text.strip() for segment in segments)

    print(f"{'voice':8} {'names':>7} {'places':>7} {'check WER':>9}  misheard")
    for voice in args.voices.split(","):
        right, misheard = {"names": 0, "places": 0}, []
        for kind, items in (("names", NAMES), ("places", PLACES)):
            for item in items:
                for carrier in CARRIERS:
                    heard = hear(carrier.format(item), voice)
                    if item.lower() in words(heard):
                        right[kind] += 1
                    else:
                        misheard.append(f"{item}->{heard!r}")
        wrong = total = 0
        for _ in range(args.tries):
            heard = hear(CHECK_SENTENCE, voice)
            wrong += errors(words(CHECK_SENTENCE), words(heard))
            total += len(words(CHECK_SENTENCE))
            if args.verbose:
                print(f"   {voice} heard: {heard!r}")
        names_total, places_total = len(NAMES) * len(CARRIERS), len(PLACES) * len(CARRIERS)
        print(f"{voice:8} {right['names']:>3}/{names_total:<3} {right['places']:>3}/{places_total:<3} "
              f"{100 * wrong / total:8.1f}%  {', '.join(misheard) if args.verbose else len(misheard)}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
