// Revoke during a join storm: workers join continuously with distinct ophids; the token is revoked
// mid-storm. No join whose request was sent after the revoke's response arrived may succeed, and the
// successes, use_counter and host records must agree.
import { performance } from "node:perf_hooks";
import { errorCode, isSuccess, nonce } from "../client.mjs";
import { serverFailures, statusSummary } from "../report.mjs";
import { sleep } from "../servers.mjs";

export async function revokeStorm(client, report, { workers, revokeAfterSuccesses, joinsAfterRevoke, maxJoins, maxMs }) {
  const scenario = `revoke during a join storm (${workers} concurrent senders)`;
  try {
    const { token, joinToken } = await client.createToken();
    const run = nonce();
    const sent = [];
    let next = 0;
    let stop = false;

    const sender = async () => {
      while (!stop && next < maxJoins) {
        const i = next++;
        const record = { sentAt: performance.now(), response: null };
        sent.push(record);
        record.response = await client.join(joinToken, { host_serial: `SN-${i}`, ophid: `ophid-storm-${run}-${i}` });
      }
    };
    const senders = Array.from({ length: workers }, sender);

    const started = performance.now();
    const succeeded = () => sent.filter((record) => record.response !== null && isSuccess(record.response)).length;
    while (succeeded() < revokeAfterSuccesses && performance.now() - started < maxMs / 2 && next < maxJoins) await sleep(5);
    const revoke = await client.revoke(token.id);
    // The instant the revoke's response arrived. A join stamped later was sent after it.
    const revokedAt = performance.now();
    const sentAfter = () => sent.filter((record) => record.sentAt > revokedAt).length;
    while (sentAfter() < joinsAfterRevoke && performance.now() - started < maxMs && next < maxJoins) await sleep(5);
    stop = true;
    await Promise.all(senders);

    const responses = sent.map((record) => record.response);
    const after = sent.filter((record) => record.sentAt > revokedAt);
    const lateSuccesses = after.filter((record) => isSuccess(record.response)).length;
    const lateRejected = after.filter((record) => record.response.status === 403 && errorCode(record.response) === "TOKEN_REVOKED").length;
    const successes = responses.filter(isSuccess).length;
    const { use_counter: useCounter } = await client.readToken(token.id);
    const hosts = await client.listHosts(token.id);

    report.add(`${scenario}: revoke response`, revoke.status, 204);
    report.add(
      `${scenario}: joins sent after the revoke returned that succeeded`,
      `${lateSuccesses} of ${after.length} (403 TOKEN_REVOKED: ${lateRejected})`,
      "0, and at least 1 sent after",
      lateSuccesses === 0 && after.length > 0,
    );
    report.add(`${scenario}: successes / use_counter / host records`, `${successes} / ${useCounter} / ${hosts.length}`, `equal, ${successes} each`, successes === useCounter && useCounter === hosts.length);
    report.add(`${scenario}: 5xx or no response`, `${serverFailures(responses)} (${statusSummary(responses)})`, "0", serverFailures(responses) === 0 && responses.every((r) => r.status !== 503));
  } catch (error) {
    report.addError(scenario, error);
  }
}
