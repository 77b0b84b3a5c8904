// Retried joins: one host identity sent many times at once and then one after another must count
// one use, leave one host record, and return that host every time (201 once, then 200).
import { isSuccess, nonce } from "../client.mjs";
import { statusSummary } from "../report.mjs";

export async function retriedJoins(client, report, { concurrent, sequential }) {
  const run = nonce();
  const variants = [
    { label: "same ophid and Idempotency-Key", host: { ophid: `ophid-retry-${run}` }, headers: { "idempotency-key": `key-retry-${run}` } },
    { label: "same Idempotency-Key, no ophid", host: {}, headers: { "idempotency-key": `key-only-${run}` } },
  ];
  for (const { label, host, headers } of variants) {
    const scenario = `retried joins, ${label} (${concurrent} concurrent + ${sequential} sequential)`;
    try {
      const { token, joinToken } = await client.createToken();
      const send = () => client.join(joinToken, { host_serial: "SN-RETRY", ...host }, headers);
      const responses = await Promise.all(Array.from({ length: concurrent }, send));
      for (let i = 0; i < sequential; i++) responses.push(await send());

      const { use_counter: useCounter } = await client.readToken(token.id);
      const hosts = await client.listHosts(token.id);
      const hostIds = new Set(responses.filter(isSuccess).map((response) => response.json.result.id));
      const created = responses.filter((response) => response.status === 201).length;
      const replayed = responses.filter((response) => response.status === 200).length;
      report.add(
        `${scenario}: use_counter / host records / distinct host ids`,
        `${useCounter} / ${hosts.length} / ${hostIds.size}`,
        "1 / 1 / 1",
        useCounter === 1 && hosts.length === 1 && hostIds.size === 1 && hostIds.has(hosts[0]?.id),
      );
      report.add(`${scenario}: responses`, statusSummary(responses), `201×1, 200×${responses.length - 1}`, created === 1 && replayed === responses.length - 1);
    } catch (error) {
      report.addError(scenario, error);
    }
  }
}
