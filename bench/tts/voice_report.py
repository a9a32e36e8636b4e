"""Every voice side by side, in one run, on a Vox it starts: word error rate as heard by an
independent recogniser (faster-whisper, greedy, on Vox's whisper-base weights), median pitch,
spectral centroid, time to the first audio byte of /v1/audio/speech (the first piece's
synthesis) and real-time factor; then French, Spanish, Italian and Portuguese read for alloy
and echo (by the native speakers that stand in for them).

python3 bench/tts/voice_report.py VOX_BINARY MODELS_DIR THREADS [VOICE...]
(scripts/bench-voices sets it up; default voices: the 13 OpenAI names; "-" alone: languages only)
"""

import http.client
import io
import json
import re
import statistics
import subprocess
import sys
import time
import wave

import numpy as np
from faster_whisper import WhisperModel

OPENAI_VOICES = ["alloy", "echo", "shimmer", "ash", "ballad", "coral", "fable", "nova", "onyx", "sage", "verse",
                 "marin", "cedar"]
# (what is sent, what a listener should hear): numbers, names and questions.
ENGLISH = [
    ("Yes, a golden retriever is a good family dog.", "yes a golden retriever is a good family dog"),
    ("The train to Boston leaves at 7:45 tomorrow morning.",
     "the train to boston leaves at seven forty five tomorrow morning"),
    ("My grandmother was born in 1952 and still lives in Chicago.",
     "my grandmother was born in nineteen fifty two and still lives in chicago"),
    ("Could you tell me how to get to the nearest pharmacy?", "could you tell me how to get to the nearest pharmacy"),
    ("Doctor Patel said the results will be ready in 3 days.",
     "doctor patel said the results will be ready in three days"),
    ("We counted 214 birds near the lake on Saturday.", "we counted two hundred fourteen birds near the lake on saturday"),
    ("Emily and James are flying to London on the 12th of June.",
     "emily and james are flying to london on the twelfth of june"),
    ("Please turn off the lights before you leave the office.", "please turn off the lights before you leave the office"),
    ("What time does the museum open on Sunday?", "what time does the museum open on sunday"),
    ("The recipe needs two cups of flour and a pinch of salt.", "the recipe needs two cups of flour and a pinch of salt"),
    ("Sarah's brother fixed the old bicycle in twenty minutes.", "sarah's brother fixed the old bicycle in twenty minutes"),
    ("Is it going to rain in Seattle this weekend?", "is it going to rain in seattle this weekend"),
]
FRENCH = [
    "Bonjour, je voudrais un café et un croissant, s'il vous plaît.",
    "Le train pour Paris part à huit heures du matin.",
    "Ma sœur habite dans une petite maison près de la mer.",
    "Nous allons au marché le samedi pour acheter des légumes.",
    "Il fait beau aujourd'hui, allons nous promener dans le parc.",
    "Les enfants jouent au ballon dans la cour de l'école.",
    "Mon père lit le journal chaque matin avant de partir.",
    "Elle prend le bus pour aller au travail.",
]
SPANISH = [
    "Hola, quisiera un café con leche, por favor.",
    "El tren para Madrid sale a las ocho de la mañana.",
    "Mi hermana vive en una casa pequeña cerca del mar.",
    "Vamos al mercado los sábados para comprar verduras.",
    "Hoy hace buen tiempo, vamos a pasear por el parque.",
    "Los niños juegan al fútbol en el patio de la escuela.",
    "Mi padre lee el periódico todas las mañanas.",
    "Ella toma el autobús para ir al trabajo.",
]
ITALIAN = [
    "Buongiorno, vorrei un caffè e un cornetto, per favore.",
    "Il treno per Roma parte alle otto di mattina.",
    "Mia sorella abita in una piccola casa vicino al mare.",
    "Il sabato andiamo al mercato a comprare la verdura.",
]
PORTUGUESE = [
    "Olá, eu queria um café com leite, por favor.",
    "O trem para São Paulo sai às oito da manhã.",
    "Minha irmã mora numa casa pequena perto do mar.",
    "No sábado nós vamos ao mercado comprar legumes.",
]
FIRST_PIECE = "Yes, golden retrievers are great family dogs."
UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " \
        "seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth", "nine": "ninth",
            "twelve": "twelfth"}


def say_number(n):
    if n < 20:
        return UNITS[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + UNITS[n % 10])
    if n < 1000:
        return UNITS[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + say_number(n % 100))
    if 1100 <= n < 2100 and n % 100 != 0:  # years
        return say_number(n // 100) + " " + say_number(n % 100)
    return say_number(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + say_number(n % 1000))


def spell_numbers(text):
    def ordinal(match):
        words = say_number(int(match.group(1))).split()
        last = words[-1]
        words[-1] = ORDINALS.get(last, last[:-1] + "ieth" if last.endswith("y") else last + "th")
        return " ".join(words)
    text = re.sub(r"\b(\d+)(st|nd|rd|th)\b", ordinal, text)
    text = re.sub(r"\b(\d{1,2}):(\d{2})\b", lambda m: f"{m.group(1)} {m.group(2)}", text)
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)
    return re.sub(r"\d+", lambda m: say_number(int(m.group())), text)


def words(text):
    text = spell_numbers(text.lower()).replace("-", " ")
    text = re.sub(r"\bdr\b\.?", "doctor", text)
    return re.sub(r"[^\w']", " ", text).split()


def errors(reference, hypothesis):
    row = list(range(len(hypothesis) + 1))
    for i in range(1, len(reference) + 1):
        diagonal, row[0] = row[0], i
        for j in range(1, len(hypothesis) + 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (reference[i - 1] != hypothesis[j - 1]))
    return row[len(hypothesis)]


def speech(port, voice, text, fmt="wav"):
    """The response bytes, seconds to the first byte, and seconds in all."""
    body = json.dumps({"model": "tts-1", "voice": voice, "input": text, "response_format": fmt})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request("POST", "/v1/audio/speech", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    first = response.read(2)
    first_at = time.perf_counter() - started
    data = first + response.read()
    assert response.status == 200, data[:300]
    return data, first_at, time.perf_counter() - started


def samples_of(wav_bytes):
    with wave.open(io.BytesIO(wav_bytes)) as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
    return pcm, rate


def voiced_frames(samples, rate, length=0.04):
    n = int(rate * length)
    frames = [samples[i:i + n] for i in range(0, len(samples) - n, n)]
    loud = max(np.sqrt(np.mean(f * f)) for f in frames)
    return [f for f in frames if np.sqrt(np.mean(f * f)) > loud * 0.1], n


def median_pitch(samples, rate):
    """Median f0 (Hz) over voiced 40 ms frames, by normalised autocorrelation in 60-400 Hz."""
    frames, n = voiced_frames(samples, rate)
    lags = np.arange(rate // 400, rate // 60)
    pitches = []
    for frame in frames:
        frame = frame - frame.mean()
        ac = np.correlate(frame, frame, "full")[n - 1:]
        if ac[0] <= 0:
            continue
        scores = ac[lags] / ac[0]
        best = int(np.argmax(scores))
        if scores[best] > 0.5:
            pitches.append(rate / lags[best])
    return statistics.median(pitches) if pitches else float("nan")


def spectral_centroid(samples, rate):
    frames, n = voiced_frames(samples, rate)
    freqs = np.fft.rfftfreq(n, 1 / rate)
    centroids = [float((freqs * m).sum() / m.sum()) for m in (np.abs(np.fft.rfft(f * np.hanning(n))) for f in frames)]
    return statistics.median(centroids)


def hear(whisper, wav_bytes, language):
    samples, rate = samples_of(wav_bytes)
    if rate != 16000:
        positions = np.arange(0, len(samples), rate / 16000)
        samples = np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)
    segments, _ = whisper.transcribe(samples, language=language, beam_size=1, temperature=0.0,
                                     condition_on_previous_text=False, vad_filter=False)
    return " ".join(s.text.strip() for s in segments)


def word_error_rate(whisper, port, voice, sentences, language):
    wrong = total = 0
    worst = []
    for sent, reference in sentences:
        heard = hear(whisper, speech(port, voice, sent)[0], language)
        count = errors(words(reference), words(heard))
        wrong, total = wrong + count, total + len(words(reference))
        if count:
            worst.append(heard)
    return wrong / total, worst


def voices_list(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/v1/audio/voices")
    return {v["id"]: v for v in json.loads(connection.getresponse().read())["data"]}


def report_voice(whisper, port, voice, entry):
    wer, worst = word_error_rate(whisper, port, voice, ENGLISH, "en")
    paragraph = " ".join(s for s, _ in ENGLISH[:4])
    runs = [speech(port, voice, paragraph, "pcm") for _ in range(3)]
    seconds = len(runs[0][0]) / 2 / 24000
    heard = [samples_of(speech(port, voice, s)[0]) for s, _ in ENGLISH[:4]]
    samples, rate = np.concatenate([pcm for pcm, _ in heard]), heard[0][1]
    first = statistics.median(speech(port, voice, FIRST_PIECE, "pcm")[1] for _ in range(5))
    rtf = statistics.median(total for _, _, total in runs) / seconds
    speaker = f"{entry['engine']} {entry['speaker']} ({entry.get('gender', '?')}, {entry.get('language', '?')})"
    print(f"| {voice} | {speaker} | {wer * 100:4.1f} % | {median_pitch(samples, rate):4.0f} Hz | "
          f"{spectral_centroid(samples, rate):5.0f} Hz | {first * 1000:4.0f} ms | {rtf:5.3f} |", flush=True)
    if worst:
        print(f"|   | misheard: {worst[:3]} | | | | | |", flush=True)


def report_language(whisper, port, name, code, sentences, voices):
    for voice in voices:
        wer, worst = word_error_rate(whisper, port, voice, [(s, s) for s in sentences], code)
        print(f"{name} read for {voice}: WER {wer * 100:4.1f} % over {len(sentences)} sentences; misheard: {worst[:2]}",
              flush=True)


def main():
    vox_binary, models_dir, threads = sys.argv[1], sys.argv[2], sys.argv[3]
    voices = OPENAI_VOICES if len(sys.argv) == 4 else [v for v in sys.argv[4:] if v != "-"]
    whisper = WhisperModel(f"{models_dir}/whisper-base", device="cpu", compute_type="int8", cpu_threads=int(threads))
    port = 8794
    vox = subprocess.Popen([vox_binary, "serve", "--addr", f"127.0.0.1:{port}", "--profile", "default",
                            "--models-dir", models_dir, "--threads", threads],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert vox.stdout.readline().startswith("vox listening on ")
        catalog = voices_list(port)
        print(f"{len(ENGLISH)} English sentences per voice, heard by faster-whisper base (greedy); pitch and centroid "
              f"over the first four; first byte of '{FIRST_PIECE}' (median of 5); RTF of a four-sentence paragraph")
        print("| voice | speaker | WER | median pitch | spectral centroid | first audio | RTF |")
        print("|---|---|---|---|---|---|---|")
        for voice in voices:
            report_voice(whisper, port, voice, catalog[voice])
        report_language(whisper, port, "French", "fr", FRENCH, ["alloy", "echo"])
        report_language(whisper, port, "Spanish", "es", SPANISH, ["alloy", "echo"])
        report_language(whisper, port, "Italian", "it", ITALIAN, ["alloy", "echo"])
        report_language(whisper, port, "Portuguese", "pt", PORTUGUESE, ["alloy", "echo"])
    finally:
        vox.terminate()
        vox.wait()


if __name__ == "__main__":
    main()
