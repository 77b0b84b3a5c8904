// Concurrent joins with distinct ophids against use limits 1, 5 and none: the successes, the
// token's use_counter and its host records must agree, and equal the limit where there is one.
import { errorCode, isSuccess, nonce } from "../client.mjs";
import { serverFailures, statusSummary } from "../report.mjs";

export async function concurrentJoins(client, report, { joins }) {
  for (const limit of [1, 5, null]) {
    const label = `concurrent joins, use_limit ${limit ?? "none"}`;
    try {
      const { token, joinToken } = await client.createToken({ use_limit: limit });
      const run = nonce();
      const responses = await Promise.all(
        Array.from({ length: joins }, (_, i) => client.join(joinToken, { host_serial: `SN-${i}`, ophid: `ophid-${run}-${i}` })),
      );
      const succeeded = responses.filter(isSuccess);
      const rejected = responses.filter((response) => response.status === 403 && errorCode(response) === "TOKEN_USE_LIMIT_REACHED");
      const { use_counter: useCounter } = await client.readToken(token.id);
      const hosts = await client.listHosts(token.id);
      const want = limit ?? joins;

      const ackedIds = new Set(succeeded.map((response) => response.json.result.id));
      const sameHosts = ackedIds.size === hosts.length && hosts.every((host) => ackedIds.has(host.id));
      report.add(
        `${label}: successes / use_counter / host records (${joins} joins)`,
        `${succeeded.length} / ${useCounter} / ${hosts.length}${sameHosts ? "" : " (host ids differ from the acknowledged ones)"}`,
        `${want} / ${want} / ${want}`,
      );
      report.add(
        `${label}: responses other than success or 403 TOKEN_USE_LIMIT_REACHED`,
        `${joins - succeeded.length - rejected.length} (${statusSummary(responses)}; 5xx ${serverFailures(responses)})`,
        "0",
        succeeded.length + rejected.length === joins,
      );
    } catch (error) {
      report.addError(label, error);
    }
  }
}
