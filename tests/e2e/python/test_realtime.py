"""The Realtime API with unmodified official clients: the openai SDK's GA and beta realtime
connections, AzureOpenAI, and a raw WebSocket as a browser connects (the key as a subprotocol).
The spoken question is a real recording sent at real-time pace; answers are heard back by Vox's
own recogniser."""

import asyncio
import base64
import io
import json
import time
import uuid
import wave

import urllib.error
import urllib.request
import pytest
import websockets
from openai import AsyncAzureOpenAI, AsyncOpenAI, OpenAI

from conftest import API_KEY, API_VERSION
from event_types import mismatch
from realtime_client import RECORDING_WORDS, TESTDATA, b64, overlap, pcm16_24k, send_paced, silence, words

# Greedy and bounded: the 135M test model can loop on one sentence until its context is full.
GREEDY = {"temperature": 0, "max_output_tokens": 60, "instructions": "Answer in one or two short sentences."}
FINISHED = {"completed", "incomplete"}


def client(vox, key=API_KEY):
    return AsyncOpenAI(base_url=f"{vox.url}/v1", api_key=key, max_retries=0)


async def until(connection, kind, timeout=60, seen=None):
    """Events up to and including the first of type `kind`."""
    events = []
    async with asyncio.timeout(timeout):
        async for event in connection:
            events.append(event)
            if seen is not None:
                seen.append((time.monotonic(), event))
            if event.type == kind:
                return events
    raise AssertionError(f"the connection closed before {kind}: {[e.type for e in events]}")


def of_type(events, kind):
    return [e for e in events if e.type == kind]


def heard_back(vox, pcm: bytes) -> str:
    """Vox's own recogniser on the answer's pcm16."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(24_000), w.writeframes(pcm)
    buffer.seek(0)
    sync = OpenAI(base_url=f"{vox.url}/v1", api_key=API_KEY, max_retries=0)
    return sync.audio.transcriptions.create(model="whisper-1", file=("answer.wav", buffer)).text


async def text_turn(connection, text):
    await connection.conversation.item.create(
        item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    )


def test_a_spoken_question_is_answered_in_speech(vox):
    async def scenario():
        async with client(vox).realtime.connect(model="gpt-realtime") as connection:
            created = await connection.recv()
            assert created.type == "session.created"
            assert created.session.audio.input.turn_detection.type == "server_vad"
            await connection.session.update(session={"type": "realtime", **GREEDY})
            await until(connection, "session.updated")
            audio = pcm16_24k() + silence(1.5)
            sender = asyncio.create_task(send_paced(connection.input_audio_buffer.append, audio))
            events = await until(connection, "response.done")
            await sender
        return events

    events = asyncio.run(scenario())
    kinds = [e.type for e in events]
    for kind in ["input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
                 "input_audio_buffer.committed", "conversation.item.input_audio_transcription.completed",
                 "response.created", "response.output_audio.delta", "response.done"]:
        assert kind in kinds, kinds
    assert kinds.index("input_audio_buffer.speech_stopped") < kinds.index("response.created")
    started = of_type(events, "input_audio_buffer.speech_started")[0]
    stopped = of_type(events, "input_audio_buffer.speech_stopped")[0]
    assert started.item_id == stopped.item_id
    assert 2500 < stopped.audio_end_ms < 3500, stopped.audio_end_ms
    heard = of_type(events, "conversation.item.input_audio_transcription.completed")[0].transcript
    assert overlap(heard, " ".join(RECORDING_WORDS)) >= 0.7, heard
    done = of_type(events, "response.done")[0].response
    assert done.status in FINISHED
    assert done.usage.output_token_details.audio_tokens > 0
    assert done.usage.input_token_details.audio_tokens > 0
    transcript = "".join(e.delta for e in of_type(events, "response.output_audio_transcript.delta"))
    assert of_type(events, "response.output_audio_transcript.done")[0].transcript == transcript
    pcm = b"".join(base64.b64decode(e.delta) for e in of_type(events, "response.output_audio.delta"))
    assert len(pcm) % 2 == 0 and len(pcm) > 2 * 24_000 * 0.5
    assert overlap(heard_back(vox, pcm), transcript) >= 0.6, (transcript, heard_back(vox, pcm))
    # The transcript of each clause comes before its audio.
    assert kinds.index("response.output_audio_transcript.delta") < kinds.index("response.output_audio.delta")


def test_a_text_item_is_answered_in_audio_and_the_next_turn_remembers(vox):
    async def scenario():
        async with client(vox).realtime.connect(model="gpt-realtime") as connection:
            await connection.session.update(session={"type": "realtime", "audio": {"input": {"turn_detection": None}},
                                                     **GREEDY, "instructions": "You are a helpful assistant."})
            await until(connection, "session.updated")
            await text_turn(connection, "Remember this word: banana.")
            await connection.response.create()
            first = await until(connection, "response.done")
            await text_turn(connection, "Which word did I ask you to remember?")
            await connection.response.create()
            second = await until(connection, "response.done")
            items = []
            for event in of_type(first + second, "conversation.item.added"):
                await connection.conversation.item.retrieve(item_id=event.item.id)
                items.append((await until(connection, "conversation.item.retrieved"))[-1].item)
        return first, second, items

    first, second, items = asyncio.run(scenario())
    for events in (first, second):
        assert of_type(events, "response.done")[0].response.status in FINISHED
        assert of_type(events, "response.output_audio.delta")
    roles = [item.role for item in items]
    assert roles == ["user", "assistant", "user", "assistant"], roles
    # The second answer read the whole conversation: more prompt tokens than the first.
    first_usage = of_type(first, "response.done")[0].response.usage
    second_usage = of_type(second, "response.done")[0].response.usage
    assert second_usage.input_token_details.text_tokens > first_usage.input_token_details.text_tokens
    assert "banana" in words(items[3].content[0].transcript), items[3].content[0].transcript


def test_the_sessions_opening_is_read_before_its_first_turn(vox):
    # Instructions no other session has, and a tool: only reading them ahead, when the session
    # was set up, can have put them in the model's cache before the turn.
    unique = f"You are the concierge of hotel {uuid.uuid4().hex}. " + "Be brief and kind. " * 20
    tool = {"type": "function", "name": "book_taxi", "description": "Books a taxi.",
            "parameters": {"type": "object", "properties": {"address": {"type": "string"}}}}

    async def scenario():
        async with client(vox).realtime.connect(model="gpt-realtime") as connection:
            await connection.session.update(session={
                "type": "realtime", **GREEDY, "instructions": unique, "tools": [tool],
                "output_modalities": ["text"], "audio": {"input": {"turn_detection": None}}})
            await until(connection, "session.updated")
            # The test model reads such an opening in well under a second.
            await asyncio.sleep(2)
            await text_turn(connection, "Hello there.")
            await connection.response.create()
            return await until(connection, "response.done")

    events = asyncio.run(scenario())
    usage = of_type(events, "response.done")[0].response.usage
    read = usage.input_token_details.text_tokens
    cached = usage.input_token_details.cached_tokens
    # All but the caller's turn and the answer's opening were found read.
    assert read > 200 and read - cached < 40, (cached, read)


def test_speaking_over_an_answer_stops_it_at_once(vox):
    async def scenario():
        async with client(vox).realtime.connect(model="gpt-realtime") as connection:
            await connection.session.update(session={"type": "realtime", **GREEDY})
            await until(connection, "session.updated")
            await text_turn(connection, "Tell me a long story about a dragon and a knight, in ten sentences.")
            await connection.response.create()
            seen = []
            await until(connection, "response.output_audio.delta", seen=seen)
            sender = asyncio.create_task(
                send_paced(connection.input_audio_buffer.append, pcm16_24k() + silence(1.0)))
            await until(connection, "response.done", seen=seen)
            await sender
        return seen

    seen = asyncio.run(scenario())
    started_at = next(t for t, e in seen if e.type == "input_audio_buffer.speech_started")
    late = [t - started_at for t, e in seen if e.type == "response.output_audio.delta" and t > started_at + 0.1]
    assert not late, f"audio deltas {late} s after speech_started"
    done = [e for _, e in seen if e.type == "response.done"][0].response
    assert done.status == "cancelled"
    assert done.status_details.reason == "turn_detected"
    sent = "".join(e.delta for _, e in seen if e.type == "response.output_audio_transcript.delta")
    item = done.output[0]
    assert item.status == "incomplete"
    assert item.content[0].transcript == sent


def test_truncate_cuts_the_transcript_to_what_was_played(vox):
    async def scenario():
        async with client(vox).realtime.connect(model="gpt-realtime") as connection:
            await connection.session.update(session={"type": "realtime", "audio": {"input": {"turn_detection": None}}, **GREEDY})
            await until(connection, "session.updated")
            await text_turn(connection, "Name three colours, one sentence for each.")
            await connection.response.create()
            events = await until(connection, "response.done")
            item = of_type(events, "response.done")[0].response.output[0]
            pcm = b"".join(base64.b64decode(e.delta) for e in of_type(events, "response.output_audio.delta"))
            audio_ms = len(pcm) * 1000 // (2 * 24_000)
            await connection.conversation.item.truncate(item_id=item.id, content_index=0, audio_end_ms=audio_ms + 5000,
                                                        event_id="evt_too_far")
            too_far = (await until(connection, "error"))[-1]
            await connection.conversation.item.truncate(item_id=item.id, content_index=0, audio_end_ms=300)
            truncated = (await until(connection, "conversation.item.truncated"))[-1]
            await connection.conversation.item.retrieve(item_id=item.id)
            retrieved = (await until(connection, "conversation.item.retrieved"))[-1].item
        return item, too_far, truncated, retrieved

    item, too_far, truncated, retrieved = asyncio.run(scenario())
    assert too_far.error.event_id == "evt_too_far" and too_far.error.param == "audio_end_ms"
    assert truncated.audio_end_ms == 300
    full = item.content[0].transcript
    cut = retrieved.content[0].transcript
    assert full.startswith(cut) and len(cut) < len(full), (full, cut)


def test_cancel_ends_the_response_as_cancelled(vox):
    async def scenario():
        async with client(vox).realtime.connect(model="gpt-realtime") as connection:
            await text_turn(connection, "Count from one to fifty.")
            await connection.response.create()
            await until(connection, "response.created")
            await connection.response.cancel()
            events = await until(connection, "response.done")
            await connection.response.cancel(event_id="evt_nothing")
            nothing = (await until(connection, "error"))[-1]
        return events, nothing

    events, nothing = asyncio.run(scenario())
    done = of_type(events, "response.done")[0].response
    assert done.status == "cancelled" and done.status_details.reason == "client_cancelled"
    assert nothing.error.code == "response_cancel_not_active" and nothing.error.event_id == "evt_nothing"


def test_a_function_call_and_its_output(vox):
    tool = {"type": "function", "name": "get_weather", "description": "The weather in a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}

    async def scenario():
        async with client(vox).realtime.connect(model="gpt-realtime") as connection:
            await connection.session.update(session={"type": "realtime", "tools": [tool], "tool_choice": "required",
                                                     **GREEDY})
            await until(connection, "session.updated")
            await text_turn(connection, "What is the weather in Paris?")
            await connection.response.create()
            called = await until(connection, "response.done")
            call = of_type(called, "response.function_call_arguments.done")[0]
            await connection.conversation.item.create(
                item={"type": "function_call_output", "call_id": call.call_id, "output": json.dumps({"celsius": 21})})
            await connection.response.create(response={"tool_choice": "none"})
            answered = await until(connection, "response.done")
        return called, answered

    called, answered = asyncio.run(scenario())
    call = of_type(called, "response.function_call_arguments.done")[0]
    assert call.name == "get_weather"
    assert isinstance(json.loads(call.arguments), dict)
    item = of_type(called, "response.done")[0].response.output[-1]
    assert item.type == "function_call" and item.call_id == call.call_id
    assert of_type(answered, "response.done")[0].response.status in FINISHED
    assert of_type(answered, "response.output_audio.delta")


def test_bad_events_get_error_events_and_the_session_goes_on(vox):
    async def scenario():
        async with client(vox).realtime.connect(model="gpt-realtime") as connection:
            await connection.recv()
            errors = []
            for event in [{"type": "nope", "event_id": "e1"},
                          {"type": "input_audio_buffer.append", "audio": "%%%", "event_id": "e2"},
                          {"type": "input_audio_buffer.commit", "event_id": "e3"},
                          {"type": "conversation.item.delete", "item_id": "item_missing", "event_id": "e4"},
                          {"type": "session.update", "session": {"audio": {"output": {"voice": "nobody"}}},
                           "event_id": "e5"}]:
                await connection.send(event)
                errors.append((await until(connection, "error"))[-1].error)
            await connection.send({"type": "input_audio_buffer.clear"})
            cleared = (await until(connection, "input_audio_buffer.cleared"))[-1]
        return errors, cleared

    errors, cleared = asyncio.run(scenario())
    assert [e.event_id for e in errors] == ["e1", "e2", "e3", "e4", "e5"]
    assert errors[0].param == "type" and errors[0].type == "invalid_request_error"
    assert errors[1].param == "audio"
    assert errors[2].code == "input_audio_buffer_commit_empty"
    assert errors[3].code == "item_not_found"
    assert errors[4].param == "session.audio.output.voice"
    assert cleared.type == "input_audio_buffer.cleared"


def test_a_wrong_key_is_refused_before_the_upgrade(vox):
    async def scenario():
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            async with client(vox, key="sk-wrong-key-000").realtime.connect(model="gpt-realtime") as connection:
                await connection.recv()
        return refused.value.response

    response = asyncio.run(scenario())
    assert response.status_code == 401
    assert json.loads(response.body)["error"]["code"] == "invalid_api_key"


def test_the_beta_protocol_speaks_beta_names(vox):
    async def scenario():
        # The beta client goes to wss:// unless told the socket's address.
        beta = AsyncOpenAI(base_url=f"{vox.url}/v1", api_key=API_KEY, max_retries=0,
                           websocket_base_url=vox.url.replace("http", "ws") + "/v1")
        async with beta.beta.realtime.connect(model="gpt-4o-realtime-preview") as connection:
            created = await connection.recv()
            await connection.session.update(session={"turn_detection": None, "voice": "echo", **GREEDY})
            updated = (await until(connection, "session.updated"))[-1]
            await connection.conversation.item.create(
                item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Say hello."}]})
            await connection.response.create()
            events = await until(connection, "response.done")
        return created, updated, events

    created, updated, events = asyncio.run(scenario())
    assert created.session.input_audio_format == "pcm16"
    assert updated.session.voice == "echo" and updated.session.turn_detection is None
    kinds = {e.type for e in events}
    assert {"conversation.item.created", "response.audio.delta", "response.audio_transcript.delta",
            "response.audio.done"} <= kinds, kinds
    assert not any(k.startswith("response.output_audio") for k in kinds)
    assert of_type(events, "response.done")[0].response.output[0].content[0].type == "audio"


def test_azure_clients_connect_by_deployment(vox):
    async def scenario():
        azure = AsyncAzureOpenAI(azure_endpoint=vox.url, api_key=API_KEY, api_version=API_VERSION,
                                 websocket_base_url=vox.url.replace("http", "ws") + "/openai", max_retries=0)
        async with azure.realtime.connect(model="gpt-realtime") as connection:
            created = await connection.recv()
            await connection.session.update(session={"type": "realtime", "output_modalities": ["text"], **GREEDY})
            await until(connection, "session.updated")
            await text_turn(connection, "Say hello.")
            await connection.response.create()
            events = await until(connection, "response.done")
        return created, events

    created, events = asyncio.run(scenario())
    assert created.session.model == "gpt-realtime"
    text = "".join(e.delta for e in of_type(events, "response.output_text.delta"))
    assert text and of_type(events, "response.output_text.done")[0].text == text
    assert not of_type(events, "response.output_audio.delta")


def test_a_browser_key_subprotocol_and_an_ephemeral_secret(vox):
    sync = OpenAI(base_url=f"{vox.url}/v1", api_key=API_KEY, max_retries=0)
    secret = sync.realtime.client_secrets.create(
        expires_after={"anchor": "created_at", "seconds": 60},
        session={"type": "realtime", "audio": {"output": {"voice": "echo"}}})
    assert secret.value.startswith("ek_") and secret.session.audio.output.voice == "echo"
    assert secret.expires_at > time.time() + 30

    async def open_with(key):
        url = vox.url.replace("http", "ws") + "/v1/realtime?model=gpt-realtime"
        async with websockets.connect(url, subprotocols=["realtime", f"openai-insecure-api-key.{key}"]) as ws:
            created = json.loads(await ws.recv())
            return ws.subprotocol, created

    protocol, created = asyncio.run(open_with(API_KEY))
    assert protocol == "realtime" and created["type"] == "session.created"
    assert mismatch(created, "ga") is None, mismatch(created, "ga")
    protocol, created = asyncio.run(open_with(secret.value))
    assert created["session"]["audio"]["output"]["voice"] == "echo"
    with pytest.raises(websockets.exceptions.InvalidStatus):
        asyncio.run(open_with("ek_not_a_secret"))
    # A client secret opens realtime sessions only.
    request = urllib.request.Request(f"{vox.url}/v1/models", headers={"Authorization": f"Bearer {secret.value}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 401


def test_telephone_audio_in_and_out(vox):
    """G.711 u-law at 8 kHz both ways, as a phone line carries it."""
    import audioop  # Python 3.11's own G.711 codec: an independent check of Vox's

    pcm_8k, _ = audioop.ratecv(pcm16_24k(), 2, 1, 24_000, 8_000, None)
    ulaw = audioop.lin2ulaw(pcm_8k, 2)

    async def scenario():
        async with client(vox).realtime.connect(model="gpt-realtime") as connection:
            await connection.session.update(session={
                "type": "realtime", **GREEDY,
                "audio": {"input": {"format": {"type": "audio/pcmu"}, "turn_detection": None},
                          "output": {"format": {"type": "audio/pcmu"}}}})
            updated = (await until(connection, "session.updated"))[-1]
            for at in range(0, len(ulaw), 800):
                await connection.input_audio_buffer.append(audio=b64(ulaw[at:at + 800]))
            await connection.input_audio_buffer.commit()
            heard = (await until(connection, "conversation.item.input_audio_transcription.completed"))[-1]
            await connection.response.create()
            events = await until(connection, "response.done")
        return updated, heard, events

    updated, heard, events = asyncio.run(scenario())
    assert updated.session.audio.output.format.type == "audio/pcmu"
    assert overlap(heard.transcript, " ".join(RECORDING_WORDS)) >= 0.7, heard.transcript
    answer = b"".join(base64.b64decode(e.delta) for e in of_type(events, "response.output_audio.delta"))
    transcript = of_type(events, "response.output_audio_transcript.done")[0].transcript
    pcm_8k = audioop.ulaw2lin(answer, 2)
    pcm_24k, _ = audioop.ratecv(pcm_8k, 2, 1, 8_000, 24_000, None)
    assert overlap(heard_back(vox, pcm_24k), transcript) >= 0.6, transcript


def test_an_audio_item_is_recognised_and_items_can_be_deleted(vox):
    async def scenario():
        async with client(vox).realtime.connect(model="gpt-realtime") as connection:
            await connection.conversation.item.create(item={"type": "message", "role": "user", "content": [
                {"type": "input_audio", "audio": b64(pcm16_24k())}]})
            added = (await until(connection, "conversation.item.added"))[-1]
            heard = (await until(connection, "conversation.item.input_audio_transcription.completed"))[-1]
            await connection.conversation.item.delete(item_id=added.item.id)
            deleted = (await until(connection, "conversation.item.deleted"))[-1]
            await connection.conversation.item.retrieve(item_id=added.item.id, event_id="evt_gone")
            gone = (await until(connection, "error"))[-1]
        return added, heard, deleted, gone

    added, heard, deleted, gone = asyncio.run(scenario())
    assert heard.item_id == added.item.id
    assert overlap(heard.transcript, " ".join(RECORDING_WORDS)) >= 0.7, heard.transcript
    assert deleted.item_id == added.item.id
    assert gone.error.code == "item_not_found" and gone.error.event_id == "evt_gone"


def test_server_vad_idle_timeout_answers_a_silent_caller(vox):
    async def scenario():
        async with client(vox).realtime.connect(model="gpt-realtime") as connection:
            await connection.session.update(session={"type": "realtime", **GREEDY, "audio": {"input": {
                "turn_detection": {"type": "server_vad", "idle_timeout_ms": 5000}}}})
            await until(connection, "session.updated")
            started = time.monotonic()
            await connection.input_audio_buffer.append(audio=b64(silence(1.0)))
            events = await until(connection, "response.done", timeout=30)
        return time.monotonic() - started, events

    waited, events = asyncio.run(scenario())
    kinds = [e.type for e in events]
    assert "input_audio_buffer.timeout_triggered" in kinds, kinds
    assert kinds.index("input_audio_buffer.timeout_triggered") < kinds.index("response.created")
    assert 4.5 < waited < 15, waited


def test_semantic_vad_ends_a_finished_sentence_at_its_pause(vox):
    """A read sentence, then 300 ms of silence and nothing more: server_vad (500 ms) would
    wait on; semantic_vad's end-of-turn model hears a finished sentence and ends the turn where
    the silence began."""
    sentence = pcm16_24k(f"{TESTDATA}/librivox/sense_and_sensibility_01_austen_64kb-0890.wav")

    async def scenario():
        async with client(vox).realtime.connect(model="gpt-realtime") as connection:
            await connection.session.update(session={"type": "realtime", "audio": {"input": {
                "turn_detection": {"type": "semantic_vad", "eagerness": "low", "create_response": False}}}})
            updated = await until(connection, "session.updated")
            await connection.input_audio_buffer.append(audio=b64(sentence))
            await send_paced(connection.input_audio_buffer.append, silence(0.3))
            events = await until(connection, "conversation.item.input_audio_transcription.completed", timeout=20)
        return updated[-1], events

    updated, events = asyncio.run(scenario())
    detection = updated.session.audio.input.turn_detection
    assert detection.type == "semantic_vad" and detection.eagerness == "low"
    stopped = of_type(events, "input_audio_buffer.speech_stopped")
    assert len(stopped) == 1, [e.type for e in events]
    speech_ends_ms = len(sentence) / 2 / 24
    assert speech_ends_ms - 600 < stopped[0].audio_end_ms <= speech_ends_ms + 50, (stopped[0].audio_end_ms, speech_ends_ms)
    heard = of_type(events, "conversation.item.input_audio_transcription.completed")[0].transcript
    assert overlap(heard, "unless to be rather cold hearted and rather selfish is to be ill disposed") >= 0.6, heard
    assert not of_type(events, "response.created")


def test_the_beta_sessions_route_mints_a_client_secret(vox):
    sync = OpenAI(base_url=f"{vox.url}/v1", api_key=API_KEY, max_retries=0)
    session = sync.beta.realtime.sessions.create(model="gpt-4o-realtime-preview", voice="shimmer",
                                                  modalities=["text", "audio"])
    assert session.voice == "shimmer"
    assert session.client_secret.value.startswith("ek_")

    async def open_with(key):
        url = vox.url.replace("http", "ws") + "/v1/realtime?model=gpt-4o-realtime-preview"
        async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {key}",
                                                               "OpenAI-Beta": "realtime=v1"}) as ws:
            return json.loads(await ws.recv())

    created = asyncio.run(open_with(session.client_secret.value))
    assert created["type"] == "session.created" and created["session"]["voice"] == "shimmer"
    assert mismatch(created, "beta") is None, mismatch(created, "beta")


def test_a_transcription_session_sends_the_words_and_no_answer(vox):
    """`?intent=transcription` with the SDK's own GA transcription session settings."""

    async def scenario():
        async with client(vox).realtime.connect(model="gpt-realtime", extra_query={"intent": "transcription"}) as connection:
            created = await until(connection, "session.created")
            await connection.session.update(session={
                "type": "transcription",
                "audio": {"input": {"transcription": {"model": "whisper-1", "language": "en"},
                                    "turn_detection": {"type": "server_vad", "silence_duration_ms": 500}}}})
            await until(connection, "session.updated")
            await send_paced(connection.input_audio_buffer.append, pcm16_24k() + silence(1.5))
            events = await until(connection, "conversation.item.input_audio_transcription.completed")
            # Nothing answers: a second of quiet brings no response event.
            try:
                async with asyncio.timeout(1.5):
                    async for event in connection:
                        events.append(event)
            except TimeoutError:
                pass
            return created, events

    created, events = asyncio.run(scenario())
    assert created[-1].session.type == "transcription"
    deltas = "".join(e.delta for e in of_type(events, "conversation.item.input_audio_transcription.delta"))
    completed = of_type(events, "conversation.item.input_audio_transcription.completed")[0]
    assert overlap(completed.transcript, " ".join(RECORDING_WORDS)) >= 0.6, completed.transcript
    assert deltas.strip() == completed.transcript.strip()
    assert not [e.type for e in events if e.type.startswith("response.")]


def test_an_out_of_band_response_leaves_the_conversation_alone(vox):
    async def scenario():
        async with client(vox).realtime.connect(model="gpt-realtime") as connection:
            await connection.session.update(session={"type": "realtime", "output_modalities": ["text"],
                                                     "audio": {"input": {"turn_detection": None}}, **GREEDY})
            await text_turn(connection, "My name is Ada.")
            added = await until(connection, "conversation.item.done")
            await connection.response.create(response={
                "conversation": "none", "metadata": {"topic": "name"}, "output_modalities": ["text"],
                "input": [{"type": "item_reference", "id": added[-1].item.id},
                          {"type": "message", "role": "user",
                           "content": [{"type": "input_text", "text": "What is my name?"}]}]})
            return await until(connection, "response.done")

    events = asyncio.run(scenario())
    done = events[-1].response
    assert done.status in FINISHED and done.metadata == {"topic": "name"}
    assert done.conversation_id is None
    assert of_type(events, "response.created")[0].response.metadata == {"topic": "name"}
    assert not of_type(events, "conversation.item.added"), "no item joined the conversation"
