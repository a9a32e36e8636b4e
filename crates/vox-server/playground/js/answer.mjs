// One spoken answer from chat completions. Streamed: each pcm16 chunk is played as it arrives
// and the words before it appear when it starts to sound. Whole: the answer's file plays when
// it is in. Either way the turn ends with an audio player, a download and the time to first
// audio.

import { FORMAT_MIME, base64ToBytes, extensionOf, wavBlob } from "./audio-bytes.mjs";
import { fromErrorObject } from "./errors.mjs";
import { streamEvents } from "./sse.mjs";

let answersGiven = 0;

export class Answer {
  constructor({ api, player, turn, view }) {
    this.api = api;
    this.player = player;
    this.turn = turn;
    this.view = view;
    this.controller = new AbortController();
    this.number = ++answersGiven;
    // Words waiting for their audio to start sounding, in order.
    this.unshown = [];
  }

  /**
   * Stops the answer now: the request is closed and nothing more is played. Words not yet
   * heard are shown if the whole answer had arrived (the model said them; its audio id carries
   * them into the next turn), and dropped if it was cut short.
   */
  stop() {
    this.controller.abort();
    this.player.stop();
    const unshown = this.unshown.splice(0);
    if (this.turn.complete) unshown.forEach((words) => this.showTranscript(words));
  }

  get stopped() {
    return this.controller.signal.aborted;
  }

  /** Runs the request `body`; resolves when the answer has been heard or was stopped. */
  async run(body) {
    this.sentAt = performance.now();
    const response = await this.api.chat(body, this.controller.signal);
    if (body.stream) await this.readStream(response);
    else await this.readWhole(response, body.audio.format);
    this.turn.complete = true;
    // The answer runs (and can be stopped) until its last chunk has been heard.
    if (body.stream) await this.player.drained(this.controller.signal);
  }

  async readStream(response) {
    const pcm = [];
    let pendingWords = "";
    for await (const chunk of streamEvents(response)) {
      if (chunk.error) throw fromErrorObject(chunk.error);
      const delta = chunk.choices?.[0]?.delta;
      if (!delta) continue;
      if (delta.content) this.showText(delta.content);
      const audio = delta.audio;
      if (!audio) continue;
      if (audio.id) this.turn.audioId = audio.id;
      if (audio.transcript) pendingWords += audio.transcript;
      if (audio.data) {
        const bytes = base64ToBytes(audio.data);
        pcm.push(bytes);
        const startsAt = this.player.enqueue(bytes);
        // The first audio counts when it starts to sound, not when its bytes arrived.
        this.noteFirstAudio(startsAt - this.player.context.currentTime);
        // The words of a clause appear as its sound begins, not seconds ahead of it.
        if (pendingWords) this.showWhenHeard(pendingWords, startsAt);
        pendingWords = "";
      }
    }
    if (pendingWords) this.showWhenHeard(pendingWords, this.player.nextStart);
    if (pcm.length) this.view.setAudio(wavBlob(pcm), `answer-${this.number}.wav`);
  }

  async readWhole(response, format) {
    const completion = await response.json();
    const message = completion.choices?.[0]?.message || {};
    if (message.content) this.showText(message.content);
    const audio = message.audio;
    if (!audio) return;
    this.turn.audioId = audio.id;
    this.noteFirstAudio();
    this.showTranscript(audio.transcript || "");
    const bytes = base64ToBytes(audio.data);
    // An <audio> element cannot play raw pcm16; the download keeps the format asked for.
    const playable = format === "pcm16" ? wavBlob([bytes]) : new Blob([bytes], { type: FORMAT_MIME[format] });
    const element = this.view.setAudio(playable, `answer-${this.number}.${format === "pcm16" ? "wav" : extensionOf(format)}`);
    element.play().catch(() => {
      // Autoplay refused: the player is there to press.
    });
  }

  noteFirstAudio(untilSoundSecs = 0) {
    if (this.firstAudioMs !== undefined) return;
    this.firstAudioMs = performance.now() - this.sentAt + untilSoundSecs * 1000;
    this.view.addNote(`first audio ${(this.firstAudioMs / 1000).toFixed(2)} s`);
  }

  showWhenHeard(words, at) {
    this.unshown.push(words);
    this.player.at(at, () => {
      const next = this.unshown.shift();
      if (next !== undefined) this.showTranscript(next);
    });
  }

  showTranscript(words) {
    this.turn.transcript += words;
    this.view.appendText(words);
  }

  showText(text) {
    this.turn.text += text;
    this.view.appendText(text);
  }
}
