import { randomBase62 } from "../../src/lib/ids";
import { afterEach, describe, expect, it, vi } from "vitest";
import { freshIp, readTokenState, wrapEnv } from "../helpers/bindings";
import { createAccount, createToken, join } from "../helpers/client";

// wrangler.toml: JOIN_FAILURE_LIMITER allows 30 failed joins per source IP per 60 s. Miniflare's
// binding enforces the count (checked: the 31st call in a period fails), and each test runs well inside one period.
const FAILURE_LIMIT = 30;

const badToken = () => `jt_${randomBase62(55)}`;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("failed join rate limit", () => {
  it("limits the 31st failure", async () => {
    const headers = { "cf-connecting-ip": freshIp() };

    for (let i = 0; i < FAILURE_LIMIT; i++) {
      const response = await join(badToken(), {}, { headers });
      expect(response.status).toBe(401);
    }
    const limited = await join(badToken(), {}, { headers });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
    expect(limited.json.error.code).toBe("RATE_LIMITED");
    expect(typeof limited.json.error.request_id).toBe("string");
  });

  it("limits per source IP", async () => {
    const busy = { "cf-connecting-ip": freshIp() };
    for (let i = 0; i <= FAILURE_LIMIT; i++) await join(badToken(), {}, { headers: busy });

    expect((await join(badToken(), {}, { headers: busy })).status).toBe(429);
    expect((await join(badToken(), {}, { headers: { "cf-connecting-ip": freshIp() } })).status).toBe(401);
  });

  it("counts every failure kind", async () => {
    const { key } = await createAccount();
    const { joinToken } = await createToken(key, { use_limit: 1 });
    expect((await join(joinToken)).status).toBe(201);
    const headers = { "cf-connecting-ip": freshIp() };

    for (let i = 0; i < FAILURE_LIMIT / 3; i++) {
      expect((await join(joinToken, { ophid: `over-${i}` }, { headers })).status).toBe(403);
      expect((await join(joinToken, { ophid: "" }, { headers })).status).toBe(400);
      expect((await join(badToken(), {}, { headers })).status).toBe(401);
    }
    expect((await join(joinToken, { ophid: "one-more" }, { headers })).status).toBe(429);
  });

  it("never limits successful joins", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const headers = { "cf-connecting-ip": freshIp() };
    const wrapped = wrapEnv();

    for (let round = 0; round < 4; round++) {
      const responses = await Promise.all(
        Array.from({ length: 25 }, (_, i) => join(joinToken, { ophid: `fleet-${round}-${i}` }, { headers, env: wrapped.env })),
      );
      expect(responses.map((response) => response.status)).toEqual(Array.from({ length: 25 }, () => 201));
    }
    expect(wrapped.counts.limiter).toBe(0);
    expect((await readTokenState(token.id)).use_counter).toBe(100);

    // The 100 successes left the whole failure allowance.
    for (let i = 0; i < FAILURE_LIMIT; i++) expect((await join(badToken(), {}, { headers })).status).toBe(401);
    expect((await join(badToken(), {}, { headers })).status).toBe(429);
  });

  it("admits successes from limited IP", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const headers = { "cf-connecting-ip": freshIp() };
    for (let i = 0; i <= FAILURE_LIMIT; i++) await join(badToken(), {}, { headers });
    expect((await join(badToken(), {}, { headers })).status).toBe(429);

    expect((await join(joinToken, { ophid: "behind-nat" }, { headers })).status).toBe(201);
    expect((await join(joinToken, { ophid: "behind-nat" }, { headers })).status).toBe(200);
    expect((await readTokenState(token.id)).use_counter).toBe(1);
  });

  it("does not count replays", async () => {
    const { key } = await createAccount();
    const { joinToken } = await createToken(key);
    const wrapped = wrapEnv();
    const headers = { "cf-connecting-ip": freshIp() };

    expect((await join(joinToken, { ophid: "replayer" }, { headers, env: wrapped.env })).status).toBe(201);
    for (let i = 0; i < 40; i++) expect((await join(joinToken, { ophid: "replayer" }, { headers, env: wrapped.env })).status).toBe(200);
    expect(wrapped.counts.limiter).toBe(0);
  });

  it("does not count 503s", async () => {
    const { key } = await createAccount();
    const { joinToken } = await createToken(key);
    const wrapped = wrapEnv({ d1Query: true });
    const headers = { "cf-connecting-ip": freshIp() };
    vi.spyOn(console, "error").mockImplementation(() => {});

    for (let i = 0; i <= FAILURE_LIMIT + 5; i++) expect((await join(joinToken, {}, { headers, env: wrapped.env })).status).toBe(503);
    expect(wrapped.counts.limiter).toBe(0);
  });

  it("lets failures through on limiter fault", async () => {
    const wrapped = wrapEnv({ limiter: true });
    const headers = { "cf-connecting-ip": freshIp() };
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});

    for (let i = 0; i <= FAILURE_LIMIT + 5; i++) expect((await join(badToken(), {}, { headers, env: wrapped.env })).status).toBe(401);
    expect(wrapped.counts.limiter).toBe(FAILURE_LIMIT + 6);
    expect(JSON.parse(String(warn.mock.calls[0]![0])).event).toBe("rate_limiter_failed");
  });
});
