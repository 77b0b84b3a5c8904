// HTTP client for one local server: Node's fetch (undici), one timeout per request. The API key and
// token strings it handles are never printed.
import { randomBytes } from "node:crypto";

export const BASE = "/host-activation/v1";
const REQUEST_TIMEOUT_MS = 20_000;
// Small enough that a 100-host token spans several pages.
const PAGE_SIZE = 40;

/** A short random suffix for names and ophids, so runs and scenarios never collide. */
export const nonce = () => randomBytes(6).toString("hex");

export class Client {
  /** @param {string} origin  @param {string} key */
  constructor(origin, key) {
    this.origin = origin;
    this.key = key;
  }

  /**
   * Sends one request. `path` is under BASE unless it starts with "/". `body` is sent as JSON unless it
   * is a string or bytes. Resolves with { status, headers, json } and never rejects: a request that got
   * no response has status 0 and `error` set.
   */
  async request(path, { method, headers = {}, body, auth = true, timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
    const sent = new Headers(headers);
    if (auth && !sent.has("authorization")) sent.set("authorization", `Token ${this.key}`);
    let payload;
    if (typeof body === "string" || body instanceof Uint8Array) {
      payload = body;
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      if (!sent.has("content-type")) sent.set("content-type", "application/json");
    }
    const url = `${this.origin}${path.startsWith("/") ? path : `${BASE}/${path}`}`;
    try {
      const response = await fetch(url, {
        method: method ?? (payload === undefined ? "GET" : "POST"),
        headers: sent,
        body: payload,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      let json = null;
      try {
        json = text === "" ? null : JSON.parse(text);
      } catch {
        // Not JSON: callers that need a body check for null.
      }
      return { status: response.status, headers: response.headers, json };
    } catch (error) {
      return { status: 0, headers: new Headers(), json: null, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  }

  /** Creates a token; resolves with its record and its token string. */
  async createToken(fields = {}, options = {}) {
    const response = await this.request("jointoken", { ...options, body: { name: `reliability-${nonce()}`, ...fields } });
    if (response.status !== 201) throw new Error(`POST jointoken returned ${response.status} ${JSON.stringify(response.json?.error ?? null)}`);
    return { token: response.json.result, joinToken: response.json.join_token };
  }

  async readToken(id) {
    const response = await this.request(`jointoken/${id}`);
    if (response.status !== 200) throw new Error(`GET jointoken/${id} returned ${response.status}`);
    return response.json.result;
  }

  /** Lists every host record of a token, following page tokens. */
  listHosts(id) {
    return this.allPages(`jointoken/${id}/hosts`);
  }

  /** Lists every token of the key's account, following page tokens. */
  listTokens() {
    return this.allPages("jointoken");
  }

  /** Reads a paged list to its end; throws if a record appears on two pages. */
  async allPages(path) {
    const items = [];
    const seen = new Set();
    let pageToken = "";
    for (let page = 0; page < 10_000; page++) {
      const query = `_limit=${PAGE_SIZE}${pageToken === "" ? "" : `&_page_token=${encodeURIComponent(pageToken)}`}`;
      const response = await this.request(`${path}?${query}`);
      if (response.status !== 200) throw new Error(`GET ${path} returned ${response.status}`);
      for (const item of response.json.results) {
        if (seen.has(item.id)) throw new Error(`${item.id} appeared on two pages of ${path}`);
        seen.add(item.id);
        items.push(item);
      }
      pageToken = response.json.page?.page_token ?? "";
      if (pageToken === "") return items;
    }
    throw new Error(`GET ${path} did not reach its last page`);
  }

  revoke(id, options = {}) {
    return this.request(`jointoken/${id}`, { ...options, method: "DELETE" });
  }

  /** Sends a join without the API key, as a server does; `host` fields override the defaults. */
  join(joinToken, host = {}, headers = {}) {
    return this.request("join", { auth: false, headers, body: { join_token: joinToken, host_serial: "SN-RELIABILITY", ...host } });
  }
}

export const isSuccess = (response) => response.status === 200 || response.status === 201;
export const errorCode = (response) => response.json?.error?.code ?? null;
