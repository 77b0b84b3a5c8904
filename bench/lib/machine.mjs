// The machine a run measured on, and the load that other processes put on it during the run.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "./servers.mjs";

// A process outside the benchmark that used at least this share of one core (percent) counts as other load.
export const BUSY_CPU_PERCENT = 5;

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return null;
  }
}

export function describeMachine(wranglerVersion) {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    wrangler: wranglerVersion,
    workerd: packageVersion("wrangler/node_modules/workerd") ?? packageVersion("workerd"),
    autocannon: packageVersion("autocannon"),
  };
}

/** Reads each process's name, parent and CPU time (in clock ticks) from /proc. */
function readProcesses() {
  const processes = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The name is in parentheses and may contain spaces; the fields after it start with the state.
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      processes.set(Number(entry), { name, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process exited while the list was read.
    }
  }
  return processes;
}

/** Returns the ids of this process and all of its descendants (the servers and their workerd). */
function ownProcessIds(processes) {
  const own = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, { ppid }] of processes) {
      if (!own.has(pid) && own.has(ppid)) {
        own.add(pid);
        grew = true;
      }
    }
  }
  return own;
}

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Returns the CPU time that all processes together have used, in clock ticks, from /proc/stat. */
function readBusyTicks() {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync("/proc/stat", "utf8")
    .split("\n", 1)[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return user + nice + system + irq + softirq + steal;
}

/**
 * Starts watching the machine's load; `stop()` returns the CPU that other processes used since, in
 * percent of one core. That share is the machine's busy time minus this process tree's, so it also
 * counts processes that started and exited in between, which no list of processes would show.
 */
export function watchLoad() {
  const before = readProcesses();
  const busyBefore = readBusyTicks();
  const started = performance.now();
  return {
    stop() {
      const seconds = (performance.now() - started) / 1000;
      const after = readProcesses();
      const own = ownProcessIds(after);
      const percentOf = (ticks) => Math.round((100 * ticks) / CLOCK_TICKS_PER_SECOND / seconds);

      let ownTicks = 0;
      const busy = [];
      for (const [pid, proc] of after) {
        const used = proc.ticks - (before.get(pid)?.ticks ?? 0);
        if (own.has(pid)) {
          ownTicks += used;
          continue;
        }
        // Names only: other people's command lines can carry their arguments.
        if (percentOf(used) >= BUSY_CPU_PERCENT) busy.push({ name: proc.name, cpuPercent: percentOf(used) });
      }
      busy.sort((a, b) => b.cpuPercent - a.cpuPercent);
      const [one, five, fifteen] = os.loadavg().map((value) => Math.round(value * 100) / 100);
      return {
        seconds: Math.round(seconds),
        loadAverage: { one, five, fifteen },
        ownCpuPercent: percentOf(ownTicks),
        otherCpuPercent: Math.max(0, percentOf(readBusyTicks() - busyBefore - ownTicks)),
        otherBusyProcesses: busy.slice(0, 8),
      };
    },
  };
}

/** Sums up the other processes' CPU over the measured cases (setup is left out: its own wrangler runs would count as other). */
export function summarizeLoad(cases) {
  const seconds = cases.reduce((sum, entry) => sum + entry.load.seconds, 0);
  const weighted = (field) => Math.round(cases.reduce((sum, entry) => sum + entry.load[field] * entry.load.seconds, 0) / Math.max(seconds, 1));
  const busiest = cases.reduce((max, entry) => (max === null || entry.load.otherCpuPercent > max.load.otherCpuPercent ? entry : max), null);
  const names = new Set(cases.flatMap((entry) => entry.load.otherBusyProcesses.map((process) => process.name)));
  const [one, five, fifteen] = os.loadavg().map((value) => Math.round(value * 100) / 100);
  return {
    seconds,
    ownCpuPercent: weighted("ownCpuPercent"),
    otherCpuPercent: weighted("otherCpuPercent"),
    busiestCase: busiest === null ? null : { id: busiest.id, otherCpuPercent: busiest.load.otherCpuPercent },
    otherBusyProcessNames: [...names],
    loadAverageAtEnd: { one, five, fifteen },
  };
}
