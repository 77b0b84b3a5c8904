import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createAccount, createToken, join } from "../helpers/client";
import { uuidv7 } from "../../src/lib/ids";
import { BASES, d1FailingAfterAuth, expectError, expectNoSecret, expectStorageUnavailable, RFC3339_MS, UUID } from "./support";

type Host = { id: string; created_at: string };

const hostsOf = (key: string, id: string, query = "", base: string = BASES[0]) => call(`${base}/jointoken/${id}/hosts${query}`, { key });

/** Sorts hosts newest first: host ids are UUIDv7, so descending id order is descending join time. */
const newestFirst = (hosts: Host[]) => [...hosts].sort((a, b) => (a.id < b.id ? 1 : -1));

/** Inserts `count` hosts for a token one millisecond apart and returns their ids, newest first. */
async function insertHosts(accountId: string, joinTokenId: string, count: number): Promise<string[]> {
  const start = Date.now() - 10 * 60_000;
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = uuidv7(start + i);
    await env.DB.prepare(
      "INSERT INTO hosts (id, join_token_id, account_id, host_key, ophid, host_serial, src_ip, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
      .bind(id, joinTokenId, accountId, `ophid:host-${i}`, `host-${i}`, `SN-${i}`, "192.0.2.10", start + i)
      .run();
    ids.push(id);
  }
  return ids.reverse();
}

describe("hosts contents", () => {
  it("returns empty list", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    const response = await hostsOf(key, token.id);

    expect(response.status).toBe(200);
    expect(response.json).toEqual({ results: [], page: {} });
  });

  it("lists joined hosts newest first", async () => {
    const { accountId, key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const joined: Host[] = [];
    for (const [ophid, ip] of [["host-a", "192.0.2.1"], ["host-b", "2001:db8::2"], ["host-c", "192.0.2.3"]] as const) {
      const response = await join(joinToken, { ophid, host_serial: `SN-${ophid}` }, { headers: { "cf-connecting-ip": ip } });
      expect(response.status).toBe(201);
      joined.push(response.json.result);
    }

    const response = await hostsOf(key, token.id);

    expect(response.status).toBe(200);
    expect(response.json.results).toEqual(newestFirst(joined));
    const times = response.json.results.map((host: Host) => Date.parse(host.created_at));
    expect(times).toEqual([...times].sort((a: number, b: number) => b - a));
    expect(response.json.page).toEqual({});
    expectNoSecret(response, joinToken);

    const hostA = response.json.results.find((host: { ophid: string }) => host.ophid === "host-a");
    expect(hostA).toEqual({
      id: expect.stringMatching(UUID),
      ophid: "host-a",
      host_serial: "SN-host-a",
      account_id: accountId,
      join_token: { id: token.id, name: token.name, token_id: token.token_id },
      src_ip: { value: "192.0.2.1" },
      state: "VERIFIED",
      created_at: expect.stringMatching(RFC3339_MS),
      updated_at: hostA.created_at,
    });
  });

  it("records host without ophid", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    await join(joinToken, { host_serial: "SN-plain" });

    const [host] = (await hostsOf(key, token.id)).json.results;

    expect(host.ophid).toBe(null);
    expect(host.host_serial).toBe("SN-plain");
  });

  it("counts a retried join once", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const first = await join(joinToken, { ophid: "same" });
    const retry = await join(joinToken, { ophid: "same" });
    expect(retry.status).toBe(200);

    const response = await hostsOf(key, token.id);

    expect(response.json.results).toEqual([first.json.result]);
  });

  it("lists only this token's hosts", async () => {
    const { key } = await createAccount();
    const mine = await createToken(key);
    const other = await createToken(key);
    const joined = await join(mine.joinToken, { ophid: "mine" });
    await join(other.joinToken, { ophid: "other" });

    const response = await hostsOf(key, mine.token.id);

    expect(response.json.results).toEqual([joined.json.result]);
  });

  it("lists hosts of revoked token", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const joined = await join(joinToken, { ophid: "before-revoke" });
    await call(`jointoken/${token.id}`, { method: "DELETE", key });

    const response = await hostsOf(key, token.id);

    expect(response.json.results).toEqual([joined.json.result]);
  });

  it.each(BASES)("lists under %s", async (base) => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);
    const joined = await join(joinToken, { ophid: "h" });

    const response = await hostsOf(key, token.id, "", base);

    expect(response.status).toBe(200);
    expect(response.json.results).toEqual([joined.json.result]);
  });
});

describe("hosts paging", () => {
  it("walks pages by page token", async () => {
    const { accountId, key } = await createAccount();
    const { token } = await createToken(key);
    const ids = await insertHosts(accountId, token.id, 7);
    const pages: string[][] = [];

    let pageToken: string | undefined;
    do {
      const query = pageToken === undefined ? "?_limit=3" : `?_limit=3&_page_token=${pageToken}`;
      const response = await hostsOf(key, token.id, query);
      expect(response.status).toBe(200);
      pages.push(response.json.results.map((host: Host) => host.id));
      pageToken = response.json.page.page_token;
    } while (pageToken !== undefined && pages.length < 10);

    expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(ids);
  });

  it("walks pages by offset", async () => {
    const { accountId, key } = await createAccount();
    const { token } = await createToken(key);
    const ids = await insertHosts(accountId, token.id, 5);

    const first = await hostsOf(key, token.id, "?_limit=2");
    const second = await hostsOf(key, token.id, `?_limit=2&_offset=${first.json.page.offset}`);
    const third = await hostsOf(key, token.id, `?_limit=2&_offset=${second.json.page.offset}`);

    expect(first.json.page.offset).toBe(2);
    expect(second.json.page.offset).toBe(4);
    expect(third.json.page).toEqual({});
    expect([...first.json.results, ...second.json.results, ...third.json.results].map((host: Host) => host.id)).toEqual(ids);
  });

  it("defaults to 100 per page", async () => {
    const { accountId, key } = await createAccount();
    const { token } = await createToken(key);
    const ids = await insertHosts(accountId, token.id, 101);

    const response = await hostsOf(key, token.id);

    expect(response.json.results.map((host: Host) => host.id)).toEqual(ids.slice(0, 100));
    expect(typeof response.json.page.page_token).toBe("string");
  });

  it.each([
    ["_limit", "0"],
    ["_limit", "1001"],
    ["_limit", "x"],
    ["_offset", "-2"],
    ["_page_token", "%%%"],
    ["_page_token", btoa("jt_AAAAAAAAAAAAAAAA")],
  ])("rejects %s=%s", async (name, value) => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    expectError(await hostsOf(key, token.id, `?${name}=${encodeURIComponent(value)}`), 400, "INVALID_ARGUMENT", name);
  });
});

describe("hosts errors", () => {
  it.each([
    ["unknown id", "01900000-0000-7000-8000-000000000000"],
    ["malformed id", "hosts"],
  ])("returns 404 for %s", async (_label, id) => {
    const { key } = await createAccount();

    expectError(await hostsOf(key, id), 404, "NOT_FOUND", "id");
  });

  it("checks token before paging", async () => {
    const { key } = await createAccount();

    expectError(await hostsOf(key, "01900000-0000-7000-8000-000000000000", "?_limit=0"), 404, "NOT_FOUND", "id");
  });
});

describe("hosts storage failure", () => {
  it("returns 503", async () => {
    const { key } = await createAccount();
    const { token } = await createToken(key);

    expectStorageUnavailable(await call(`jointoken/${token.id}/hosts`, { key, env: { ...env, DB: d1FailingAfterAuth() } }));
  });
});
