// The page's error wording, from an HTTP answer or a stream's error object.
import assert from "node:assert/strict";
import { test } from "node:test";

import { fromErrorObject, fromResponse } from "../../../crates/vox-server/playground/js/errors.mjs";

const headers = (entries = {}) => new Headers(entries);

test("a 429 says when to retry, from Retry-After", () => {
  const body = JSON.stringify({ error: { message: "The server is at capacity" } });
  const error = fromResponse(429, headers({ "retry-after": "7" }), body);
  assert.equal(error.message, "Vox is busy (429): The server is at capacity. Try again in 7 s.");
  assert.equal(error.retryAfter, 7);
  assert.equal(error.status, 429);
  assert.match(fromResponse(429, headers(), body).message, /Try again shortly\.$/);
});

test("a 401 keeps the server's words and says where the key goes", () => {
  const body = JSON.stringify({ error: { message: "Incorrect API key provided." } });
  assert.equal(
    fromResponse(401, headers(), body).message,
    'Wrong or missing API key (401): Incorrect API key provided. Enter a valid key in "API key" above.',
  );
});

test("a body that is not OpenAI's JSON is quoted, an empty one explained", () => {
  assert.equal(fromResponse(502, headers(), "Bad Gateway").message, "The server failed (502): Bad Gateway.");
  assert.equal(fromResponse(503, headers(), "").message, "Vox cannot answer right now (503): The server gave no reason.");
  assert.equal(fromResponse(400, headers(), "x".repeat(1000)).message.length, "The request was refused (400): ".length + 301);
});

test("an error inside a stream names what failed", () => {
  assert.equal(fromErrorObject({ message: "engine stopped" }).message, "The answer failed: engine stopped");
  assert.match(fromErrorObject(undefined).message, /without a message/);
});
