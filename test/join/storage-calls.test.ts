import { afterEach, describe, expect, it, vi } from "vitest";
import { crc32 } from "../../src/lib/crc32";
import { encodeBase62, randomBase62 } from "../../src/lib/ids";
import { d1RoundTrips, freshIp, kvReads, kvWrites, postInPhases, type StorageCounts, updateTokenRow, waitForFreshLimiterWindow, wrapEnv } from "../helpers/bindings";
import { call, type CallResult, createAccount, createToken, join } from "../helpers/client";

function forgeToken(tokenId: string, secret: string): string {
  const body = `${tokenId}_${secret}`;
  return body + encodeBase62(crc32(body), 6);
}

function expectCounts(counts: StorageCounts, expected: { kvReads: number; kvWrites: number; d1RoundTrips: number }): void {
  expect(kvReads(counts)).toBe(expected.kvReads);
  expect(kvWrites(counts)).toBe(expected.kvWrites);
  expect(d1RoundTrips(counts)).toBe(expected.d1RoundTrips);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("join storage calls", () => {
  it("success: 1 KV read, 1 batch", async () => {
    const { key } = await createAccount();
    const { joinToken } = await createToken(key);
    const wrapped = wrapEnv();

    const response = await postInPhases(wrapped, "join", { join_token: joinToken, host_serial: "SN", ophid: "counted" });
    expect(response.status).toBe(201);
    expectCounts(response.countsAtResponse, { kvReads: 1, kvWrites: 0, d1RoundTrips: 1 });
    expect(response.countsAtResponse.kv.get).toBe(1);
    expect(response.countsAtResponse.d1).toEqual({ prepare: 3, bind: 3, batch: 1, first: 0, all: 0, run: 0, raw: 0, exec: 0 });
    expect(response.countsAtResponse.d1BatchedStatements).toBe(3);
    expect(response.countsAtResponse.limiter).toBe(0);

    await response.settle();
    expectCounts(wrapped.counts, { kvReads: 1, kvWrites: 0, d1RoundTrips: 1 });
  });

  it("replay: 1 KV read, 1 batch", async () => {
    const { key } = await createAccount();
    const { joinToken } = await createToken(key);
    await join(joinToken, { ophid: "again" });
    const wrapped = wrapEnv();

    const response = await postInPhases(wrapped, "join", { join_token: joinToken, host_serial: "SN", ophid: "again" });
    expect(response.status).toBe(200);
    await response.settle();
    expectCounts(wrapped.counts, { kvReads: 1, kvWrites: 0, d1RoundTrips: 1 });
    expect(wrapped.counts.limiter).toBe(0);
  });

  it("KV-revoked: 1 KV read, no D1", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    await call(`jointoken/${token.id}`, { key, method: "DELETE" });
    const wrapped = wrapEnv();

    const response = await postInPhases(wrapped, "join", { join_token: joinToken, host_serial: "SN" }, { "cf-connecting-ip": freshIp() });
    expect(response.status).toBe(403);
    expectCounts(response.countsAtResponse, { kvReads: 1, kvWrites: 0, d1RoundTrips: 0 });
    expect(response.countsAtResponse.d1.prepare).toBe(0);
    // A holder of the revoked token is recorded by the tripwire, not rate-limited.
    expect(response.countsAtResponse.limiter).toBe(0);

    // After the response: only the tripwire flush, one batch.
    await response.settle();
    expectCounts(wrapped.counts, { kvReads: 1, kvWrites: 0, d1RoundTrips: 1 });
  });

  it("D1-revoked: 1 batch, then refill", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    await updateTokenRow(token.id, { revoked_at: Date.now() - 1000 });
    const wrapped = wrapEnv();

    const response = await postInPhases(wrapped, "join", { join_token: joinToken, host_serial: "SN" }, { "cf-connecting-ip": freshIp() });
    expect(response.status).toBe(403);
    expect(kvReads(response.countsAtResponse)).toBe(1);
    expect(d1RoundTrips(response.countsAtResponse)).toBe(1);

    await response.settle();
    // The refill put and the tripwire flush run after the response.
    expectCounts(wrapped.counts, { kvReads: 1, kvWrites: 1, d1RoundTrips: 2 });
    expect(wrapped.counts.kv.put).toBe(1);
  });

  it("bad checksum: no storage", async () => {
    const { key } = await createAccount();
    const { joinToken } = await createToken(key);
    const wrapped = wrapEnv();
    const corrupt = joinToken.slice(0, -1) + (joinToken.endsWith("0") ? "1" : "0");

    const response = await postInPhases(wrapped, "join", { join_token: corrupt, host_serial: "SN" }, { "cf-connecting-ip": freshIp() });
    expect(response.status).toBe(401);
    await response.settle();
    expectCounts(wrapped.counts, { kvReads: 0, kvWrites: 0, d1RoundTrips: 0 });
    expect(wrapped.counts.d1.prepare).toBe(0);
  });

  it("invalid body: no storage", async () => {
    const wrapped = wrapEnv();

    const response = await postInPhases(wrapped, "join", { join_token: forgeToken(`jt_${randomBase62(16)}`, randomBase62(32)) }, { "cf-connecting-ip": freshIp() });
    expect(response.status).toBe(400);
    await response.settle();
    expectCounts(wrapped.counts, { kvReads: 0, kvWrites: 0, d1RoundTrips: 0 });
  });

  it("unknown token: 1 KV read, 1 batch", async () => {
    const wrapped = wrapEnv();
    const unknown = forgeToken(`jt_${randomBase62(16)}`, randomBase62(32));

    const response = await postInPhases(wrapped, "join", { join_token: unknown, host_serial: "SN" }, { "cf-connecting-ip": freshIp() });
    expect(response.status).toBe(401);
    await response.settle();
    expectCounts(wrapped.counts, { kvReads: 1, kvWrites: 0, d1RoundTrips: 1 });
  });

  it("use limit: 1 KV read, 1 batch", async () => {
    const { key } = await createAccount();
    const { joinToken } = await createToken(key, { use_limit: 1 });
    await join(joinToken);
    const wrapped = wrapEnv();

    const response = await postInPhases(wrapped, "join", { join_token: joinToken, host_serial: "SN" }, { "cf-connecting-ip": freshIp() });
    expect(response.status).toBe(403);
    expectCounts(response.countsAtResponse, { kvReads: 1, kvWrites: 0, d1RoundTrips: 1 });

    // After the response: the tripwire's one batched write.
    await response.settle();
    expectCounts(wrapped.counts, { kvReads: 1, kvWrites: 0, d1RoundTrips: 2 });
  });
});

describe("join secrets", () => {
  function spyLogs() {
    return (["log", "info", "warn", "error", "debug"] as const).map((level) => vi.spyOn(console, level).mockImplementation(() => {}));
  }

  function expectAbsent(text: string, joinToken: string): void {
    // toBe(false), so that a failure never prints the secret.
    expect(text.includes(joinToken)).toBe(false);
    expect(text.includes(joinToken.slice("jt_".length + 17, -6))).toBe(false);
  }

  it("keeps token out of logs and bodies", async () => {
    // The 31 wrong-secret joins below must reach the failure limit inside one limiter window.
    await waitForFreshLimiterWindow();
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key, { use_limit: 2 });
    const spies = spyLogs();
    const ip = freshIp();
    const headers = { "cf-connecting-ip": ip };
    const wrongSecret = forgeToken(token.token_id, randomBase62(32));
    const corrupt = joinToken.slice(0, -1) + (joinToken.endsWith("0") ? "1" : "0");
    const responses: CallResult[] = [];

    responses.push(await join(joinToken, { ophid: "a" }));
    responses.push(await join(joinToken, { ophid: "a" }));
    responses.push(await join(joinToken, { ophid: "b" }));
    responses.push(await join(joinToken, { ophid: "c" }, { headers }));
    responses.push(await join(wrongSecret, {}, { headers }));
    responses.push(await join(corrupt, {}, { headers }));
    responses.push(await join(joinToken, { extra: joinToken }, { headers }));
    responses.push(await call("join", { body: `{"join_token":"${joinToken}",`, headers: { ...headers, "content-type": "application/json" } }));
    responses.push(await call("join", { body: `{"join_token":"${joinToken}"}`, headers: { ...headers, "content-type": "text/plain" } }));
    responses.push(await join(joinToken, { ophid: "d" }, { env: wrapEnv({ d1Query: true }).env }));
    responses.push(await join(joinToken, { ophid: "a" }, { env: wrapEnv({ kvRead: true, kvWrite: true }).env }));
    await updateTokenRow(token.id, { expires_at: Date.now() - 1 });
    responses.push(await join(joinToken, {}, { headers }));
    await call(`jointoken/${token.id}`, { key, method: "DELETE", env: wrapEnv({ kvWrite: true }).env });
    responses.push(await join(joinToken, {}, { headers, env: wrapEnv({ kvWrite: true }).env }));
    responses.push(await join(joinToken, {}, { headers }));
    responses.push(await join(joinToken, {}, { headers, env: wrapEnv({ d1Query: true }).env }));
    for (let i = 0; i < 31; i++) responses.push(await join(wrongSecret, {}, { headers }));

    const statuses = new Set(responses.map((response) => response.status));
    expect([...statuses].sort()).toEqual([200, 201, 400, 401, 403, 415, 429, 503]);
    for (const response of responses) expectAbsent(JSON.stringify(response.json), joinToken);

    const lines = spies.flatMap((spy) => spy.mock.calls.map((args) => args.map(String).join(" ")));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expectAbsent(line, joinToken);
  }, 30_000);
});
