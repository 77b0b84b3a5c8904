// Turns a run's results into the console table, the targets check and the section of BENCHMARKS.md
// between the markers below. The rest of BENCHMARKS.md is written by hand and left as it is.
import { readFileSync, writeFileSync } from "node:fs";
import { BUSY_CPU_PERCENT } from "./machine.mjs";

export const START_MARKER = "<!-- bench:results:start (written by npm run bench) -->";
export const END_MARKER = "<!-- bench:results:end -->";

// The targets ask that rejections run "well above" join success without a number. This benchmark
// reads it as: the Worker's rejection path is at least this share as many times faster than its join
// as the floors' rejection path is than their join. Locally the floors differ less than on Cloudflare,
// because HTTP and wrangler's proxy cost every request the same.
const WELL_ABOVE_SHARE = 0.9;

const fmt = (value, digits = 0) => (value === null || value === undefined ? "n/a" : value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }));

export function tableRows(cases) {
  return cases.map(({ title, result, load }) => {
    const { worker, floor, ratio } = result;
    const issues = [];
    for (const [side, summary] of [["Worker", worker], ["floor", floor]]) {
      if (summary.unexpected > 0) issues.push(`${side}: ${summary.unexpected} unexpected statuses`);
      if (summary.errors > 0) issues.push(`${side}: ${summary.errors} errors or timeouts`);
    }
    return [
      title,
      fmt(worker.rps),
      fmt(floor.rps),
      fmt(ratio.throughput, 2),
      fmt(worker.p50Ms, 2),
      fmt(floor.p50Ms, 2),
      fmt(worker.p99Ms, 2),
      fmt(floor.p99Ms, 2),
      fmt(ratio.p99, 2),
      `${load.otherCpuPercent}%`,
      issues.join("; "),
    ];
  });
}

const HEADER = ["Case", "Worker req/s", "Floor req/s", "Ratio", "Worker p50 ms", "Floor p50 ms", "Worker p99 ms", "Floor p99 ms", "p99 ratio", "Other CPU", "Problems"];

/** Checks the performance targets that the run measured. Returns entries of the target, the measured value and whether it is met. */
export function checkTargets(results, bundle) {
  const byId = new Map(results.cases.map((entry) => [entry.id, entry.result]));
  const targets = [];
  const add = (target, measured, met) => targets.push({ target, measured, met });

  for (const id of ["join-reused", "join-spread"]) {
    const result = byId.get(id);
    if (result === undefined) continue;
    add(`${id}: throughput ≥ 0.9 × floor`, `${fmt(result.ratio.throughput, 2)} ×`, result.ratio.throughput >= 0.9);
    add(`${id}: p99 ≤ 1.2 × floor`, `${fmt(result.ratio.p99, 2)} ×`, result.ratio.p99 <= 1.2);
  }

  const join = byId.get("join-reused");
  for (const id of ["join-revoked", "join-malformed"]) {
    const result = byId.get(id);
    if (result === undefined) continue;
    add(`${id}: throughput ≥ 0.9 × floor`, `${fmt(result.ratio.throughput, 2)} ×`, result.ratio.throughput >= 0.9);
    if (join !== undefined) {
      const worker = result.worker.rps / join.worker.rps;
      const floor = result.floor.rps / join.floor.rps;
      add(
        `${id}: throughput as a multiple of join-reused's ≥ ${WELL_ABOVE_SHARE} × the floors' multiple`,
        `${fmt(worker, 2)} × (floors: ${fmt(floor, 2)} ×)`,
        worker >= WELL_ABOVE_SHARE * floor,
      );
    }
  }

  const small = byId.get("list-1k-first");
  const large = byId.get("list-100k-first");
  if (small !== undefined && large !== undefined) {
    const multiple = large.worker.p50Ms / small.worker.p50Ms;
    add("list first page: p50 at 100,000 tokens ≤ 1.5 × p50 at 1,000", `${fmt(multiple, 2)} ×`, multiple <= 1.5);
  }

  add("bundle ≤ 100 KiB gzipped", `${fmt(bundle.gzipKiB, 1)} KiB`, bundle.gzipKiB <= 100);
  return targets;
}

function markdownTable(header, rows) {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${row.join(" | ")} |`)].join("\n");
}

function loadSummary(load, cores) {
  const names = load.otherBusyProcessNames.length === 0 ? "" : ` Processes seen using at least ${BUSY_CPU_PERCENT}% of a core during a case: ${load.otherBusyProcessNames.join(", ")}.`;
  const busiest = load.busiestCase === null ? "" : ` The busiest case was ${load.busiestCase.id}, with ${load.busiestCase.otherCpuPercent}%.`;
  const { one, five, fifteen } = load.loadAverageAtEnd;
  return (
    `while the cases ran, processes outside the benchmark used ${load.otherCpuPercent}% of one core on average, ` +
    `and the benchmark itself ${load.ownCpuPercent}% (of ${cores * 100}%).${busiest}${names} Load average at the end: ${one} / ${five} / ${fifteen}.`
  );
}

/** Renders the generated section of BENCHMARKS.md, markers included. */
export function markdownSection(results) {
  const { machine, options, bundle, startup, load } = results;
  const rows = tableRows(results.cases);
  const targets = checkTargets(results, bundle);

  const lines = [
    START_MARKER,
    "## Latest run",
    "",
    `- Date: ${results.finishedAt} (${Math.round(results.totalSeconds)} s in all)`,
    `- Command: \`${results.command}\` (${options.rounds} rounds of ${options.seconds} s per side per case after a ${options.warmupSeconds} s warm-up, ${options.connections} connections)`,
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}; Node ${machine.node}, wrangler ${machine.wrangler}, workerd ${machine.workerd}, autocannon ${machine.autocannon}`,
    `- Other load: ${loadSummary(load, machine.cores)}`,
    `- Data: ${results.data.tokens.toLocaleString("en-US")} tokens: ${results.data.joinable.toLocaleString("en-US")} joinable ones in ${results.data.joinAccounts} accounts of ${results.data.tokensPerAccount.toLocaleString("en-US")}, ${results.data.large.toLocaleString("en-US")} in one account, ${results.data.revokePool.toLocaleString("en-US")} to revoke.`,
    "",
    "Throughput is the median over the rounds of each round's responses per second. p50 and p99 are the medians over the rounds of each round's percentiles, over responses of every status. Ratio is Worker ÷ floor. Other CPU is what processes outside the benchmark used during the case, in percent of one core.",
    "",
    markdownTable(HEADER, rows),
    "",
    `Bundle (\`wrangler deploy --dry-run --minify\`, JavaScript gzipped by zlib at level 6): ${fmt(bundle.rawKiB, 1)} KiB raw, ${fmt(bundle.gzipKiB, 1)} KiB gzipped.`,
    "",
    `Startup (\`wrangler check startup\`, minified build, profiled locally in workerd): ${startup.error ?? `${fmt(startup.activeMs, 1)} ms of CPU in a ${fmt(startup.profileWindowMs, 1)} ms profile window`}.`,
    "",
    "### Targets",
    "",
    markdownTable(
      ["Target", "Measured", "Result"],
      targets.map((t) => [t.target, t.measured, t.met ? "met" : "**missed**"]),
    ),
    END_MARKER,
  ];
  return lines.join("\n");
}

/** Replaces the generated section of `file`, or appends it when the markers are missing. */
export function writeMarkdown(file, results) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    text = "# Benchmarks\n";
  }
  const section = markdownSection(results);
  const start = text.indexOf(START_MARKER);
  const end = text.indexOf(END_MARKER);
  const next = start !== -1 && end > start ? text.slice(0, start) + section + text.slice(end + END_MARKER.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
}

/** Prints one case's line to the console as soon as it is measured. */
export function printCase(entry) {
  const [title, wRps, fRps, ratio, wP50, fP50, wP99, fP99, p99Ratio, otherCpu, problems] = tableRows([entry])[0];
  console.log(
    `${title.padEnd(44)} ${wRps.padStart(7)} / ${fRps.padStart(7)} req/s = ${ratio.padStart(5)} | p50 ${wP50} / ${fP50} ms | p99 ${wP99} / ${fP99} ms = ${p99Ratio} | other CPU ${otherCpu}${problems === "" ? "" : ` | ${problems}`}`,
  );
}
