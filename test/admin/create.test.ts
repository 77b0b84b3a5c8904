import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, createAccount, createToken, join } from "../helpers/client";
import { sha256Hex } from "../../src/lib/ids";
import { BASES, d1FailingAfterAuth, expectError, expectStorageUnavailable, isoIn, readTokenRow, RFC3339_MS, uniqueName, UUID } from "./support";

const TOKEN_STRING = /^jt_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}$/;

const create = (key: string, body: unknown, base: string = BASES[0]) => call(`${base}/jointoken`, { key, body });

afterEach(() => {
  vi.useRealTimers();
});

describe("create success", () => {
  it("returns every field", async () => {
    const { key } = await createAccount();
    const name = uniqueName();

    const response = await create(key, {
      name,
      description: "rack 4\nsecond line",
      expires_at: "2099-01-01T00:00:00Z",
      tags: { env: "prod", rack: 4, managed: true },
      use_limit: 5,
    });

    expect(response.status).toBe(201);
    expect(Object.keys(response.json).sort()).toEqual(["join_token", "result"]);
    const result = response.json.result;
    expect(result).toEqual({
      id: expect.stringMatching(UUID),
      name,
      description: "rack 4\nsecond line",
      status: "ACTIVE",
      token_id: expect.stringMatching(/^jt_[0-9A-Za-z]{16}$/),
      use_counter: 0,
      use_limit: 5,
      last_used_at: null,
      expires_at: "2099-01-01T00:00:00.000Z",
      deleted_at: null,
      tags: { env: "prod", rack: 4, managed: true },
      created_at: expect.stringMatching(RFC3339_MS),
      updated_at: result.created_at,
      rejected_attempts: 0,
      last_rejected_at: null,
      last_rejected_ip: null,
    });
  });

  it("defaults optional fields", async () => {
    const { key } = await createAccount();

    const response = await create(key, { name: uniqueName() });

    expect(response.status).toBe(201);
    expect(response.json.result.description).toBe("");
    expect(response.json.result.tags).toEqual({});
    expect(response.json.result.expires_at).toBe(null);
    expect(response.json.result.use_limit).toBe(null);
    expect(response.json.result.status).toBe("ACTIVE");
  });

  it("accepts nulls for optional fields", async () => {
    const { key } = await createAccount();

    const response = await create(key, { name: uniqueName(), description: null, expires_at: null, tags: null, use_limit: null });

    expect(response.status).toBe(201);
    expect(response.json.result.description).toBe("");
    expect(response.json.result.tags).toEqual({});
    expect(response.json.result.expires_at).toBe(null);
    expect(response.json.result.use_limit).toBe(null);
  });

  it("stores no expiry placeholder", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    const row = await readTokenRow(token.id);

    expect(row?.expires_at).toBe(null);
    expect(row?.use_limit).toBe(null);
  });

  it("returns a working token string", async () => {
    const { key } = await createAccount();

    const response = await create(key, { name: uniqueName() });
    const joinToken: string = response.json.join_token;

    expect(TOKEN_STRING.test(joinToken)).toBe(true);
    expect(joinToken.startsWith(`${response.json.result.token_id}_`)).toBe(true);
    expect((await join(joinToken)).status).toBe(201);
  });

  it("stores only the secret hash", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const secret = joinToken.slice(token.token_id.length + 1, -6);

    const row = await readTokenRow(token.id);

    expect(row?.secret_hash).toBe(await sha256Hex(secret));
    const values = Object.values(row ?? {}).map(String);
    expect(values.some((value) => value.includes(secret))).toBe(false);
  });

  it("issues distinct tokens", async () => {
    const { key } = await createAccount();

    const first = await create(key, { name: uniqueName() });
    const second = await create(key, { name: uniqueName() });

    expect(first.json.result.id === second.json.result.id).toBe(false);
    expect(first.json.result.token_id === second.json.result.token_id).toBe(false);
    expect(first.json.join_token === second.json.join_token).toBe(false);
  });

  it.each(BASES)("creates under %s", async (base) => {
    const { key } = await createAccount();
    const name = uniqueName();

    const response = await create(key, { name }, base);

    expect(response.status).toBe(201);
    expect(response.json.result.name).toBe(name);
    const read = await call(`${BASES[0]}/jointoken/${response.json.result.id}`, { key });
    expect(read.json.result).toEqual(response.json.result);
  });
});

describe("create read-only fields", () => {
  it("ignores read-only fields", async () => {
    const { key } = await createAccount();
    const name = uniqueName();

    const response = await create(key, {
      name,
      id: "01900000-0000-7000-8000-000000000000",
      token_id: "jt_AAAAAAAAAAAAAAAA",
      status: "REVOKED",
      use_counter: 42,
      last_used_at: "2026-01-01T00:00:00.000Z",
      deleted_at: "2026-01-01T00:00:00.000Z",
      created_at: "2020-01-01T00:00:00.000Z",
      updated_at: "2020-01-01T00:00:00.000Z",
      rejected_attempts: 7,
      last_rejected_at: "2026-01-01T00:00:00.000Z",
      last_rejected_ip: "203.0.113.9",
    });

    expect(response.status).toBe(201);
    const result = response.json.result;
    expect(result.id === "01900000-0000-7000-8000-000000000000").toBe(false);
    expect(result.token_id === "jt_AAAAAAAAAAAAAAAA").toBe(false);
    expect(result.status).toBe("ACTIVE");
    expect(result.use_counter).toBe(0);
    expect(result.last_used_at).toBe(null);
    expect(result.deleted_at).toBe(null);
    expect(result.created_at === "2020-01-01T00:00:00.000Z").toBe(false);
    expect(result.rejected_attempts).toBe(0);
    expect(result.last_rejected_ip).toBe(null);

    const row = await readTokenRow(result.id);
    expect(row?.revoked_at).toBe(null);
    expect(row?.use_counter).toBe(0);
  });

  it("accepts use_counter as string", async () => {
    const { key } = await createAccount();

    // Protobuf JSON renders int64 as a string, so clients that echo the object send it that way.
    const response = await create(key, { name: uniqueName(), use_counter: "3" });

    expect(response.status).toBe(201);
    expect(response.json.result.use_counter).toBe(0);
  });
});

describe("create name", () => {
  it.each([
    ["missing", {}, "name"],
    ["empty", { name: "" }, "name"],
    ["null", { name: null }, "name"],
    ["a number", { name: 7 }, "name"],
    ["too long", { name: "n".repeat(257) }, "name"],
    ["with a newline", { name: "a\nb" }, "name"],
    ["with a NUL", { name: "a\u0000b" }, "name"],
  ])("rejects name %s", async (_label, body, field) => {
    const { key } = await createAccount();

    expectError(await create(key, body), 400, "INVALID_ARGUMENT", field);
  });

  it("accepts 256-character name", async () => {
    const { key } = await createAccount();
    const name = "n".repeat(256);

    const response = await create(key, { name });

    expect(response.status).toBe(201);
    expect(response.json.result.name).toBe(name);
  });

  it("rejects duplicate live name", async () => {
    const { key } = await createAccount();
    const name = uniqueName();
    await createToken(key, { name });

    const response = await create(key, { name });

    expectError(response, 409, "ALREADY_EXISTS", "name");
    expect(response.json.error.message).toContain(JSON.stringify(name));
  });

  it("rejects name of expired token", async () => {
    const { key } = await createAccount();
    const name = uniqueName();
    const { token } = await createToken(key, { name, expires_at: isoIn(60_000) });
    await call(`jointoken/${token.id}`, { method: "PATCH", key, body: { expires_at: "2020-01-01T00:00:00Z" } });

    expectError(await create(key, { name }), 409, "ALREADY_EXISTS", "name");
  });

  it("reuses name of revoked token", async () => {
    const { key } = await createAccount();
    const name = uniqueName();
    const { token } = await createToken(key, { name });
    expect((await call(`jointoken/${token.id}`, { method: "DELETE", key })).status).toBe(204);

    const response = await create(key, { name });

    expect(response.status).toBe(201);
    expect(response.json.result.id === token.id).toBe(false);
    const list = await call("jointoken", { key });
    expect(list.json.results.map((row: { name: string; status: string }) => [row.name, row.status])).toEqual([
      [name, "REVOKED"],
      [name, "ACTIVE"],
    ]);
  });

  it("allows same name in two accounts", async () => {
    const first = await createAccount();
    const second = await createAccount();
    const name = uniqueName();

    expect((await create(first.key, { name })).status).toBe(201);
    expect((await create(second.key, { name })).status).toBe(201);
  });

  it("treats names case-sensitively", async () => {
    const { key } = await createAccount();
    const name = uniqueName("Edge");
    await createToken(key, { name });

    expect((await create(key, { name: name.toLowerCase() })).status).toBe(201);
  });

  it("creates one of two racing duplicates", async () => {
    const { key } = await createAccount();
    const name = uniqueName();

    const responses = await Promise.all([create(key, { name }), create(key, { name })]);

    expect(responses.map((response) => response.status).sort()).toEqual([201, 409]);
    const list = await call("jointoken", { key });
    expect(list.json.results.length).toBe(1);
  });
});

describe("create expires_at", () => {
  it.each([
    ["Z", "2099-01-01T00:00:00Z", "2099-01-01T00:00:00.000Z"],
    ["milliseconds", "2099-01-01T00:00:00.123Z", "2099-01-01T00:00:00.123Z"],
    ["one fraction digit", "2099-01-01T00:00:00.5Z", "2099-01-01T00:00:00.500Z"],
    ["trailing zeros", "2099-01-01T00:00:00.123000000Z", "2099-01-01T00:00:00.123Z"],
    ["+02:00", "2099-01-01T02:00:00+02:00", "2099-01-01T00:00:00.000Z"],
    ["-00:30", "2098-12-31T23:30:00-00:30", "2099-01-01T00:00:00.000Z"],
    ["+05:45 with fraction", "2099-06-15T12:34:56.789+05:45", "2099-06-15T06:49:56.789Z"],
    ["+00:00", "2099-01-01T00:00:00.000+00:00", "2099-01-01T00:00:00.000Z"],
    ["lowercase t and z", "2099-01-01t00:00:00z", "2099-01-01T00:00:00.000Z"],
    ["leap day", "2096-02-29T00:00:00Z", "2096-02-29T00:00:00.000Z"],
  ])("accepts %s", async (_label, input, stored) => {
    const { key } = await createAccount();

    const response = await create(key, { name: uniqueName(), expires_at: input });

    expect(response.status).toBe(201);
    expect(response.json.result.expires_at).toBe(stored);
    const row = await readTokenRow(response.json.result.id);
    expect(row?.expires_at).toBe(Date.parse(stored));
  });

  it.each([
    ["in the past", "2020-01-01T00:00:00Z"],
    ["sub-millisecond", "2099-01-01T00:00:00.1234Z"],
    ["sub-millisecond trailing digit", "2099-01-01T00:00:00.0000001Z"],
    ["date only", "2099-01-01"],
    ["without zone", "2099-01-01T00:00:00"],
    ["invalid day", "2099-02-30T00:00:00Z"],
    ["non-leap Feb 29", "2099-02-29T00:00:00Z"],
    ["hour 24", "2099-01-01T24:00:00Z"],
    ["offset hour 24", "2099-01-01T00:00:00+24:00"],
    ["space separator", "2099-01-01 00:00:00Z"],
    ["words", "next tuesday"],
    ["a number", 4070908800000],
    ["an object", { seconds: 1 }],
    ["too long", `2099-01-01T00:00:00.${"0".repeat(60)}Z`],
  ])("rejects %s", async (_label, input) => {
    const { key } = await createAccount();

    expectError(await create(key, { name: uniqueName(), expires_at: input }), 400, "INVALID_ARGUMENT", "expires_at");
  });

  it("rejects expires_at equal to now", async () => {
    const { key } = await createAccount();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.parse("2030-06-01T12:00:00.000Z"));

    expectError(await create(key, { name: uniqueName(), expires_at: "2030-06-01T12:00:00.000Z" }), 400, "INVALID_ARGUMENT", "expires_at");
    const later = await create(key, { name: uniqueName(), expires_at: "2030-06-01T12:00:00.001Z" });
    expect(later.status).toBe(201);
    expect(later.json.result.status).toBe("ACTIVE");
    expect(later.json.result.created_at).toBe("2030-06-01T12:00:00.000Z");
  });
});

describe("create use_limit", () => {
  it.each([
    [1, 1],
    [1_000_000_000, 1_000_000_000],
    [null, null],
  ])("accepts %s", async (input, stored) => {
    const { key } = await createAccount();

    const response = await create(key, { name: uniqueName(), use_limit: input });

    expect(response.status).toBe(201);
    expect(response.json.result.use_limit).toBe(stored);
  });

  it.each([[0], [-1], [1.5], ["5"], [true], [1_000_000_001], [[1]]])("rejects %j", async (input) => {
    const { key } = await createAccount();

    expectError(await create(key, { name: uniqueName(), use_limit: input }), 400, "INVALID_ARGUMENT", "use_limit");
  });
});

describe("create tags and description", () => {
  it.each([
    ["an array", ["a"], "tags"],
    ["a string", "env=prod", "tags"],
    ["a nested object", { env: { name: "prod" } }, "tags.env"],
    ["a null value", { env: null }, "tags.env"],
    ["a long value", { env: "v".repeat(257) }, "tags.env"],
    ["65 tags", Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])), "tags"],
  ])("rejects tags as %s", async (_label, tags, field) => {
    const { key } = await createAccount();

    expectError(await create(key, { name: uniqueName(), tags }), 400, "INVALID_ARGUMENT", field);
  });

  it("keeps 64 tags", async () => {
    const { key } = await createAccount();
    const tags = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, `v${i}`]));

    const response = await create(key, { name: uniqueName(), tags });

    expect(response.status).toBe(201);
    expect(response.json.result.tags).toEqual(tags);
  });

  it.each([
    ["an empty name", '{"": "x"}', '""'],
    ["a 129-character name", `{"${"k".repeat(129)}": "x"}`, `"${"k".repeat(40)}"`],
    ["a control character", '{"a\\tb": "x"}', '"a\\tb"'],
    ["__proto__", '{"__proto__": "x", "env": "prod"}', '"__proto__"'],
  ])("rejects tag with %s", async (_label, tags, quoted) => {
    const { key } = await createAccount();

    const response = await call("jointoken", { key, body: `{"name": "${uniqueName()}", "tags": ${tags}}`, headers: { "content-type": "application/json" } });

    expectError(response, 400, "INVALID_ARGUMENT", "tags");
    expect(response.json.error.message).toContain(quoted);
  });

  it.each([
    ["too long", "d".repeat(1025)],
    ["a number", 5],
    ["with a NUL", "a\u0000b"],
  ])("rejects description %s", async (_label, description) => {
    const { key } = await createAccount();

    expectError(await create(key, { name: uniqueName(), description }), 400, "INVALID_ARGUMENT", "description");
  });
});

describe("create body", () => {
  it("rejects unknown field", async () => {
    const { key } = await createAccount();

    const response = await create(key, { name: uniqueName(), colour: "red" });

    expectError(response, 400, "INVALID_ARGUMENT", "colour");
  });

  it.each([
    ["not JSON", "{name:", "body"],
    ["an array", "[]", "body"],
    ["a string", '"name"', "body"],
    ["empty", "", "body"],
  ])("rejects body %s", async (_label, body, field) => {
    const { key } = await createAccount();

    const response = await call("jointoken", { method: "POST", key, body, headers: { "content-type": "application/json" } });

    expectError(response, 400, "INVALID_ARGUMENT", field);
  });

  it("rejects non-JSON content type", async () => {
    const { key } = await createAccount();

    const response = await call("jointoken", { method: "POST", key, body: JSON.stringify({ name: "x" }), headers: { "content-type": "text/plain" } });

    expectError(response, 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type");
  });

  it("rejects oversized body", async () => {
    const { key } = await createAccount();

    const response = await create(key, { name: uniqueName(), description: "d".repeat(70 * 1024) });

    expectError(response, 413, "PAYLOAD_TOO_LARGE", "body");
    expect((await call("jointoken", { key })).json.results).toEqual([]);
  });
});

describe("create storage failure", () => {
  it("returns 503 and creates nothing", async () => {
    const { key } = await createAccount();

    const response = await call("jointoken", { key, body: { name: uniqueName() }, env: { ...env, DB: d1FailingAfterAuth() } });

    expectStorageUnavailable(response);
    expect((await call("jointoken", { key })).json.results).toEqual([]);
  });
});
