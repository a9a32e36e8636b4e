// A user's script, unchanged: the Azure client asks the deployment for a spoken answer. The
// certificate is trusted the way Node is told to, NODE_EXTRA_CA_CERTS, so the test runs this
// in a child process with that variable set. Prints what came back as one JSON line.
import { AzureOpenAI } from 'openai';

const client = new AzureOpenAI({
  endpoint: process.env.VOX_URL,
  apiKey: process.env.VOX_KEY,
  apiVersion: '2025-01-01-preview',
  deployment: 'gpt-4o-audio-preview',
  maxRetries: 0,
});
try {
  const completion = await client.chat.completions.create({
    model: 'gpt-4o-audio-preview',
    modalities: ['text', 'audio'],
    audio: { voice: 'shimmer', format: 'mp3' },
    messages: [{ role: 'user', content: 'Say hello in five words.' }],
    max_tokens: 20,
    temperature: 0,
  });
  const audio = completion.choices[0].message.audio;
  console.log(JSON.stringify({ transcript: audio.transcript, bytes: Buffer.from(audio.data, 'base64').length }));
} catch (error) {
  console.log(JSON.stringify({ error: error.constructor.name, message: String(error.message) }));
}
