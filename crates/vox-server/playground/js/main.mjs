// The playground page: wires the controls to the conversation, the answers and the call.

import { Answer } from "./answer.mjs";
import { Api } from "./api.mjs";
import { blobToBase64 } from "./audio-bytes.mjs";
import { acceptDrops, checkAttachment } from "./attachments.mjs";
import { VoiceCall } from "./call.mjs";
import { ChatLog } from "./chat-log.mjs";
import { codeFor } from "./code-view.mjs";
import { Conversation } from "./conversation.mjs";
import { PlaygroundError } from "./errors.mjs";
import { PcmPlayer, audioContext } from "./pcm-player.mjs";
import { Recorder } from "./recorder.mjs";
import { Settings } from "./settings.mjs";

const byId = (id) => document.getElementById(id);

const page = {
  api: new Api(),
  config: { key_required: false, max_audio_bytes: 20 * 1024 * 1024, realtime_deployment: "gpt-realtime" },
  conversation: new Conversation(),
  log: new ChatLog(byId("chat-log"), byId("empty-hint")),
  settings: new Settings(byId),
  attachment: null,
  answer: null,
  // The running answer's promise: settled once it has been heard or stopped.
  answering: null,
  call: null,
  recordings: 0,
  // base64 of each user audio -> the file name the code view reads it from.
  audioFiles: new Map(),
};

const recorder = new Recorder(({ level, elapsedMs }) => {
  byId("level").value = level;
  byId("elapsed").textContent = clock(elapsedMs);
});

function clock(ms) {
  const secs = Math.floor(ms / 1000);
  return `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`;
}

function showError(error) {
  if (error?.name === "AbortError") return;
  const box = byId("error");
  box.textContent = error instanceof PlaygroundError ? error.message : `Something went wrong in the page: ${error}`;
  box.hidden = false;
  if (!(error instanceof PlaygroundError)) console.error(error);
}

function clearError() {
  byId("error").hidden = true;
  byId("error").textContent = "";
}

// ---- start-up: the server's limits, the key, the lists ----

// Each load is numbered: an older load's answer (say, a 401 from before the key was entered)
// must not overwrite a newer one's.
let listLoads = 0;

async function loadServerLists() {
  const load = ++listLoads;
  try {
    const [models, voices] = await Promise.all([page.api.models(), page.api.voices()]);
    if (load !== listLoads) return;
    page.settings.setDeployments(models);
    page.settings.setVoices(voices);
    clearError();
  } catch (error) {
    if (load === listLoads) showError(error);
  }
}

async function start() {
  byId("api-key").value = page.api.key;
  try {
    page.config = await page.api.pageConfig();
  } catch (error) {
    showError(error);
  }
  byId("key-hint").textContent = page.config.key_required
    ? page.api.key
      ? ""
      : "this server needs a key"
    : "not needed: this server is open on loopback";
  await loadServerLists();
}

// Enter in the key field applies it (the same as leaving the field).
byId("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  byId("api-key").blur();
});

byId("api-key").addEventListener("change", (event) => {
  page.api.setKey(event.target.value);
  byId("key-hint").textContent = "";
  loadServerLists();
});

// ---- sending a turn ----

async function send() {
  const text = byId("message").value.trim();
  const attachment = page.attachment;
  if (!text && !attachment) {
    byId("message").focus();
    return;
  }
  clearError();
  audioContext(); // Created inside the click or key press: browsers allow sound from then on.
  // A new turn stops the answer still speaking, as talking over someone would.
  if (page.answer) {
    page.answer.stop();
    await page.answering;
  }
  let audio = null;
  if (attachment) {
    const base64 = await blobToBase64(attachment.blob);
    audio = { base64, format: attachment.format, fileName: attachment.fileName };
    page.audioFiles.set(base64, attachment.fileName);
  }
  const userTurn = page.conversation.addUser({ text, audio });
  page.log.addUser(text, attachment);
  byId("message").value = "";
  setAttachment(null);
  page.answering = answer(userTurn);
  await page.answering;
}

async function answer(userTurn) {
  const settings = page.settings.values();
  const body = page.conversation.requestBody(settings);
  page.conversation.lastRequest = body;
  const turn = page.conversation.addAssistant();
  const view = page.log.addAssistant();
  const player = new PcmPlayer(audioContext());
  const running = new Answer({ api: page.api, player, turn, view });
  page.answer = running;
  byId("stop-answer").disabled = false;
  try {
    await running.run(body);
    if (running.stopped) view.addNote("stopped");
  } catch (error) {
    if (running.stopped) {
      view.addNote("stopped");
    } else {
      showError(error);
      // Neither turn reached the model: drop both, so the next request is well formed.
      page.conversation.remove(turn);
      page.conversation.remove(userTurn);
      view.addNote("failed");
    }
  } finally {
    view.finish();
    page.answer = null;
    byId("stop-answer").disabled = true;
  }
}

byId("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  send().catch(showError);
});

byId("message").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send().catch(showError);
  }
});

byId("stop-answer").addEventListener("click", () => page.answer?.stop());

// ---- recorded and attached audio ----

function setAttachment(attachment) {
  page.attachment = attachment;
  byId("attachment").hidden = !attachment;
  const player = byId("attachment-audio");
  if (player.src) URL.revokeObjectURL(player.src);
  if (attachment) {
    byId("attachment-name").textContent = attachment.fileName;
    player.src = URL.createObjectURL(attachment.blob);
  } else {
    player.removeAttribute("src");
  }
}

function attachFile(file) {
  clearError();
  try {
    setAttachment(checkAttachment(file, page.config.max_audio_bytes));
  } catch (error) {
    showError(error);
  }
}

byId("attach").addEventListener("click", () => byId("file-input").click());
byId("file-input").addEventListener("change", (event) => {
  const file = event.target.files[0];
  event.target.value = "";
  if (file) attachFile(file);
});
byId("remove-attachment").addEventListener("click", () => setAttachment(null));
acceptDrops(document.querySelector(".chat"), attachFile);

function showRecording(on) {
  byId("record").hidden = on;
  byId("stop-recording").hidden = !on;
  byId("recording").hidden = !on;
  (on ? byId("stop-recording") : byId("record")).focus();
}

byId("record").addEventListener("click", async () => {
  clearError();
  try {
    await recorder.start();
    byId("elapsed").textContent = "0:00";
    showRecording(true);
  } catch (error) {
    showError(error);
  }
});

byId("stop-recording").addEventListener("click", async () => {
  const recording = await recorder.stop();
  showRecording(false);
  if (!recording || recording.blob.size === 0) {
    showError(new PlaygroundError("Nothing was recorded: check that the microphone is connected and not muted."));
    return;
  }
  const fileName = `recording-${++page.recordings}.${recording.format}`;
  setAttachment({ blob: recording.blob, format: recording.format, fileName });
  send().catch(showError);
});

// ---- settings column ----

byId("preview-voice").addEventListener("click", async () => {
  clearError();
  const { deployment, voice } = page.settings.values();
  const button = byId("preview-voice");
  button.disabled = true;
  try {
    const response = await page.api.speech({
      model: deployment,
      voice,
      input: `Hello, I am ${voice}. This is how I sound.`,
      response_format: "mp3",
    });
    const player = byId("voice-preview");
    if (player.src) URL.revokeObjectURL(player.src);
    player.src = URL.createObjectURL(await response.blob());
    player.dataset.voice = voice;
    await player.play();
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
  }
});

byId("clear").addEventListener("click", () => {
  page.answer?.stop();
  recorder.cancel();
  showRecording(false);
  setAttachment(null);
  page.conversation.clear();
  page.audioFiles.clear();
  page.log.clear();
  clearError();
  byId("message").focus();
});

// ---- view code ----

function renderCode() {
  const body = page.conversation.lastRequest || page.conversation.requestBody(page.settings.values());
  byId("code-text").textContent = codeFor({
    language: byId("code-language").value,
    client: byId("code-client").value,
    body: withNextMessage(body),
    audioFiles: page.audioFiles,
  });
}

/** Before the first turn the code shows what the message box holds (or a greeting). */
function withNextMessage(body) {
  if (page.conversation.lastRequest) return body;
  const text = byId("message").value.trim() || "Hello! What can you do?";
  return { ...body, messages: [...body.messages, { role: "user", content: text }] };
}

byId("view-code").addEventListener("click", () => {
  renderCode();
  byId("code-dialog").showModal();
});
byId("code-language").addEventListener("change", renderCode);
byId("code-client").addEventListener("change", renderCode);
byId("close-code").addEventListener("click", () => byId("code-dialog").close());
byId("copy-code").addEventListener("click", () => navigator.clipboard?.writeText(byId("code-text").textContent));

// ---- voice call ----

function showCall(on) {
  byId("start-call").hidden = on;
  byId("end-call").hidden = !on;
  (on ? byId("end-call") : byId("start-call")).focus();
}

byId("start-call").addEventListener("click", async () => {
  clearError();
  page.answer?.stop();
  const call = new VoiceCall({
    api: page.api,
    log: page.log,
    conversation: page.conversation,
    settings: page.settings,
    deployment: page.config.realtime_deployment,
    onStatus: (text) => (byId("call-status").textContent = text),
    onError: showError,
    onEnded: () => {
      if (page.call === call) page.call = null;
      showCall(false);
      byId("call-status").textContent = "Call ended.";
    },
  });
  page.call = call;
  showCall(true);
  try {
    await call.start();
  } catch (error) {
    call.end();
    page.call = null;
    showCall(false);
    byId("call-status").textContent = "";
    showError(error);
  }
});

byId("end-call").addEventListener("click", () => page.call?.end());

start();
