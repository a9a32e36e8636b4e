// A user's realtime script, unchanged: the npm SDK's OpenAIRealtimeWS (which only speaks wss://)
// asks for a spoken answer to a text turn. MODE=azure opens it the Azure way. The certificate is
// trusted through NODE_EXTRA_CA_CERTS, so the test runs this in a child process. Prints what came
// back as one JSON line.
import OpenAI, { AzureOpenAI } from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';

const azure = process.env.MODE === 'azure';
const rt = azure
  ? await OpenAIRealtimeWS.azure(
      new AzureOpenAI({ endpoint: process.env.VOX_URL, apiKey: process.env.VOX_KEY, apiVersion: '2025-04-01-preview' }),
      { deploymentName: 'gpt-realtime' },
    )
  : new OpenAIRealtimeWS(
      { model: 'gpt-realtime' },
      new OpenAI({ baseURL: `${process.env.VOX_URL}/v1`, apiKey: process.env.VOX_KEY }),
    );

const types = [];
let transcript = '';
let audioBytes = 0;
const timer = setTimeout(() => finish({ error: 'timeout' }), 60_000);

function finish(result) {
  clearTimeout(timer);
  console.log(JSON.stringify({ types, transcript, audioBytes, ...result }));
  rt.close();
}

rt.on('error', (error) => finish({ error: error.constructor.name, message: String(error.message) }));
rt.on('event', (event) => types.push(event.type));
rt.on('session.created', () => {
  rt.send({
    type: 'session.update',
    session: {
      type: 'realtime',
      audio: { input: { turn_detection: null }, output: { voice: 'echo' } },
      instructions: 'Answer in one short sentence.',
      max_output_tokens: 40,
      temperature: 0,
    },
  });
  rt.send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Say hello.' }] },
  });
  rt.send({ type: 'response.create' });
});
rt.on('response.output_audio_transcript.delta', (event) => (transcript += event.delta));
rt.on('response.output_audio.delta', (event) => (audioBytes += Buffer.from(event.delta, 'base64').length));
rt.on('response.done', (event) => finish({ status: event.response.status }));
