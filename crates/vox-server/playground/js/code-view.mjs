// "View code": the conversation's latest request as a program a user can run, in Python and
// JavaScript (the official `openai` packages, OpenAI or Azure OpenAI client) and curl. The key
// comes from an environment variable; recorded or attached audio is read from its file.

const API_VERSION = "2025-01-01-preview";
const AUDIO_MARK = "\u0000audio-file:";

/** `body`: a chat completions request; `audioFiles`: base64 data -> the file it came from. */
export function codeFor({ language, client, body, audioFiles }) {
  const request = withFileReferences(body, audioFiles);
  const origin = location.origin;
  if (language === "python") return python(request, client, origin);
  if (language === "javascript") return javascript(request, client, origin);
  return curl(request, client, origin);
}

/** The body with each audio's base64 replaced by a mark naming its file. */
function withFileReferences(body, audioFiles) {
  return JSON.parse(
    JSON.stringify(body, (key, value) =>
      key === "data" && audioFiles.has(value) ? AUDIO_MARK + audioFiles.get(value) : value,
    ),
  );
}

function python(request, client, origin) {
  const setup =
    client === "azure"
      ? `from openai import AzureOpenAI\n\nclient = AzureOpenAI(\n    azure_endpoint=${q(origin)},\n` +
        `    api_key=os.environ["AZURE_OPENAI_API_KEY"],\n    api_version=${q(API_VERSION)},\n)`
      : `from openai import OpenAI\n\nclient = OpenAI(base_url=${q(`${origin}/v1`)}, api_key=os.environ["OPENAI_API_KEY"])`;
  const args = Object.entries(request)
    .map(([key, value]) => `    ${key}=${pyLiteral(value, 1)},`)
    .join("\n");
  const usesFiles = JSON.stringify(request).includes(AUDIO_MARK.slice(1));
  const helper = usesFiles
    ? `\n\ndef audio_file(path):\n    with open(path, "rb") as f:\n        return base64.b64encode(f.read()).decode()\n`
    : "";
  const output = request.stream
    ? `with open("answer.pcm", "wb") as pcm:  # 24 kHz mono pcm16\n    for chunk in completion:\n` +
      `        audio = chunk.choices[0].delta.audio if chunk.choices else None\n` +
      `        if audio and audio.transcript:\n            print(audio.transcript, end="", flush=True)\n` +
      `        if audio and audio.data:\n            pcm.write(base64.b64decode(audio.data))\nprint()`
    : `audio = completion.choices[0].message.audio\nprint(audio.transcript)\nprint("audio id for the next turn:", audio.id)\n` +
      `with open(${q(`answer.${extension(request)}`)}, "wb") as f:\n    f.write(base64.b64decode(audio.data))`;
  return `import base64\nimport os\n\n${setup}\n${helper}\ncompletion = client.chat.completions.create(\n${args}\n)\n${output}\n`;
}

function javascript(request, client, origin) {
  const setup =
    client === "azure"
      ? `import { AzureOpenAI } from "openai";\n\nconst client = new AzureOpenAI({\n  endpoint: ${q(origin)},\n` +
        `  apiKey: process.env.AZURE_OPENAI_API_KEY,\n  apiVersion: ${q(API_VERSION)},\n  deployment: ${q(request.model)},\n});`
      : `import OpenAI from "openai";\n\nconst client = new OpenAI({ baseURL: ${q(`${origin}/v1`)}, apiKey: process.env.OPENAI_API_KEY });`;
  const body = JSON.stringify(request, null, 2).replace(markPattern(), (_, file) => `audioFile(${q(file)})`);
  const output = request.stream
    ? `const pcm = [];\nfor await (const chunk of completion) {\n  const audio = chunk.choices[0]?.delta?.audio;\n` +
      `  if (audio?.transcript) process.stdout.write(audio.transcript);\n` +
      `  if (audio?.data) pcm.push(Buffer.from(audio.data, "base64"));\n}\n` +
      `fs.writeFileSync("answer.pcm", Buffer.concat(pcm)); // 24 kHz mono pcm16`
    : `const audio = completion.choices[0].message.audio;\nconsole.log(audio.transcript);\n` +
      `console.log("audio id for the next turn:", audio.id);\n` +
      `fs.writeFileSync(${q(`answer.${extension(request)}`)}, Buffer.from(audio.data, "base64"));`;
  return (
    `import fs from "node:fs";\n${setup}\n\nconst audioFile = (path) => fs.readFileSync(path).toString("base64");\n\n` +
    `const completion = await client.chat.completions.create(${body});\n${output}\n`
  );
}

function curl(request, client, origin) {
  // An unquoted heredoc so that $(base64 ...) runs; the JSON's own $, ` and \ are escaped.
  const json = JSON.stringify(request, null, 2)
    .replace(/[\\$`]/g, (ch) => `\\${ch}`)
    .replace(markPattern(), (_, file) => `"$(base64 -w0 ${shellQuote(file)})"`);
  const target =
    client === "azure"
      ? `"${origin}/openai/deployments/${request.model}/chat/completions?api-version=${API_VERSION}" \\\n  -H "api-key: $AZURE_OPENAI_API_KEY"`
      : `"${origin}/v1/chat/completions" \\\n  -H "Authorization: Bearer $OPENAI_API_KEY"`;
  return `curl ${request.stream ? "-N " : ""}${target} \\\n  -H "Content-Type: application/json" \\\n  -d @- <<EOF\n${json}\nEOF\n`;
}

function markPattern() {
  // The mark as JSON.stringify writes it: a quoted string starting with \u0000audio-file:.
  return /"\\u0000audio-file:([^"]*)"/g;
}

function pyLiteral(value, depth) {
  const pad = "    ".repeat(depth + 1);
  const end = "    ".repeat(depth);
  if (value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") {
    return value.startsWith(AUDIO_MARK) ? `audio_file(${q(value.slice(AUDIO_MARK.length))})` : q(value);
  }
  if (typeof value === "number") return String(value);
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== "object")) return `[${value.map((v) => pyLiteral(v, depth)).join(", ")}]`;
    return `[\n${value.map((v) => `${pad}${pyLiteral(v, depth + 1)},`).join("\n")}\n${end}]`;
  }
  const entries = Object.entries(value).map(([k, v]) => `${q(k)}: ${pyLiteral(v, depth + 1)}`);
  const inline = `{${entries.join(", ")}}`;
  return inline.length < 70 ? inline : `{\n${entries.map((e) => `${pad}${e},`).join("\n")}\n${end}}`;
}

/** A double-quoted string literal, valid in Python and JavaScript alike. */
function q(text) {
  return JSON.stringify(text);
}

function shellQuote(text) {
  return /^[\w./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

function extension(request) {
  return { pcm16: "pcm", opus: "ogg" }[request.audio.format] || request.audio.format;
}
