// Every failure the page can meet, in plain words. The server's own message is kept: it says
// exactly what was wrong; the words around it say what to do about it.

export class PlaygroundError extends Error {
  constructor(message, { status = null, retryAfter = null } = {}) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** An HTTP answer that was not 2xx, from its status, headers and OpenAI-shaped body. */
export function fromResponse(status, headers, bodyText) {
  const serverMessage = messageIn(bodyText);
  const retryAfter = Number(headers.get("retry-after")) || null;
  const words = (() => {
    switch (status) {
      case 401:
        return `Wrong or missing API key (401): ${serverMessage} Enter a valid key in "API key" above.`;
      case 403:
        return `Not allowed (403): ${serverMessage}`;
      case 404:
        return `Not found (404): ${serverMessage}`;
      case 413:
        return `Too large (413): ${serverMessage}`;
      case 429:
        return retryAfter
          ? `Vox is busy (429): ${serverMessage} Try again in ${retryAfter} s.`
          : `Vox is busy (429): ${serverMessage} Try again shortly.`;
      case 400:
      case 422:
        return `The request was refused (${status}): ${serverMessage}`;
      case 503:
        return `Vox cannot answer right now (503): ${serverMessage}`;
      default:
        return `The server failed (${status}): ${serverMessage}`;
    }
  })();
  return new PlaygroundError(words, { status, retryAfter });
}

/** An `error` object inside a stream or a realtime event. */
export function fromErrorObject(error) {
  const message = error?.message || "The server reported an error without a message.";
  return new PlaygroundError(`The answer failed: ${message}`);
}

/** fetch() itself failed: nothing answered. */
export function serverGone(cause) {
  return new PlaygroundError(
    `Cannot reach Vox at ${location.origin}: the server is not running or the connection dropped` +
      (cause?.message ? ` (${cause.message}).` : "."),
  );
}

function messageIn(bodyText) {
  try {
    const body = JSON.parse(bodyText);
    if (body?.error?.message) return ensurePeriod(body.error.message);
  } catch {
    // Not JSON: a proxy's page or an empty body.
  }
  const text = (bodyText || "").trim().slice(0, 300);
  return text ? ensurePeriod(text) : "The server gave no reason.";
}

function ensurePeriod(text) {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
