import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";
import { sha256Hex, uuidv7 } from "../../src/lib/ids";
import { randomBase62 } from "../../src/lib/ids";

export const BASE = "/host-activation/v1";

let callCount = 0;

export interface CallOptions {
  method?: string;
  /** A value to send as JSON, or a raw string body sent as is. */
  body?: unknown;
  key?: string;
  headers?: Record<string, string>;
  /** Bindings to use instead of the real ones, for fault-injecting or counting wrappers. */
  env?: Env;
  /** Wait for the request's waitUntil work (KV refills, tripwire flushes) before returning. */
  settle?: boolean;
}

export interface CallResult {
  status: number;
  headers: Headers;
  /** Parsed JSON, or null for an empty body. */
  json: any;
}

/** Sends a request through the Worker's fetch handler inside workerd, against real D1 and KV. */
export async function call(path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers = new Headers(options.headers);
  if (options.key !== undefined) headers.set("authorization", `Token ${options.key}`);
  let body: string | undefined;
  if (typeof options.body === "string") {
    body = options.body;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  // A new documentation address (2001:db8::/32, RFC 3849) per call, so that one test's failed joins
  // never push another test over the per-IP failure limit. Tests of the limit pass their own address.
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", `2001:db8::${(++callCount).toString(16)}`);

  const request = new Request(`http://join-tokens.test${path.startsWith("/") ? path : `${BASE}/${path}`}`, {
    method: options.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
  });
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, options.env ?? env, ctx);
  const text = await response.text();
  if (options.settle !== false) await waitOnExecutionContext(ctx);
  return { status: response.status, headers: response.headers, json: text === "" ? null : JSON.parse(text) };
}

/** Creates an account and an API key directly in D1, the way `npm run account:create` does. */
export async function createAccount(name = "test account"): Promise<{ accountId: string; key: string }> {
  const accountId = uuidv7();
  const key = `jtk_${randomBase62(40)}`;
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare("INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)").bind(accountId, name, now),
    env.DB.prepare("INSERT INTO api_keys (id, account_id, key_hash, name, created_at) VALUES (?, ?, ?, ?, ?)").bind(
      uuidv7(),
      accountId,
      await sha256Hex(key),
      "test",
      now,
    ),
  ]);
  return { accountId, key };
}

/** Creates a join token through the API and returns its record and its secret token string. */
export async function createToken(key: string, fields: Record<string, unknown> = {}): Promise<{ token: any; joinToken: string }> {
  const response = await call("jointoken", { key, body: { name: `token-${randomBase62(8)}`, ...fields } });
  if (response.status !== 201) throw new Error(`createToken failed: ${response.status} ${JSON.stringify(response.json)}`);
  return { token: response.json.result, joinToken: response.json.join_token };
}

/** Joins with a token string; `host` fields override the defaults. */
export function join(joinToken: string, host: Record<string, unknown> = {}, options: CallOptions = {}): Promise<CallResult> {
  return call("join", { ...options, body: { join_token: joinToken, host_serial: "SN-0001", ...host } });
}
