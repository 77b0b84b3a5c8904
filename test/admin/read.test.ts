import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, createAccount, createToken, join } from "../helpers/client";
import { BASES, d1FailingAfterAuth, expectError, expectNoSecret, expectStorageUnavailable, freshIp, insertToken, RFC3339_MS, type TokenFields } from "./support";

const read = (key: string, id: string, base: string = BASES[0]) => call(`${base}/jointoken/${id}`, { key });

afterEach(() => {
  vi.useRealTimers();
});

describe("read success", () => {
  it("returns the created record", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key, { description: "edge", tags: { site: "ams" }, use_limit: 2 });

    const response = await read(key, token.id);

    expect(response.status).toBe(200);
    expect(Object.keys(response.json)).toEqual(["result"]);
    expect(response.json.result).toEqual(token);
    expectNoSecret(response, joinToken);
  });

  it.each(BASES)("reads under %s", async (base) => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    const response = await read(key, token.id, base);

    expect(response.status).toBe(200);
    expect(response.json.result).toEqual(token);
  });

  it("counts joins", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);

    await join(joinToken, { ophid: "host-1" });
    const second = await join(joinToken, { ophid: "host-2" });

    const response = await read(key, token.id);
    expect(response.json.result.use_counter).toBe(2);
    expect(response.json.result.last_used_at).toBe(second.json.result.created_at);
    expect(response.json.result.last_used_at).toMatch(RFC3339_MS);
    expect(response.json.result.status).toBe("ACTIVE");
    expectNoSecret(response, joinToken);
  });

  it("shows rejected join attempts", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    await call(`jointoken/${token.id}`, { method: "DELETE", key });
    const ip = freshIp();

    expect((await join(joinToken, {}, { headers: { "cf-connecting-ip": ip } })).status).toBe(403);

    const result = (await read(key, token.id)).json.result;
    expect(result.rejected_attempts).toBe(1);
    expect(result.last_rejected_ip).toBe(ip);
    expect(result.last_rejected_at).toMatch(RFC3339_MS);
    expect(result.use_counter).toBe(0);
  });
});

describe("read status", () => {
  it("derives EXPIRED at expires_at", async () => {
    const { accountId, key } = await createAccount();
    const expiresAt = Date.parse("2031-03-01T00:00:00.000Z");
    const { id } = await insertToken(accountId, { expiresAt, createdAt: expiresAt - 86_400_000 });
    vi.useFakeTimers({ toFake: ["Date"] });

    vi.setSystemTime(expiresAt - 1);
    expect((await read(key, id)).json.result.status).toBe("ACTIVE");
    vi.setSystemTime(expiresAt);
    expect((await read(key, id)).json.result.status).toBe("EXPIRED");
    vi.setSystemTime(expiresAt + 1);
    expect((await read(key, id)).json.result.status).toBe("EXPIRED");
  });

  it.each([
    ["under the limit", { useLimit: 3, useCounter: 2 }, "ACTIVE"],
    ["at the limit", { useLimit: 3, useCounter: 3 }, "EXPIRED"],
    ["over the limit", { useLimit: 1, useCounter: 5 }, "EXPIRED"],
    ["unlimited", { useLimit: null, useCounter: 500 }, "ACTIVE"],
    ["revoked and expired", { revokedAt: Date.now() - 1000, expiresAt: Date.now() - 1000 }, "REVOKED"],
    ["revoked and used up", { revokedAt: Date.now() - 1000, useLimit: 1, useCounter: 1 }, "REVOKED"],
    ["expired and used up", { expiresAt: Date.now() - 1000, useLimit: 1, useCounter: 1 }, "EXPIRED"],
  ])("derives status %s", async (_label, fields: TokenFields, status) => {
    const { accountId, key } = await createAccount();
    const { id } = await insertToken(accountId, fields);

    const result = (await read(key, id)).json.result;

    expect(result.status).toBe(status);
    expect(result.use_counter).toBe(fields.useCounter ?? 0);
  });

  it("marks used-up token EXPIRED", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key, { use_limit: 1 });

    expect((await join(joinToken)).status).toBe(201);

    const result = (await read(key, token.id)).json.result;
    expect(result.status).toBe("EXPIRED");
    expect(result.use_counter).toBe(1);
  });
});

describe("read errors", () => {
  it.each([
    ["unknown uuid", "01900000-0000-7000-8000-000000000000"],
    ["not a uuid", "abc"],
    ["uppercase uuid", "01900000-0000-7000-8000-00000000000A"],
    ["token_id", "jt_AAAAAAAAAAAAAAAA"],
    ["very long", "a".repeat(2000)],
    ["bad percent escape", "%E0%A4%A"],
    ["encoded slash", "abc%2Fdef"],
    ["sql text", "1'%20OR%20'1'='1"],
  ])("returns 404 for %s", async (_label, id) => {
    const { key } = await createAccount();

    const response = await read(key, id);

    expectError(response, 404, "NOT_FOUND", "id");
  });

  it("finds uppercase of real id", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    // Ids are lowercase UUIDs; another spelling names no record.
    expectError(await read(key, token.id.toUpperCase()), 404, "NOT_FOUND", "id");
  });
});

describe("read storage failure", () => {
  it("returns 503", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    expectStorageUnavailable(await call(`jointoken/${token.id}`, { key, env: { ...env, DB: d1FailingAfterAuth() } }));
  });
});
