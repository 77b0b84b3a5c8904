// D1 and KV fault injection through the fault worker (scripts/reliability/fault-worker.ts). A D1
// failure must get 503 with Retry-After and never leave a partial write. A KV failure must neither
// stop joins nor let a revoked token join.
import { errorCode, isSuccess, nonce } from "../client.mjs";
import { serverFailures, statusSummary, unavailableWithoutRetryAfter } from "../report.mjs";

const RETRY_ROUNDS = 3;

/** Reads `x-fault-injected` into { "d1-before": n, ... }. */
function injected(response) {
  const counts = {};
  for (const part of (response.headers.get("x-fault-injected") ?? "").split(",")) {
    const [name, count] = part.split("=");
    if (name) counts[name] = Number(count);
  }
  return counts;
}

const d1Fault = (rate, when) => ({ "x-fault": "d1", "x-fault-rate": String(rate), "x-fault-when": when });
const kvFault = (rate) => ({ "x-fault": "kv", "x-fault-rate": String(rate) });

export async function faults(client, report, { joins, limitedJoins, kvJoins }) {
  const all = [];
  const guarded = async (scenario, body) => {
    try {
      await body();
    } catch (error) {
      report.addError(scenario, error);
    }
  };

  await guarded("D1 faults on joins", () => d1JoinFaults(client, report, all, { joins, limit: null }));
  await guarded("D1 faults on joins, use_limit", () => d1JoinFaults(client, report, all, { joins: limitedJoins, limit: Math.floor(limitedJoins / 4) }));
  await guarded("D1 faults on admin requests", () => d1AdminFaults(client, report, all));
  await guarded("KV faults", () => kvFaults(client, report, all, { joins: kvJoins }));

  report.add("fault worker: 5xx other than 503, or no response (all requests)", `${serverFailures(all)} of ${all.length}`, `0 of ${all.length}`);
  report.add("fault worker: 503 without Retry-After (all requests)", `${unavailableWithoutRetryAfter(all)} of ${all.length}`, `0 of ${all.length}`);
}

/**
 * Joins with distinct ophids while half of the D1 calls fail, before or after they run. Then retries
 * every unacknowledged ophid without faults, as a client would after a 503.
 */
async function d1JoinFaults(client, report, all, { joins, limit }) {
  const scenario = `D1 faults on joins, use_limit ${limit ?? "none"} (${joins} joins, half of D1 calls fail)`;
  const { token, joinToken } = await client.createToken({ use_limit: limit });
  const run = nonce();
  const ophids = Array.from({ length: joins }, (_, i) => `ophid-d1-${run}-${i}`);
  const joinAs = (ophid, headers = {}) => client.join(joinToken, { ophid }, headers);

  const faulted = await Promise.all(ophids.map((ophid) => joinAs(ophid, d1Fault(0.5, "mixed"))));
  all.push(...faulted);
  const acknowledged = new Map();
  faulted.forEach((response, i) => isSuccess(response) && acknowledged.set(ophids[i], response.json.result.id));
  const before = faulted.reduce((sum, response) => sum + (injected(response)["d1-before"] ?? 0), 0);
  const after = faulted.reduce((sum, response) => sum + (injected(response)["d1-after"] ?? 0), 0);
  const unavailable = faulted.filter((response) => response.status === 503).length;

  const midCounter = (await client.readToken(token.id)).use_counter;
  const midHosts = await client.listHosts(token.id);
  let partial = Math.abs(midCounter - midHosts.length);
  // Without a limit every join inserts, so each join failed after its batch ran left exactly one host.
  if (limit === null) partial += Math.abs(midHosts.length - (acknowledged.size + after));

  const retried = [];
  for (let round = 0; round < RETRY_ROUNDS; round++) {
    const pending = ophids.filter((ophid, i) => !acknowledged.has(ophid) && !(limit !== null && errorCode(retried[i] ?? faulted[i]) === "TOKEN_USE_LIMIT_REACHED"));
    if (pending.length === 0) break;
    const responses = await Promise.all(pending.map((ophid) => joinAs(ophid)));
    all.push(...responses);
    responses.forEach((response, i) => {
      retried[ophids.indexOf(pending[i])] = response;
      if (isSuccess(response)) acknowledged.set(pending[i], response.json.result.id);
    });
  }

  const useCounter = (await client.readToken(token.id)).use_counter;
  const hosts = await client.listHosts(token.id);
  const ackedIds = new Set(acknowledged.values());
  partial += Math.abs(useCounter - hosts.length) + hosts.filter((host) => !ackedIds.has(host.id)).length + [...ackedIds].filter((id) => !hosts.some((host) => host.id === id)).length;
  const want = limit ?? joins;

  report.add(`${scenario}: faults injected before / after the call`, `${before} / ${after}`, "at least 1 each", before > 0 && after > 0);
  report.add(`${scenario}: responses under faults`, `${statusSummary(faulted)}`, `success, 403 or 503 only (503: ${unavailable})`, faulted.every((r) => isSuccess(r) || r.status === 503 || r.status === 403));
  report.add(`${scenario}: partial writes (use_counter vs host records vs acknowledged joins)`, partial, 0);
  report.add(`${scenario}: after retries, acknowledged / use_counter / host records`, `${acknowledged.size} / ${useCounter} / ${hosts.length}`, `${want} / ${want} / ${want}`);
}

/**
 * Admin reads and writes while D1 fails: first at the API key lookup, then (skipping that one call)
 * in the route itself. Each response must be 503 with Retry-After.
 */
async function d1AdminFaults(client, report, all) {
  const { token } = await client.createToken();
  for (const [where, skip] of [["at the API key lookup", 0], ["past the API key lookup", 1]]) {
    const headers = { ...d1Fault(1, "before"), "x-fault-skip": String(skip) };
    const requests = [
      ["GET /jointoken", () => client.request("jointoken", { headers })],
      ["GET /jointoken/{id}", () => client.request(`jointoken/${token.id}`, { headers })],
      ["GET /jointoken/{id}/hosts", () => client.request(`jointoken/${token.id}/hosts`, { headers })],
      ["POST /jointoken", () => client.request("jointoken", { headers, body: { name: `reliability-${nonce()}` } })],
      ["PATCH /jointoken/{id}", () => client.request(`jointoken/${token.id}`, { method: "PATCH", headers, body: { description: "x" } })],
      ["DELETE /jointoken/{id}", () => client.revoke(token.id, { headers })],
    ];
    const responses = [];
    for (const [name, send] of requests) responses.push([name, await send()]);
    all.push(...responses.map(([, response]) => response));
    const wrong = responses.filter(([, response]) => response.status !== 503 || !response.headers.has("retry-after"));
    report.add(
      `D1 faults on admin requests, every D1 call ${where} fails (${requests.length} routes)`,
      wrong.length === 0 ? `503 with Retry-After ×${responses.length}` : wrong.map(([name, response]) => `${name} ${response.status}${response.headers.has("retry-after") ? "" : " no Retry-After"}`).join(", "),
      `503 with Retry-After ×${requests.length}`,
    );
  }
}

/** Joins while every KV call fails. Then revokes the token with its KV write failing, and checks that joins are still rejected. */
async function kvFaults(client, report, all, { joins }) {
  const scenario = `KV faults (every KV call fails, ${joins} joins)`;
  const { token, joinToken } = await client.createToken();
  const run = nonce();
  const responses = await Promise.all(Array.from({ length: joins }, (_, i) => client.join(joinToken, { ophid: `ophid-kv-${run}-${i}` }, kvFault(1))));
  all.push(...responses);
  const kvInjected = responses.reduce((sum, response) => sum + (injected(response)["kv-before"] ?? 0), 0);
  const failed = responses.filter((response) => !isSuccess(response)).length;
  const useCounter = (await client.readToken(token.id)).use_counter;
  const hosts = await client.listHosts(token.id);
  report.add(`${scenario}: joins that failed`, `${failed} (${statusSummary(responses)}; KV faults injected: ${kvInjected})`, "0", failed === 0 && kvInjected >= joins);
  report.add(`${scenario}: use_counter / host records`, `${useCounter} / ${hosts.length}`, `${joins} / ${joins}`);

  const revoke = await client.revoke(token.id, { headers: kvFault(1) });
  all.push(revoke);
  const afterRevoke = [
    await client.join(joinToken, { ophid: `ophid-kv-${run}-late-1` }, kvFault(1)),
    await client.join(joinToken, { ophid: `ophid-kv-${run}-late-2` }),
  ];
  all.push(...afterRevoke);
  const rejected = afterRevoke.filter((response) => response.status === 403 && errorCode(response) === "TOKEN_REVOKED").length;
  report.add(
    "KV faults: revoke whose KV write fails, then joins with and without KV faults",
    `revoke ${revoke.status} (KV faults: ${injected(revoke)["kv-before"] ?? 0}); joins rejected ${rejected} of ${afterRevoke.length}`,
    "revoke 204; joins rejected 2 of 2",
    revoke.status === 204 && rejected === afterRevoke.length,
  );
}
