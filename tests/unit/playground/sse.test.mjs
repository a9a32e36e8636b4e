// Server-sent events read as the page reads a streamed chat completion.
import assert from "node:assert/strict";
import { test } from "node:test";

import { streamEvents } from "../../../crates/vox-server/playground/js/sse.mjs";

/** A Response whose body arrives in the given pieces. */
function streamed(pieces) {
  const encoder = new TextEncoder();
  const body = new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
  });
  return new Response(body);
}

async function all(response) {
  const events = [];
  for await (const event of streamEvents(response)) events.push(event);
  return events;
}

test("events split across reads are put together, and [DONE] ends the stream", async () => {
  const response = streamed(['data: {"a":', ' 1}\n\n: keep-alive\n\ndata: {"b"', ": 2}\n\ndata: [DONE]\n\ndata: {}\n\n"]);
  assert.deepEqual(await all(response), [{ a: 1 }, { b: 2 }]);
});

test("a stream that ends without [DONE] yields what came", async () => {
  assert.deepEqual(await all(streamed(['data: {"error": {"message": "x"}}\n\n'])), [{ error: { message: "x" } }]);
});
