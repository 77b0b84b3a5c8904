import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { crc32 } from "../../src/lib/crc32";
import { encodeBase62 } from "../../src/lib/ids";
import { generateTokenString, parseTokenString } from "../../src/lib/token-string";
import { createAccount, createToken, join } from "../helpers/client";
import { BAD_INPUT_CASES, toRequest, type BadInputCase, type Fixture } from "./corpus";

interface Snapshot {
  counts: Record<string, number>;
  tokens: unknown[];
  hosts: unknown[];
  revokedKeys: string[];
}

/** Row counts of every table, every token and host row of the given accounts, and the KV revocation keys. */
async function snapshot(accountIds: string[]): Promise<Snapshot> {
  const counts: Record<string, number> = {};
  for (const table of ["accounts", "api_keys", "join_tokens", "hosts"]) {
    counts[table] = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<number>("n"))!;
  }
  const inAccounts = `account_id IN (${accountIds.map(() => "?").join(", ")})`;
  const tokens = await env.DB.prepare(`SELECT * FROM join_tokens WHERE ${inAccounts} ORDER BY id`).bind(...accountIds).all();
  const hosts = await env.DB.prepare(`SELECT * FROM hosts WHERE ${inAccounts} ORDER BY id`).bind(...accountIds).all();
  const revoked = await env.REVOCATIONS.list({ prefix: "revoked:" });
  return { counts, tokens: tokens.results, hosts: hosts.results, revokedKeys: revoked.keys.map((key) => key.name) };
}

/** The fixture token's id with an all-zero secret and a correct checksum, so only the secret is wrong. */
function withWrongSecret(joinToken: string): string {
  const parts = parseTokenString(joinToken)!;
  const body = `${parts.tokenId}_${"0".repeat(32)}`;
  return body + encodeBase62(crc32(body), 6);
}

/** A documentation-range IPv6 address per case, so that no case reaches the failed-join limit of one address. */
const clientIp = (index: number) => `2001:db8::${(index + 1).toString(16)}`;

async function send(testCase: BadInputCase, fixture: Fixture, index: number): Promise<{ status: number; text: string }> {
  const request = toRequest(testCase, fixture, "http://join-tokens.test", clientIp(index));
  // A streamed case tests the body limit without a declared size.
  expect(request.headers.has("content-length")).toBe(testCase.body !== null && !testCase.stream);
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, env, ctx);
  const text = await response.text();
  await waitOnExecutionContext(ctx);
  return { status: response.status, text };
}

describe("bad input corpus", () => {
  let fixture: Fixture;
  let accountIds: string[];
  let before: Snapshot;

  beforeAll(async () => {
    const account = await createAccount("bad input");
    const foreign = await createAccount("bad input, other account");
    const first = await createToken(account.key, { description: "fixture", tags: { env: "test" }, use_limit: 10 });
    const second = await createToken(account.key);
    const foreignToken = await createToken(foreign.key);
    const joined = await join(first.joinToken, { host_serial: "SN-FIXTURE", ophid: "fixture-host" });
    expect(joined.status).toBe(201);

    const last = first.joinToken.at(-1);
    fixture = {
      tokenId: first.token.id,
      tokenName: first.token.name,
      otherTokenId: second.token.id,
      foreignTokenId: foreignToken.token.id,
      joinToken: first.joinToken,
      badChecksumToken: first.joinToken.slice(0, -1) + (last === "A" ? "B" : "A"),
      wrongSecretToken: withWrongSecret(first.joinToken),
      unknownToken: generateTokenString().token,
      apiKey: account.key,
    };
    accountIds = [account.accountId, foreign.accountId];
    before = await snapshot(accountIds);
  });

  it("has at least 300 uniquely named cases", () => {
    const names = BAD_INPUT_CASES.map((testCase) => testCase.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(300);
  });

  for (const [index, testCase] of BAD_INPUT_CASES.entries()) {
    it(testCase.name, async () => {
      const { status, text } = await send(testCase, fixture, index);
      expect(text).not.toContain(fixture.joinToken);
      expect(text).not.toContain(fixture.apiKey);
      const error = (JSON.parse(text) as { error: { code: string; field?: string; message: string; request_id: string } }).error;

      expect({ status, code: error.code, field: error.field }).toEqual({
        status: testCase.expectStatus,
        code: testCase.expectCode,
        field: testCase.expectField,
      });
      // A sentence: at least three words, ending with a full stop.
      expect(error.message).toMatch(/^\S+(?: \S+){2,}.*\.$/s);
      expect(error.request_id).toBeTypeOf("string");
    });
  }

  it("leaves stored data unchanged", async () => {
    const after = await snapshot(accountIds);
    expect(after.counts).toEqual(before.counts);
    expect(after.tokens).toEqual(before.tokens);
    expect(after.hosts).toEqual(before.hosts);
    expect(after.revokedKeys).toEqual(before.revokedKeys);
  });
});
