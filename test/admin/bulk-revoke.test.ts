import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createAccount, createToken, join } from "../helpers/client";
import { readSecretHash } from "../helpers/bindings";
import { BASES, d1FailingAfterAuth, expectError, expectStorageUnavailable, freshIp, insertToken } from "./support";

const revokeMany = (key: string, body: unknown, options: { base?: string; env?: Env } = {}) =>
  call(`${options.base ?? BASES[0]}/jointokens`, { method: "DELETE", key, body, env: options.env });

const statusOf = async (key: string, id: string) => (await call(`jointoken/${id}`, { key })).json.result.status;

const revocationOf = async (tokenId: string) => env.REVOCATIONS.get(`revoked:${tokenId}`);

// Cloudflare's D1 limits page: at most 100 bound parameters per query. Local D1 (SQLite) accepts far
// more, so this wrapper rejects larger statements the way a deployed database does.
const D1_MAX_BOUND_PARAMETERS = 100;

/** Wraps the real D1 binding so that binding more than 100 parameters fails, as it does in production. */
function d1WithParameterLimit(): D1Database {
  const limitStatement = (statement: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, property) {
        if (property === "bind") {
          return (...values: unknown[]) => {
            if (values.length > D1_MAX_BOUND_PARAMETERS) throw new Error(`D1_ERROR: too many SQL variables (${values.length})`);
            return target.bind(...values);
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return new Proxy(env.DB, {
    get(target, property) {
      if (property === "prepare") return (query: string) => limitStatement(target.prepare(query));
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("bulk revoke success", () => {
  it("revokes only listed tokens", async () => {
    const { key } = await createAccount();
    const a = await createToken(key);
    const b = await createToken(key);
    const c = await createToken(key);

    const response = await revokeMany(key, { ids: [a.token.id, c.token.id] });

    expect(response.status).toBe(204);
    expect(response.json).toBe(null);
    expect(await statusOf(key, a.token.id)).toBe("REVOKED");
    expect(await statusOf(key, b.token.id)).toBe("ACTIVE");
    expect(await statusOf(key, c.token.id)).toBe("REVOKED");
    expect(await revocationOf(a.token.token_id)).not.toBe(null);
    expect(await revocationOf(b.token.token_id)).toBe(null);
    expect(await revocationOf(c.token.token_id)).not.toBe(null);
  });

  it("refuses joins afterwards", async () => {
    const { key } = await createAccount();
    const a = await createToken(key);
    const b = await createToken(key);

    await revokeMany(key, { ids: [a.token.id, b.token.id] });

    for (const joinToken of [a.joinToken, b.joinToken]) {
      expectError(await join(joinToken, {}, { headers: { "cf-connecting-ip": freshIp() } }), 403, "TOKEN_REVOKED", "join_token");
    }
  });

  it("accepts duplicate ids", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    expect((await revokeMany(key, { ids: [token.id, token.id] })).status).toBe(204);

    expect(await statusOf(key, token.id)).toBe("REVOKED");
  });

  it("keeps earlier deleted_at", async () => {
    const { key } = await createAccount();
    const a = await createToken(key);
    const b = await createToken(key);
    await call(`jointoken/${a.token.id}`, { method: "DELETE", key });
    const before = (await call(`jointoken/${a.token.id}`, { key })).json.result.deleted_at;

    expect((await revokeMany(key, { ids: [a.token.id, b.token.id] })).status).toBe(204);

    expect((await call(`jointoken/${a.token.id}`, { key })).json.result.deleted_at).toBe(before);
    expect(await env.REVOCATIONS.get(`revoked:${a.token.token_id}`, "json")).toEqual({ revoked_at: Date.parse(before), secret_hash: await readSecretHash(a.token.id) });
    expect(await statusOf(key, b.token.id)).toBe("REVOKED");
  });

  it("revokes 100 within D1 parameter limit", async () => {
    const { accountId, key } = await createAccount();
    const tokens = [];
    for (let i = 0; i < 100; i++) tokens.push(await insertToken(accountId));

    const response = await revokeMany(key, { ids: tokens.map((token) => token.id) }, { env: { ...env, DB: d1WithParameterLimit() } });

    expect(response.status).toBe(204);
    const list = await call("jointoken?_limit=1000", { key });
    expect(list.json.results.filter((row: { status: string }) => row.status === "REVOKED").length).toBe(100);
    expect(await revocationOf(tokens[99]!.tokenId)).not.toBe(null);
  });

  it.each(BASES)("revokes under %s", async (base) => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    expect((await revokeMany(key, { ids: [token.id] }, { base })).status).toBe(204);

    expect(await statusOf(key, token.id)).toBe("REVOKED");
  });
});

describe("bulk revoke all or nothing", () => {
  it.each([
    ["unknown id", "01900000-0000-7000-8000-000000000000"],
    ["malformed id", "not-a-token"],
    ["token_id", "jt_AAAAAAAAAAAAAAAA"],
  ])("revokes none with %s", async (_label, bad) => {
    const { key } = await createAccount();
    const a = await createToken(key);
    const b = await createToken(key);

    const response = await revokeMany(key, { ids: [a.token.id, b.token.id, bad] });

    expectError(response, 404, "NOT_FOUND", "ids.2");
    expect(response.json.error.message).toContain(JSON.stringify(bad));
    expect(await statusOf(key, a.token.id)).toBe("ACTIVE");
    expect(await statusOf(key, b.token.id)).toBe("ACTIVE");
    expect(await revocationOf(a.token.token_id)).toBe(null);
    expect(await revocationOf(b.token.token_id)).toBe(null);
  });

  it("names the first bad index", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    const response = await revokeMany(key, { ids: [token.id, "01900000-0000-7000-8000-000000000001", "bad"] });

    expectError(response, 404, "NOT_FOUND", "ids.2");
    expect(await statusOf(key, token.id)).toBe("ACTIVE");
  });
});

describe("bulk revoke body", () => {
  const id = "01900000-0000-7000-8000-000000000000";
  it.each([
    ["missing ids", {}, "ids"],
    ["empty ids", { ids: [] }, "ids"],
    ["ids as string", { ids: id }, "ids"],
    ["null ids", { ids: null }, "ids"],
    ["numeric id", { ids: [1] }, "ids.0"],
    ["long id", { ids: [id, "x".repeat(65)] }, "ids.1"],
    ["101 ids", { ids: Array.from({ length: 101 }, () => id) }, "ids"],
    ["unknown field", { ids: [id], force: true }, "force"],
  ])("rejects %s", async (_label, body, field) => {
    const { key } = await createAccount();

    expectError(await revokeMany(key, body), 400, "INVALID_ARGUMENT", field);
  });

  it("rejects missing body", async () => {
    const { key } = await createAccount();

    expectError(await call("jointokens", { method: "DELETE", key }), 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type");
  });
});

describe("bulk revoke storage failure", () => {
  it("returns 503 and revokes nothing", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    const response = await revokeMany(key, { ids: [token.id] }, { env: { ...env, DB: d1FailingAfterAuth() } });

    expectStorageUnavailable(response);
    expect(await statusOf(key, token.id)).toBe("ACTIVE");
    expect(await revocationOf(token.token_id)).toBe(null);
  });
});
