// The public API, called exactly as an SDK would: same origin, the key as a Bearer token.

import { fromResponse, serverGone } from "./errors.mjs";

const KEY_STORAGE = "vox.playground.apiKey";

export class Api {
  constructor() {
    this.key = localStorage.getItem(KEY_STORAGE) || "";
  }

  setKey(key) {
    this.key = key.trim();
    if (this.key) localStorage.setItem(KEY_STORAGE, this.key);
    else localStorage.removeItem(KEY_STORAGE);
  }

  headers(extra = {}) {
    const headers = { ...extra };
    if (this.key) headers.Authorization = `Bearer ${this.key}`;
    return headers;
  }

  /** A 2xx response, or a PlaygroundError in plain words. */
  async request(path, { method = "GET", body, signal } = {}) {
    let response;
    try {
      response = await fetch(path, {
        method,
        signal,
        headers: this.headers(body === undefined ? {} : { "Content-Type": "application/json" }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw serverGone(error);
    }
    if (!response.ok) throw fromResponse(response.status, response.headers, await response.text());
    return response;
  }

  async json(path, options) {
    return (await this.request(path, options)).json();
  }

  pageConfig() {
    return this.json("/playground/config.json");
  }

  models() {
    return this.json("/v1/models");
  }

  voices() {
    return this.json("/v1/audio/voices");
  }

  chat(body, signal) {
    return this.request("/v1/chat/completions", { method: "POST", body, signal });
  }

  speech(body, signal) {
    return this.request("/v1/audio/speech", { method: "POST", body, signal });
  }
}
