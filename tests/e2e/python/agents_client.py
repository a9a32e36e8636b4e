"""A voice agent as the OpenAI Agents SDK's guide writes one (`RealtimeAgent`, `RealtimeRunner`,
a function tool, the SDK's default session), pointed at Vox, plus what a test needs to drive it:
spoken questions (Vox's own voice, real speech) sent at real-time pace, and every SDK and raw
server event kept."""

import asyncio
import base64
import json
import urllib.request

from agents import function_tool
from agents.realtime import RealtimeAgent, RealtimeRunner

from conftest import API_KEY
from realtime_client import send_paced, silence

INSTRUCTIONS = (
    "You are a helpful voice assistant. When the user asks about the weather, use the "
    "get_weather tool to look it up, then answer in one short sentence."
)


def spoken(vox, text: str, voice: str = "alloy") -> bytes:
    """`text` as 24 kHz pcm16 speech, from Vox's speech route."""
    request = urllib.request.Request(
        f"{vox.url}/v1/audio/speech",
        data=json.dumps({"model": "tts-1", "voice": voice, "input": text, "response_format": "pcm"}).encode(),
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


class WeatherAgent:
    """One SDK session with a `get_weather` tool; `events` holds every session event in order."""

    def __init__(self, vox):
        self.vox = vox
        self.tool_calls: list[str] = []
        self.events: list = []
        self._arrived = asyncio.Condition()

        @function_tool
        def get_weather(city: str) -> str:
            """Returns the current weather in a city."""
            self.tool_calls.append(city)
            return f"It is sunny and 21 degrees Celsius in {city}."

        self.agent = RealtimeAgent(name="Weather assistant", instructions=INSTRUCTIONS, tools=[get_weather])

    async def __aenter__(self):
        url = self.vox.url.replace("http://", "ws://") + "/v1/realtime?model=gpt-realtime"
        runner = RealtimeRunner(self.agent)
        self.session = await runner.run(model_config={"url": url, "api_key": API_KEY})
        await self.session.__aenter__()
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc):
        self._reader.cancel()
        await self.session.__aexit__(*exc)

    async def _read(self):
        async for event in self.session:
            async with self._arrived:
                self.events.append(event)
                self._arrived.notify_all()

    async def say(self, pcm: bytes, pause_secs: float = 1.2) -> None:
        """Speaks `pcm` into the session, then falls silent for `pause_secs`."""

        async def append(audio: str):
            await self.session.send_audio(base64.b64decode(audio))

        await send_paced(append, pcm + silence(pause_secs))

    async def wait_for(self, found, timeout: float = 90):
        """Waits until `found(events)` is true; returns its value."""
        async with asyncio.timeout(timeout):
            async with self._arrived:
                while not (result := found(self.events)):
                    await self._arrived.wait()
                return result

    def raw(self, kind: str) -> list[dict]:
        """Raw server events of type `kind`, as Vox sent them."""
        return [e.data.data for e in self.events if e.type == "raw_model_event" and e.data.type == "raw_server_event"
                and e.data.data.get("type") == kind]

    def all_raw(self) -> list[dict]:
        return [e.data.data for e in self.events if e.type == "raw_model_event" and e.data.type == "raw_server_event"]

    def of_type(self, kind: str) -> list:
        return [e for e in self.events if e.type == kind]

    def answers(self) -> list[str]:
        """Transcripts of finished spoken answers, in order."""
        return [e["transcript"] for e in self.raw("response.output_audio_transcript.done")]
