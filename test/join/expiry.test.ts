import { afterEach, describe, expect, it, vi } from "vitest";
import { countHosts, freshIp, readTokenState, updateTokenRow } from "../helpers/bindings";
import { createAccount, createToken, join } from "../helpers/client";

// workerd advances Date.now() only across I/O, so the handler's `now` is not the test's. Faking only
// Date (timers stay real, so waitUntil work still runs) pins `now` to an exact instant.
const JOIN_AT = Date.UTC(2030, 0, 15, 12, 0, 0, 500);

afterEach(() => {
  vi.useRealTimers();
});

async function tokenExpiringAt(expiresAt: number, useLimit: number | null = null) {
  const { key } = await createAccount();
  const created = await createToken(key, { use_limit: useLimit });
  await updateTokenRow(created.token.id, { expires_at: expiresAt });
  return created;
}

function freezeNow(at: number): void {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(at);
}

describe("join expiry", () => {
  it("rejects expiry at join instant", async () => {
    const { token, joinToken } = await tokenExpiringAt(JOIN_AT);
    freezeNow(JOIN_AT);

    const response = await join(joinToken, { ophid: "on-the-dot" }, { headers: { "cf-connecting-ip": freshIp() } });
    expect(response.status).toBe(403);
    expect(response.json.error.code).toBe("TOKEN_EXPIRED");
    expect((await readTokenState(token.id)).use_counter).toBe(0);
    expect(await countHosts(token.id)).toBe(0);
  });

  it("rejects expiry before join instant", async () => {
    const { token, joinToken } = await tokenExpiringAt(JOIN_AT - 1);
    freezeNow(JOIN_AT);

    const response = await join(joinToken, {}, { headers: { "cf-connecting-ip": freshIp() } });
    expect(response.status).toBe(403);
    expect(response.json.error.code).toBe("TOKEN_EXPIRED");
    expect((await readTokenState(token.id)).use_counter).toBe(0);
  });

  it("accepts expiry 1 ms after join", async () => {
    const { token, joinToken } = await tokenExpiringAt(JOIN_AT + 1);
    freezeNow(JOIN_AT);

    const response = await join(joinToken, { ophid: "just-in-time" });
    expect(response.status).toBe(201);
    expect(response.json.result.created_at).toBe(new Date(JOIN_AT).toISOString());

    const state = await readTokenState(token.id);
    expect(state.use_counter).toBe(1);
    expect(state.last_used_at).toBe(JOIN_AT);
    expect(await countHosts(token.id)).toBe(1);
  });

  it("rejects replay once expired", async () => {
    const { token, joinToken } = await tokenExpiringAt(JOIN_AT + 1);
    freezeNow(JOIN_AT);
    expect((await join(joinToken, { ophid: "early-host" })).status).toBe(201);

    vi.setSystemTime(JOIN_AT + 1);
    const replay = await join(joinToken, { ophid: "early-host" }, { headers: { "cf-connecting-ip": freshIp() } });
    expect(replay.status).toBe(403);
    expect(replay.json.error.code).toBe("TOKEN_EXPIRED");
    expect((await readTokenState(token.id)).use_counter).toBe(1);
  });

  it("ignores use limit when expired", async () => {
    const { token, joinToken } = await tokenExpiringAt(JOIN_AT, 1);
    freezeNow(JOIN_AT - 1);
    expect((await join(joinToken)).status).toBe(201);

    vi.setSystemTime(JOIN_AT);
    const response = await join(joinToken, {}, { headers: { "cf-connecting-ip": freshIp() } });
    expect(response.json.error.code).toBe("TOKEN_EXPIRED");
    expect((await readTokenState(token.id)).use_counter).toBe(1);
  });
});
