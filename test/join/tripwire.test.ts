import { afterEach, describe, expect, it, vi } from "vitest";
import { d1RoundTrips, freshIp, INJECTED_FAULT, kvReads, postInPhases, readTokenState, updateTokenRow, wrapEnv } from "../helpers/bindings";
import { call, createAccount, createToken, join } from "../helpers/client";
import { randomBase62 } from "../../src/lib/ids";

const T0 = Date.UTC(2031, 5, 1, 8, 0, 0, 0);

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

async function revokedToken(revokedIn: "api" | "d1-only" = "api") {
  const { key } = await createAccount();
  const created = await createToken(key);
  if (revokedIn === "api") await call(`jointoken/${created.token.id}`, { key, method: "DELETE" });
  else await updateTokenRow(created.token.id, { revoked_at: Date.now() - 1000 });
  return { key, ...created };
}

describe("tripwire counts", () => {
  it("counts revoked attempts exactly", async () => {
    const { key, token, joinToken } = await revokedToken();
    const ips = [freshIp(), freshIp(), freshIp()];
    vi.useFakeTimers({ toFake: ["Date"] });

    for (let i = 0; i < 7; i++) {
      vi.setSystemTime(T0 + i * 1000);
      const response = await join(joinToken, {}, { headers: { "cf-connecting-ip": ips[i % 3]! } });
      expect(response.json.error.code).toBe("TOKEN_REVOKED");
    }
    vi.useRealTimers();

    const read = await call(`jointoken/${token.id}`, { key });
    expect(read.json.result.rejected_attempts).toBe(7);
    expect(read.json.result.last_rejected_at).toBe(new Date(T0 + 6000).toISOString());
    expect(read.json.result.last_rejected_ip).toBe(ips[0]);
    expect(read.json.result.use_counter).toBe(0);
  });

  it("counts D1-only revoked attempts", async () => {
    const { token, joinToken } = await revokedToken("d1-only");
    const ip = freshIp();

    // D1 rejects the first attempt and it refills KV, so KV rejects the rest.
    for (let i = 0; i < 4; i++) expect((await join(joinToken, {}, { headers: { "cf-connecting-ip": ip } })).status).toBe(403);
    const state = await readTokenState(token.id);
    expect(state.rejected_attempts).toBe(4);
    expect(state.last_rejected_ip).toBe(ip);
  });

  it("counts expired attempts", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    await updateTokenRow(token.id, { expires_at: T0 });
    const ip = freshIp();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(T0 + 250);

    for (let i = 0; i < 3; i++) expect((await join(joinToken, {}, { headers: { "cf-connecting-ip": ip } })).json.error.code).toBe("TOKEN_EXPIRED");
    vi.useRealTimers();

    const state = await readTokenState(token.id);
    expect(state.rejected_attempts).toBe(3);
    expect(state.last_rejected_at).toBe(T0 + 250);
    expect(state.last_rejected_ip).toBe(ip);
  });

  it("counts use-limit refusals", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key, { use_limit: 1 });
    const ip = freshIp();
    expect((await join(joinToken)).status).toBe(201);
    expect((await join(joinToken, { ophid: "over" }, { headers: { "cf-connecting-ip": ip } })).status).toBe(403);

    const state = await readTokenState(token.id);
    expect(state.rejected_attempts).toBe(1);
    expect(state.last_rejected_ip).toBe(ip);
    expect(state.use_counter).toBe(1);
  });

  it("ignores wrong-secret rejections", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const headers = { "cf-connecting-ip": freshIp() };
    const wrongSecret = joinToken.slice(0, 20) + joinToken.slice(21, 22) + joinToken.slice(20, 21) + joinToken.slice(22);
    expect((await join(wrongSecret, {}, { headers })).status).toBe(401);

    const state = await readTokenState(token.id);
    expect(state.rejected_attempts).toBe(0);
    expect(state.last_rejected_at).toBeNull();
    expect(state.last_rejected_ip).toBeNull();
  });

  it("keeps newest attempt across flushes", async () => {
    const { token, joinToken } = await revokedToken();
    const [newer, older] = [freshIp(), freshIp()];
    vi.useFakeTimers({ toFake: ["Date"] });

    vi.setSystemTime(T0 + 5000);
    await join(joinToken, {}, { headers: { "cf-connecting-ip": newer } });
    vi.setSystemTime(T0);
    await join(joinToken, {}, { headers: { "cf-connecting-ip": older } });
    vi.useRealTimers();

    const state = await readTokenState(token.id);
    expect(state.rejected_attempts).toBe(2);
    expect(state.last_rejected_at).toBe(T0 + 5000);
    expect(state.last_rejected_ip).toBe(newer);
  });
});

describe("tripwire batching", () => {
  it("keeps D1 out of the request path", async () => {
    const { token, joinToken } = await revokedToken();
    const wrapped = wrapEnv();

    const response = await postInPhases(wrapped, "join", { join_token: joinToken, host_serial: "SN" }, { "cf-connecting-ip": freshIp() });
    expect(response.status).toBe(403);
    expect(kvReads(response.countsAtResponse)).toBe(1);
    expect(d1RoundTrips(response.countsAtResponse)).toBe(0);
    expect(response.countsAtResponse.d1.prepare).toBe(0);

    await response.settle();
    expect(wrapped.counts.d1.batch).toBe(1);
    expect(wrapped.counts.d1BatchedStatements).toBe(1);
    expect(d1RoundTrips(wrapped.counts)).toBe(1);
    expect((await readTokenState(token.id)).rejected_attempts).toBe(1);
  });

  it("flushes a flood in one batch", async () => {
    const first = await revokedToken();
    const second = await revokedToken();
    const wrapped = wrapEnv();
    const flood = 40;
    // Frozen timers hold every flush until all responses are in, so the test does not depend on scheduling.
    vi.useFakeTimers({ toFake: ["setTimeout"] });

    const responses = await Promise.all(
      Array.from({ length: flood }, (_, i) =>
        postInPhases(wrapped, "join", { join_token: (i % 4 === 0 ? second : first).joinToken, host_serial: "SN" }, { "cf-connecting-ip": freshIp() }),
      ),
    );
    expect(responses.filter((response) => response.status === 403)).toHaveLength(flood);
    expect(wrapped.counts.kv.get).toBe(flood);
    expect(d1RoundTrips(wrapped.counts)).toBe(0);
    expect(wrapped.counts.d1.prepare).toBe(0);

    await vi.runOnlyPendingTimersAsync();
    vi.useRealTimers();
    await Promise.all(responses.map((response) => response.settle()));
    expect(d1RoundTrips(wrapped.counts)).toBe(1);
    expect(wrapped.counts.d1.batch).toBe(1);
    expect(wrapped.counts.d1BatchedStatements).toBe(2);
    expect((await readTokenState(first.token.id)).rejected_attempts).toBe(30);
    expect((await readTokenState(second.token.id)).rejected_attempts).toBe(10);
  });

  it("bounds writes of a live flood", async () => {
    const { token, joinToken } = await revokedToken();
    const wrapped = wrapEnv();
    const ip = freshIp();
    const flood = 25;

    const responses = await Promise.all(
      Array.from({ length: flood }, () => postInPhases(wrapped, "join", { join_token: joinToken, host_serial: "SN" }, { "cf-connecting-ip": ip })),
    );
    await Promise.all(responses.map((response) => response.settle()));
    expect(responses.every((response) => response.status === 403)).toBe(true);
    expect(wrapped.counts.kv.get).toBe(flood);
    // NOTE: with real timers the number of windows depends on scheduling. Each write is one batch.
    expect(wrapped.counts.d1.batch).toBeGreaterThanOrEqual(1);
    expect(wrapped.counts.d1.batch).toBeLessThanOrEqual(5);
    expect(d1RoundTrips(wrapped.counts)).toBe(wrapped.counts.d1.batch);
    expect((await readTokenState(token.id)).rejected_attempts).toBe(flood);
  });

  it("flushes window of dropped context", async () => {
    const { token, joinToken } = await revokedToken();
    const slow = wrapEnv({}, { ...wrapEnv().env, TRIPWIRE_FLUSH_MS: "5000" });
    const ip = freshIp();

    // The first attempt opens a 5 s window whose timer is then dropped, as when the runtime ends the
    // request's context before its waitUntil work runs.
    vi.useFakeTimers({ toFake: ["Date", "setTimeout"] });
    vi.setSystemTime(Date.now() - 60_000);
    expect((await join(joinToken, {}, { env: slow.env, headers: { "cf-connecting-ip": ip }, settle: false })).status).toBe(403);
    vi.clearAllTimers();
    vi.useRealTimers();
    expect((await readTokenState(token.id)).rejected_attempts).toBe(0);

    // A later attempt finds the window overdue and flushes both.
    expect((await join(joinToken, {}, { headers: { "cf-connecting-ip": ip } })).status).toBe(403);
    expect((await readTokenState(token.id)).rejected_attempts).toBe(2);
  });

  it("logs a failed flush", async () => {
    const { token, joinToken } = await revokedToken();
    const wrapped = wrapEnv({ d1Query: true });
    const error = vi.spyOn(console, "error").mockImplementation(() => {});

    await join(joinToken, {}, { env: wrapped.env, headers: { "cf-connecting-ip": freshIp() } });
    expect(error).toHaveBeenCalledTimes(1);
    const line = JSON.parse(String(error.mock.calls[0]![0]));
    expect(line).toMatchObject({ level: "error", event: "tripwire_flush_failed", tokens: 1, attempts: 1 });
    expect(line.error).toBe(`Error: ${INJECTED_FAULT}: D1 batch`);
    expect((await readTokenState(token.id)).rejected_attempts).toBe(0);

    // The next flush starts from an empty buffer: the lost attempt is not written twice or later.
    await join(joinToken, {}, { headers: { "cf-connecting-ip": freshIp() } });
    expect((await readTokenState(token.id)).rejected_attempts).toBe(1);
  });

  it("ignores wrong-secret KV hits", async () => {
    const { token } = await revokedToken();
    const { crc32 } = await import("../../src/lib/crc32");
    const { encodeBase62 } = await import("../../src/lib/ids");
    const body = `${token.token_id}_${randomBase62(32)}`;
    const forged = body + encodeBase62(crc32(body), 6);
    const wrapped = wrapEnv();

    const response = await postInPhases(wrapped, "join", { join_token: forged, host_serial: "SN-GUESS" }, { "cf-connecting-ip": freshIp() });
    await response.settle();
    expect(response.status).toBe(401);
    expect(response.json.error.code).toBe("TOKEN_INVALID");
    expect(kvReads(response.countsAtResponse)).toBe(1);
    expect(d1RoundTrips(response.countsAtResponse)).toBe(0);
    expect((await readTokenState(token.id)).rejected_attempts).toBe(0);
  });
});
