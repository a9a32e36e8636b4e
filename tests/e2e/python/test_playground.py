"""The chat playground in a real browser (Debian's Chromium, driven by Playwright), against the
real binary: typed, recorded and attached questions answered in speech, a second turn by
audio id, the voice preview, the code view (run as written), a voice call over the realtime
socket, and every error in plain words."""

import io
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from openai import OpenAI

from conftest import API_KEY, ROOT, start_server, stop_server
from playground_browser import (
    RECORDING,
    audio_bytes,
    audio_duration,
    chat_requests,
    error_text,
    launch,
    microphone_file,
    open_playground,
    screenshot,
    speak_into_microphone,
    start_playwright,
    wait_for_lists,
    wait_for_spoken_answer,
    wait_until_heard,
)
from realtime_client import RECORDING_WORDS, overlap

NODE_TESTS = ROOT / "tests" / "e2e" / "node"


@pytest.fixture(scope="module")
def browser():
    with tempfile.TemporaryDirectory() as directory:
        playwright = start_playwright()
        browser = launch(playwright, microphone_file(Path(directory)))
        yield browser
        browser.close()
        playwright.stop()


@pytest.fixture
def page(vox, browser):
    page = open_playground(browser, vox.url, API_KEY)
    wait_for_lists(page)
    yield page
    assert page.errors == [], f"the page threw: {page.errors}"
    page.context.close()


def heard(vox, audio: bytes, name: str) -> str:
    client = OpenAI(base_url=f"{vox.url}/v1", api_key=API_KEY, max_retries=0)
    return client.audio.transcriptions.create(model="whisper-1", file=(name, io.BytesIO(audio))).text


def ask(page, text: str):
    page.get_by_role("textbox", name="Message").fill(text)
    page.get_by_role("textbox", name="Message").press("Enter")


def test_the_page_is_served_with_a_strict_policy(vox, browser):
    page = open_playground(browser, vox.url, None)
    response = page.request.get(f"{vox.url}/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    # Without the key the lists cannot load: the page says why instead of staying empty.
    assert "401" in error_text(page) and "API key" in error_text(page)
    screenshot(page, "00-no-key")
    page.context.close()


def test_a_typed_question_gets_a_spoken_answer_with_its_transcript(vox, page):
    ask(page, "Tell me about the sea in two sentences.")
    # Words appear as their audio sounds: all of them once it has been heard.
    turn = wait_until_heard(page, 0)
    transcript = turn.locator(".text").inner_text()
    assert transcript.strip(), "no transcript shown"
    assert audio_duration(turn) > 1.0
    assert "first audio" in turn.inner_text()
    # The audio the page plays says the transcript it shows.
    spoken = heard(vox, audio_bytes(turn.locator("audio")), "answer.wav")
    assert overlap(spoken, transcript) >= 0.5, (spoken, transcript)
    screenshot(page, "01-typed-answer")


def test_a_recorded_question_is_answered(vox, page):
    requests = chat_requests(page)
    page.get_by_role("button", name="Record").click()
    page.get_by_text("0:02").wait_for(timeout=10_000)
    assert page.locator("#level").evaluate("m => m.value") > 0, "the level meter did not move"
    screenshot(page, "02-recording")
    time.sleep(1.5)
    page.get_by_role("button", name="Stop recording").click()
    wait_for_spoken_answer(page, 0)
    user_audio = page.locator("li.turn.user audio")
    assert user_audio.count() == 1
    sent = requests[0]["messages"][-1]["content"][-1]["input_audio"]
    assert sent["format"] in ("webm", "ogg", "m4a")
    # What the microphone said reached the server as that speech.
    recognised = heard(vox, audio_bytes(user_audio), f"recording.{sent['format']}")
    assert overlap(recognised, " ".join(RECORDING_WORDS)) >= 0.5, recognised
    screenshot(page, "03-recorded-answer")


def test_attached_files_are_answered_by_picker_and_by_drop(vox, page, tmp_path):
    page.locator("#file-input").set_input_files(RECORDING)
    page.get_by_text("sense_and_sensibility").first.wait_for()
    screenshot(page, "04-attached")
    page.get_by_role("button", name="Send").click()
    wait_for_spoken_answer(page, 0)

    flac = tmp_path / "question.flac"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", RECORDING, str(flac)], check=True)
    drop_file(page, flac, "audio/flac")
    page.get_by_text("question.flac").wait_for()
    page.get_by_role("button", name="Send").click()
    wait_for_spoken_answer(page, 1)
    assert page.locator("li.turn.user audio").count() == 2


def drop_file(page, path: Path, mime: str):
    data = list(path.read_bytes())
    handle = page.evaluate_handle(
        """([data, name, mime]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(data)], name, { type: mime }));
            return transfer;
        }""",
        [data, path.name, mime],
    )
    page.locator(".chat").dispatch_event("drop", {"dataTransfer": handle})


def test_the_second_turn_refers_to_the_first_answer_by_its_audio_id(vox, page):
    requests = chat_requests(page)
    ask(page, "My name is Ada. Say hello to me.")
    wait_for_spoken_answer(page, 0)
    ask(page, "What is my name?")
    wait_for_spoken_answer(page, 1)
    first, second = requests
    assert first["stream"] is True and first["audio"]["format"] == "pcm16"
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "user"]
    earlier = second["messages"][2]
    assert set(earlier) == {"role", "audio"} and earlier["audio"]["id"].startswith("audio_")
    screenshot(page, "05-second-turn")


def test_a_whole_answer_in_the_chosen_format(vox, page):
    page.get_by_label("Stream the answer").uncheck()
    page.get_by_label("Output format").select_option("mp3")
    requests = chat_requests(page)
    ask(page, "Say something short.")
    turn = wait_for_spoken_answer(page, 0)
    assert requests[0]["audio"]["format"] == "mp3" and "stream" not in requests[0]
    # An MP3 file: an ID3 tag or an MPEG audio frame's sync word.
    mp3 = audio_bytes(turn.locator("audio"))
    assert mp3[:3] == b"ID3" or (mp3[0] == 0xFF and mp3[1] & 0xE0 == 0xE0), mp3[:4]
    assert audio_duration(turn) > 0.5
    assert "answer-" in turn.get_by_role("link").inner_text() and ".mp3" in turn.get_by_role("link").inner_text()


def test_the_voice_preview_speaks_the_chosen_voice(vox, page):
    page.get_by_role("combobox", name="Voice").select_option("echo")
    with page.expect_response(lambda r: r.url.endswith("/v1/audio/speech")) as response:
        page.get_by_role("button", name="Preview voice").click()
    assert response.value.status == 200
    assert response.value.request.post_data_json["voice"] == "echo"
    preview = page.locator("#voice-preview")
    page.wait_for_function("() => document.getElementById('voice-preview').dataset.voice === 'echo'")
    assert audio_duration(preview) > 1.0
    said = heard(vox, audio_bytes(preview), "preview.mp3")
    assert overlap(said, "Hello, I am echo. This is how I sound.") >= 0.5, said


def test_view_code_shows_the_conversation_and_the_python_runs(vox, page, tmp_path):
    requests = chat_requests(page)
    ask(page, "Name a colour.")
    wait_for_spoken_answer(page, 0)
    ask(page, "And another one?")
    wait_for_spoken_answer(page, 1)
    page.get_by_role("button", name="View code").click()
    code = page.locator("#code-text").inner_text()
    audio_id = requests[1]["messages"][2]["audio"]["id"]
    assert "Name a colour." in code and "And another one?" in code
    assert f'"audio": {{"id": "{audio_id}"}}' in code
    assert 'os.environ["OPENAI_API_KEY"]' in code and API_KEY not in code
    screenshot(page, "06-view-code")
    # The program runs as shown and answers in speech.
    script = tmp_path / "conversation.py"
    script.write_text(code)
    env = {**os.environ, "OPENAI_API_KEY": API_KEY}
    run = subprocess.run([os.sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() and (tmp_path / "answer.pcm").stat().st_size > 24_000

    page.get_by_label("Client").select_option("azure")
    page.get_by_label("Language").select_option("javascript")
    code = page.locator("#code-text").inner_text()
    assert "new AzureOpenAI(" in code and "process.env.AZURE_OPENAI_API_KEY" in code
    js = NODE_TESTS / f".playground-code-{os.getpid()}.mjs"
    js.write_text(code)
    try:
        env = {**os.environ, "AZURE_OPENAI_API_KEY": API_KEY}
        run = subprocess.run(["node", str(js)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    finally:
        js.unlink()
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip()

    page.get_by_label("Language").select_option("curl")
    code = page.locator("#code-text").inner_text()
    assert "/openai/deployments/gpt-4o-audio-preview/chat/completions" in code and "$AZURE_OPENAI_API_KEY" in code
    page.get_by_role("button", name="Close").click()


def test_stop_answer_silences_a_running_answer(vox, page):
    page.get_by_label("Max response tokens").fill("400")
    ask(page, "Tell me a long story about a lighthouse keeper and his cat.")
    turn = page.locator("li.turn.assistant").nth(0)
    turn.get_by_text("first audio").wait_for(timeout=60_000)
    page.get_by_role("button", name="Stop answer").click()
    turn.get_by_text("stopped").wait_for(timeout=5_000)
    assert page.get_by_role("button", name="Stop answer").is_disabled()
    assert page.get_by_role("button", name="Send").is_enabled()
    # The next turn goes out and is answered; the stopped answer is in it as what was heard of
    # it (its words), or by its audio id if it had arrived whole before the click.
    requests = chat_requests(page)
    ask(page, "Thank you.")
    wait_for_spoken_answer(page, 1)
    stopped = requests[0]["messages"][2]
    shown = turn.locator(".text").inner_text()
    assert stopped.get("content", shown) == shown and ("content" in stopped or "audio" in stopped), stopped


FIXED_NAMES = [
    ("textbox", "Message"), ("textbox", "API key"), ("button", "Send"), ("button", "Record"),
    ("button", "Stop recording"), ("button", "Attach audio"), ("button", "Stop answer"), ("button", "Clear chat"),
    ("button", "View code"), ("button", "Start call"), ("button", "End call"), ("combobox", "Deployment"),
    ("combobox", "Voice"),
]


def test_controls_have_their_names_and_the_page_works_by_keyboard(vox, page):
    for role, name in FIXED_NAMES:
        assert page.get_by_role(role, name=name, exact=True, include_hidden=True).count() == 1, (role, name)
    assert page.get_by_role("log").count() == 1
    # Tab from the key field reaches the message box, and the focus is visible.
    page.get_by_role("textbox", name="API key").focus()
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "message":
            break
    assert page.evaluate("() => document.activeElement.id") == "message"
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.type("Hello there.")
    page.keyboard.press("Enter")
    wait_for_spoken_answer(page, 0)
    # The code view opens from the keyboard and Escape closes it.
    page.get_by_role("button", name="View code").focus()
    page.keyboard.press("Enter")
    assert page.get_by_role("dialog").is_visible()
    page.keyboard.press("Escape")
    assert page.get_by_role("dialog").is_hidden()


def test_clear_chat_starts_over(vox, page):
    requests = chat_requests(page)
    ask(page, "Hello.")
    wait_for_spoken_answer(page, 0)
    page.get_by_role("button", name="Clear chat").click()
    assert page.get_by_role("log").get_by_role("listitem").count() == 0
    ask(page, "Hello again.")
    wait_for_spoken_answer(page, 0)
    assert [m["role"] for m in requests[1]["messages"]] == ["system", "user"]


def test_a_voice_call_takes_turns_shows_both_transcripts_and_stops_when_spoken_over(vox, browser):
    page = open_playground(browser, vox.url, API_KEY, speakable_microphone=True)
    wait_for_lists(page)
    # A long answer, so that there is time to speak over it.
    page.get_by_label("Sample instructions").select_option(label="Storyteller")
    sent = []
    page.on("websocket", lambda socket: socket.on("framesent", lambda payload: sent.append(payload)))
    page.get_by_role("button", name="Start call").click()
    page.get_by_role("button", name="End call").wait_for()
    page.get_by_text("In call: speak").wait_for()
    speak_into_microphone(page)
    page.wait_for_function(
        "() => [...document.querySelectorAll('li.turn.user .text')].some(p => p.textContent.length > 3)",
        timeout=60_000,
    )
    said = page.locator("li.turn.user .text").first.inner_text()
    assert overlap(said, " ".join(RECORDING_WORDS)) >= 0.5, said
    answer = page.locator("li.turn.assistant").first
    answer.get_by_text("first audio").wait_for(timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('li.turn.assistant .text').textContent.trim().length > 0", timeout=10_000)
    screenshot(page, "07-voice-call")
    # The caller speaks again over the answer: playback stops and the server hears how much was heard.
    speak_into_microphone(page)
    answer.get_by_text("interrupted after").wait_for(timeout=30_000)
    truncates = [json.loads(p) for p in sent if '"conversation.item.truncate"' in p]
    assert truncates and truncates[0]["audio_end_ms"] > 0, truncates
    # The turn keeps what was heard: its audio ends where the caller spoke over it.
    answer.locator("audio").wait_for(timeout=30_000)
    heard_secs = truncates[0]["audio_end_ms"] / 1000
    assert abs(audio_duration(answer) - heard_secs) < 0.05, (audio_duration(answer), heard_secs)
    assert page.get_by_role("alert").is_hidden(), page.get_by_role("alert").inner_text()
    screenshot(page, "08-voice-call-barge-in")
    page.get_by_role("button", name="End call").click()
    page.get_by_text("Call ended.").wait_for()
    assert page.get_by_role("button", name="Start call").is_visible()
    assert any('"input_audio_buffer.append"' in p for p in sent)
    assert page.errors == [], f"the page threw: {page.errors}"
    page.context.close()


def test_a_wrong_key_is_shown_as_a_401(vox, browser):
    page = open_playground(browser, vox.url, "sk-not-a-key")
    text = error_text(page)
    assert "401" in text and "API key" in text, text
    screenshot(page, "09-wrong-key")
    page.context.close()


def test_a_25_mb_file_is_refused_in_the_page(vox, page, tmp_path):
    requests = chat_requests(page)
    big = tmp_path / "big.wav"
    big.write_bytes(bytes(25 * 1024 * 1024))
    page.locator("#file-input").set_input_files(str(big))
    text = error_text(page)
    assert "Audio input is about 26214400 bytes, more than the 20971520-byte limit." in text, text
    assert page.locator("#attachment").is_hidden()
    screenshot(page, "10-too-large")
    assert requests == []


def test_undecodable_audio_is_explained(vox, page, tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF" + os.urandom(4000))
    page.locator("#file-input").set_input_files(str(broken))
    page.get_by_role("button", name="Send").click()
    text = error_text(page)
    assert "400" in text and "audio" in text.lower(), text
    # The failed turn is not kept: the next request goes out clean and is answered.
    requests = chat_requests(page)
    ask(page, "Hello.")
    wait_for_spoken_answer(page, 1)
    assert [m["role"] for m in requests[0]["messages"]] == ["system", "user"]


def test_a_busy_server_says_when_to_retry(browser):
    with tempfile.TemporaryDirectory() as home:
        server = start_server(home, "--caller-requests-per-minute", "2", env={"VOX_API_KEYS": API_KEY})
        try:
            page = open_playground(browser, server.url, API_KEY)
            text = error_text(page, containing="429")
            assert "429" in text and "Try again in" in text, text
            page.context.close()
        finally:
            stop_server(server)


def test_a_server_gone_is_said_in_plain_words(browser):
    with tempfile.TemporaryDirectory() as home:
        server = start_server(home, env={"VOX_API_KEYS": API_KEY})
        page = open_playground(browser, server.url, API_KEY)
        wait_for_lists(page)
        stop_server(server)
        ask(page, "Are you there?")
        text = error_text(page)
        assert "Cannot reach Vox" in text, text
        screenshot(page, "11-server-gone")
        page.context.close()


def test_no_playground_turns_the_page_off(browser):
    with tempfile.TemporaryDirectory() as home:
        server = start_server(home, "--no-playground", env={"VOX_API_KEYS": API_KEY})
        try:
            page = open_playground(browser, server.url, None)
            assert page.request.get(f"{server.url}/").status == 404
            assert page.request.get(f"{server.url}/playground/js/main.mjs").status == 404
            page.context.close()
        finally:
            stop_server(server)
