"""Every voice, spoken through /v1/audio/speech by the default profile's real models and heard
back by its whisper-base through /v1/audio/transcriptions: what is said must be what was
asked for. French and Spanish are read by native speakers, and answers spoken at once each get
their own sentence. (These lived in vox-tts-onnx's Rust tests, which then linked the
recogniser; here they use the server a user runs.)"""

import io
from concurrent.futures import ThreadPoolExecutor

from openai import OpenAI

from conftest import API_KEY
from test_transcriptions import words

OPENAI_VOICES = ["alloy", "echo", "shimmer", "ash", "ballad", "coral", "fable", "nova", "onyx", "sage", "verse",
                 "marin", "cedar"]
# About twenty words per voice: Piper samples its noise and Kokoro its durations, so one
# misheard word must not decide a voice.
ENGLISH = ["Golden retrievers are gentle, patient and loyal family dogs.",
           "Please bring the blue book back to the library tomorrow morning."]
# Written so that a number does not count as a mistake ("huit heures" comes back as "8h").
FRENCH = ["Bonjour, je voudrais un café et un croissant, s'il vous plaît.",
          "Nous allons au marché le samedi pour acheter des légumes.",
          "Il fait beau aujourd'hui, allons nous promener dans le parc.",
          "Les enfants jouent au ballon dans la cour de l'école."]
SPANISH = ["Hola, quisiera un café con leche, por favor.",
           "Mi hermana vive en una casa pequeña cerca del mar.",
           "Vamos al mercado los sábados para comprar verduras."]


def client(server) -> OpenAI:
    return OpenAI(base_url=f"{server.url}/v1", api_key=API_KEY)


def spoken(server, text: str, voice: str) -> bytes:
    return client(server).audio.speech.create(model="tts-1", voice=voice, input=text, response_format="wav").read()


def heard(server, wav: bytes, language: str) -> list[str]:
    text = client(server).audio.transcriptions.create(
        model="whisper-1", file=("speech.wav", io.BytesIO(wav)), language=language).text
    return words(text)


def errors(said: list[str], heard_words: list[str]) -> int:
    row = list(range(len(heard_words) + 1))
    for i, word in enumerate(said, 1):
        previous, row[0] = row[0], i
        for j, other in enumerate(heard_words, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (word != other))
    return row[-1]


def word_error_rate(server, texts: list[str], voice: str, language: str) -> tuple[float, list[str]]:
    """The texts spoken as one request and heard back as one: one recognition of the whole
    (whisper's cost is its window, not the words in it) instead of one per sentence."""
    text = " ".join(texts)
    said, hearing = words(text), heard(server, spoken(server, text, voice), language)
    return errors(said, hearing) / len(said), hearing


def test_every_voice_is_understood(default_vox):
    failures = []
    for voice in OPENAI_VOICES:
        wer, hearings = word_error_rate(default_vox, ENGLISH, voice, "en")
        if wer > 0.10:
            failures.append(f"{voice}: WER {wer:.0%}: {hearings}")
    assert not failures, failures


def test_french_is_read_by_a_native_speaker(default_vox):
    # echo is Piper joe, an English-only voice: French goes to Kokoro's ff_siwis.
    wer, hearings = word_error_rate(default_vox, FRENCH, "echo", "fr")
    assert wer <= 0.2, (wer, hearings)
    assert "bonjour" in hearings, hearings


def test_spanish_is_read_by_a_native_speaker_for_either_gender(default_vox):
    for voice in ["echo", "alloy"]:
        wer, hearings = word_error_rate(default_vox, SPANISH, voice, "es")
        assert wer <= 0.2, (voice, wer, hearings)


def test_answers_spoken_at_once_each_get_their_own_sentence(default_vox):
    sentences = ["The quick brown fox jumps over the lazy dog.",
                 "Golden retrievers are gentle, patient and loyal family dogs.",
                 "My sister drives a small red car to work every day.",
                 "We will meet at the train station after lunch."]
    voices = ["echo", "alloy", "ash", "shimmer"]
    with ThreadPoolExecutor(len(sentences)) as pool:
        audio = list(pool.map(lambda pair: spoken(default_vox, *pair), zip(sentences, voices)))
    for sentence, wav in zip(sentences, audio):
        said, hearing = words(sentence), heard(default_vox, wav, "en")
        # Its own sentence, not a neighbour's (one misheard word in nine is Kokoro's accent).
        assert errors(said, hearing) * 4 <= len(said), (sentence, hearing)
