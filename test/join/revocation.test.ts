import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { countHosts, freshIp, kvWrites, readSecretHash, readTokenState, updateTokenRow, wrapEnv } from "../helpers/bindings";
import { call, createAccount, createToken, join } from "../helpers/client";

const revokedKey = (tokenId: string) => `revoked:${tokenId}`;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("revoke then join", () => {
  it("rejects join after revoke", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    expect((await call(`jointoken/${token.id}`, { key, method: "DELETE" })).status).toBe(204);
    expect(await env.REVOCATIONS.get(revokedKey(token.token_id))).not.toBeNull();

    const response = await join(joinToken, {}, { headers: { "cf-connecting-ip": freshIp() } });
    expect(response.status).toBe(403);
    expect(response.json.error.code).toBe("TOKEN_REVOKED");
    expect((await readTokenState(token.id)).use_counter).toBe(0);
    expect(await countHosts(token.id)).toBe(0);
  });

  it("rejects bulk-revoked tokens", async () => {
    const { key } = await createAccount();
    const a = await createToken(key);
    const b = await createToken(key);
    expect((await call("jointokens", { key, method: "DELETE", body: { ids: [a.token.id, b.token.id] } })).status).toBe(204);

    for (const { joinToken } of [a, b]) {
      const response = await join(joinToken, {}, { headers: { "cf-connecting-ip": freshIp() } });
      expect(response.json.error.code).toBe("TOKEN_REVOKED");
    }
  });
});

describe("stale revocation cache", () => {
  it("rejects D1-only revoke, refills KV", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const revokedAt = Date.now() - 5000;
    await updateTokenRow(token.id, { revoked_at: revokedAt });
    expect(await env.REVOCATIONS.get(revokedKey(token.token_id))).toBeNull();

    const response = await join(joinToken, { ophid: "stale" }, { headers: { "cf-connecting-ip": freshIp() } });
    expect(response.status).toBe(403);
    expect(response.json.error.code).toBe("TOKEN_REVOKED");
    expect(await env.REVOCATIONS.get(revokedKey(token.token_id), "json")).toEqual({ revoked_at: revokedAt, secret_hash: await readSecretHash(token.id) });
    expect((await readTokenState(token.id)).use_counter).toBe(0);
    expect(await countHosts(token.id)).toBe(0);
  });

  it("treats a KV value without a secret hash as revoked", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    await updateTokenRow(token.id, { revoked_at: Date.now() });
    await env.REVOCATIONS.put(revokedKey(token.token_id), JSON.stringify({ revoked_at: Date.now() }));

    const response = await join(joinToken, {}, { headers: { "cf-connecting-ip": freshIp() } });
    expect(response.status).toBe(403);
    expect(response.json.error.code).toBe("TOKEN_REVOKED");
  });

  it("answers from KV after refill", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    await updateTokenRow(token.id, { revoked_at: Date.now() - 5000 });
    const headers = { "cf-connecting-ip": freshIp() };
    await join(joinToken, {}, { headers });

    const wrapped = wrapEnv();
    const response = await join(joinToken, {}, { env: wrapped.env, headers, settle: false });
    expect(response.json.error.code).toBe("TOKEN_REVOKED");
    expect(wrapped.counts.kv.get).toBe(1);
    expect(wrapped.counts.d1.batch).toBe(0);
  });

  it("refills only revoked tokens", async () => {
    const { key } = await createAccount();
    const live = await createToken(key);
    const limited = await createToken(key, { use_limit: 1 });
    const expired = await createToken(key);
    await updateTokenRow(expired.token.id, { expires_at: Date.now() - 1000 });
    const headers = { "cf-connecting-ip": freshIp() };
    const wrapped = wrapEnv();

    expect((await join(live.joinToken, {}, { env: wrapped.env })).status).toBe(201);
    expect((await join(limited.joinToken, {}, { env: wrapped.env })).status).toBe(201);
    expect((await join(limited.joinToken, {}, { env: wrapped.env, headers })).status).toBe(403);
    expect((await join(expired.joinToken, {}, { env: wrapped.env, headers })).status).toBe(403);

    expect(kvWrites(wrapped.counts)).toBe(0);
    for (const { token } of [live, limited, expired]) {
      expect(await env.REVOCATIONS.get(revokedKey(token.token_id))).toBeNull();
    }
  });

  it("never removes a revocation key", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const wrapped = wrapEnv();
    const headers = { "cf-connecting-ip": freshIp() };

    expect((await call(`jointoken/${token.id}`, { key, method: "DELETE", env: wrapped.env })).status).toBe(204);
    const marked = await env.REVOCATIONS.get(revokedKey(token.token_id), "json");
    // Repeated revokes, stale-read refills and joins only ever write the same revoked marker.
    expect((await call(`jointoken/${token.id}`, { key, method: "DELETE", env: wrapped.env })).status).toBe(204);
    await env.REVOCATIONS.delete(revokedKey(token.token_id));
    for (let i = 0; i < 3; i++) await join(joinToken, {}, { env: wrapped.env, headers });

    expect(wrapped.counts.kv.delete).toBe(0);
    expect(await env.REVOCATIONS.get(revokedKey(token.token_id), "json")).toEqual(marked);
    expect((await readTokenState(token.id)).revoked_at).toBe((marked as { revoked_at: number }).revoked_at);
  });
});

describe("KV failures", () => {
  it("joins while KV reads fail", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const wrapped = wrapEnv({ kvRead: true, kvWrite: true });
    vi.spyOn(console, "warn").mockImplementation(() => {});

    const responses = await Promise.all([0, 1, 2].map((i) => join(joinToken, { ophid: `kv-down-${i}` }, { env: wrapped.env })));
    expect(responses.map((response) => response.status)).toEqual([201, 201, 201]);
    expect(wrapped.counts.kv.get).toBe(3);
    expect((await readTokenState(token.id)).use_counter).toBe(3);
    expect(await countHosts(token.id)).toBe(3);
  });

  it("replays while KV reads fail", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const wrapped = wrapEnv({ kvRead: true });
    vi.spyOn(console, "warn").mockImplementation(() => {});

    const first = await join(joinToken, { ophid: "kv-replay" }, { env: wrapped.env });
    const retry = await join(joinToken, { ophid: "kv-replay" }, { env: wrapped.env });
    expect([first.status, retry.status]).toEqual([201, 200]);
    expect((await readTokenState(token.id)).use_counter).toBe(1);
  });

  it("revokes via D1 while KV fails", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const wrapped = wrapEnv({ kvRead: true, kvWrite: true });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});

    expect((await call(`jointoken/${token.id}`, { key, method: "DELETE", env: wrapped.env })).status).toBe(204);
    expect(await env.REVOCATIONS.get(revokedKey(token.token_id))).toBeNull();

    const response = await join(joinToken, {}, { env: wrapped.env, headers: { "cf-connecting-ip": freshIp() } });
    expect(response.status).toBe(403);
    expect(response.json.error.code).toBe("TOKEN_REVOKED");
    expect((await readTokenState(token.id)).use_counter).toBe(0);
    // One write failed on revoke and one on refill, and the join logged its failed KV read.
    expect(wrapped.counts.kv.put).toBe(2);
    const events = warn.mock.calls.map(([line]) => JSON.parse(String(line)).event);
    expect(events).toEqual(["kv_write_failed", "kv_read_failed", "kv_write_failed"]);
  });

  it("refills after KV recovers", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const wrapped = wrapEnv({ kvWrite: true });
    vi.spyOn(console, "warn").mockImplementation(() => {});
    await call(`jointoken/${token.id}`, { key, method: "DELETE", env: wrapped.env });
    const headers = { "cf-connecting-ip": freshIp() };

    expect((await join(joinToken, {}, { env: wrapped.env, headers })).json.error.code).toBe("TOKEN_REVOKED");
    expect(await env.REVOCATIONS.get(revokedKey(token.token_id))).toBeNull();

    wrapped.faults.kvWrite = false;
    expect((await join(joinToken, {}, { env: wrapped.env, headers })).json.error.code).toBe("TOKEN_REVOKED");
    expect(await env.REVOCATIONS.get(revokedKey(token.token_id))).not.toBeNull();
  });
});

describe("D1 failures", () => {
  for (const fault of ["d1Query", "d1Prepare"] as const) {
    it(`answers 503 when ${fault} fails`, async () => {
      const { key } = await createAccount();
      const { token, joinToken } = await createToken(key);
      const wrapped = wrapEnv({ [fault]: true });
      vi.spyOn(console, "error").mockImplementation(() => {});

      const response = await join(joinToken, { ophid: "d1-down" }, { env: wrapped.env });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("2");
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(response.json.error.code).toBe("STORAGE_UNAVAILABLE");
      expect(typeof response.json.error.request_id).toBe("string");

      const state = await readTokenState(token.id);
      expect(state.use_counter).toBe(0);
      expect(state.last_used_at).toBeNull();
      expect(state.rejected_attempts).toBe(0);
      expect(await countHosts(token.id)).toBe(0);
    });
  }

  it("joins once D1 recovers", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key, { use_limit: 1 });
    const wrapped = wrapEnv({ d1Query: true });
    vi.spyOn(console, "error").mockImplementation(() => {});

    for (let i = 0; i < 3; i++) expect((await join(joinToken, { ophid: "patient" }, { env: wrapped.env })).status).toBe(503);
    wrapped.faults.d1Query = false;
    expect((await join(joinToken, { ophid: "patient" }, { env: wrapped.env })).status).toBe(201);
    expect((await readTokenState(token.id)).use_counter).toBe(1);
  });

  it("rejects KV-revoked with D1 down", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    await call(`jointoken/${token.id}`, { key, method: "DELETE" });
    const wrapped = wrapEnv({ d1Query: true });
    const error = vi.spyOn(console, "error").mockImplementation(() => {});

    const response = await join(joinToken, {}, { env: wrapped.env, headers: { "cf-connecting-ip": freshIp() } });
    expect(response.status).toBe(403);
    expect(response.json.error.code).toBe("TOKEN_REVOKED");
    // Only the tripwire flush after the response failed, so the attempt is lost, not retried.
    expect(error.mock.calls.map(([line]) => JSON.parse(String(line)).event)).toEqual(["tripwire_flush_failed"]);
    expect((await readTokenState(token.id)).rejected_attempts).toBe(0);
  });
});
