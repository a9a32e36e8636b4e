// Server-sent events of a streamed chat completion: each `data:` line's JSON, until [DONE].

/** Yields each event's parsed JSON; returns at `[DONE]` or the end of the body. */
export async function* streamEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let boundary;
    // Events end with a blank line; a partial one waits for the next read.
    while ((boundary = buffered.indexOf("\n\n")) >= 0) {
      const event = buffered.slice(0, boundary);
      buffered = buffered.slice(boundary + 2);
      const data = dataOf(event);
      if (data === null) continue;
      if (data === "[DONE]") return;
      yield JSON.parse(data);
    }
  }
}

function dataOf(event) {
  const lines = event
    .split("\n")
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5).trimStart());
  return lines.length ? lines.join("\n") : null;
}
