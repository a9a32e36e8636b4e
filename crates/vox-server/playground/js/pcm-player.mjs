// Plays pcm16 chunks the moment they arrive (Web Audio), back to back without gaps, and stops
// everything at once when asked: a barge-in or "Stop answer" must silence the speaker now, not
// after the queued audio.

import { PCM_RATE, pcm16ToFloat } from "./audio-bytes.mjs";

// A little lead so that the first chunk is not scheduled in the past while the context wakes.
const LEAD_SECS = 0.025;

export class PcmPlayer {
  constructor(context) {
    this.context = context;
    this.sources = new Set();
    this.nextStart = 0;
    this.playedFrom = null;
    this.queuedSecs = 0;
  }

  /** Schedules `bytes` after what is queued; returns when (context time) it starts playing. */
  enqueue(bytes) {
    const samples = pcm16ToFloat(bytes);
    if (samples.length === 0) return this.nextStart;
    const buffer = this.context.createBuffer(1, samples.length, PCM_RATE);
    buffer.copyToChannel(samples, 0);
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.context.destination);
    const startAt = Math.max(this.context.currentTime + LEAD_SECS, this.nextStart);
    if (this.playedFrom === null) this.playedFrom = startAt;
    source.start(startAt);
    this.nextStart = startAt + buffer.duration;
    this.queuedSecs += buffer.duration;
    this.sources.add(source);
    source.onended = () => this.sources.delete(source);
    return startAt;
  }

  /** Runs `callback` when context time `at` is reached (now if it has passed). */
  at(at, callback) {
    const delayMs = Math.max(0, (at - this.context.currentTime) * 1000);
    setTimeout(callback, delayMs);
  }

  /** Resolves when everything queued has been heard, or at once when `signal` aborts. */
  drained(signal) {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, (this.nextStart - this.context.currentTime) * 1000));
      signal.addEventListener("abort", done, { once: true });
    });
  }

  get playing() {
    return this.sources.size > 0;
  }

  /** Milliseconds of audio heard so far (what a realtime truncate reports). */
  playedMs() {
    if (this.playedFrom === null) return 0;
    const heard = Math.min(this.context.currentTime - this.playedFrom, this.queuedSecs);
    return Math.max(0, Math.round(heard * 1000));
  }

  /** Silences every scheduled chunk now and starts a new answer's clock. */
  stop() {
    for (const source of this.sources) {
      try {
        source.stop();
      } catch {
        // Already stopped.
      }
    }
    this.sources.clear();
    this.reset();
  }

  reset() {
    this.nextStart = 0;
    this.playedFrom = null;
    this.queuedSecs = 0;
  }
}

/** One AudioContext for the page, created on the first user gesture (autoplay rules). */
let sharedContext = null;
export function audioContext() {
  if (!sharedContext) sharedContext = new AudioContext();
  if (sharedContext.state === "suspended") sharedContext.resume();
  return sharedContext;
}
