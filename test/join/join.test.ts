import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { crc32 } from "../../src/lib/crc32";
import { encodeBase62, randomBase62 } from "../../src/lib/ids";
import { countHosts, freshIp, readTokenState, updateTokenRow } from "../helpers/bindings";
import { call, type CallResult, createAccount, createToken, join } from "../helpers/client";

/** Builds a token string with a valid checksum from any id and secret. */
function forgeToken(tokenId: string, secret: string): string {
  const body = `${tokenId}_${secret}`;
  return body + encodeBase62(crc32(body), 6);
}

function expectJoinError(response: CallResult, status: number, code: string, field?: string): void {
  expect(response.status).toBe(status);
  expect(Object.keys(response.json)).toEqual(["error"]);
  expect(response.json.error.code).toBe(code);
  expect(response.json.error.field).toBe(field);
  expect(typeof response.json.error.message).toBe("string");
  expect(typeof response.json.error.request_id).toBe("string");
}

/** Asserts that rejected joins left the token's counter and its host rows as they were. */
async function expectUntouched(id: string, useCounter: number, hosts: number): Promise<void> {
  const state = await readTokenState(id);
  expect(state.use_counter).toBe(useCounter);
  expect(await countHosts(id)).toBe(hosts);
}

describe("join success", () => {
  it("counts joins and records hosts", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);

    const first = await join(joinToken, { host_serial: "SN-A", ophid: "host-a" });
    const second = await join(joinToken, { host_serial: "SN-B", ophid: "host-b" });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(first.json.result.state).toBe("VERIFIED");
    expect(first.json.result.join_token).toEqual({ id: token.id, name: token.name, token_id: token.token_id });

    const read = await call(`jointoken/${token.id}`, { key });
    expect(read.json.result.use_counter).toBe(2);
    expect(read.json.result.last_used_at).toBe(second.json.result.created_at);
  });

  it("returns the stored host record", async () => {
    const { accountId, key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const ip = freshIp();

    const response = await join(joinToken, { host_serial: "SN-RECORD", ophid: "ophid-record" }, { headers: { "cf-connecting-ip": ip } });
    expect(response.status).toBe(201);
    const host = response.json.result;
    expect(Object.keys(host).sort()).toEqual(
      ["account_id", "created_at", "host_serial", "id", "join_token", "ophid", "src_ip", "state", "updated_at"].sort(),
    );
    expect(host.account_id).toBe(accountId);
    expect(host.host_serial).toBe("SN-RECORD");
    expect(host.ophid).toBe("ophid-record");
    expect(host.src_ip).toEqual({ value: ip });
    expect(host.updated_at).toBe(host.created_at);

    const row = await env.DB.prepare("SELECT * FROM hosts WHERE id = ?").bind(host.id).first<Record<string, unknown>>();
    expect(row).toEqual({
      id: host.id,
      join_token_id: token.id,
      account_id: accountId,
      host_key: "ophid:ophid-record",
      ophid: "ophid-record",
      host_serial: "SN-RECORD",
      src_ip: ip,
      created_at: Date.parse(host.created_at),
    });
    const state = await readTokenState(token.id);
    expect(state.use_counter).toBe(1);
    expect(state.last_used_at).toBe(Date.parse(host.created_at));
  });

  it("serves both base paths", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);

    const legacy = await call("/atlas-host-activation/v1/join", { body: { join_token: joinToken, host_serial: "SN-ATLAS" } });
    const current = await call("/host-activation/v1/join", { body: { join_token: joinToken, host_serial: "SN-CURRENT" } });
    expect(legacy.status).toBe(201);
    expect(current.status).toBe(201);
    await expectUntouched(token.id, 2, 2);
  });

  it("counts each join without host identity", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);

    const first = await join(joinToken, { host_serial: "SN-SAME" });
    const second = await join(joinToken, { host_serial: "SN-SAME" });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.json.result.id).not.toBe(first.json.result.id);
    expect(first.json.result.ophid).toBeNull();
    await expectUntouched(token.id, 2, 2);
  });
});

describe("join rejections", () => {
  it("rejects malformed tokens", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const headers = { "cf-connecting-ip": freshIp() };
    const last = joinToken.at(-1)!;
    const malformed = [
      joinToken.slice(0, -1) + (last === "A" ? "B" : "A"),
      joinToken.slice(0, -1),
      `${joinToken}A`,
      `jx_${joinToken.slice(3)}`,
      joinToken.replace("_", "-"),
      `${joinToken.slice(0, 30)}!${joinToken.slice(31)}`,
      joinToken.toLowerCase() === joinToken ? joinToken.toUpperCase() : joinToken.toLowerCase(),
      "x",
    ];

    for (const candidate of malformed) {
      expectJoinError(await join(candidate, {}, { headers }), 401, "TOKEN_INVALID", "join_token");
    }
    await expectUntouched(token.id, 0, 0);
  });

  it("rejects unknown token id", async () => {
    const unknown = forgeToken(`jt_${randomBase62(16)}`, randomBase62(32));
    const response = await join(unknown, {}, { headers: { "cf-connecting-ip": freshIp() } });
    expectJoinError(response, 401, "TOKEN_INVALID", "join_token");
  });

  it("rejects wrong secret", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);

    const wrong = forgeToken(token.token_id, randomBase62(32));
    const response = await join(wrong, { ophid: "guess" }, { headers: { "cf-connecting-ip": freshIp() } });
    expectJoinError(response, 401, "TOKEN_INVALID", "join_token");
    await expectUntouched(token.id, 0, 0);

    // The real token still joins afterwards, and a wrong-secret replay of its ophid is still rejected.
    expect((await join(joinToken, { ophid: "guess" })).status).toBe(201);
    expectJoinError(await join(wrong, { ophid: "guess" }, { headers: { "cf-connecting-ip": freshIp() } }), 401, "TOKEN_INVALID", "join_token");
    await expectUntouched(token.id, 1, 1);
  });

  it("rejects revoked token", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    expect((await join(joinToken)).status).toBe(201);
    expect((await call(`jointoken/${token.id}`, { key, method: "DELETE" })).status).toBe(204);

    const response = await join(joinToken, { ophid: "after-revoke" }, { headers: { "cf-connecting-ip": freshIp() } });
    expectJoinError(response, 403, "TOKEN_REVOKED", "join_token");
    await expectUntouched(token.id, 1, 1);
  });

  it("rejects expired token", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    await updateTokenRow(token.id, { expires_at: Date.now() - 1000 });

    const response = await join(joinToken, { ophid: "late" }, { headers: { "cf-connecting-ip": freshIp() } });
    expectJoinError(response, 403, "TOKEN_EXPIRED", "join_token");
    await expectUntouched(token.id, 0, 0);
  });

  it("rejects join past use limit", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key, { use_limit: 2 });
    expect((await join(joinToken, { ophid: "a" })).status).toBe(201);
    expect((await join(joinToken, { ophid: "b" })).status).toBe(201);

    const response = await join(joinToken, { ophid: "c" }, { headers: { "cf-connecting-ip": freshIp() } });
    expectJoinError(response, 403, "TOKEN_USE_LIMIT_REACHED", "join_token");
    await expectUntouched(token.id, 2, 2);
  });

  it("ranks revoked, expired, use limit", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key, { use_limit: 1 });
    expect((await join(joinToken)).status).toBe(201);
    expectJoinError(await join(joinToken, {}, { headers: { "cf-connecting-ip": freshIp() } }), 403, "TOKEN_USE_LIMIT_REACHED", "join_token");

    await updateTokenRow(token.id, { expires_at: Date.now() - 1000 });
    expectJoinError(await join(joinToken, {}, { headers: { "cf-connecting-ip": freshIp() } }), 403, "TOKEN_EXPIRED", "join_token");

    await updateTokenRow(token.id, { revoked_at: Date.now() - 500 });
    expectJoinError(await join(joinToken, {}, { headers: { "cf-connecting-ip": freshIp() } }), 403, "TOKEN_REVOKED", "join_token");
    await expectUntouched(token.id, 1, 1);
  });
});

describe("join request validation", () => {
  it("rejects missing and unknown fields", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const headers = { "cf-connecting-ip": freshIp() };

    expectJoinError(await call("join", { body: { join_token: joinToken }, headers }), 400, "INVALID_ARGUMENT", "host_serial");
    expectJoinError(await call("join", { body: { host_serial: "SN" }, headers }), 400, "INVALID_ARGUMENT", "join_token");
    expectJoinError(await join(joinToken, { extra: 1 }, { headers }), 400, "INVALID_ARGUMENT", "extra");
    expectJoinError(await join(joinToken, { ophid: "" }, { headers }), 400, "INVALID_ARGUMENT", "ophid");
    expectJoinError(await join(joinToken, { host_serial: 7 }, { headers }), 400, "INVALID_ARGUMENT", "host_serial");
    await expectUntouched(token.id, 0, 0);
  });

  it("rejects bad Idempotency-Key header", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const headers = { "cf-connecting-ip": freshIp(), "idempotency-key": "k".repeat(257) };

    expectJoinError(await join(joinToken, {}, { headers }), 400, "INVALID_ARGUMENT", "Idempotency-Key");
    await expectUntouched(token.id, 0, 0);
  });

  it("rejects non-JSON content type", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const body = JSON.stringify({ join_token: joinToken, host_serial: "SN" });

    const response = await call("join", { body, headers: { "content-type": "text/plain", "cf-connecting-ip": freshIp() } });
    expectJoinError(response, 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type");
    await expectUntouched(token.id, 0, 0);
  });

  it("rejects body over 4 KiB", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const body = JSON.stringify({ join_token: joinToken, host_serial: "S".repeat(5000) });

    const response = await call("join", { body, headers: { "content-type": "application/json", "cf-connecting-ip": freshIp() } });
    expectJoinError(response, 413, "PAYLOAD_TOO_LARGE", "body");
    await expectUntouched(token.id, 0, 0);
  });
});
