// "View code": the programs shown must be programs. The Python one is parsed by Python itself.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";

globalThis.location = { origin: "http://127.0.0.1:8000" };
const { codeFor } = await import("../../../crates/vox-server/playground/js/code-view.mjs");

const body = {
  model: "gpt-4o-audio-preview",
  modalities: ["text", "audio"],
  audio: { voice: "alloy", format: "wav" },
  messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "QUJD", format: "wav" } }] }],
};
const audioFiles = new Map([["QUJD", "question.wav"]]);

test("Python, for both clients, parses and reads the audio from its file", () => {
  for (const client of ["openai", "azure"]) {
    const code = codeFor({ language: "python", client, body, audioFiles });
    execFileSync("python3", ["-c", "import ast, sys; ast.parse(sys.stdin.read())"], { input: code });
    assert.match(code, /question\.wav/);
    assert.doesNotMatch(code, /QUJD/);
    assert.match(code, client === "azure" ? /AzureOpenAI/ : /OpenAI\(/);
  }
});

test("JavaScript parses as a module; curl names the route and the key variable", () => {
  const javascript = codeFor({ language: "javascript", client: "openai", body, audioFiles });
  execFileSync("node", ["--input-type=module", "--check"], { input: javascript });
  const curl = codeFor({ language: "curl", client: "azure", body, audioFiles });
  assert.match(curl, /\/openai\/deployments\/gpt-4o-audio-preview\/chat\/completions\?api-version=/);
  assert.match(curl, /AZURE_OPENAI_API_KEY/);
});
