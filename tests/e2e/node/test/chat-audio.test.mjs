// Spoken chat completions through the npm `openai` package: AzureOpenAI, whole and with its
// streaming helper, which joins the audio and transcript deltas itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AzureOpenAI } from 'openai';
import { startVox, API_KEY, API_VERSION } from '../lib/vox.mjs';

const MODEL = 'gpt-4o-audio-preview';
const QUESTION = [{ role: 'user', content: 'Is a golden retriever a good family dog?' }];

let vox;
before(async () => {
  vox = await startVox();
});
after(async () => {
  assert.equal(await vox.stop(), 0, 'vox shuts down cleanly');
});

const azure = () => new AzureOpenAI({ endpoint: vox.url, apiKey: API_KEY, apiVersion: API_VERSION, deployment: MODEL, maxRetries: 0 });

test('a spoken answer as a whole wav file', async () => {
  const completion = await azure().chat.completions.create({
    model: MODEL,
    modalities: ['text', 'audio'],
    audio: { voice: 'shimmer', format: 'wav' },
    messages: QUESTION,
    max_tokens: 30,
    temperature: 0, // sampled, the 135M test model sometimes answers only in emoji
  });
  const message = completion.choices[0].message;
  assert.equal(message.content, null);
  assert.match(message.audio.id, /^audio_[0-9a-f]{32}$/);
  assert.ok(message.audio.transcript.trim().length > 0);
  assert.equal(Buffer.from(message.audio.data, 'base64').subarray(0, 4).toString(), 'RIFF');
});

test('the streaming helper reassembles audio and transcript', async () => {
  const stream = azure().chat.completions.stream({
    model: MODEL,
    modalities: ['text', 'audio'],
    audio: { voice: 'echo', format: 'pcm16' },
    messages: QUESTION,
    max_tokens: 30,
    temperature: 0, // sampled, the 135M test model sometimes answers only in emoji
  });
  let transcriptDeltas = '';
  let pcmBytes = 0;
  stream.on('chunk', (chunk) => {
    const audio = chunk.choices[0]?.delta?.audio;
    if (audio?.transcript) transcriptDeltas += audio.transcript;
    if (audio?.data) {
      const bytes = Buffer.from(audio.data, 'base64').length;
      assert.equal(bytes % 6, 0, 'pcm chunks are whole 3-sample groups');
      pcmBytes += bytes;
    }
  });
  const final = await stream.finalChatCompletion();
  const audio = final.choices[0].message.audio;
  assert.equal(audio.transcript, transcriptDeltas);
  assert.ok(audio.transcript.trim().length > 0);
  assert.equal(Buffer.from(audio.data, 'base64').length, pcmBytes);
  assert.ok(pcmBytes > 24000, 'at least half a second of speech');
  assert.ok(audio.expires_at > final.created);
});
