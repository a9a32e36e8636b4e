"""The official Python SDK against a running Vox: each error arrives as the exception class,
status and message the SDK gives for OpenAI and Azure OpenAI."""

import base64

import openai
import pytest
from openai import AzureOpenAI, OpenAI

from conftest import API_KEY, API_VERSION, ROOT

SPOKEN = dict(
    model="gpt-4o-audio-preview",
    modalities=["text", "audio"],
    audio={"voice": "alloy", "format": "wav"},
    messages=[{"role": "user", "content": "Is a golden retriever a good family dog?"}],
)


def openai_client(vox, key=API_KEY):
    return OpenAI(base_url=f"{vox.url}/v1", api_key=key, max_retries=0)


def azure_client(vox, key=API_KEY, deployment=None):
    return AzureOpenAI(
        azure_endpoint=vox.url,
        api_key=key,
        api_version=API_VERSION,
        azure_deployment=deployment,
        max_retries=0,
    )


def test_bad_key_openai(vox):
    with pytest.raises(openai.AuthenticationError) as caught:
        openai_client(vox, key="sk-wrong-000000000").chat.completions.create(**SPOKEN)
    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"
    assert caught.value.body["message"] == "Incorrect API key provided: sk-***0000."


def test_bad_key_azure(vox):
    with pytest.raises(openai.AuthenticationError) as caught:
        azure_client(vox, key="wrong").chat.completions.create(**SPOKEN)
    assert caught.value.status_code == 401
    assert caught.value.body["code"] == "401"
    assert caught.value.body["message"].startswith("Access denied due to invalid subscription key")


def test_missing_api_version(vox):
    # The Azure SDK always adds api-version, so send the Azure path through the plain client.
    client = OpenAI(base_url=f"{vox.url}/openai/deployments/gpt-4o-audio-preview", api_key=API_KEY, max_retries=0)
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(**SPOKEN)
    assert caught.value.status_code == 404
    assert caught.value.body == {"code": "404", "message": "Resource not found"}


def test_unknown_deployment(vox):
    with pytest.raises(openai.NotFoundError) as caught:
        azure_client(vox, deployment="no-such-deployment").chat.completions.create(**SPOKEN)
    assert caught.value.status_code == 404
    assert caught.value.body["code"] == "DeploymentNotFound"


@pytest.mark.parametrize("client_kind", ["openai", "azure"])
def test_bad_voice(vox, client_kind):
    client = openai_client(vox) if client_kind == "openai" else azure_client(vox)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(**{**SPOKEN, "audio": {"voice": "bogus", "format": "wav"}})
    assert caught.value.status_code == 400
    assert caught.value.param == "audio.voice"
    assert caught.value.body["message"].startswith("Invalid value: 'bogus'. Supported values are: 'alloy'")


@pytest.mark.parametrize("client_kind", ["openai", "azure"])
def test_stream_with_wav(vox, client_kind):
    client = openai_client(vox) if client_kind == "openai" else azure_client(vox)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(**SPOKEN, stream=True)
    assert caught.value.param == "audio.format"
    assert caught.value.body["message"] == (
        "Unsupported value: 'audio.format' does not support 'wav' when stream=true. "
        "Supported values are: 'pcm16'."
    )


def test_oversized_audio(vox):
    audio = base64.b64encode(b"\0" * (21 * 1024 * 1024)).decode()
    message = {
        "role": "user",
        "content": [{"type": "input_audio", "input_audio": {"data": audio, "format": "wav"}}],
    }
    with pytest.raises(openai.APIStatusError) as caught:
        openai_client(vox).chat.completions.create(**{**SPOKEN, "messages": [message]})
    assert caught.value.status_code == 413
    assert caught.value.param == "messages[0].content[0].input_audio.data"


def test_unknown_audio_id(vox):
    messages = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "audio": {"id": "audio_0123456789abcdef0123456789abcdef"}},
        {"role": "user", "content": "Say more."},
    ]
    with pytest.raises(openai.BadRequestError) as caught:
        azure_client(vox).chat.completions.create(**{**SPOKEN, "messages": messages})
    assert caught.value.code == "audio_not_found"
    assert caught.value.body["message"] == "Assistant audio audio_0123456789abcdef0123456789abcdef not found."


def test_models_listing(vox):
    for client in (openai_client(vox), azure_client(vox), azure_client(vox, deployment="gpt-4o-audio-preview")):
        ids = [model.id for model in client.models.list()]
        assert "gpt-4o-audio-preview" in ids
        assert "whisper-1" in ids


def test_a_file_that_would_exhaust_memory_is_refused_and_the_server_lives_on(vox):
    """A 4 KB M4A whose sample table claims 42 GB: decoded in a child process, it is a 400."""
    path = ROOT / "crates/vox-audio/tests/fuzz-regressions-abort/mp4-stsc-42gb.m4a"
    audio = base64.b64encode(path.read_bytes()).decode()
    message = {"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": audio, "format": "mp3"}}]}
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(vox).chat.completions.create(**{**SPOKEN, "messages": [message]})
    assert caught.value.body["message"] == "The audio file could not be decoded or its format is not supported."
    assert caught.value.param == "messages[0].content[0].input_audio.data"
    assert [model.id for model in openai_client(vox).models.list()], "the server still answers"


WEATHER = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
}


@pytest.mark.parametrize(
    "tools, tool_choice, param",
    [
        ([WEATHER], {"type": "function", "function": {"name": "g"}}, "tool_choice"),
        ([{"type": "function", "function": {"name": 'a" ::= "x" | root'}}], "auto", "tools[0].function.name"),
        ([{"type": "function", "function": {"name": "f" * 200}}], "auto", "tools[0].function.name"),
        ([{"type": "function", "function": {"name": "f", "parameters": "notaschema"}}], "auto", "tools[0].function.parameters"),
        ([{"type": "function", "function": {"name": "f", "parameters": {"type": 123}}}], "auto", "tools[0].function.parameters"),
        ([], "required", "tools"),
        # A rule no decoding grammar can hold is refused, never dropped silently.
        ([WEATHER, {"type": "function", "function": {"name": "f", "parameters": {
            "type": "object", "properties": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}}}}}],
         "auto", "tools[1].function.parameters"),
    ],
)
def test_bad_tools_are_400_naming_the_parameter(vox, tools, tool_choice, param):
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(vox).chat.completions.create(**SPOKEN, tools=tools, tool_choice=tool_choice)
    assert caught.value.status_code == 400
    assert caught.value.param == param, caught.value.body


@pytest.mark.parametrize(
    "extra, words",
    [
        ({"tool_choice": "sometimes"}, "Supported values are: 'none', 'auto', and 'required'."),
        ({"max_tokens": 1e20}, "expected an integer, but got a decimal number instead."),
    ],
)
def test_wrong_types_are_worded_as_openai_does(vox, extra, words):
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(vox).chat.completions.create(**SPOKEN, extra_body=extra)
    assert words in caught.value.body["message"], caught.value.body
    assert "enum" not in caught.value.body["message"] and "i64" not in caught.value.body["message"]
