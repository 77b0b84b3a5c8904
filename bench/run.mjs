// `npm run bench`: measures the Worker against floor workers that do only the storage work each
// request needs (bench/floors/), in local workerd through wrangler's dev server API, on 127.0.0.1 only.
//
//   npm run bench
//     The full run. It writes bench/results/latest.json and the "Latest run" section of BENCHMARKS.md.
//   npm run bench -- --only join-reused,list-100k-first --rounds 1 --seconds 2 [--keep]
//     A partial run for development. It writes only bench/results/partial.tmp (ignored by git).
//     With --keep it leaves the temporary storage and the server logs in place and prints where.
//
// Steps: measure the bundle and its startup, then apply the migrations to a new local D1 in a
// temporary directory and seed it. Start the Worker (bench/wrangler.worker.toml) and the floors on
// that storage, and measure each case with the two sides alternating. Every server is stopped on
// exit or error.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { measureBundle, measureStartup } from "./lib/bundle.mjs";
import { buildCases, CASE_IDS } from "./lib/cases.mjs";
import { compareSides } from "./lib/load.mjs";
import { describeMachine, summarizeLoad, watchLoad } from "./lib/machine.mjs";
import { printCase, writeMarkdown } from "./lib/report.mjs";
import { buildFixture } from "./lib/seed.mjs";
import { ROOT, runWrangler, startDev, stopAll, wranglerVersion } from "./lib/servers.mjs";

const DEFAULTS = { rounds: 4, seconds: 3, warmup: 1, connections: 10 };
const DATA = { joinAccounts: 10, tokensPerAccount: 1_000, largeTokens: 100_000, revokeTokens: 30_000 };
// The whole run stops here even if a server hangs. A full run took about 6 minutes on 2 cores.
const DEADLINE_MS = 12 * 60_000;
const BENCH_DIR = path.join(ROOT, "bench");

const FLOORS = {
  join: "wrangler.floor-join.toml",
  admin: "wrangler.floor-admin.toml",
  hello: "wrangler.floor-hello.toml",
};

function wholeNumber(values, flag, min) {
  const raw = values[flag];
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < min) {
    throw new Error(`--${flag} must be a whole number of at least ${min}; received ${JSON.stringify(raw)}.`);
  }
  return Number(raw);
}

function readOptions() {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      rounds: { type: "string", default: String(DEFAULTS.rounds) },
      seconds: { type: "string", default: String(DEFAULTS.seconds) },
      warmup: { type: "string", default: String(DEFAULTS.warmup) },
      connections: { type: "string", default: String(DEFAULTS.connections) },
      keep: { type: "boolean", default: false },
    },
  });
  const options = {
    only: values.only === undefined ? null : values.only.split(",").map((id) => id.trim()),
    rounds: wholeNumber(values, "rounds", 1),
    seconds: wholeNumber(values, "seconds", 1),
    warmupSeconds: wholeNumber(values, "warmup", 0),
    connections: wholeNumber(values, "connections", 1),
    keep: values.keep,
  };
  const unknown = (options.only ?? []).filter((id) => !CASE_IDS.includes(id));
  if (unknown.length > 0) throw new Error(`--only names unknown cases: ${unknown.join(", ")}. The cases are ${CASE_IDS.join(", ")}.`);
  options.full =
    options.only === null &&
    options.rounds === DEFAULTS.rounds &&
    options.seconds === DEFAULTS.seconds &&
    options.warmupSeconds === DEFAULTS.warmup &&
    options.connections === DEFAULTS.connections &&
    !options.keep;
  return options;
}

const step = (message) => console.log(`bench: ${message}`);

function measureBuild(work) {
  step("building the Worker (wrangler deploy --dry-run --minify)");
  const bundle = measureBundle(path.join(work, "bundle"));
  step(`bundle: ${bundle.rawKiB} KiB, ${bundle.gzipKiB} KiB gzipped`);

  let startup;
  try {
    startup = measureStartup(path.join(work, "startup.cpuprofile"));
    step(`startup: ${startup.activeMs} ms of CPU (wrangler check startup)`);
  } catch (error) {
    startup = { error: `wrangler check startup failed: ${error.message.split("\n")[0]}` };
    step(startup.error);
  }
  return { bundle, startup };
}

function seedStorage(work, persistTo) {
  step("applying the migrations to a new local D1");
  const config = path.join(BENCH_DIR, "wrangler.worker.toml");
  runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo, "--config", config]);

  const started = performance.now();
  const fixture = buildFixture(DATA);
  const seedFile = path.join(work, "seed.sql");
  writeFileSync(seedFile, fixture.sql);
  runWrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--config", config, "--file", seedFile]);

  const counted = JSON.parse(
    runWrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--config", config, "--json", "--command", "SELECT COUNT(*) AS tokens FROM join_tokens"]),
  );
  const tokens = counted.at(-1)?.results?.[0]?.tokens;
  if (tokens !== fixture.tokenCount) throw new Error(`Seeding wrote ${tokens} tokens; expected ${fixture.tokenCount}.`);
  step(`seeded ${tokens.toLocaleString("en-US")} tokens in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return fixture;
}

async function startServers(work, persistTo) {
  step("starting the Worker and the floors (wrangler startWorker, local mode)");
  const logs = path.join(work, "logs");
  mkdirSync(logs);
  const start = (name, config) =>
    startDev({ name, config: path.join(BENCH_DIR, config), persistTo, logFile: path.join(logs, `${name}.log`) });
  // One at a time: workerd processes that open the same new storage at once fail with SQLITE_BUSY.
  const worker = await start("worker", "wrangler.worker.toml");
  const floors = {};
  for (const [name, config] of Object.entries(FLOORS)) floors[name] = await start(`floor-${name}`, config);
  return { worker, floors };
}

/** Revokes one joinable token through the Worker's API, so that D1 and KV both mark it. */
async function revokeOneToken(worker, fixture) {
  const account = fixture.joins.at(-1);
  const revoked = account.tokens.at(-1);
  const response = await fetch(`${worker.url}/host-activation/v1/jointoken/${revoked.id}`, {
    method: "DELETE",
    headers: { authorization: `Token ${account.key}` },
  });
  if (response.status !== 204) throw new Error(`Revoking the token for the revoked-token case returned ${response.status}; expected 204.`);
  return revoked;
}

async function runCases(servers, fixture, options) {
  const revoked = await revokeOneToken(servers.worker, fixture);
  const cases = buildCases(fixture, revoked).filter((c) => options.only === null || options.only.includes(c.id));

  step(`measuring ${cases.length} cases: Worker / floor`);
  const measured = [];
  for (const testCase of cases) {
    const load = watchLoad();
    const result = await compareSides(testCase, { worker: servers.worker, floor: servers.floors[testCase.floor] }, options);
    const entry = { id: testCase.id, title: testCase.title, floor: testCase.floor, result, load: load.stop() };
    printCase(entry);
    measured.push(entry);
  }
  return measured;
}

async function main() {
  const options = readOptions();
  const startedAt = new Date();
  const work = mkdtempSync(path.join(os.tmpdir(), "join-tokens-bench-"));
  const persistTo = path.join(work, "state");
  const removeWork = () => {
    if (options.keep) step(`kept the storage and server logs in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  };
  const deadline = setTimeout(() => {
    console.error(`bench: still running after ${DEADLINE_MS / 60_000} minutes; stopping.`);
    stopAll()
      .then(removeWork)
      .finally(() => process.exit(1));
  }, DEADLINE_MS);

  try {
    const machine = describeMachine(wranglerVersion());
    const { bundle, startup } = measureBuild(work);
    const fixture = seedStorage(work, persistTo);
    const servers = await startServers(work, persistTo);
    const cases = await runCases(servers, fixture, options);

    const results = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      totalSeconds: (Date.now() - startedAt.getTime()) / 1000,
      command: options.full ? "npm run bench" : `npm run bench -- ${process.argv.slice(2).join(" ")}`,
      options,
      machine,
      load: summarizeLoad(cases),
      data: {
        tokens: fixture.tokenCount,
        joinable: fixture.joins.length * DATA.tokensPerAccount,
        joinAccounts: DATA.joinAccounts,
        tokensPerAccount: DATA.tokensPerAccount,
        large: DATA.largeTokens,
        revokePool: DATA.revokeTokens,
      },
      bundle,
      startup,
      cases,
    };
    writeResults(results, options);
  } finally {
    clearTimeout(deadline);
    await stopAll();
    removeWork();
  }
}

function writeResults(results, options) {
  const dir = path.join(BENCH_DIR, "results");
  mkdirSync(dir, { recursive: true });
  if (!options.full) {
    const file = path.join(dir, "partial.tmp");
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    step(`partial run: wrote ${path.relative(ROOT, file)}; BENCHMARKS.md is written by full runs only`);
    return;
  }
  writeFileSync(path.join(dir, "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeMarkdown(path.join(ROOT, "BENCHMARKS.md"), results);
  step("wrote bench/results/latest.json and BENCHMARKS.md");
}

main().catch((error) => {
  console.error(`bench: failed: ${error.message}`);
  process.exitCode = 1;
});
