// The npm openai package over https to Vox's own TLS listener, with a self-signed certificate
// that Node trusts through NODE_EXTRA_CA_CERTS; without it, the same script fails to connect.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startVoxWithTls, API_KEY } from '../lib/vox.mjs';

const CLIENT = join(import.meta.dirname, '../lib/https-client.mjs');
let vox;
let cert;

before(async () => {
  vox = await startVoxWithTls();
  cert = vox.cert;
});
after(async () => {
  assert.equal(await vox.stop(), 0, 'vox shuts down cleanly');
});

function runClient(extraEnv) {
  const out = execFileSync(process.execPath, [CLIENT], {
    env: { ...process.env, VOX_URL: vox.url, VOX_KEY: API_KEY, ...extraEnv },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

test('the Azure client gets a spoken answer over https', () => {
  assert.match(vox.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const answer = runClient({ NODE_EXTRA_CA_CERTS: cert });
  assert.equal(answer.error, undefined, answer.message);
  assert.ok(answer.transcript.trim().length > 0);
  assert.ok(answer.bytes > 2000, `${answer.bytes} bytes of mp3`);
});

test('without trusting the certificate the same script cannot connect', () => {
  const answer = runClient({ NODE_EXTRA_CA_CERTS: '' });
  assert.equal(answer.error, 'APIConnectionError', answer.message);
});
