import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createAccount, createToken, join } from "../helpers/client";
import { readSecretHash } from "../helpers/bindings";
import { BASES, d1FailingAfterAuth, expectError, expectNoSecret, expectStorageUnavailable, freshIp, isoIn, readTokenRow, RFC3339_MS } from "./support";

const revoke = (key: string, id: string, base: string = BASES[0]) => call(`${base}/jointoken/${id}`, { method: "DELETE", key });

const read = async (key: string, id: string) => (await call(`jointoken/${id}`, { key })).json.result;

const revocationOf = async (tokenId: string) =>
  env.REVOCATIONS.get<{ revoked_at: number; secret_hash: string }>(`revoked:${tokenId}`, "json");

/** Wraps the real KV binding so that every write fails, as a KV outage would. */
function failingKvWrites(): KVNamespace {
  return new Proxy(env.REVOCATIONS, {
    get(target, property) {
      if (property === "put") return () => Promise.reject(new Error("KV put failed (injected)"));
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("revoke success", () => {
  it("revokes and keeps the record", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key, { description: "keep me" });

    const response = await revoke(key, token.id);

    expect(response.status).toBe(204);
    expect(response.json).toBe(null);
    const result = await read(key, token.id);
    expect(result).toEqual({ ...token, status: "REVOKED", deleted_at: result.deleted_at, updated_at: result.updated_at });
    expect(result.deleted_at).toMatch(RFC3339_MS);
    expect(result.updated_at).toBe(result.deleted_at);
    const row = await readTokenRow(token.id);
    expect(row?.revoked_at).toBe(Date.parse(result.deleted_at));
    expectNoSecret(response, joinToken);
  });

  it("writes the KV revocation", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key);
    expect(await revocationOf(token.token_id)).toBe(null);

    await revoke(key, token.id);

    const deletedAt = (await read(key, token.id)).deleted_at;
    expect(await revocationOf(token.token_id)).toEqual({ revoked_at: Date.parse(deletedAt), secret_hash: await readSecretHash(token.id) });
  });

  it("refuses later joins", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    expect((await join(joinToken, { ophid: "before" })).status).toBe(201);

    await revoke(key, token.id);

    const response = await join(joinToken, { ophid: "after" }, { headers: { "cf-connecting-ip": freshIp() } });
    expectError(response, 403, "TOKEN_REVOKED", "join_token");
    expect((await read(key, token.id)).use_counter).toBe(1);
  });

  it("accepts a second revoke", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key);
    await revoke(key, token.id);
    const first = await read(key, token.id);

    const response = await revoke(key, token.id);

    expect(response.status).toBe(204);
    const second = await read(key, token.id);
    expect(second.deleted_at).toBe(first.deleted_at);
    expect(second).toEqual(first);
    expect(await revocationOf(token.token_id)).toEqual({ revoked_at: Date.parse(first.deleted_at), secret_hash: await readSecretHash(token.id) });
  });

  it("rewrites a missing KV entry", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key);
    await revoke(key, token.id);
    const deletedAt = (await read(key, token.id)).deleted_at;
    await env.REVOCATIONS.delete(`revoked:${token.token_id}`);

    expect((await revoke(key, token.id)).status).toBe(204);

    expect(await revocationOf(token.token_id)).toEqual({ revoked_at: Date.parse(deletedAt), secret_hash: await readSecretHash(token.id) });
  });

  it("revokes an expired token", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key, { expires_at: isoIn(60_000) });
    await call(`jointoken/${token.id}`, { method: "PATCH", key, body: { expires_at: "2020-01-01T00:00:00Z" } });

    expect((await revoke(key, token.id)).status).toBe(204);

    expect((await read(key, token.id)).status).toBe("REVOKED");
  });

  it("keeps revoked token listed", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key);
    await revoke(key, token.id);

    const list = await call("jointoken", { key });

    expect(list.json.results.map((row: { id: string; status: string }) => [row.id, row.status])).toEqual([[token.id, "REVOKED"]]);
  });

  it.each(BASES)("revokes under %s", async (base) => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    expect((await revoke(key, token.id, base)).status).toBe(204);

    expect((await read(key, token.id)).status).toBe("REVOKED");
  });

  it("survives KV write failure", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);

    const response = await call(`jointoken/${token.id}`, { method: "DELETE", key, env: { ...env, REVOCATIONS: failingKvWrites() } });

    expect(response.status).toBe(204);
    expect((await read(key, token.id)).status).toBe("REVOKED");
    expect(await revocationOf(token.token_id)).toBe(null);
    // D1 stores the revoke, so the join is rejected without the KV entry.
    expectError(await join(joinToken, {}, { headers: { "cf-connecting-ip": freshIp() } }), 403, "TOKEN_REVOKED", "join_token");
  });
});

describe("revoke errors", () => {
  it.each([
    ["unknown id", "01900000-0000-7000-8000-000000000000"],
    ["malformed id", "zzz"],
    ["token_id", "jt_AAAAAAAAAAAAAAAA"],
  ])("returns 404 for %s", async (_label, id) => {
    const { key } = await createAccount();

    expectError(await revoke(key, id), 404, "NOT_FOUND", "id");
  });

  it("writes no KV for unknown id", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    await revoke(key, "01900000-0000-7000-8000-000000000000");

    expect(await revocationOf(token.token_id)).toBe(null);
    expect((await read(key, token.id)).status).toBe("ACTIVE");
  });
});

describe("revoke storage failure", () => {
  it("returns 503 and revokes nothing", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    const response = await call(`jointoken/${token.id}`, { method: "DELETE", key, env: { ...env, DB: d1FailingAfterAuth() } });

    expectStorageUnavailable(response);
    expect((await read(key, token.id)).status).toBe("ACTIVE");
    expect(await revocationOf(token.token_id)).toBe(null);
  });
});
