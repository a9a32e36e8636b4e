// The voice call's microphone tap, on the audio thread: the input resampled to 24 kHz mono
// (linear interpolation) and posted in 40 ms pieces, the size a realtime client sends.

const TARGET_RATE = 24000;
const PIECE_SAMPLES = 960;

class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    // `sampleRate` is the context's rate, a global of the worklet scope.
    this.step = sampleRate / TARGET_RATE;
    this.position = 0;
    this.previous = 0;
    this.piece = new Float32Array(PIECE_SAMPLES);
    this.filled = 0;
  }

  process(inputs) {
    const channel = inputs[0]?.[0];
    if (!channel) return true;
    // Output samples fall at `position` (in input samples, relative to this block's start).
    while (this.position < channel.length) {
      const index = Math.floor(this.position);
      const fraction = this.position - index;
      const before = index === 0 ? this.previous : channel[index - 1];
      const after = channel[index];
      this.push(before + (after - before) * fraction);
      this.position += this.step;
    }
    this.position -= channel.length;
    this.previous = channel[channel.length - 1];
    return true;
  }

  push(sample) {
    this.piece[this.filled++] = sample;
    if (this.filled === PIECE_SAMPLES) {
      this.port.postMessage(this.piece);
      this.piece = new Float32Array(PIECE_SAMPLES);
      this.filled = 0;
    }
  }
}

registerProcessor("vox-capture", CaptureProcessor);
