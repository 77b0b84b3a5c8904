import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createAccount, createToken, join } from "../helpers/client";
import { BASES, expectError, expectNoSecret } from "./support";

/** Two accounts; the second owns a token with one joined host. */
async function twoAccounts() {
  const mine = await createAccount("mine");
  const theirs = await createAccount("theirs");
  const own = await createToken(mine.key);
  const foreign = await createToken(theirs.key, { description: "theirs", tags: { owner: "b" }, use_limit: 10 });
  const host = await join(foreign.joinToken, { ophid: "their-host" });
  expect(host.status).toBe(201);
  const before = (await call(`jointoken/${foreign.token.id}`, { key: theirs.key })).json.result;
  return { mine, theirs, own, foreign, before, host: host.json.result };
}

describe("other account's token", () => {
  it.each(
    BASES.flatMap((base) => [
      [base, "GET", ""],
      [base, "PATCH", ""],
      [base, "DELETE", ""],
      [base, "GET", "/hosts"],
    ] as const),
  )("%s %s%s returns 404", async (base, method, suffix) => {
    const { mine, theirs, foreign, before } = await twoAccounts();
    const body = method === "PATCH" ? { description: "taken over", use_limit: 1, expires_at: "2020-01-01T00:00:00Z" } : undefined;

    const response = await call(`${base}/jointoken/${foreign.token.id}${suffix}`, { method, key: mine.key, body });

    expectError(response, 404, "NOT_FOUND", "id");
    expectNoSecret(response, foreign.joinToken);
    expect(JSON.stringify(response.json).includes("their-host")).toBe(false);
    expect((await call(`jointoken/${foreign.token.id}`, { key: theirs.key })).json.result).toEqual(before);
    expect(await env.REVOCATIONS.get(`revoked:${foreign.token.token_id}`)).toBe(null);
  });

  it("bulk revoke returns 404", async () => {
    const { mine, theirs, foreign, before } = await twoAccounts();

    const response = await call("jointokens", { method: "DELETE", key: mine.key, body: { ids: [foreign.token.id] } });

    expectError(response, 404, "NOT_FOUND", "ids.0");
    expect((await call(`jointoken/${foreign.token.id}`, { key: theirs.key })).json.result).toEqual(before);
    expect(await env.REVOCATIONS.get(`revoked:${foreign.token.token_id}`)).toBe(null);
  });

  it("mixed bulk revokes nothing", async () => {
    const { mine, own, theirs, foreign, before } = await twoAccounts();

    const response = await call("jointokens", { method: "DELETE", key: mine.key, body: { ids: [own.token.id, foreign.token.id] } });

    expectError(response, 404, "NOT_FOUND", "ids.1");
    expect((await call(`jointoken/${own.token.id}`, { key: mine.key })).json.result.status).toBe("ACTIVE");
    expect((await call(`jointoken/${foreign.token.id}`, { key: theirs.key })).json.result).toEqual(before);
  });

  it("still joins afterwards", async () => {
    const { mine, foreign } = await twoAccounts();
    await call(`jointoken/${foreign.token.id}`, { method: "DELETE", key: mine.key });
    await call(`jointoken/${foreign.token.id}`, { method: "PATCH", key: mine.key, body: { use_limit: 1 } });

    expect((await join(foreign.joinToken, { ophid: "second-host" })).status).toBe(201);
  });
});

describe("lists per account", () => {
  it("never lists other account's tokens", async () => {
    const { mine, own, foreign } = await twoAccounts();

    const response = await call("jointoken?_limit=1000", { key: mine.key });

    expect(response.json.results.map((row: { id: string }) => row.id)).toEqual([own.token.id]);
    expectNoSecret(response, foreign.joinToken);
  });

  it("page token does not cross accounts", async () => {
    const { mine, theirs } = await twoAccounts();
    await createToken(theirs.key);
    const theirFirst = await call("jointoken?_limit=1", { key: theirs.key });
    expect(typeof theirFirst.json.page.page_token).toBe("string");
    const later = await createToken(mine.key);

    const response = await call(`jointoken?_page_token=${theirFirst.json.page.page_token}`, { key: mine.key });

    // The page token is only a position in id order; the account still comes from the API key.
    expect(response.status).toBe(200);
    expect(response.json.results.map((row: { id: string }) => row.id)).toEqual([later.token.id]);
  });

  it("hosts list needs own token", async () => {
    const { mine, foreign, host } = await twoAccounts();

    const response = await call(`jointoken/${foreign.token.id}/hosts?_limit=1`, { key: mine.key });

    expectError(response, 404, "NOT_FOUND", "id");
    expect(JSON.stringify(response.json).includes(host.id)).toBe(false);
  });
});
