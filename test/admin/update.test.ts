import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createAccount, createToken, join } from "../helpers/client";
import { BASES, d1FailingAfterAuth, expectError, expectNoSecret, expectStorageUnavailable, freshIp, isoIn, readTokenRow, uniqueName } from "./support";

const patch = (key: string, id: string, body: unknown, base: string = BASES[0]) =>
  call(`${base}/jointoken/${id}`, { method: "PATCH", key, body });

const read = async (key: string, id: string) => (await call(`jointoken/${id}`, { key })).json.result;

/** Joins from an address no other test uses, so that refused joins never reach the failure limit. */
const joinFresh = (joinToken: string, ophid: string) => join(joinToken, { ophid }, { headers: { "cf-connecting-ip": freshIp() } });

describe("update fields", () => {
  it("changes every writable field", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key, { description: "old", tags: { a: 1 }, use_limit: 2 });

    const response = await patch(key, token.id, {
      description: "new",
      tags: { env: "lab", n: 2 },
      expires_at: "2099-05-05T05:05:05.005+01:00",
      use_limit: 9,
    });

    expect(response.status).toBe(201);
    expect(Object.keys(response.json)).toEqual(["result"]);
    expect(response.json.result).toEqual({
      ...token,
      description: "new",
      tags: { env: "lab", n: 2 },
      expires_at: "2099-05-05T04:05:05.005Z",
      use_limit: 9,
      updated_at: response.json.result.updated_at,
    });
    expect(Date.parse(response.json.result.updated_at)).toBeGreaterThanOrEqual(Date.parse(token.updated_at));
    expect(await read(key, token.id)).toEqual(response.json.result);
    expectNoSecret(response, joinToken);
  });

  it("changes only sent fields", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key, { description: "keep", tags: { a: 1 }, use_limit: 4, expires_at: "2099-01-01T00:00:00Z" });

    const response = await patch(key, token.id, { description: "changed" });

    expect(response.json.result).toEqual({ ...token, description: "changed", updated_at: response.json.result.updated_at });
  });

  it("accepts empty object", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key, { description: "keep" });

    const response = await patch(key, token.id, {});

    expect(response.status).toBe(201);
    expect(response.json.result).toEqual({ ...token, updated_at: response.json.result.updated_at });
  });

  it("replaces tags whole", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key, { tags: { a: 1, b: 2 } });

    const response = await patch(key, token.id, { tags: { c: 3 } });

    expect(response.json.result.tags).toEqual({ c: 3 });
  });

  it.each([
    ["description", "", "description", "x"],
    ["tags", {}, "tags", { a: 1 }],
    ["expires_at", null, "expires_at", "2099-01-01T00:00:00Z"],
    ["use_limit", null, "use_limit", 5],
  ])("clears %s with null", async (field, cleared, _name, initial) => {
    const { key } = await createAccount();
    const { token } = await createToken(key, { [field]: initial });

    const response = await patch(key, token.id, { [field]: null });

    expect(response.status).toBe(201);
    expect(response.json.result[field]).toEqual(cleared);
    const row = await readTokenRow(token.id);
    expect(row?.[field]).toEqual(field === "tags" ? "{}" : cleared);
  });

  it.each(BASES)("updates under %s", async (base) => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    const response = await patch(key, token.id, { description: base }, base);

    expect(response.status).toBe(201);
    expect((await read(key, token.id)).description).toBe(base);
  });
});

describe("update expires_at", () => {
  it("allows a past instant", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key, { expires_at: isoIn(60_000) });

    const response = await patch(key, token.id, { expires_at: "2020-01-01T00:00:00Z" });

    expect(response.status).toBe(201);
    expect(response.json.result.expires_at).toBe("2020-01-01T00:00:00.000Z");
    expect(response.json.result.status).toBe("EXPIRED");
    expectError(await joinFresh(joinToken, "late"), 403, "TOKEN_EXPIRED", "join_token");
  });

  it("reactivates by clearing expiry", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key, { expires_at: isoIn(60_000) });
    await patch(key, token.id, { expires_at: "2020-01-01T00:00:00Z" });

    const response = await patch(key, token.id, { expires_at: null });

    expect(response.json.result.expires_at).toBe(null);
    expect(response.json.result.status).toBe("ACTIVE");
    expect((await join(joinToken)).status).toBe(201);
  });

  it.each([["yesterday"], ["2099-01-01T00:00:00.0001Z"], [17], ["2099-13-01T00:00:00Z"]])("rejects %j", async (value) => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    expectError(await patch(key, token.id, { expires_at: value }), 400, "INVALID_ARGUMENT", "expires_at");
    expect((await read(key, token.id)).expires_at).toBe(null);
  });
});

describe("update use_limit", () => {
  it("lowers below counter", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    for (const ophid of ["h1", "h2", "h3"]) expect((await join(joinToken, { ophid })).status).toBe(201);

    const response = await patch(key, token.id, { use_limit: 1 });

    expect(response.status).toBe(201);
    expect(response.json.result.use_limit).toBe(1);
    expect(response.json.result.use_counter).toBe(3);
    expect(response.json.result.status).toBe("EXPIRED");
    expect((await readTokenRow(token.id))?.use_counter).toBe(3);
    expectError(await joinFresh(joinToken, "h4"), 403, "TOKEN_USE_LIMIT_REACHED", "join_token");
    expect((await read(key, token.id)).use_counter).toBe(3);
  });

  it("lowers to equal counter", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    await join(joinToken, { ophid: "h1" });
    await join(joinToken, { ophid: "h2" });

    const response = await patch(key, token.id, { use_limit: 2 });

    expect(response.json.result.status).toBe("EXPIRED");
    expectError(await joinFresh(joinToken, "h3"), 403, "TOKEN_USE_LIMIT_REACHED", "join_token");
  });

  it("raises to reactivate", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key, { use_limit: 1 });
    await join(joinToken, { ophid: "h1" });
    expect((await read(key, token.id)).status).toBe("EXPIRED");

    const response = await patch(key, token.id, { use_limit: 2 });

    expect(response.json.result.status).toBe("ACTIVE");
    expect((await join(joinToken, { ophid: "h2" })).status).toBe(201);
    expect((await read(key, token.id)).use_counter).toBe(2);
  });

  it.each([[0], [-3], [2.5], ["10"], [1_000_000_001]])("rejects %j", async (value) => {
    const { key } = await createAccount();
    const { token } = await createToken(key, { use_limit: 5 });

    expectError(await patch(key, token.id, { use_limit: value }), 400, "INVALID_ARGUMENT", "use_limit");
    expect((await read(key, token.id)).use_limit).toBe(5);
  });
});

describe("update name and read-only fields", () => {
  it("accepts same name", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    const response = await patch(key, token.id, { name: token.name, description: "x" });

    expect(response.status).toBe(201);
    expect(response.json.result.name).toBe(token.name);
    expect(response.json.result.description).toBe("x");
  });

  it("rejects different name", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key, { description: "before" });

    const response = await patch(key, token.id, { name: uniqueName(), description: "after" });

    expectError(response, 400, "INVALID_ARGUMENT", "name");
    const current = await read(key, token.id);
    expect(current.name).toBe(token.name);
    expect(current.description).toBe("before");
  });

  it("ignores read-only fields", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    const response = await patch(key, token.id, {
      id: "01900000-0000-7000-8000-000000000000",
      token_id: "jt_AAAAAAAAAAAAAAAA",
      status: "REVOKED",
      use_counter: 77,
      last_used_at: "2026-01-01T00:00:00.000Z",
      deleted_at: "2026-01-01T00:00:00.000Z",
      created_at: "2020-01-01T00:00:00.000Z",
      rejected_attempts: 4,
    });

    expect(response.status).toBe(201);
    expect(response.json.result).toEqual({ ...token, updated_at: response.json.result.updated_at });
    const row = await readTokenRow(token.id);
    expect(row?.revoked_at).toBe(null);
    expect(row?.use_counter).toBe(0);
  });

  it("accepts the record sent back", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key, { description: "d", tags: { a: "b" }, use_limit: 3, expires_at: "2099-01-01T00:00:00Z" });
    const current = await read(key, token.id);

    const response = await patch(key, token.id, current);

    expect(response.status).toBe(201);
    expect(response.json.result).toEqual({ ...current, updated_at: response.json.result.updated_at });
  });

  it("keeps a revoked token revoked", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    await call(`jointoken/${token.id}`, { method: "DELETE", key });
    const revoked = await read(key, token.id);

    const response = await patch(key, token.id, { status: "ACTIVE", deleted_at: null, description: "after revoke" });

    expect(response.status).toBe(201);
    expect(response.json.result.status).toBe("REVOKED");
    expect(response.json.result.deleted_at).toBe(revoked.deleted_at);
    expectError(await joinFresh(joinToken, "h1"), 403, "TOKEN_REVOKED", "join_token");
  });
});

describe("update errors", () => {
  it.each([
    ["description too long", { description: "d".repeat(1025) }, "description"],
    ["tags as array", { tags: [] }, "tags"],
    ["tag value object", { tags: { a: {} } }, "tags.a"],
    ["unknown field", { colour: "red" }, "colour"],
    ["empty name", { name: "" }, "name"],
    ["mistyped status", { status: 5 }, "status"],
  ])("rejects %s", async (_label, body, field) => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    expectError(await patch(key, token.id, body), 400, "INVALID_ARGUMENT", field);
    expect(await read(key, token.id)).toEqual(token);
  });

  it.each([
    ["unknown id", "01900000-0000-7000-8000-000000000000"],
    ["malformed id", "not-an-id"],
  ])("returns 404 for %s", async (_label, id) => {
    const { key } = await createAccount();

    expectError(await patch(key, id, { description: "x" }), 404, "NOT_FOUND", "id");
  });

  it("rejects non-JSON body", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    const response = await call(`jointoken/${token.id}`, { method: "PATCH", key, body: "description=x", headers: { "content-type": "application/x-www-form-urlencoded" } });

    expectError(response, 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type");
  });
});

describe("update storage failure", () => {
  it("returns 503 and changes nothing", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    const response = await call(`jointoken/${token.id}`, { method: "PATCH", key, body: { description: "x" }, env: { ...env, DB: d1FailingAfterAuth() } });

    expectStorageUnavailable(response);
    expect(await read(key, token.id)).toEqual(token);
  });
});
