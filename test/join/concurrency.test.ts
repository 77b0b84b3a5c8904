import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { countHosts, freshIp, readTokenState } from "../helpers/bindings";
import { call, createAccount, createToken, join } from "../helpers/client";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function hostIds(id: string): Promise<string[]> {
  const { results } = await env.DB.prepare("SELECT id FROM hosts WHERE join_token_id = ? ORDER BY id").bind(id).all<{ id: string }>();
  return results.map((row) => row.id);
}

describe("concurrent joins", () => {
  it("counts 50 concurrent joins exactly", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);

    const responses = await Promise.all(range(50).map((i) => join(joinToken, { host_serial: `SN-${i}`, ophid: `host-${i}` })));
    expect(responses.map((response) => response.status)).toEqual(range(50).map(() => 201));
    expect(new Set(responses.map((response) => response.json.result.id)).size).toBe(50);

    const state = await readTokenState(token.id);
    expect(state.use_counter).toBe(50);
    expect(await countHosts(token.id)).toBe(50);
    expect((await hostIds(token.id)).sort()).toEqual(responses.map((response) => response.json.result.id).sort());
  });

  it("counts 50 concurrent anonymous joins", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);

    const responses = await Promise.all(range(50).map(() => join(joinToken)));
    expect(responses.filter((response) => response.status === 201)).toHaveLength(50);
    expect((await readTokenState(token.id)).use_counter).toBe(50);
    expect(await countHosts(token.id)).toBe(50);
  });

  for (const limit of [1, 5]) {
    it(`admits exactly ${limit} of 20 at limit ${limit}`, async () => {
      const { key } = await createAccount();
      const { token, joinToken } = await createToken(key, { use_limit: limit });
      const headers = { "cf-connecting-ip": freshIp() };

      const responses = await Promise.all(range(20).map((i) => join(joinToken, { ophid: `host-${i}` }, { headers })));
      const admitted = responses.filter((response) => response.status === 201);
      const rejected = responses.filter((response) => response.status === 403);
      expect(admitted).toHaveLength(limit);
      expect(rejected).toHaveLength(20 - limit);
      expect(rejected.every((response) => response.json.error.code === "TOKEN_USE_LIMIT_REACHED")).toBe(true);

      const state = await readTokenState(token.id);
      expect(state.use_counter).toBe(limit);
      expect(await countHosts(token.id)).toBe(limit);
      expect((await hostIds(token.id)).sort()).toEqual(admitted.map((response) => response.json.result.id).sort());
    });
  }

  it("stops joins when use_limit is lowered", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key, { use_limit: 5 });
    for (const i of range(3)) expect((await join(joinToken, { ophid: `host-${i}` })).status).toBe(201);

    const lowered = await call(`jointoken/${token.id}`, { key, method: "PATCH", body: { use_limit: 2 } });
    expect(lowered.status).toBe(201);
    expect(lowered.json.result.use_counter).toBe(3);
    expect(lowered.json.result.use_limit).toBe(2);

    const headers = { "cf-connecting-ip": freshIp() };
    const rejected = await Promise.all(range(5).map((i) => join(joinToken, { ophid: `late-${i}` }, { headers })));
    expect(rejected.map((response) => response.json.error.code)).toEqual(range(5).map(() => "TOKEN_USE_LIMIT_REACHED"));
    expect((await readTokenState(token.id)).use_counter).toBe(3);
    expect(await countHosts(token.id)).toBe(3);

    // A limit equal to the counter also stops joins, and removing the limit lets them through again.
    await call(`jointoken/${token.id}`, { key, method: "PATCH", body: { use_limit: 3 } });
    expect((await join(joinToken, { ophid: "at-limit" }, { headers })).status).toBe(403);
    await call(`jointoken/${token.id}`, { key, method: "PATCH", body: { use_limit: null } });
    expect((await join(joinToken, { ophid: "unlimited" })).status).toBe(201);
    expect((await readTokenState(token.id)).use_counter).toBe(4);
  });
});

describe("join retries", () => {
  it("replays same ophid once counted", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);

    const first = await join(joinToken, { host_serial: "SN-1", ophid: "retry-host" });
    const retry = await join(joinToken, { host_serial: "SN-CHANGED", ophid: "retry-host" });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(200);
    expect(retry.json.result).toEqual(first.json.result);
    expect(retry.json.result.host_serial).toBe("SN-1");

    const state = await readTokenState(token.id);
    expect(state.use_counter).toBe(1);
    expect(state.last_used_at).toBe(Date.parse(first.json.result.created_at));
    expect(await countHosts(token.id)).toBe(1);
  });

  it("replays same Idempotency-Key", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const headers = { "idempotency-key": "attempt-7f3a" };

    const first = await join(joinToken, { host_serial: "SN-K" }, { headers });
    const retry = await join(joinToken, { host_serial: "SN-K" }, { headers });
    const other = await join(joinToken, { host_serial: "SN-K" }, { headers: { "idempotency-key": "attempt-other" } });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(200);
    expect(retry.json.result).toEqual(first.json.result);
    expect(other.status).toBe(201);
    expect((await readTokenState(token.id)).use_counter).toBe(2);
    expect(await countHosts(token.id)).toBe(2);
  });

  it("prefers ophid over Idempotency-Key", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const headers = { "idempotency-key": "shared-key" };

    const first = await join(joinToken, { ophid: "host-a" }, { headers });
    const second = await join(joinToken, { ophid: "host-b" }, { headers });
    const keyOnly = await join(joinToken, {}, { headers });
    expect([first.status, second.status, keyOnly.status]).toEqual([201, 201, 201]);
    expect((await readTokenState(token.id)).use_counter).toBe(3);
  });

  it("counts different ophid as new use", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);

    expect((await join(joinToken, { ophid: "host-a" })).status).toBe(201);
    expect((await join(joinToken, { ophid: "host-b" })).status).toBe(201);
    expect((await join(joinToken, { ophid: "host-a" })).status).toBe(200);
    expect((await readTokenState(token.id)).use_counter).toBe(2);
    expect(await countHosts(token.id)).toBe(2);
  });

  it("replays concurrent ophid retries once", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key, { use_limit: 3 });

    const responses = await Promise.all(range(20).map(() => join(joinToken, { ophid: "storm-host" })));
    const statuses = responses.map((response) => response.status).sort((a, b) => b - a);
    expect(statuses).toEqual([201, ...range(19).map(() => 200)]);
    expect(new Set(responses.map((response) => response.json.result.id)).size).toBe(1);
    expect((await readTokenState(token.id)).use_counter).toBe(1);
    expect(await countHosts(token.id)).toBe(1);
  });

  it("replays concurrent Idempotency-Key retries once", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const headers = { "idempotency-key": "storm-key" };

    const responses = await Promise.all(range(20).map(() => join(joinToken, {}, { headers })));
    expect(responses.filter((response) => response.status === 201)).toHaveLength(1);
    expect(responses.filter((response) => response.status === 200)).toHaveLength(19);
    expect(new Set(responses.map((response) => response.json.result.id)).size).toBe(1);
    expect((await readTokenState(token.id)).use_counter).toBe(1);
    expect(await countHosts(token.id)).toBe(1);
  });

  it("replays after use limit reached", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key, { use_limit: 1 });

    const first = await join(joinToken, { ophid: "only-host" });
    const replay = await join(joinToken, { ophid: "only-host" });
    const other = await join(joinToken, { ophid: "second-host" }, { headers: { "cf-connecting-ip": freshIp() } });
    expect(first.status).toBe(201);
    expect(replay.status).toBe(200);
    expect(replay.json.result).toEqual(first.json.result);
    expect(other.status).toBe(403);
    expect(other.json.error.code).toBe("TOKEN_USE_LIMIT_REACHED");
    expect((await readTokenState(token.id)).use_counter).toBe(1);
  });

  it("replays after limit lowered", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key, { use_limit: 4 });
    const first = await join(joinToken, { ophid: "kept-host" });
    await join(joinToken, { ophid: "other-host" });
    await call(`jointoken/${token.id}`, { key, method: "PATCH", body: { use_limit: 1 } });

    const replay = await join(joinToken, { ophid: "kept-host" });
    expect(replay.status).toBe(200);
    expect(replay.json.result).toEqual(first.json.result);
    expect((await readTokenState(token.id)).use_counter).toBe(2);
  });

  it("keeps ophid replays per token", async () => {
    const { key } = await createAccount();
    const a = await createToken(key);
    const b = await createToken(key);

    expect((await join(a.joinToken, { ophid: "roaming-host" })).status).toBe(201);
    expect((await join(b.joinToken, { ophid: "roaming-host" })).status).toBe(201);
    expect((await readTokenState(a.token.id)).use_counter).toBe(1);
    expect((await readTokenState(b.token.id)).use_counter).toBe(1);
  });

  it("rejects replay of revoked token", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    expect((await join(joinToken, { ophid: "host-r" })).status).toBe(201);
    await call(`jointoken/${token.id}`, { key, method: "DELETE" });

    const replay = await join(joinToken, { ophid: "host-r" }, { headers: { "cf-connecting-ip": freshIp() } });
    expect(replay.status).toBe(403);
    expect(replay.json.error.code).toBe("TOKEN_REVOKED");
  });
});
