// The chat log: one list item per turn. The user's hold their text or an audio player; the
// assistant's hold the transcript, an audio player, a download link and how long the first
// audio took.

export class ChatLog {
  constructor(list, emptyHint) {
    this.list = list;
    this.emptyHint = emptyHint;
    this.urls = [];
  }

  clear() {
    this.list.replaceChildren();
    this.urls.forEach((url) => URL.revokeObjectURL(url));
    this.urls = [];
    this.emptyHint.hidden = false;
  }

  /** `audio`: `{ blob, fileName }` of what the user recorded or attached. */
  addUser(text, audio, label = "You") {
    const item = this.item("user", label);
    if (text) item.append(paragraph(text));
    if (audio) {
      item.append(this.player(audio.blob, `Your audio: ${audio.fileName}`));
      item.append(meta(this.download(audio.blob, audio.fileName)));
    }
    return new UserTurnView(item);
  }

  addAssistant(label = "Vox") {
    const item = this.item("assistant", label);
    item.classList.add("pending");
    return new AssistantTurnView(item, this);
  }

  item(role, label) {
    this.emptyHint.hidden = true;
    const item = document.createElement("li");
    item.className = `turn ${role}`;
    const heading = document.createElement("div");
    heading.className = "role";
    heading.textContent = label;
    item.append(heading);
    this.list.append(item);
    item.scrollIntoView({ block: "end" });
    return item;
  }

  player(blob, label) {
    const audio = document.createElement("audio");
    audio.controls = true;
    audio.preload = "metadata";
    audio.src = this.url(blob);
    audio.setAttribute("aria-label", label);
    return audio;
  }

  download(blob, fileName) {
    const link = document.createElement("a");
    link.href = this.url(blob);
    link.download = fileName;
    link.textContent = `Download ${fileName}`;
    return link;
  }

  url(blob) {
    const url = URL.createObjectURL(blob);
    this.urls.push(url);
    return url;
  }
}

export class UserTurnView {
  constructor(item) {
    this.item = item;
  }

  /** A voice call's turn: its words arrive after it was spoken. */
  setText(text) {
    let p = this.item.querySelector(".text");
    if (!p) this.item.append((p = paragraph("")));
    p.textContent = text;
  }
}

export class AssistantTurnView {
  constructor(item, log) {
    this.item = item;
    this.log = log;
    this.text = paragraph("");
    this.details = meta();
    item.append(this.text, this.details);
  }

  appendText(text) {
    this.text.textContent += text;
    this.item.scrollIntoView({ block: "end" });
  }

  setText(text) {
    this.text.textContent = text;
  }

  /** The whole answer's audio, playable and downloadable. */
  setAudio(blob, fileName) {
    const audio = this.log.player(blob, "Spoken answer");
    this.item.insertBefore(audio, this.details);
    this.details.append(this.log.download(blob, fileName));
    return audio;
  }

  /** e.g. "first audio 0.42 s". */
  addNote(text) {
    const span = document.createElement("span");
    span.textContent = text;
    this.details.append(span);
  }

  finish() {
    this.item.classList.remove("pending");
  }
}

function paragraph(text) {
  const p = document.createElement("p");
  p.className = "text";
  p.textContent = text;
  return p;
}

function meta(...children) {
  const div = document.createElement("div");
  div.className = "meta";
  div.append(...children);
  return div;
}
