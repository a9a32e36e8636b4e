// Audio bytes and attachments, checked in the page before anything is sent.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  base64ToBytes,
  bytesToBase64,
  extensionOf,
  floatToPcm16,
  pcm16ToFloat,
  wavBlob,
} from "../../../crates/vox-server/playground/js/audio-bytes.mjs";
import { checkAttachment } from "../../../crates/vox-server/playground/js/attachments.mjs";

test("base64 both ways, over the slice size", () => {
  const bytes = new Uint8Array(100_000).map((_, i) => i % 251);
  assert.deepEqual(base64ToBytes(bytesToBase64(bytes)), bytes);
});

test("pcm16 and samples both ways, clipped", () => {
  const samples = pcm16ToFloat(floatToPcm16(new Float32Array([0, 0.5, -0.5, 2, -2])));
  assert.deepEqual([...samples].map((s) => Math.round(s * 1000) / 1000), [0, 0.5, -0.5, 1, -1]);
});

test("a WAV file around pcm16 chunks has the header players read", async () => {
  const blob = wavBlob([new Uint8Array(10), new Uint8Array(6)], 24000);
  const view = new DataView(await blob.arrayBuffer());
  const ascii = (at) => String.fromCharCode(...new Uint8Array(view.buffer, at, 4));
  assert.equal(blob.size, 44 + 16);
  assert.equal(ascii(0), "RIFF");
  assert.equal(view.getUint32(4, true), 36 + 16);
  assert.equal(view.getUint32(24, true), 24000);
  assert.equal(view.getUint32(40, true), 16);
  assert.equal(extensionOf("pcm16"), "pcm");
  assert.equal(extensionOf("opus"), "ogg");
  assert.equal(extensionOf("mp3"), "mp3");
});

test("attachments: known by extension or type, others and oversized ones refused in plain words", () => {
  assert.equal(checkAttachment({ name: "q.M4A", type: "", size: 10 }, 100).format, "m4a");
  assert.equal(checkAttachment({ name: "recording", type: "audio/webm;codecs=opus", size: 10 }, 100).format, "webm");
  assert.throws(() => checkAttachment({ name: "notes.txt", type: "text/plain", size: 10 }, 100), /not an audio file/);
  assert.throws(
    () => checkAttachment({ name: "big.wav", type: "audio/wav", size: 101 }, 100),
    (error) => error.status === 413 && error.message.includes("about 101 bytes, more than the 100-byte limit"),
  );
});
