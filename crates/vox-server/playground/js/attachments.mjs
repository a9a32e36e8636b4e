// Audio attached by the file picker or dropped on the chat: checked in the page first (a 25 MB
// file is refused here, in the server's own words, instead of after a long upload).

import { PlaygroundError } from "./errors.mjs";

const FORMAT_BY_EXTENSION = {
  wav: "wav",
  mp3: "mp3",
  flac: "flac",
  ogg: "ogg",
  oga: "ogg",
  opus: "ogg",
  webm: "webm",
  m4a: "m4a",
  mp4: "m4a",
};

const FORMAT_BY_MIME = {
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/wave": "wav",
  "audio/mpeg": "mp3",
  "audio/mp3": "mp3",
  "audio/flac": "flac",
  "audio/x-flac": "flac",
  "audio/ogg": "ogg",
  "audio/webm": "webm",
  "audio/mp4": "m4a",
  "audio/x-m4a": "m4a",
};

/** `{ blob, format, fileName }` for a file the server can take, else a PlaygroundError. */
export function checkAttachment(file, maxBytes) {
  const extension = file.name.includes(".") ? file.name.split(".").pop().toLowerCase() : "";
  const format = FORMAT_BY_EXTENSION[extension] || FORMAT_BY_MIME[file.type.split(";")[0]];
  if (!format) {
    throw new PlaygroundError(
      `"${file.name}" is not an audio file Vox reads: attach wav, mp3, flac, ogg, webm or m4a.`,
    );
  }
  if (file.size > maxBytes) {
    // The wording of the server's own 413, so the page and the API say the same thing.
    throw new PlaygroundError(
      `Too large (413): Audio input is about ${file.size} bytes, more than the ${maxBytes}-byte limit. ` +
        `"${file.name}" was not sent.`,
      { status: 413 },
    );
  }
  return { blob: file, format, fileName: file.name };
}

/** Calls `onFile(file)` for a file dropped anywhere on `zone`. */
export function acceptDrops(zone, onFile) {
  const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
  zone.addEventListener("dragover", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    zone.classList.remove("dragging");
    const file = event.dataTransfer.files[0];
    if (file) onFile(file);
  });
}
