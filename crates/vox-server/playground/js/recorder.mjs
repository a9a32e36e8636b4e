// Records a spoken prompt with MediaRecorder, showing a live level and the elapsed time.

import { audioContext } from "./pcm-player.mjs";
import { PlaygroundError } from "./errors.mjs";

// Containers the server reads, in the order the browser is asked for them.
const CONTAINERS = [
  ["audio/webm;codecs=opus", "webm"],
  ["audio/ogg;codecs=opus", "ogg"],
  ["audio/mp4", "m4a"],
];

export class Recorder {
  /** `onTick({ level, elapsedMs })` runs ten times a second while recording. */
  constructor(onTick) {
    this.onTick = onTick;
    this.recorder = null;
  }

  get recording() {
    return this.recorder !== null;
  }

  async start() {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      throw new PlaygroundError(
        `The microphone is not available (${error.name}): allow this page to use it, or attach a file instead.`,
      );
    }
    const [mimeType, format] = CONTAINERS.find(([type]) => MediaRecorder.isTypeSupported(type)) || ["", "webm"];
    this.format = format;
    this.stream = stream;
    this.chunks = [];
    this.recorder = new MediaRecorder(stream, mimeType ? { mimeType } : {});
    this.recorder.ondataavailable = (event) => event.data.size && this.chunks.push(event.data);
    this.recorder.start(250);
    this.startedAt = performance.now();
    this.watchLevel(stream);
  }

  watchLevel(stream) {
    const context = audioContext();
    this.source = context.createMediaStreamSource(stream);
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    this.source.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    this.ticker = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      const rms = Math.sqrt(samples.reduce((sum, s) => sum + s * s, 0) / samples.length);
      // Speech sits around -30 dBFS RMS: map -60..0 dB onto the meter.
      const level = Math.max(0, Math.min(1, (20 * Math.log10(rms + 1e-9) + 60) / 60));
      this.onTick({ level, elapsedMs: performance.now() - this.startedAt });
    }, 100);
  }

  /** Ends the recording: `{ blob, format, durationMs }`. */
  stop() {
    const recorder = this.recorder;
    if (!recorder) return Promise.resolve(null);
    const durationMs = performance.now() - this.startedAt;
    return new Promise((resolve) => {
      recorder.onstop = () => {
        const blob = new Blob(this.chunks, { type: recorder.mimeType || "audio/webm" });
        resolve({ blob, format: this.format, durationMs });
      };
      recorder.stop();
      this.release();
    });
  }

  /** Drops the recording (Clear chat, an error): nothing is sent. */
  cancel() {
    if (!this.recorder) return;
    this.recorder.onstop = null;
    this.recorder.stop();
    this.release();
  }

  release() {
    clearInterval(this.ticker);
    this.source?.disconnect();
    this.stream.getTracks().forEach((track) => track.stop());
    this.recorder = null;
  }
}
