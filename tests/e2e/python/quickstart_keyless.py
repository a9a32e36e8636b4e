"""The Azure OpenAI audio quickstart's keyless script, as a user runs it: Microsoft Entra ID
through DefaultAzureCredential, no key anywhere. Prints the spoken answer's transcript and size."""

import base64
import json
import os

from azure.identity import DefaultAzureCredential, get_bearer_token_provider
from openai import AzureOpenAI

endpoint = os.environ["AZURE_OPENAI_ENDPOINT"]

token_provider = get_bearer_token_provider(
    DefaultAzureCredential(), "https://cognitiveservices.azure.com/.default"
)

client = AzureOpenAI(
    azure_endpoint=endpoint,
    azure_ad_token_provider=token_provider,
    api_version="2025-01-01-preview",
)

completion = client.chat.completions.create(
    model="gpt-4o-audio-preview",
    modalities=["text", "audio"],
    audio={"voice": "alloy", "format": "wav"},
    messages=[{"role": "user", "content": "Is a golden retriever a good family dog?"}],
    max_tokens=20,
    temperature=0,
)

audio = completion.choices[0].message.audio
print(json.dumps({"transcript": audio.transcript, "bytes": len(base64.b64decode(audio.data))}))
