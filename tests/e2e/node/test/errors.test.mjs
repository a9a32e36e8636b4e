// The official npm `openai` package against a running Vox: each error arrives as the class,
// status and message the SDK gives for OpenAI and Azure OpenAI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { AzureOpenAI } from 'openai';
import { startVox, API_KEY, API_VERSION } from '../lib/vox.mjs';

const SPOKEN = {
  model: 'gpt-4o-audio-preview',
  modalities: ['text', 'audio'],
  audio: { voice: 'alloy', format: 'wav' },
  messages: [{ role: 'user', content: 'Is a golden retriever a good family dog?' }],
};

let vox;
before(async () => {
  vox = await startVox();
});
after(async () => {
  assert.equal(await vox.stop(), 0, 'vox shuts down cleanly');
});

const openaiClient = (apiKey = API_KEY) => new OpenAI({ baseURL: `${vox.url}/v1`, apiKey, maxRetries: 0 });
const azureClient = (options = {}) =>
  new AzureOpenAI({ endpoint: vox.url, apiKey: API_KEY, apiVersion: API_VERSION, maxRetries: 0, ...options });

async function failure(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('the request should have failed');
}

test('bad key with OpenAI', async () => {
  const error = await failure(openaiClient('sk-wrong-000000000').chat.completions.create(SPOKEN));
  assert.ok(error instanceof OpenAI.AuthenticationError);
  assert.equal(error.status, 401);
  assert.equal(error.code, 'invalid_api_key');
  assert.equal(error.error.message, 'Incorrect API key provided: sk-***0000.');
});

test('bad key with AzureOpenAI', async () => {
  const error = await failure(azureClient({ apiKey: 'wrong' }).chat.completions.create(SPOKEN));
  assert.ok(error instanceof OpenAI.AuthenticationError);
  assert.equal(error.status, 401);
  assert.equal(error.code, '401');
  assert.match(error.error.message, /^Access denied due to invalid subscription key/);
});

test('missing api-version', async () => {
  const client = new OpenAI({ baseURL: `${vox.url}/openai/deployments/gpt-4o-audio-preview`, apiKey: API_KEY, maxRetries: 0 });
  const error = await failure(client.chat.completions.create(SPOKEN));
  assert.ok(error instanceof OpenAI.NotFoundError);
  assert.deepEqual(error.error, { code: '404', message: 'Resource not found' });
});

test('unknown deployment', async () => {
  const error = await failure(azureClient({ deployment: 'no-such-deployment' }).chat.completions.create(SPOKEN));
  assert.ok(error instanceof OpenAI.NotFoundError);
  assert.equal(error.code, 'DeploymentNotFound');
});

for (const [name, client] of [['OpenAI', () => openaiClient()], ['AzureOpenAI', () => azureClient()]]) {
  test(`bad voice with ${name}`, async () => {
    const error = await failure(client().chat.completions.create({ ...SPOKEN, audio: { voice: 'bogus', format: 'wav' } }));
    assert.ok(error instanceof OpenAI.BadRequestError);
    assert.equal(error.param, 'audio.voice');
    assert.match(error.error.message, /^Invalid value: 'bogus'\. Supported values are: 'alloy'/);
  });

  test(`stream with wav with ${name}`, async () => {
    const error = await failure(client().chat.completions.create({ ...SPOKEN, stream: true }));
    assert.ok(error instanceof OpenAI.BadRequestError);
    assert.equal(error.param, 'audio.format');
    assert.equal(
      error.error.message,
      "Unsupported value: 'audio.format' does not support 'wav' when stream=true. Supported values are: 'pcm16'.",
    );
  });
}

test('oversized audio', async () => {
  const data = Buffer.alloc(21 * 1024 * 1024).toString('base64');
  const messages = [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data, format: 'wav' } }] }];
  const error = await failure(openaiClient().chat.completions.create({ ...SPOKEN, messages }));
  assert.ok(error instanceof OpenAI.APIError);
  assert.equal(error.status, 413);
  assert.equal(error.param, 'messages[0].content[0].input_audio.data');
});

test('models are listed through both clients', async () => {
  for (const client of [openaiClient(), azureClient()]) {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    assert.ok(ids.includes('gpt-4o-audio-preview'), ids.join(','));
  }
});
