// The npm SDK's realtime WebSocket client against Vox over wss:// (it refuses anything else),
// with a self-signed certificate trusted through NODE_EXTRA_CA_CERTS, as OpenAI and as Azure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startVoxWithTls, API_KEY } from '../lib/vox.mjs';

const CLIENT = join(import.meta.dirname, '../lib/realtime-client.mjs');
let vox;
let cert;

before(async () => {
  vox = await startVoxWithTls();
  cert = vox.cert;
});
after(async () => {
  assert.equal(await vox.stop(), 0, 'vox shuts down cleanly');
});

function runClient(mode) {
  const out = execFileSync(process.execPath, [CLIENT], {
    env: { ...process.env, VOX_URL: vox.url, VOX_KEY: API_KEY, NODE_EXTRA_CA_CERTS: cert, MODE: mode },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

for (const mode of ['openai', 'azure']) {
  test(`OpenAIRealtimeWS (${mode}) gets a spoken answer over wss`, () => {
    const answer = runClient(mode);
    assert.equal(answer.error, undefined, answer.message);
    assert.ok(['completed', 'incomplete'].includes(answer.status), answer.status);
    assert.equal(answer.types[0], 'session.created');
    for (const type of ['session.updated', 'conversation.item.added', 'response.created',
      'response.output_audio_transcript.delta', 'response.output_audio.delta', 'response.done']) {
      assert.ok(answer.types.includes(type), `${type} in ${answer.types}`);
    }
    assert.ok(answer.transcript.trim().length > 0);
    // Half a second or more of 24 kHz pcm16.
    assert.ok(answer.audioBytes > 24_000, `${answer.audioBytes} bytes`);
    assert.equal(answer.audioBytes % 2, 0);
  });
}
