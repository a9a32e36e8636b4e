// Text chat completions through the npm `openai` package: OpenAI and Azure clients, the streaming
// helper, and tool calls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { AzureOpenAI } from 'openai';
import { startVox, API_KEY, API_VERSION } from '../lib/vox.mjs';

const TEXT_MODEL = 'gpt-4o-mini';
const QUESTION = [{ role: 'user', content: 'Name three colours of the rainbow.' }];

let vox;
before(async () => {
  vox = await startVox();
});
after(async () => {
  assert.equal(await vox.stop(), 0, 'vox shuts down cleanly');
});

const openaiClient = () => new OpenAI({ baseURL: `${vox.url}/v1`, apiKey: API_KEY, maxRetries: 0 });
const azureClient = () =>
  new AzureOpenAI({ endpoint: vox.url, apiKey: API_KEY, apiVersion: API_VERSION, deployment: TEXT_MODEL, maxRetries: 0 });

test('the streaming helper reassembles what the whole answer says', async () => {
  const request = { model: TEXT_MODEL, messages: QUESTION, temperature: 0, max_tokens: 30, seed: 3 };
  const whole = await azureClient().chat.completions.create(request);
  const stream = azureClient().chat.completions.stream({ ...request, stream_options: { include_usage: true } });
  let deltas = '';
  stream.on('content', (delta) => {
    deltas += delta;
  });
  const final = await stream.finalChatCompletion();
  assert.equal(final.choices[0].message.content, whole.choices[0].message.content);
  assert.equal(deltas, whole.choices[0].message.content);
  assert.equal(final.choices[0].finish_reason, whole.choices[0].finish_reason);
  assert.equal(final.usage.completion_tokens, whole.usage.completion_tokens);
});

test('a forced tool call through the OpenAI client', async () => {
  const completion = await openaiClient().chat.completions.create({
    model: TEXT_MODEL,
    messages: [{ role: 'user', content: 'What is the weather in Rome?' }],
    tools: [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ],
    tool_choice: 'required',
    temperature: 0,
  });
  const choice = completion.choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.equal(choice.message.tool_calls[0].function.name, 'get_weather');
  assert.equal(typeof JSON.parse(choice.message.tool_calls[0].function.arguments), 'object');
});
