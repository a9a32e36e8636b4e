"""Every realtime event Vox sends, checked against the openai SDK's own types: the GA and beta
`RealtimeServerEvent` unions, validated strictly by pydantic. The `conftest` fixture records what
the SDK's realtime connections receive and checks it after each test."""

import json

import pydantic
from openai.resources.beta.realtime.realtime import AsyncRealtimeConnection as BetaConnection
from openai.resources.realtime.realtime import AsyncRealtimeConnection as GaConnection
from openai.types.beta.realtime import RealtimeServerEvent as BetaServerEvent
from openai.types.realtime import RealtimeServerEvent as GaServerEvent

ADAPTERS = {
    "ga": pydantic.TypeAdapter(GaServerEvent),
    "beta": pydantic.TypeAdapter(BetaServerEvent),
}


def mismatch(event: dict, dialect: str) -> str | None:
    """Why `event` is not one of the SDK's server events, or None when it is."""
    try:
        ADAPTERS[dialect].validate_python(event, strict=True)
        return None
    except pydantic.ValidationError as error:
        return f"{event.get('type')}: {error}"


class EventRecorder:
    """Wraps the SDK connections' `recv_bytes` so every frame they receive is kept."""

    def __init__(self):
        self.received: list[tuple[str, dict]] = []

    def install(self, monkeypatch) -> None:
        for dialect, connection in (("ga", GaConnection), ("beta", BetaConnection)):
            monkeypatch.setattr(connection, "recv_bytes", self._recording(connection.recv_bytes, dialect))

    def _recording(self, recv_bytes, dialect):
        async def recv(connection):
            data = await recv_bytes(connection)
            self.received.append((dialect, json.loads(data)))
            return data

        return recv

    def mismatches(self) -> list[str]:
        return [problem for dialect, event in self.received if (problem := mismatch(event, dialect))]
