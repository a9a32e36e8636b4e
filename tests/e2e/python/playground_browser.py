"""Debian's Chromium driven by Playwright, for the playground tests: a fake microphone that
speaks a real recording, the page opened with a key, screenshots kept as test artifacts."""

import base64
import json
import wave
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "target" / "playground-screenshots"
TESTDATA = "/usr/share/pocketsphinx/test/data"
# "he was not an ill disposed young man", 2.99 s, 16 kHz.
RECORDING = f"{TESTDATA}/librivox/sense_and_sensibility_01_austen_64kb-0880.wav"
ANSWER_TIMEOUT_MS = 90_000


def microphone_file(directory: Path) -> Path:
    """The recording followed by 4 s of silence: Chromium's fake microphone loops it, so a
    call hears a question, a pause to answer in, then the question again."""
    with wave.open(RECORDING) as source:
        rate, samples = source.getframerate(), source.readframes(source.getnframes())
    path = directory / "microphone.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(rate)
        out.writeframes(samples + bytes(2 * rate * 4))
    return path


def launch(playwright, microphone: Path):
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone}",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )


def start_playwright():
    return sync_playwright().start()


# A microphone the test speaks into when it chooses: getUserMedia gets a Web Audio stream
# that is silent until `speakIntoMicrophone` plays samples into it. Chromium's fake device
# loops its file on its own clock, so whether the loop comes back while an answer is still
# sounding would depend on how long that answer is; a call's barge-in test needs to speak
# at a moment it picks.
SPEAKABLE_MICROPHONE = """
(() => {
  let context, destination;
  navigator.mediaDevices.getUserMedia = async () => {
    context = new AudioContext();
    destination = context.createMediaStreamDestination();
    return destination.stream;
  };
  window.speakIntoMicrophone = (pcm16Base64, rate) => new Promise((resolve) => {
    const bytes = Uint8Array.from(atob(pcm16Base64), (c) => c.charCodeAt(0));
    const ints = new Int16Array(bytes.buffer);
    const buffer = context.createBuffer(1, ints.length, rate);
    buffer.copyToChannel(Float32Array.from(ints, (v) => v / 32768), 0);
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(destination);
    source.onended = resolve;
    source.start();
  });
})();
"""


def speak_into_microphone(page: Page, path: str = RECORDING) -> None:
    """Plays the recording at `path` into the page's speakable microphone, returning once
    it has been spoken (in real time)."""
    with wave.open(path) as source:
        rate, samples = source.getframerate(), source.readframes(source.getnframes())
    page.evaluate("([pcm, rate]) => speakIntoMicrophone(pcm, rate)", [base64.b64encode(samples).decode(), rate])


def open_playground(browser, url: str, key: str | None, speakable_microphone: bool = False) -> Page:
    """A fresh profile (no remembered key) on the page, the key entered when given; with
    `speakable_microphone`, the microphone is the one `speak_into_microphone` talks into
    instead of Chromium's looping fake device."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    if speakable_microphone:
        page.add_init_script(SPEAKABLE_MICROPHONE)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(f"{url}/")
    if key is not None:
        page.get_by_role("textbox", name="API key").fill(key)
        page.get_by_role("textbox", name="API key").press("Enter")
    return page


def wait_for_lists(page: Page) -> None:
    page.wait_for_function("() => document.querySelectorAll('#deployment option').length > 0 && "
                           "document.querySelectorAll('#voice option').length > 0")


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def wait_for_spoken_answer(page: Page, index: int):
    """The `index`-th assistant turn once its whole answer has arrived (its audio element is
    there; it may still be playing)."""
    turn = page.locator("li.turn.assistant").nth(index)
    turn.locator("audio").wait_for(timeout=ANSWER_TIMEOUT_MS)
    return turn


def wait_until_heard(page: Page, index: int):
    """The `index`-th assistant turn once its answer has been played to the end."""
    turn = wait_for_spoken_answer(page, index)
    page.wait_for_function(
        "i => !document.querySelectorAll('li.turn.assistant')[i].classList.contains('pending')", arg=index,
        timeout=ANSWER_TIMEOUT_MS)
    return turn


def audio_duration(element) -> float:
    """The duration of `element`'s audio, or of the <audio> inside it."""
    audio = element if element.evaluate("e => e.tagName") == "AUDIO" else element.locator("audio")
    return audio.evaluate(
        "a => a.readyState >= 1 ? a.duration : new Promise(r => a.addEventListener('loadedmetadata', () => r(a.duration)))"
    )


def audio_bytes(locator) -> bytes:
    """The bytes behind an <audio> element's blob URL, as the page holds them."""
    data = locator.evaluate(
        """async a => {
            const bytes = new Uint8Array(await (await fetch(a.src)).arrayBuffer());
            let s = ''; for (const b of bytes) s += String.fromCharCode(b);
            return btoa(s);
        }"""
    )
    return base64.b64decode(data)


def chat_requests(page: Page) -> list[dict]:
    """Records the JSON body of every chat completion the page sends."""
    bodies = []

    def keep(request):
        if request.url.endswith("/v1/chat/completions") and request.method == "POST":
            bodies.append(json.loads(request.post_data))

    page.on("request", keep)
    return bodies


def error_text(page: Page, timeout_ms: int = 30_000, containing: str | None = None) -> str:
    """The page's alert once visible; with `containing`, once it says that (an earlier alert,
    such as the keyless page's 401 before the key is entered, may show first)."""
    alert = page.get_by_role("alert")
    if containing is not None:
        alert = alert.filter(has_text=containing)
    alert.wait_for(state="visible", timeout=timeout_ms)
    return alert.inner_text()
