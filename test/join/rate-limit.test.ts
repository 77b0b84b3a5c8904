import { randomBase62 } from "../../src/lib/ids";
import { generateTokenString } from "../../src/lib/token-string";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { freshIp, readTokenState, waitForFreshLimiterWindow, wrapEnv } from "../helpers/bindings";
import { call, createAccount, createToken, join } from "../helpers/client";

// wrangler.toml: JOIN_FAILURE_LIMITER allows 30 failed joins per source IP per 60 s. Miniflare's
// binding enforces the count (checked: the 31st call in a period fails), and each test runs well inside one period.
const FAILURE_LIMIT = 30;

// A well-formed token (valid checksum) that is in no database: what a guesser sends.
const badToken = () => generateTokenString().token;
const malformedToken = () => `jt_${randomBase62(55)}`;

// Up to 15 s of waiting for a fresh limiter window, then the test's own few seconds.
beforeEach(waitForFreshLimiterWindow, 20_000);

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

  it("counts wrong secrets as guesses", async () => {
    const { key } = await createAccount();
    const { joinToken } = await createToken(key);
    const wrongSecret = generateTokenString().token.replace(/^jt_[0-9A-Za-z]{16}/, joinToken.slice(0, 19));
    const headers = { "cf-connecting-ip": freshIp() };
    const wrapped = wrapEnv();

    // The checksum no longer matches after the id swap, so rebuild a well-formed string with the real id.
    const { crc32 } = await import("../../src/lib/crc32");
    const { encodeBase62 } = await import("../../src/lib/ids");
    const body = wrongSecret.slice(0, -6);
    const guess = body + encodeBase62(crc32(body), 6);

    for (let i = 0; i < FAILURE_LIMIT; i++) expect((await join(guess, {}, { headers, env: wrapped.env })).status).toBe(401);
    expect((await join(guess, {}, { headers, env: wrapped.env })).status).toBe(429);
    expect(wrapped.counts.limiter).toBe(FAILURE_LIMIT + 1);
  });

  it("does not count refusals of holders", async () => {
    const { key } = await createAccount();
    const { joinToken } = await createToken(key, { use_limit: 1 });
    const { token: revoked, joinToken: revokedToken } = await createToken(key);
    expect((await call(`jointoken/${revoked.id}`, { method: "DELETE", key })).status).toBe(204);
    expect((await join(joinToken)).status).toBe(201);
    const headers = { "cf-connecting-ip": freshIp() };
    const wrapped = wrapEnv();

    for (let i = 0; i < FAILURE_LIMIT; i++) {
      expect((await join(joinToken, { ophid: `over-${i}` }, { headers, env: wrapped.env })).status).toBe(403);
      expect((await join(revokedToken, {}, { headers, env: wrapped.env })).status).toBe(403);
      expect((await join(malformedToken(), {}, { headers, env: wrapped.env })).status).toBe(401);
      expect((await join(joinToken, { ophid: "" }, { headers, env: wrapped.env })).status).toBe(400);
    }
    expect(wrapped.counts.limiter).toBe(0);
    expect((await join(badToken(), {}, { headers })).status).toBe(401);
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
