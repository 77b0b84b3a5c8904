import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createAccount, createToken } from "../helpers/client";
import { BASES, d1FailingAfterAuth, expectError, expectNoSecret, expectStorageUnavailable, insertToken, isoIn, RFC3339_MS } from "./support";

type Listed = { id: string; name: string; status: string; created_at: string };

const list = (key: string, query = "", base: string = BASES[0]) => call(`${base}/jointoken${query}`, { key });

const idsOf = (response: Awaited<ReturnType<typeof call>>): string[] => response.json.results.map((row: Listed) => row.id);

/** Inserts `count` tokens one millisecond apart, so that creation order is id order. */
async function insertMany(accountId: string, count: number): Promise<string[]> {
  const start = Date.now() - 10 * 60_000;
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push((await insertToken(accountId, { createdAt: start + i })).id);
  }
  return ids;
}

/** Follows `page.page_token` from the first page to the last and returns the pages' ids. */
async function walkByPageToken(key: string, limit: number): Promise<{ pages: string[][]; tokens: (string | undefined)[] }> {
  const pages: string[][] = [];
  const tokens: (string | undefined)[] = [];
  let pageToken: string | undefined;
  do {
    const query = pageToken === undefined ? `?_limit=${limit}` : `?_limit=${limit}&_page_token=${pageToken}`;
    const response = await list(key, query);
    expect(response.status).toBe(200);
    pages.push(idsOf(response));
    pageToken = response.json.page.page_token;
    tokens.push(pageToken);
  } while (pageToken !== undefined && pages.length < 50);
  return { pages, tokens };
}

describe("list contents", () => {
  it("returns empty list", async () => {
    const { key } = await createAccount();

    const response = await list(key);

    expect(response.status).toBe(200);
    expect(response.json).toEqual({ results: [], page: {} });
  });

  it("lists every status in creation order", async () => {
    const { key } = await createAccount();
    const active = await createToken(key, { name: "active" });
    const expired = await createToken(key, { name: "expired", expires_at: isoIn(60_000) });
    const revoked = await createToken(key, { name: "revoked" });
    const usedUp = await createToken(key, { name: "used-up", use_limit: 1 });
    await call(`jointoken/${expired.token.id}`, { method: "PATCH", key, body: { expires_at: "2020-01-01T00:00:00Z" } });
    await call(`jointoken/${revoked.token.id}`, { method: "DELETE", key });
    await call("join", { body: { join_token: usedUp.joinToken, host_serial: "SN-1" } });

    const response = await list(key);

    expect(response.status).toBe(200);
    expect(response.json.results.map((row: Listed) => [row.name, row.status])).toEqual([
      ["active", "ACTIVE"],
      ["expired", "EXPIRED"],
      ["revoked", "REVOKED"],
      ["used-up", "EXPIRED"],
    ]);
    expect(idsOf(response)).toEqual([active.token.id, expired.token.id, revoked.token.id, usedUp.token.id]);
    expect(response.json.page).toEqual({});
    for (const token of [active, expired, revoked, usedUp]) expectNoSecret(response, token.joinToken);
  });

  it("renders records like read", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key, { description: "d", tags: { a: 1 }, use_limit: 3, expires_at: "2099-01-01T00:00:00Z" });

    const response = await list(key);
    const read = await call(`jointoken/${token.id}`, { key });

    expect(response.json.results).toEqual([read.json.result]);
    expect(response.json.results[0].created_at).toMatch(RFC3339_MS);
  });

  it("keeps creation order for API tokens", async () => {
    const { key } = await createAccount();
    const created: string[] = [];
    for (let i = 0; i < 8; i++) created.push((await createToken(key)).token.id);

    const response = await list(key);

    expect(idsOf(response)).toEqual(created);
    const times = response.json.results.map((row: Listed) => Date.parse(row.created_at));
    expect(times).toEqual([...times].sort((a: number, b: number) => a - b));
  });

  it.each(BASES)("lists under %s", async (base) => {
    const { accountId, key } = await createAccount();
    const ids = await insertMany(accountId, 3);

    const response = await list(key, "", base);

    expect(response.status).toBe(200);
    expect(idsOf(response)).toEqual(ids);
  });

  it("ignores unknown query parameters", async () => {
    const { accountId, key } = await createAccount();
    const ids = await insertMany(accountId, 3);
    const query = `?_filter=${encodeURIComponent('name=="x"')}&_order_by=name%20desc&_fields=id&_tfilter=a&_torder_by=b&colour=red`;

    const response = await list(key, query);

    expect(response.status).toBe(200);
    expect(idsOf(response)).toEqual(ids);
  });
});

describe("list paging", () => {
  it("defaults to 100 per page", async () => {
    const { accountId, key } = await createAccount();
    const ids = await insertMany(accountId, 101);

    const first = await list(key);

    expect(idsOf(first)).toEqual(ids.slice(0, 100));
    expect(first.json.page.offset).toBe(100);
    expect(typeof first.json.page.page_token).toBe("string");
    const second = await list(key, `?_page_token=${first.json.page.page_token}`);
    expect(idsOf(second)).toEqual(ids.slice(100));
    expect(second.json.page).toEqual({});
  });

  it("accepts _limit of 1000", async () => {
    const { accountId, key } = await createAccount();
    const ids = await insertMany(accountId, 101);

    const response = await list(key, "?_limit=1000");

    expect(idsOf(response)).toEqual(ids);
    expect(response.json.page).toEqual({});
  });

  it("walks pages by page token", async () => {
    const { accountId, key } = await createAccount();
    const ids = await insertMany(accountId, 23);

    const { pages, tokens } = await walkByPageToken(key, 5);

    expect(pages.map((page) => page.length)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.flat()).toEqual(ids);
    expect(new Set(pages.flat()).size).toBe(23);
    expect(tokens.at(-1)).toBe(undefined);
  });

  it("walks mixed statuses once each", async () => {
    const { accountId, key } = await createAccount();
    const start = Date.now() - 60_000;
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) {
      const fields =
        i % 3 === 0 ? { revokedAt: start } : i % 3 === 1 ? { expiresAt: start } : { useLimit: 2, useCounter: i % 2 === 0 ? 2 : 1 };
      ids.push((await insertToken(accountId, { ...fields, createdAt: start + i })).id);
    }

    const { pages } = await walkByPageToken(key, 2);

    expect(pages.flat()).toEqual(ids);
  });

  it("walks pages by offset", async () => {
    const { accountId, key } = await createAccount();
    const ids = await insertMany(accountId, 12);
    const seen: string[] = [];
    const offsets: unknown[] = [];

    let offset: number | undefined = 0;
    while (offset !== undefined && offsets.length < 20) {
      const response = await list(key, `?_limit=5&_offset=${offset}`);
      seen.push(...idsOf(response));
      offset = response.json.page.offset;
      offsets.push(offset);
    }

    expect(seen).toEqual(ids);
    expect(offsets).toEqual([5, 10, undefined]);
  });

  it("returns empty page past the end", async () => {
    const { accountId, key } = await createAccount();
    await insertMany(accountId, 3);

    const response = await list(key, "?_offset=3");

    expect(response.json).toEqual({ results: [], page: {} });
  });

  it("accepts _offset 0 with page token", async () => {
    const { accountId, key } = await createAccount();
    const ids = await insertMany(accountId, 4);
    const first = await list(key, "?_limit=2");

    const second = await list(key, `?_limit=2&_offset=0&_page_token=${first.json.page.page_token}`);

    expect(idsOf(second)).toEqual(ids.slice(2));
  });

  it("sees tokens created mid-walk", async () => {
    const { accountId, key } = await createAccount();
    const ids = await insertMany(accountId, 4);
    const first = await list(key, "?_limit=2");
    const added = (await insertToken(accountId)).id;

    const second = await list(key, `?_limit=10&_page_token=${first.json.page.page_token}`);

    expect(idsOf(second)).toEqual([...ids.slice(2), added]);
  });
});

describe("list parameter errors", () => {
  it.each([
    ["_limit", "0"],
    ["_limit", "1001"],
    ["_limit", "-1"],
    ["_limit", "1.5"],
    ["_limit", "1e2"],
    ["_limit", "ten"],
    ["_limit", "99999999999"],
    ["_offset", "-1"],
    ["_offset", "x"],
    ["_offset", "100001"],
    ["_page_token", "!!!"],
    ["_page_token", "abc"],
    ["_page_token", btoa("not-a-uuid")],
    ["_page_token", "A".repeat(65)],
  ])("rejects %s=%s", async (name, value) => {
    const { key } = await createAccount();

    const response = await list(key, `?${name}=${encodeURIComponent(value)}`);

    expectError(response, 400, "INVALID_ARGUMENT", name);
    expect(response.json.error.message).toContain(name);
  });

  it("rejects offset with page token", async () => {
    const { accountId, key } = await createAccount();
    await insertMany(accountId, 3);
    const first = await list(key, "?_limit=1");

    const response = await list(key, `?_offset=1&_page_token=${first.json.page.page_token}`);

    expectError(response, 400, "INVALID_ARGUMENT", "_offset");
  });

  it("treats empty values as absent", async () => {
    const { accountId, key } = await createAccount();
    const ids = await insertMany(accountId, 2);

    const response = await list(key, "?_limit=&_offset=&_page_token=");

    expect(response.status).toBe(200);
    expect(idsOf(response)).toEqual(ids);
  });
});

describe("list storage failure", () => {
  it("returns 503", async () => {
    const { key } = await createAccount();

    expectStorageUnavailable(await call("jointoken", { key, env: { ...env, DB: d1FailingAfterAuth() } }));
  });
});
