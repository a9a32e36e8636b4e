// The settings column: deployment and voice from the server's own lists, the answer's format
// and sampling, the system message (with samples), stop sequences.

const SYSTEM_SAMPLES = [
  ["Brief assistant", "You are a helpful assistant. Answer briefly, in one or two spoken sentences."],
  ["Patient tutor", "You are a patient tutor. Explain things simply, with one everyday example."],
  [
    "Language partner",
    "You are a friendly language partner. Reply in the language the user speaks and gently correct mistakes.",
  ],
  ["Storyteller", "You are a storyteller. Answer every request with a very short story of three sentences."],
  ["None", ""],
];

// Model names that only transcribe or only speak: they do not belong in a chat's list.
const NOT_FOR_CHAT = /^(whisper-|tts-)|transcribe|-tts$/;
const PREFERRED_DEPLOYMENT = "gpt-4o-audio-preview";
const PREFERRED_VOICE = "alloy";

export class Settings {
  constructor(byId) {
    this.el = byId;
    this.fillSamples();
    this.bindOutputs();
  }

  fillSamples() {
    const select = this.el("system-sample");
    for (const [label, text] of SYSTEM_SAMPLES) select.append(new Option(label, text));
    select.addEventListener("change", () => (this.el("system").value = select.value));
    this.el("system").value = SYSTEM_SAMPLES[0][1];
  }

  bindOutputs() {
    for (const id of ["temperature", "top-p"]) {
      const input = this.el(id);
      input.addEventListener("input", () => (this.el(`${id}-value`).value = input.value));
    }
  }

  /** `/v1/models` ids that chat; the audio deployment first chosen. */
  setDeployments(models) {
    const ids = models.data.map((m) => m.id).filter((id) => !NOT_FOR_CHAT.test(id));
    fill(this.el("deployment"), ids.map((id) => [id, id]), PREFERRED_DEPLOYMENT);
  }

  /** `/v1/audio/voices` entries, named with their language and description. */
  setVoices(voices) {
    const options = voices.data.map((v) => [v.id, describeVoice(v)]);
    fill(this.el("voice"), options, PREFERRED_VOICE);
  }

  /** What the next request is made of. */
  values() {
    return {
      deployment: this.el("deployment").value,
      voice: this.el("voice").value,
      format: this.el("format").value,
      stream: this.el("stream").checked,
      system: this.el("system").value,
      temperature: Number(this.el("temperature").value),
      topP: Number(this.el("top-p").value),
      maxTokens: Math.max(1, Math.round(Number(this.el("max-tokens").value) || 1)),
      stop: this.el("stop")
        .value.split("|")
        .map((s) => s.trim())
        .filter(Boolean)
        .slice(0, 4),
    };
  }
}

function describeVoice(voice) {
  const parts = [voice.language, voice.gender].filter(Boolean).join(", ");
  return parts ? `${voice.id} (${parts})` : voice.id;
}

function fill(select, options, preferred) {
  const previous = select.value;
  select.replaceChildren(...options.map(([value, label]) => new Option(label, value)));
  const values = options.map(([value]) => value);
  select.value = [previous, preferred].find((v) => values.includes(v)) || values[0] || "";
}
