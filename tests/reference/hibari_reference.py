"""hibari's own Python implementation (PyPI hibari-tts), as the reference Vox's Rust vocoder is
checked against: reads phoneme ids (JSON list, with the boundary 0s) from argv, writes the
float32 samples it synthesises (little-endian, 24 kHz) to stdout. The model file is the one
given, so both sides run the same weights."""

import json
import sys

import numpy as np
from hibari import Hibari


def main():
    model, ids = sys.argv[1], json.loads(sys.argv[2])
    tts = Hibari(model=model, threads=1)
    audio = tts.from_ids(ids, speed=1.0, rng=np.random.default_rng(0))
    sys.stdout.buffer.write(np.asarray(audio, "<f4").tobytes())


if __name__ == "__main__":
    main()
