// The request bodies the page sends: what an SDK user would send for the same conversation.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Conversation } from "../../../crates/vox-server/playground/js/conversation.mjs";

const settings = {
  system: "Be brief.",
  deployment: "gpt-4o-audio-preview",
  voice: "alloy",
  format: "wav",
  stream: false,
  temperature: 0.8,
  topP: 1,
  maxTokens: 200,
  stop: [],
};

test("a spoken question, an answer referred to by its audio id, a typed follow-up", () => {
  const conversation = new Conversation();
  conversation.addUser({ text: "", audio: { base64: "UklGRg==", format: "wav", fileName: "q.wav" } });
  const answer = conversation.addAssistant();
  Object.assign(answer, { audioId: "audio_1", transcript: "Yes.", complete: true });
  conversation.addUser({ text: "Why?" });
  assert.deepEqual(conversation.messages(settings), [
    { role: "system", content: "Be brief." },
    { role: "user", content: [{ type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } }] },
    { role: "assistant", audio: { id: "audio_1" } },
    { role: "user", content: "Why?" },
  ]);
});

test("an answer cut short goes back as the words heard; one with none is left out", () => {
  const conversation = new Conversation();
  conversation.addUser({ text: "Hi" });
  Object.assign(conversation.addAssistant(), { audioId: "audio_2", transcript: "Hello th", complete: false });
  conversation.addAssistant();
  const messages = conversation.messages({ ...settings, system: "  " });
  assert.deepEqual(messages, [
    { role: "user", content: "Hi" },
    { role: "assistant", content: "Hello th" },
  ]);
});

test("streaming asks for pcm16; stop sequences go only when set; a failed turn is removed", () => {
  const conversation = new Conversation();
  const turn = conversation.addUser({ text: "Hi" });
  const body = conversation.requestBody({ ...settings, stream: true, stop: ["END"] });
  assert.equal(body.audio.format, "pcm16");
  assert.equal(body.stream, true);
  assert.deepEqual(body.stop, ["END"]);
  assert.equal("stop" in conversation.requestBody(settings), false);
  conversation.remove(turn);
  assert.deepEqual(conversation.messages(settings), [{ role: "system", content: "Be brief." }]);
});
