// The voice call: a realtime session opened from the browser (the key travels as the
// `openai-insecure-api-key.` subprotocol), the microphone streamed as pcm16 at 24 kHz, the
// server's voice activity detection taking turns. When the caller speaks over an answer its
// playback stops at once and the server is told how much was heard.

import { PCM_RATE, base64ToBytes, bytesToBase64, floatToPcm16, wavBlob } from "./audio-bytes.mjs";
import { PlaygroundError, fromErrorObject } from "./errors.mjs";
import { PcmPlayer, audioContext } from "./pcm-player.mjs";

export class VoiceCall {
  /**
   * `log`: the chat log; `conversation`: where the call's words join the chat's history;
   * `onStatus(text)`, `onError(error)`, `onEnded()`.
   */
  constructor({ api, log, conversation, settings, deployment, onStatus, onError, onEnded }) {
    Object.assign(this, { api, log, conversation, settings, deployment, onStatus, onError, onEnded });
    this.userViews = new Map();
    this.ended = false;
  }

  async start() {
    // A refused key is a 401 here, in plain words; a refused WebSocket only says "closed".
    await this.api.models();
    const context = audioContext();
    this.player = new PcmPlayer(context);
    try {
      this.microphone = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
    } catch (error) {
      throw new PlaygroundError(`The microphone is not available (${error.name}): allow this page to use it.`);
    }
    await context.audioWorklet.addModule("/playground/js/capture-worklet.js");
    this.source = context.createMediaStreamSource(this.microphone);
    this.tap = new AudioWorkletNode(context, "vox-capture");
    this.source.connect(this.tap);
    this.socket = this.open();
    this.tap.port.onmessage = (event) => this.sendAudio(event.data);
    this.onStatus("Connecting…");
  }

  open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/v1/realtime?model=${encodeURIComponent(this.deployment)}`;
    const protocols = ["realtime"];
    if (this.api.key) protocols.push(`openai-insecure-api-key.${this.api.key}`);
    let socket;
    try {
      socket = new WebSocket(url, protocols);
    } catch {
      throw new PlaygroundError("This API key cannot be sent from a browser: it has characters a WebSocket refuses.");
    }
    socket.onmessage = (message) => this.handle(JSON.parse(message.data));
    socket.onclose = (event) => this.closed(event);
    return socket;
  }

  sendAudio(samples) {
    if (this.socket?.readyState !== WebSocket.OPEN) return;
    this.send({ type: "input_audio_buffer.append", audio: bytesToBase64(floatToPcm16(samples)) });
  }

  send(event) {
    this.socket.send(JSON.stringify(event));
  }

  handle(event) {
    const handler = HANDLERS[event.type];
    if (handler) handler.call(this, event);
  }

  configure() {
    const settings = this.settings.values();
    const session = { type: "realtime", audio: { output: { voice: settings.voice } } };
    if (settings.system.trim()) session.instructions = settings.system;
    this.send({ type: "session.update", session });
    this.onStatus("In call: speak, and pause to let Vox answer.");
  }

  /**
   * The caller spoke over an answer: silence it now and say how much was heard. The answer
   * may still be arriving or already be complete and only playing (the voice is faster than
   * real time), so this looks at what is sounding, not at the response.
   */
  bargeIn() {
    const answer = this.sounding;
    if (!answer || !this.player.playing) return;
    const heardMs = this.player.playedMs();
    this.player.stop();
    // What was not heard is not shown or kept: words waiting for their audio are dropped.
    answer.heardMs = heardMs;
    if (answer.itemId && heardMs > 0) {
      this.send({ type: "conversation.item.truncate", item_id: answer.itemId, content_index: 0, audio_end_ms: heardMs });
    }
    answer.view.addNote(`interrupted after ${(heardMs / 1000).toFixed(1)} s`);
    this.settle(answer);
  }

  beginAnswer() {
    const view = this.log.addAssistant("Vox (call)");
    // The call's words join the chat's history as text: realtime items have no chat audio id.
    const turn = this.conversation.addAssistant();
    this.answer = { view, turn, pcm: [], pendingWords: "", itemId: null, heardMs: null, settled: false };
    this.sounding = this.answer;
    this.player.reset();
  }

  /** The response is complete; the turn settles once its audio has been heard. */
  finishAnswer(event) {
    const answer = this.answer;
    if (!answer) return;
    this.answer = null;
    answer.responseId = event.response?.id;
    if (event.response?.status === "failed") this.onError(fromErrorObject(event.response.status_details?.error));
    if (answer.heardMs === null) this.player.at(this.player.nextStart, () => this.settle(answer));
  }

  /** The turn gets the audio that was heard (all of it, or up to the interruption). */
  settle(answer) {
    if (answer.settled) return;
    answer.settled = true;
    if (this.sounding === answer) this.sounding = null;
    answer.view.finish();
    if (answer.heardMs === null && answer.pendingWords) this.showWords(answer, answer.pendingWords);
    const pcm = answer.heardMs === null ? answer.pcm : heardPart(answer.pcm, answer.heardMs);
    if (pcm.length) answer.view.setAudio(wavBlob(pcm, PCM_RATE), `call-answer-${answer.responseId || answer.itemId}.wav`);
  }

  /** The words of a clause appear as its audio starts to sound, unless spoken over first. */
  showWords(answer, words) {
    if (answer.heardMs !== null) return;
    answer.turn.transcript += words;
    answer.view.appendText(words);
  }

  /** Ends the call from the page: the socket closes, the microphone is released. */
  end() {
    this.ended = true;
    this.socket?.close(1000, "call ended");
    this.release();
  }

  closed(event) {
    this.release();
    if (!this.ended) {
      this.ended = true;
      const reason = event.reason ? `: ${event.reason}` : "";
      this.onError(
        new PlaygroundError(
          event.code === 1006
            ? `The call could not connect or was cut off (the server refused it or is gone; check the API key).`
            : `The call was ended by the server (code ${event.code}${reason}).`,
        ),
      );
    }
    this.onEnded();
  }

  release() {
    // A call ended mid-answer keeps what was heard of it.
    if (this.sounding && this.player.playing) this.sounding.heardMs = this.player.playedMs();
    this.player?.stop();
    this.tap?.port.close();
    this.source?.disconnect();
    this.tap?.disconnect();
    this.microphone?.getTracks().forEach((track) => track.stop());
    if (this.sounding) this.settle(this.sounding);
  }
}

// Server events the call reacts to (GA names); the rest are not needed by the page.
const HANDLERS = {
  "session.created"() {
    this.configure();
  },
  "input_audio_buffer.speech_started"() {
    this.bargeIn();
    this.onStatus("You are speaking…");
  },
  "input_audio_buffer.speech_stopped"() {
    this.speechStoppedAt = performance.now();
    this.onStatus("Vox is answering…");
  },
  "input_audio_buffer.committed"(event) {
    const view = this.log.addUser("…", null, "You (call)");
    this.userViews.set(event.item_id, view);
  },
  "conversation.item.input_audio_transcription.completed"(event) {
    this.userViews.get(event.item_id)?.setText(event.transcript || "(nothing recognised)");
    if (event.transcript) this.conversation.addUser({ text: event.transcript });
  },
  "response.created"() {
    this.beginAnswer();
  },
  "response.output_audio_transcript.delta"(event) {
    if (this.answer) this.answer.pendingWords += event.delta;
  },
  "response.output_text.delta"(event) {
    this.answer?.view.appendText(event.delta);
  },
  "response.output_audio.delta"(event) {
    const answer = this.answer;
    // Audio still in flight after the caller spoke over it is never played.
    if (!answer || answer.heardMs !== null) return;
    answer.itemId = event.item_id;
    const bytes = base64ToBytes(event.delta);
    answer.pcm.push(bytes);
    if (answer.pcm.length === 1 && this.speechStoppedAt) {
      const secs = (performance.now() - this.speechStoppedAt) / 1000;
      answer.view.addNote(`first audio ${secs.toFixed(2)} s after your turn ended`);
    }
    const startsAt = this.player.enqueue(bytes);
    const words = answer.pendingWords;
    answer.pendingWords = "";
    if (words) this.player.at(startsAt, () => this.showWords(answer, words));
  },
  "response.done"(event) {
    this.finishAnswer(event);
    this.onStatus("In call: speak, and pause to let Vox answer.");
  },
  error(event) {
    this.onError(fromErrorObject(event.error));
  },
};

/** The first `ms` milliseconds of 24 kHz pcm16 `chunks`. */
function heardPart(chunks, ms) {
  let left = Math.floor((ms * PCM_RATE) / 1000) * 2;
  const heard = [];
  for (const chunk of chunks) {
    if (left <= 0) break;
    heard.push(chunk.subarray(0, Math.min(chunk.byteLength, left)));
    left -= chunk.byteLength;
  }
  return heard;
}
