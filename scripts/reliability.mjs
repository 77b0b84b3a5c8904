// `npm run test:reliability`: drives local `wrangler dev` servers over real HTTP with real
// concurrency and injected faults, prints a Markdown table (scenario | measured | expected | ok) and
// exits 1 if any guarantee fails. Everything listens on 127.0.0.1; request counts are bounded and a
// global timeout stops the run. Three servers, each with its own fresh storage:
// - the real Worker with the failed-join limit raised (scripts/reliability/wrangler.raised-limit.toml),
//   because the suite's own rejected joins would otherwise get 429;
// - the fault worker (scripts/reliability/wrangler.toml): the real app behind fault-injecting D1 and KV;
// - the real Worker with the root wrangler.toml, for the failed-join limit itself.
import { rm, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Client } from "./reliability/client.mjs";
import { Report } from "./reliability/report.mjs";
import { badInput } from "./reliability/scenarios/bad-input.mjs";
import { concurrentJoins } from "./reliability/scenarios/concurrent-joins.mjs";
import { failureLimit } from "./reliability/scenarios/failure-limit.mjs";
import { faults } from "./reliability/scenarios/faults.mjs";
import { retriedJoins } from "./reliability/scenarios/retried-joins.mjs";
import { revokeStorm } from "./reliability/scenarios/revoke-storm.mjs";
import { prepareStorage, startServer, stopAll } from "./reliability/servers.mjs";

// The whole run, servers included, stops after this long whatever state it is in.
const GLOBAL_TIMEOUT_MS = 240_000;

// Accounts created in each server's storage. The first is for its scenarios, and the bad-input corpus
// uses the other two.
const SERVERS = {
  raised: { name: "real Worker, failed-join limit raised", config: "scripts/reliability/wrangler.raised-limit.toml", accounts: ["reliability", "bad input", "bad input, other account"] },
  fault: { name: "fault worker", config: "scripts/reliability/wrangler.toml", accounts: ["reliability"] },
  real: { name: "real Worker, root wrangler.toml", config: "wrangler.toml", accounts: ["reliability"] },
};

const started = performance.now();
const progress = (message) => console.error(`[reliability ${((performance.now() - started) / 1000).toFixed(1)} s] ${message}`);

if (Number(process.versions.node.split(".")[0]) < 22) {
  console.error(`Node ${process.versions.node} runs this script; run it with \`npm run test:reliability\`, which uses the project's Node 22.`);
  process.exit(2);
}

const workDir = await mkdtemp(join(tmpdir(), "join-tokens-reliability-"));

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    console.error(`Interrupted by ${signal}; stopping the servers. Logs: ${workDir}`);
    await stopAll();
    process.exit(130);
  });
}
const deadline = setTimeout(async () => {
  console.error(`The run passed its ${GLOBAL_TIMEOUT_MS / 1000} s limit; stopping the servers. Logs: ${workDir}`);
  await stopAll();
  process.exit(1);
}, GLOBAL_TIMEOUT_MS);

const reports = { raised: new Report(), fault: new Report(), real: new Report() };
let setupError = null;
try {
  progress("applying migrations and creating an account in three fresh local databases");
  const entries = Object.entries(SERVERS);
  const accounts = await Promise.all(entries.map(([id, { config, accounts }]) => prepareStorage({ config, persistTo: join(workDir, id) }, accounts)));

  progress("starting wrangler dev ×3 on 127.0.0.1");
  const servers = await Promise.all(
    entries.map(async ([id, { name, config }]) => {
      const server = await startServer({ name, config, persistTo: join(workDir, id), logFile: join(workDir, `${id}.log`) });
      progress(`${name} ready on ${server.origin}`);
      return server;
    }),
  );
  const clients = Object.fromEntries(entries.map(([id], i) => [id, accounts[i].map(({ key }) => new Client(servers[i].origin, key))]));

  // One lane per server, run in parallel. Each server has its own storage, so no lane changes another's counts.
  await Promise.all([
    (async () => {
      const [client, badInputAccount, badInputForeign] = clients.raised;
      const report = reports.raised;
      progress("concurrent joins");
      await concurrentJoins(client, report, { joins: 100 });
      progress("retried joins");
      await retriedJoins(client, report, { concurrent: 20, sequential: 20 });
      progress("revoke during a join storm");
      await revokeStorm(client, report, { workers: 16, revokeAfterSuccesses: 150, joinsAfterRevoke: 150, maxJoins: 3000, maxMs: 30_000 });
      progress("bad-input corpus");
      await badInput({ client: badInputAccount, foreign: badInputForeign }, report);
    })(),
    (async () => {
      progress("D1 and KV faults");
      await faults(clients.fault[0], reports.fault, { joins: 60, limitedJoins: 40, kvJoins: 40 });
    })(),
    (async () => {
      progress("failed-join limit (may wait up to 15 s for a fresh limiter window)");
      await failureLimit(clients.real[0], reports.real, { failures: 35 });
    })(),
  ]);
} catch (error) {
  setupError = error;
} finally {
  progress("stopping the servers");
  await stopAll();
  clearTimeout(deadline);
}

const report = new Report();
report.rows.push(...reports.raised.rows, ...reports.fault.rows, ...reports.real.rows);
if (setupError !== null) report.addError("setup", setupError);

const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log("");
console.log(
  "Scenarios on the real Worker run with JOIN_FAILURE_LIMITER raised to 1,000,000 failed joins a minute " +
    "(scripts/reliability/wrangler.raised-limit.toml), because the suite's own rejected joins would otherwise get 429; " +
    "the limit of the root wrangler.toml is checked on a server of its own.",
);
console.log("");
console.log(report.markdown());
console.log("");
console.log(`Run time ${seconds} s.`);
const failed = report.failed;
if (failed > 0 || setupError !== null) {
  console.log(`Server logs and storage are kept in ${workDir}.`);
  if (setupError !== null) console.error(setupError);
} else {
  await rm(workDir, { recursive: true, force: true });
}
console.log(`reliability: ${report.rows.length - failed} passed, ${failed} failed`);
process.exit(failed > 0 || setupError !== null ? 1 : 0);
