// Keyless sign-in with @azure/identity: the quickstart's DefaultAzureCredential script runs
// unchanged. Its managed identity (App Service: IDENTITY_ENDPOINT, IDENTITY_HEADER) gets an RS256
// token from a test identity provider on loopback, which also serves the JWKS Vox verifies with.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer } from 'node:http';
import { generateKeyPairSync, sign } from 'node:crypto';
import { join } from 'node:path';
import { startVox, API_KEY } from '../lib/vox.mjs';

const CLIENT = join(import.meta.dirname, '../lib/keyless-client.mjs');
const TENANT = '72f988bf-0000-4000-8000-00000000000b';
const ISSUER = `https://sts.windows.net/${TENANT}/`;
const AUDIENCE = 'https://cognitiveservices.azure.com';
const SECRET = 'node-identity-header';
const KID = 'node-rsa-1';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const b64url = (value) => Buffer.from(value).toString('base64url');

function token(claims = {}, key = privateKey) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: KID }));
  const payload = b64url(JSON.stringify({
    iss: ISSUER, aud: AUDIENCE, tid: TENANT, oid: 'node-user', nbf: now - 5, exp: now + 3600, ...claims,
  }));
  return `${header}.${payload}.${sign('sha256', Buffer.from(`${header}.${payload}`), key).toString('base64url')}`;
}

let identity;
let identityUrl;
let vox;

before(async () => {
  identity = createServer((request, response) => {
    const url = new URL(request.url, 'http://localhost');
    let body;
    if (url.pathname === '/discovery/keys') {
      body = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: KID, use: 'sig', alg: 'RS256' }] };
    } else if (url.pathname === '/msi/token' && request.headers['x-identity-header'] === SECRET) {
      const resource = url.searchParams.get('resource');
      body = { access_token: token({ aud: resource }), expires_on: String(Math.floor(Date.now() / 1000) + 3600),
        resource, token_type: 'Bearer' };
    } else {
      response.writeHead(401).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise((done) => identity.listen(0, '127.0.0.1', done));
  identityUrl = `http://127.0.0.1:${identity.address().port}`;
  vox = await startVox({ args: ['--jwt-issuer', ISSUER, '--jwt-audience', AUDIENCE, '--jwt-jwks', `${identityUrl}/discovery/keys`] });
});
after(async () => {
  assert.equal(await vox.stop(), 0, 'vox shuts down cleanly');
  identity.close();
});

// Asynchronously: the identity provider answering the script lives in this process.
async function runClient(extraEnv) {
  const env = { ...process.env, AZURE_OPENAI_ENDPOINT: vox.url, ...extraEnv };
  for (const name of ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_OPENAI_API_KEY']) delete env[name];
  const { stdout } = await promisify(execFile)(process.execPath, [CLIENT], { env, encoding: 'utf8', timeout: 180_000 });
  return JSON.parse(stdout.trim().split('\n').pop());
}

test('the quickstart keyless script runs unchanged', async () => {
  const answer = await runClient({ IDENTITY_ENDPOINT: `${identityUrl}/msi/token`, IDENTITY_HEADER: SECRET });
  assert.equal(answer.error, undefined, answer.message);
  assert.ok(answer.transcript.trim().length > 0);
  assert.ok(answer.bytes > 4000, `${answer.bytes} bytes`);
});

test('a token signed by another key is refused with a 401 that says why', async () => {
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const forged = token({}, other);
  const response = await fetch(`${vox.url}/v1/models`, { headers: { authorization: `Bearer ${forged}` } });
  assert.equal(response.status, 401);
  const body = await response.json();
  assert.match(body.error.message, /signature/);
  assert.ok(!JSON.stringify(body).includes(forged.split('.')[1]));
  const keyed = await fetch(`${vox.url}/v1/models`, { headers: { authorization: `Bearer ${API_KEY}` } });
  assert.equal(keyed.status, 200);
});
