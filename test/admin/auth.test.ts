import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createAccount, createToken } from "../helpers/client";
import { sha256Hex } from "../../src/lib/ids";
import { addApiKey, BASES, expectError } from "./support";

/** Sends a list request with a raw Authorization header (or none). */
const listWith = (authorization: string | undefined, base: string = BASES[0]) =>
  call(`${base}/jointoken`, { headers: authorization === undefined ? {} : { authorization } });

function expectUnauthenticated(response: Awaited<ReturnType<typeof call>>): void {
  expectError(response, 401, "UNAUTHENTICATED", "Authorization");
  expect(response.headers.get("www-authenticate")).toBe('Token realm="join-tokens"');
}

/** Wraps the real D1 binding and counts prepared statements. */
function countingDb(): { db: D1Database; count: () => number } {
  let prepared = 0;
  const db = new Proxy(env.DB, {
    get(target, property) {
      if (property === "prepare") {
        return (query: string) => {
          prepared += 1;
          return target.prepare(query);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db, count: () => prepared };
}

describe("API key schemes", () => {
  it.each([
    ["Token <key>", (key: string) => `Token ${key}`],
    ["Token token=<key>", (key: string) => `Token token=${key}`],
    ["Bearer <key>", (key: string) => `Bearer ${key}`],
    ["lowercase bearer", (key: string) => `bearer ${key}`],
    ["extra spaces", (key: string) => `Token   ${key}  `],
  ])("accepts %s", async (_label, header) => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    const response = await listWith(header(key));

    expect(response.status).toBe(200);
    expect(response.json.results.map((row: { id: string }) => row.id)).toEqual([token.id]);
  });
});

describe("API key rejections", () => {
  it.each([
    ["missing header", undefined],
    ["empty header", ""],
    ["Basic scheme", "Basic dXNlcjpwYXNz"],
    ["scheme only", "Token"],
    ["Bearer without key", "Bearer "],
    ["two words", "Token abc def"],
    ["unknown key", "Token jtk_unknownunknownunknownunknownunknown00"],
  ])("rejects %s", async (_label, header) => {
    expectUnauthenticated(await listWith(header));
  });

  it("rejects revoked key", async () => {
    const { accountId, key } = await createAccount();
    const revoked = await addApiKey(accountId, Date.now() - 1000);

    expectUnauthenticated(await call("jointoken", { key: revoked }));
    expect((await call("jointoken", { key })).status).toBe(200);
  });

  it("rejects stored hash as key", async () => {
    const { key } = await createAccount();
    const hash = await sha256Hex(key);

    const stored = await env.DB.prepare("SELECT key_hash FROM api_keys WHERE key_hash = ?").bind(hash).first<{ key_hash: string }>();
    expect(stored?.key_hash).toBe(hash);
    expectUnauthenticated(await call("jointoken", { key: hash }));
  });

  it("rejects key with wrong case", async () => {
    const { key } = await createAccount();
    const flipped = key.replace(/[a-z]/, (letter) => letter.toUpperCase());
    expect(flipped === key).toBe(false);

    expectUnauthenticated(await call("jointoken", { key: flipped }));
  });
});

describe("API key on every route", () => {
  const id = "01900000-0000-7000-8000-000000000000";
  it.each(
    BASES.flatMap((base) => [
      [base, "POST", "jointoken", { name: "x" }],
      [base, "GET", "jointoken", undefined],
      [base, "GET", `jointoken/${id}`, undefined],
      [base, "PATCH", `jointoken/${id}`, { description: "x" }],
      [base, "DELETE", `jointoken/${id}`, undefined],
      [base, "GET", `jointoken/${id}/hosts`, undefined],
      [base, "DELETE", "jointokens", { ids: [id] }],
    ] as const),
  )("%s %s %s needs a key", async (base, method, path, body) => {
    expectUnauthenticated(await call(`${base}/${path}`, { method, body }));
  });

  it("checks key before body", async () => {
    expectUnauthenticated(await call("jointoken", { body: "not json", headers: { "content-type": "application/json" } }));
  });

  it("leaves join unauthenticated", async () => {
    const response = await call("join", { body: { join_token: "jt_malformed", host_serial: "SN-1" } });

    expectError(response, 401, "TOKEN_INVALID", "join_token");
    expect(response.headers.get("www-authenticate")).toBe(null);
  });

  it.each([
    ["GET", "jointoken"],
    ["GET", "jointoken/01900000-0000-7000-8000-000000000000"],
  ])("looks key up once: %s %s", async (method, path) => {
    const { key } = await createAccount();
    const { db, count } = countingDb();

    await call(path, { method, key, env: { ...env, DB: db } });

    // One statement for the key and one for the route's own query.
    expect(count()).toBe(2);
  });
});

describe("routes outside the API", () => {
  it.each([
    ["PUT", "jointoken"],
    ["GET", "jointokens"],
    ["POST", "jointoken/01900000-0000-7000-8000-000000000000"],
  ])("%s %s is a JSON 404", async (method, path) => {
    const { key } = await createAccount();

    const response = await call(path, { method, key, body: method === "GET" ? undefined : {} });

    expectError(response, 404, "NOT_FOUND", "path");
  });
});
