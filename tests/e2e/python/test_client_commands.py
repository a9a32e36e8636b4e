"""The `vox` client commands against the running server, as a person would type them."""

import os
import subprocess

from conftest import API_KEY, vox_binary
from test_speech import ffmpeg_to_wav
from test_transcriptions import words


def run(vox, *args, key=API_KEY, stdin=None):
    env = {**os.environ, "VOX_ENDPOINT": vox.url, "VOX_API_KEY": key}
    return subprocess.run([vox_binary(), *args], env=env, input=stdin, capture_output=True, text=True, timeout=300)


def test_say_writes_the_spoken_answer_in_the_format_of_the_file(vox, tmp_path):
    out = tmp_path / "answer.mp3"
    result = run(vox, "say", "Is a golden retriever a good family dog?", "-o", str(out), "--max-tokens", "30")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "the transcript is printed"
    wav = ffmpeg_to_wav(out.read_bytes())
    assert len(wav) > 16000 * 2


def test_ask_with_a_spoken_prompt_and_transcribe(vox, tmp_path):
    question = tmp_path / "question.wav"
    spoken = run(vox, "speak", "What colour is the sky?", "-o", str(question), "--voice", "echo")
    assert spoken.returncode == 0, spoken.stderr
    transcript = run(vox, "transcribe", str(question))
    assert words(transcript.stdout)[:3] == ["what", "colour", "is"] or "sky" in words(transcript.stdout)
    srt = run(vox, "transcribe", str(question), "--format", "srt")
    assert srt.stdout.startswith("1\n00:00:00,000 --> ")
    answer = tmp_path / "answer.flac"
    asked = run(vox, "ask", str(question), "Answer in one sentence.", "-o", str(answer), "--max-tokens", "30")
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.strip()
    assert answer.read_bytes()[:4] == b"fLaC"


def test_chat_refers_back_to_earlier_spoken_answers(vox, tmp_path):
    prefix = tmp_path / "turn"
    result = run(vox, "chat", "--save-as", str(prefix), "--max-tokens", "20", stdin="Name a dog breed.\nSay it again.\n\n")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "turn-1.wav").exists() and (tmp_path / "turn-2.wav").exists()
    assert "vox: HTTP" not in result.stderr, "the second turn, which references the first answer's id, succeeded"
    text_only = run(vox, "chat", "--no-audio", "--max-tokens", "10", stdin="Hello.\n\n")
    assert text_only.returncode == 0 and text_only.stdout.strip()


def test_errors_show_status_message_and_param_with_distinct_exit_codes(vox, tmp_path):
    bad_key = run(vox, "say", "Hi", "-o", str(tmp_path / "x.wav"), key="sk-wrong-0000")
    assert bad_key.returncode == 3
    assert "HTTP 401" in bad_key.stderr and "invalid_api_key" in bad_key.stderr
    bad_voice = run(vox, "say", "Hi", "-o", str(tmp_path / "x.wav"), "--voice", "nobody")
    assert bad_voice.returncode == 4
    assert "HTTP 400" in bad_voice.stderr and "[param: audio.voice]" in bad_voice.stderr
    unreachable = subprocess.run(
        [vox_binary(), "say", "Hi", "-o", str(tmp_path / "x.wav"), "--endpoint", "http://127.0.0.1:9"],
        capture_output=True, text=True, timeout=60,
    )
    assert unreachable.returncode == 7
    azure_unset = subprocess.run(
        [vox_binary(), "say", "Hi", "-o", str(tmp_path / "x.wav"), "--azure"],
        capture_output=True, text=True, timeout=60, env={"PATH": os.environ["PATH"]},
    )
    assert azure_unset.returncode == 2 and "AZURE_OPENAI_ENDPOINT" in azure_unset.stderr
