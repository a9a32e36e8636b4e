"""Keyless sign-in: the quickstart's DefaultAzureCredential script runs unchanged against Vox.
Offline, azure-identity's managed identity (App Service: IDENTITY_ENDPOINT and IDENTITY_HEADER)
fetches its token from a test identity provider on loopback, which signs RS256 tokens and
publishes its JWKS over http; Vox trusts that issuer and fetches the keys from there."""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import jwt
import openai
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from openai import AzureOpenAI

from conftest import API_KEY, API_VERSION, start_server, stop_server

TENANT = "72f988bf-0000-4000-8000-00000000000a"
ISSUER = f"https://sts.windows.net/{TENANT}/"
AUDIENCE = "https://cognitiveservices.azure.com"
IDENTITY_HEADER = "test-identity-header-secret"
SCRIPT = Path(__file__).with_name("quickstart_keyless.py")


class IdentityProvider:
    """Managed identity's token endpoint and the issuer's JWKS, as Azure serves them."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-rsa-1"
        self.issued = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlparse(self.path)
                if url.path == "/discovery/keys":
                    jwk = json.loads(RSAAlgorithm.to_jwk(provider.key.public_key()))
                    body = {"keys": [{**jwk, "kid": provider.kid, "use": "sig", "alg": "RS256"}]}
                elif url.path == "/msi/token" and self.headers.get("X-IDENTITY-HEADER") == IDENTITY_HEADER:
                    resource = parse_qs(url.query)["resource"][0]
                    token = provider.token(aud=resource)
                    provider.issued.append(resource)
                    body = {"access_token": token, "expires_on": str(int(time.time()) + 3600),
                            "resource": resource, "token_type": "Bearer"}
                else:
                    self.send_response(401)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, **changes):
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "tid": TENANT, "oid": "user-object-id", "sub": "subject",
                  "iat": now, "nbf": now - 5, "exp": now + 3600, **changes}
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture(scope="module")
def provider():
    provider = IdentityProvider()
    yield provider
    provider.server.shutdown()


@pytest.fixture(scope="module")
def keyless_vox(provider):
    with tempfile.TemporaryDirectory() as home:
        server = start_server(home, "--jwt-issuer", ISSUER, "--jwt-audience", AUDIENCE,
                              "--jwt-jwks", f"{provider.url}/discovery/keys",
                              env={"VOX_API_KEYS": API_KEY})
        yield server
        assert stop_server(server) == 0


def test_the_quickstart_keyless_script_runs_unchanged(keyless_vox, provider):
    env = {**os.environ, "AZURE_OPENAI_ENDPOINT": keyless_vox.url,
           "IDENTITY_ENDPOINT": f"{provider.url}/msi/token", "IDENTITY_HEADER": IDENTITY_HEADER}
    for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "OPENAI_API_KEY", "AZURE_OPENAI_API_KEY"):
        env.pop(name, None)
    run = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    assert answer["transcript"].strip() and answer["bytes"] > 4000, answer
    assert provider.issued == [AUDIENCE], "the credential asked the identity endpoint once, for Cognitive Services"


def test_tokens_of_other_issuers_audiences_and_keys_are_refused(keyless_vox, provider):
    def client(token):
        return AzureOpenAI(azure_endpoint=keyless_vox.url, azure_ad_token=token, api_version=API_VERSION,
                           max_retries=0)

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    forged = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "tid": TENANT, "oid": "x", "exp": now + 600},
                        other_key, algorithm="RS256", headers={"kid": provider.kid})
    cases = {
        "expired": provider.token(exp=now - 600),
        "audience": provider.token(aud="api://something-else"),
        "issuer": provider.token(iss="https://login.example.com/"),
        "signature": forged,
    }
    for says, token in cases.items():
        with pytest.raises(openai.AuthenticationError) as refused:
            client(token).models.list()
        assert refused.value.status_code == 401
        assert says in str(refused.value), (says, str(refused.value))
        assert token.split(".")[1] not in str(refused.value)
    # A key still opens the same server.
    assert AzureOpenAI(azure_endpoint=keyless_vox.url, api_key=API_KEY, api_version=API_VERSION).models.list().data
