// The conversation as the API sees it: turns in order, and the request body an SDK user would
// send for the next answer. Earlier spoken answers are referred to by their audio id, exactly
// as OpenAI's multi-turn audio guide does.

export class Conversation {
  constructor() {
    this.clear();
  }

  clear() {
    this.turns = [];
    this.lastRequest = null;
  }

  /** A user turn: text, audio `{ base64, format, fileName }`, or both. */
  addUser({ text = "", audio = null }) {
    const turn = { role: "user", text, audio };
    this.turns.push(turn);
    return turn;
  }

  /** An assistant turn, filled in as its answer arrives. */
  addAssistant() {
    const turn = { role: "assistant", transcript: "", text: "", audioId: null, complete: false };
    this.turns.push(turn);
    return turn;
  }

  /** Drops a turn whose request never got an answer, so that the next request is well formed. */
  remove(turn) {
    this.turns = this.turns.filter((t) => t !== turn);
  }

  /** `messages` for the next request, with `settings.system` first when set. */
  messages(settings) {
    const messages = [];
    if (settings.system.trim()) messages.push({ role: "system", content: settings.system });
    for (const turn of this.turns) {
      const message = turn.role === "user" ? userMessage(turn) : assistantMessage(turn);
      if (message) messages.push(message);
    }
    return messages;
  }

  /** The chat completions body for the next answer. */
  requestBody(settings) {
    const body = {
      model: settings.deployment,
      modalities: ["text", "audio"],
      audio: { voice: settings.voice, format: settings.stream ? "pcm16" : settings.format },
      messages: this.messages(settings),
      temperature: settings.temperature,
      top_p: settings.topP,
      max_completion_tokens: settings.maxTokens,
    };
    if (settings.stop.length) body.stop = settings.stop;
    if (settings.stream) body.stream = true;
    return body;
  }
}

function userMessage(turn) {
  if (!turn.audio) return { role: "user", content: turn.text };
  const content = [];
  if (turn.text) content.push({ type: "text", text: turn.text });
  content.push({ type: "input_audio", input_audio: { data: turn.audio.base64, format: turn.audio.format } });
  return { role: "user", content };
}

function assistantMessage(turn) {
  // A finished spoken answer is referred to by its id; one cut short (or from a voice call,
  // whose items have no chat audio id) by the words that were heard.
  if (turn.audioId && turn.complete) return { role: "assistant", audio: { id: turn.audioId } };
  const content = turn.transcript || turn.text;
  return content ? { role: "assistant", content } : null;
}
