// The benchmark's cases: the request each sends and the status each side must return. Both sides get
// the same method, path and body, and the floor workers ignore the parts they do not need.
import { newToken, pageTokenAfter } from "../../scripts/lib/tokens.mjs";

const BASE = "/host-activation/v1";

/** The ids of the cases that buildCases returns, in their order. */
export const CASE_IDS = [
  "join-reused",
  "join-spread",
  "join-revoked",
  "join-unknown",
  "join-malformed",
  "list-1k-first",
  "list-1k-deep",
  "list-100k-first",
  "list-100k-deep",
  "create",
  "revoke",
];
const JSON_HEADERS = { "content-type": "application/json" };

const joinBody = (token) => JSON.stringify({ join_token: token, host_serial: "SN-BENCH-0001" });

/** Returns a fixed request, which autocannon sends as is. */
const fixed = (method, path, headers, body) => () => ({ method, path, headers, body });

/** Returns a request whose `vary(n)` fields change on every request. `n` counts requests across both sides. */
function varying(method, path, headers, vary) {
  let n = 0;
  return () => ({ method, path, headers, setupRequest: (request) => ({ ...request, ...vary(n++) }) });
}

const auth = (account) => ({ ...JSON_HEADERS, authorization: `Token ${account.key}` });

/**
 * Builds the cases from the fixture (lib/seed.mjs). `revoked` is a token that the caller revokes
 * through the API before the runs; it is left out of the spread run.
 */
export function buildCases(fixture, revoked) {
  const tokens = fixture.joins.flatMap((account) => account.tokens).filter((t) => t.token !== revoked.token);
  const reusable = tokens[0].token;
  const unknown = newToken().token;
  // The same shape with the last checksum character changed, so that only the checksum fails.
  const malformed = unknown.slice(0, -1) + (unknown.endsWith("A") ? "B" : "A");
  const listed = fixture.joins[0];
  const { large, revoke, create } = fixture;

  return [
    {
      id: "join-reused",
      title: "join, one reusable token",
      floor: "join",
      expect: { worker: 201, floor: 201 },
      request: fixed("POST", `${BASE}/join`, JSON_HEADERS, joinBody(reusable)),
    },
    {
      id: "join-spread",
      title: `join, ${tokens.length.toLocaleString("en-US")} tokens in turn`,
      floor: "join",
      expect: { worker: 201, floor: 201 },
      request: varying("POST", `${BASE}/join`, JSON_HEADERS, (n) => ({ body: joinBody(tokens[n % tokens.length].token) })),
    },
    {
      id: "join-revoked",
      title: "join, revoked token (KV hit)",
      floor: "join",
      expect: { worker: 403, floor: 403 },
      request: fixed("POST", `${BASE}/join`, JSON_HEADERS, joinBody(revoked.token)),
    },
    {
      id: "join-unknown",
      title: "join, unknown token",
      floor: "join",
      expect: { worker: 401, floor: 401 },
      request: fixed("POST", `${BASE}/join`, JSON_HEADERS, joinBody(unknown)),
    },
    {
      id: "join-malformed",
      title: "join, malformed token (bad checksum)",
      floor: "hello",
      expect: { worker: 401, floor: 200 },
      request: fixed("POST", `${BASE}/join`, JSON_HEADERS, joinBody(malformed)),
    },
    ...listCases("1k", listed, listed.tokens[Math.floor(listed.tokens.length * 0.85)].id, listed.tokens.length),
    ...listCases("100k", large, large.idAt(Math.floor(large.count * 0.9)), large.count),
    {
      id: "create",
      title: "create token",
      floor: "admin",
      expect: { worker: 201, floor: 201 },
      request: varying("POST", `${BASE}/jointoken`, auth(create), (n) => ({ body: JSON.stringify({ name: `bench-create-${n}` }) })),
    },
    {
      id: "revoke",
      title: "revoke token",
      floor: "admin",
      expect: { worker: 204, floor: 204 },
      // NOTE: after `revoke.count` requests the ids repeat, and a repeated revoke skips the D1 update.
      request: varying("DELETE", `${BASE}/jointoken`, auth(revoke), (n) => ({ path: `${BASE}/jointoken/${revoke.idAt(n % revoke.count)}` })),
    },
  ];
}

function listCases(label, account, deepAfterId, count) {
  const path = `${BASE}/jointoken`;
  const size = count.toLocaleString("en-US");
  return [
    {
      id: `list-${label}-first`,
      title: `list, first page of ${size}`,
      floor: "admin",
      expect: { worker: 200, floor: 200 },
      request: fixed("GET", path, auth(account)),
    },
    {
      id: `list-${label}-deep`,
      title: `list, deep page of ${size} (_page_token)`,
      floor: "admin",
      expect: { worker: 200, floor: 200 },
      request: fixed("GET", `${path}?_page_token=${pageTokenAfter(deepAfterId)}`, auth(account)),
    },
  ];
}
