// Drives one request shape at a server with autocannon and measures it. Latencies come from
// autocannon's per-response event, in fractional milliseconds, for every status: autocannon's own
// summary keeps only 2xx latencies, in whole milliseconds.
import { setTimeout as sleep } from "node:timers/promises";
import autocannon from "autocannon";

// Pause after each run, because autocannon stops without waiting for the requests in flight. Every
// server shares one SQLite file, so a server still writing to D1 when the other side's run starts
// would make one of them fail with SQLITE_BUSY.
const SETTLE_MS = 500;

function percentile(sorted, fraction) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

const median = (values) => percentile([...values].sort((a, b) => a - b), 0.5);

/**
 * Runs `request` (an autocannon request object, whose `setupRequest` may vary each request) against
 * `url` for `seconds` with `connections` concurrent connections. Returns the throughput, latency
 * percentiles and status counts; `unexpected` counts responses whose status is not `expectStatus`.
 */
export async function measure({ url, request, connections, seconds, expectStatus }) {
  const latencies = [];
  const statuses = {};
  const started = performance.now();
  const instance = autocannon({ url, connections, duration: seconds, requests: [request], timeout: 10 });
  instance.on("response", (_client, status, _bytes, ms) => {
    latencies.push(ms);
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const result = await instance;
  const elapsed = (performance.now() - started) / 1000;
  await sleep(SETTLE_MS);

  latencies.sort((a, b) => a - b);
  const responses = latencies.length;
  return {
    seconds: round(elapsed, 2),
    responses,
    rps: round(responses / elapsed, 1),
    p50Ms: round(percentile(latencies, 0.5), 2),
    p99Ms: round(percentile(latencies, 0.99), 2),
    statuses,
    unexpected: responses - (statuses[expectStatus] ?? 0),
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** Combines a side's rounds: the median of each measure across rounds, and the sums of the counts. */
export function combineRounds(runs) {
  return {
    rps: round(median(runs.map((run) => run.rps)), 1),
    p50Ms: round(median(runs.map((run) => run.p50Ms)), 2),
    p99Ms: round(median(runs.map((run) => run.p99Ms)), 2),
    responses: runs.reduce((sum, run) => sum + run.responses, 0),
    unexpected: runs.reduce((sum, run) => sum + run.unexpected, 0),
    errors: runs.reduce((sum, run) => sum + run.errors + run.timeouts, 0),
    rounds: runs,
  };
}

/**
 * Measures one case on both sides. After an unrecorded warm-up of each side, the sides alternate
 * run by run, and the side that goes first alternates by round, so that a burst of load from other
 * processes on the machine falls on both.
 */
export async function compareSides(testCase, sides, { rounds, seconds, warmupSeconds, connections }) {
  const measureSide = (side, duration) =>
    measure({ url: sides[side].url, request: testCase.request(side), connections, seconds: duration, expectStatus: testCase.expect[side] });

  for (const side of ["worker", "floor"]) await measureSide(side, warmupSeconds);
  const runs = { worker: [], floor: [] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ["worker", "floor"] : ["floor", "worker"];
    for (const side of order) runs[side].push(await measureSide(side, seconds));
  }

  const worker = combineRounds(runs.worker);
  const floor = combineRounds(runs.floor);
  return {
    worker,
    floor,
    ratio: {
      throughput: round(worker.rps / floor.rps, 2),
      p50: round(worker.p50Ms / floor.p50Ms, 2),
      p99: round(worker.p99Ms / floor.p99Ms, 2),
    },
  };
}

function round(value, digits) {
  if (value === null || !Number.isFinite(value)) return null;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
