// The Azure OpenAI audio quickstart's keyless JavaScript, as a user runs it: Microsoft Entra ID
// through DefaultAzureCredential, no key anywhere. Prints the answer as one JSON line.
import { DefaultAzureCredential, getBearerTokenProvider } from '@azure/identity';
import { AzureOpenAI } from 'openai';

const endpoint = process.env.AZURE_OPENAI_ENDPOINT;
const credential = new DefaultAzureCredential();
const scope = 'https://cognitiveservices.azure.com/.default';
const azureADTokenProvider = getBearerTokenProvider(credential, scope);
const client = new AzureOpenAI({
  endpoint,
  azureADTokenProvider,
  apiVersion: '2025-01-01-preview',
  deployment: 'gpt-4o-audio-preview',
});

try {
  const completion = await client.chat.completions.create({
    model: 'gpt-4o-audio-preview',
    modalities: ['text', 'audio'],
    audio: { voice: 'alloy', format: 'wav' },
    messages: [{ role: 'user', content: 'Is a golden retriever a good family dog?' }],
    max_tokens: 20,
    temperature: 0,
  });
  const audio = completion.choices[0].message.audio;
  console.log(JSON.stringify({ transcript: audio.transcript, bytes: Buffer.from(audio.data, 'base64').length }));
} catch (error) {
  console.log(JSON.stringify({ error: error.constructor.name, status: error.status, message: String(error.message) }));
}
