"""faster-whisper on the same weights and utterances as Vox's asr_bench, printing the same line.

python faster_whisper_bench.py MODEL_DIR THREADS COMPUTE_TYPE
"""

import os
import re
import statistics
import sys
import time
import wave
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel

TESTDATA = Path("/usr/share/pocketsphinx/test/data")
RUNS = 3
ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()


def utterances():
    out = []
    for folder, listing in [("librivox", "librivox/transcription"), ("cards", "cards/cards.transcription")]:
        for line in (TESTDATA / listing).read_text().splitlines():
            if not line.strip():
                continue
            uid = line.rsplit("(", 1)[1].rstrip(")").strip()
            words = line.replace("<s>", "").replace("</s>", "").split("(")[0].strip()
            with wave.open(str(TESTDATA / folder / f"{uid}.wav")) as w:
                pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
            out.append((pcm.astype(np.float32) / 32768.0, words))
    return out


def normalise(text):
    words = re.sub(r"[^\w']", " ", text.lower()).split()
    spelled = []
    for w in words:
        if w == "mr":
            spelled.append("mister")
        elif w.isdigit() and int(w) < 20:
            spelled.append(ONES[int(w)])
        else:
            spelled.append(w)
    return spelled


def errors(ref, hyp):
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref):
        prev, row[0] = row[0], i + 1
        for j, h in enumerate(hyp):
            cur = min(prev + (r != h), row[j] + 1, row[j + 1] + 1)
            prev, row[j + 1] = row[j + 1], cur
    return row[len(hyp)]


def main():
    model_dir, threads, compute = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    model = WhisperModel(model_dir, device="cpu", compute_type=compute, cpu_threads=threads)
    data = utterances()
    audio_secs = sum(len(a) for a, _ in data) / 16000
    times, wer = [], 0.0
    for _ in range(RUNS):
        wrong = total = 0
        start = time.perf_counter()
        for audio, ref in data:
            segments, _ = model.transcribe(audio, language="en", beam_size=1, vad_filter=False)
            text = " ".join(s.text for s in segments)
            if os.environ.get("VOX_BENCH_SHOW"):
                print(text, file=sys.stderr)
            wrong += errors(normalise(ref), normalise(text))
            total += len(normalise(ref))
        times.append(time.perf_counter() - start)
        wer = wrong / total
    median = statistics.median(times)
    label = f"faster-whisper 1.2.1 {compute}"
    print(f"{label:<34} RTF {median / audio_secs:.3f}  WER {wer * 100:>4.1f} %  "
          f"({audio_secs:.1f} s of audio in {median:.2f} s, median of {RUNS}, {threads} threads)")


if __name__ == "__main__":
    main()
