// Runs the project's wrangler: one-shot commands, and local Worker servers on 127.0.0.1 that are
// stopped when the benchmark exits, fails or is interrupted.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, createWriteStream, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { freePort } from "../../scripts/lib/ports.mjs";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const DEV_SERVER = fileURLToPath(new URL("dev-server.mjs", import.meta.url));
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 5_000;

// Keeps wrangler on loopback: no telemetry or error reports, no `request.cf` download, and no banner,
// because printing the banner makes wrangler 4.164 ask registry.npmjs.org for a newer version.
// X_LOCAL_OBSERVABILITY=false turns off wrangler dev's local trace store, which would record every
// request of every worker in SQLite and add the same cost to both sides of each comparison.
export const wranglerEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  DO_NOT_TRACK: "1",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
  X_LOCAL_OBSERVABILITY: "false",
};

/** Runs wrangler to completion and returns its stdout; throws with the end of its output if it fails. */
export function runWrangler(args) {
  const result = spawnSync(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    env: wranglerEnv,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ""}\n${result.stderr ?? ""}`.trim().split("\n").slice(-15).join("\n");
    throw new Error(`wrangler ${args.slice(0, 3).join(" ")} failed with exit code ${result.status}:\n${output}`);
  }
  return result.stdout;
}

export function wranglerVersion() {
  return runWrangler(["--version"]).trim().split("\n").at(-1).trim();
}

// Each running server's child process, mapped to a promise of its exit code.
const running = new Map();

/** Sends `signal` to the process group of each running server. Safe to call from an exit handler. */
function signalAll(signal) {
  for (const child of running.keys()) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group has already exited.
    }
  }
}

process.on("exit", () => signalAll("SIGTERM"));
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    console.error(`\nbench: ${signal} received; stopping the servers.`);
    process.exit(130);
  });
}

/**
 * Starts `config` like `wrangler dev --local` on 127.0.0.1 with storage under `persistTo` (see
 * dev-server.mjs), and resolves once it is ready. Its output goes to `logFile`.
 */
export async function startDev({ name, config, persistTo, logFile }) {
  const port = await freePort();
  const log = openSync(logFile, "a");
  // A process group of its own, so that stopping it also stops the workerd processes it starts.
  const child = spawn(process.execPath, [DEV_SERVER, config, String(port), persistTo], {
    cwd: ROOT,
    env: wranglerEnv,
    detached: true,
    stdio: ["ignore", "pipe", log],
  });
  closeSync(log);
  child.stdout.pipe(createWriteStream(logFile, { flags: "a" }));
  const exited = new Promise((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
  running.set(child, exited);
  child.once("exit", () => running.delete(child));

  const ready = new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk) => {
      output += chunk;
      if (!/^ready /m.test(output)) return;
      child.stdout.off("data", onData);
      resolve();
    };
    child.stdout.on("data", onData);
    child.once("exit", () => reject(new Error(`${name} exited before it was ready; see ${logFile}:\n${tail(logFile)}`)));
  });

  const timeout = sleep(READY_TIMEOUT_MS, "timeout", { ref: false });
  if ((await Promise.race([ready, timeout])) === "timeout") {
    await stopServer(child, exited);
    throw new Error(`${name} was not ready within ${READY_TIMEOUT_MS / 1000} s; see ${logFile}:\n${tail(logFile)}`);
  }
  return { name, url: `http://127.0.0.1:${port}`, port };
}

/** Stops every server that startDev started and waits for each to exit. */
export async function stopAll() {
  await Promise.all([...running].map(([child, exited]) => stopServer(child, exited)));
}

async function stopServer(child, exited) {
  if (!running.has(child)) return;
  process.kill(-child.pid, "SIGTERM");
  const timeout = sleep(STOP_TIMEOUT_MS, "timeout", { ref: false });
  if ((await Promise.race([exited, timeout])) === "timeout") {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // It exited after all.
    }
  }
}

function tail(file) {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-15).join("\n");
  } catch {
    return "(no output)";
  }
}
