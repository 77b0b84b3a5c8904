// Local storage and `wrangler dev` servers for the reliability suite: each server gets its own
// persistence folder, migrated and seeded with its accounts and API keys, and listens on 127.0.0.1 only.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { ROOT, generateApiKey, sha256Hex, wranglerEnv } from "../lib/wrangler.mjs";
import { freePort } from "../lib/ports.mjs";

const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 5_000;

// Children still running, so that an interrupted run can end them: wrangler commands and servers.
const pendingRuns = new Set();
const liveServers = new Set();

/**
 * Runs wrangler to completion and resolves with its stdout; rejects with its output on failure or
 * after `timeoutMs`. The child leads its own process group, so that stopAll() can end it with the
 * workerd it may start.
 */
export function runWrangler(args, { timeoutMs = 90_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], { cwd: ROOT, env: wranglerEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    pendingRuns.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => signalGroup(child.pid, "SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      pendingRuns.delete(child);
      if (code === 0) resolve(stdout);
      else reject(new Error(`wrangler ${args.slice(0, 3).join(" ")} failed (exit ${code ?? signal}):\n${stdout}\n${stderr}`));
    });
  });
}

/** Ends every wrangler command and server that this module started and that is still running. */
export async function stopAll() {
  for (const child of pendingRuns) signalGroup(child.pid, "SIGTERM");
  await Promise.all([...liveServers].map((server) => server.stop()));
}

const sqlString = (text) => `'${String(text).replaceAll("'", "''")}'`;

/** The --local storage in `persistTo`, as wrangler d1 arguments. */
const localD1 = ({ config, persistTo }) => ["--local", "--persist-to", persistTo, "--config", config];

/**
 * Creates one account with one API key per name in the local D1 under `persistTo`, as createApiKey
 * in scripts/lib/wrangler.mjs does for the default folder, in one wrangler run. Only each key's
 * SHA-256 is written; the keys are returned to the caller and never printed.
 */
export async function createApiKeys(storage, accountNames) {
  const now = Date.now();
  const accounts = accountNames.map((name) => ({ name, accountId: randomUUID(), key: generateApiKey() }));
  const sql = accounts.flatMap(({ name, accountId, key }) => [
    `INSERT INTO accounts (id, name, created_at) VALUES (${sqlString(accountId)}, ${sqlString(name)}, ${now})`,
    `INSERT INTO api_keys (id, account_id, key_hash, name, created_at) VALUES (${sqlString(randomUUID())}, ${sqlString(accountId)}, ${sqlString(sha256Hex(key))}, 'reliability', ${now})`,
  ]);
  await runWrangler(["d1", "execute", "DB", ...localD1(storage), "--json", "--command", sql.join("; ")]);
  return accounts;
}

/** Applies the D1 migrations to a new folder and creates the named accounts; resolves with their keys. */
export async function prepareStorage(storage, accountNames) {
  await mkdir(storage.persistTo, { recursive: true });
  await runWrangler(["d1", "migrations", "apply", "DB", ...localD1(storage)]);
  return createApiKeys(storage, accountNames);
}

const PORT_ATTEMPTS = 3;

/**
 * Starts `wrangler dev --local` for `config` on a free loopback port, with its output in `logFile`,
 * and resolves once this service responds on it. A free port can be taken by another process before
 * wrangler binds it, so a start that finds its port in use is retried on new ports, up to 3 times.
 */
export async function startServer(options) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOnce(options);
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt === PORT_ATTEMPTS) throw error;
      console.log(`[reliability] ${options.name}: port ${error.port} was taken before wrangler bound it; retrying on another port`);
    }
  }
}

class PortInUseError extends Error {
  constructor(name, port) {
    super(`${name}: port ${port} is already in use`);
    this.port = port;
  }
}

/** True when the server at `origin` is this service: its admin list rejects a request without a key. */
async function isJoinTokensService(origin) {
  const response = await fetch(`${origin}/host-activation/v1/jointoken`, { signal: AbortSignal.timeout(2_000) });
  const body = await response.json().catch(() => null);
  return response.status === 401 && body?.error?.code === "UNAUTHENTICATED";
}

/**
 * Starts one `wrangler dev` on new free ports. The child leads its own process group so that stop()
 * also ends the workerd it starts.
 */
async function startServerOnce({ name, config, persistTo, logFile }) {
  const port = await freePort();
  const inspectorPort = await freePort();
  const logStart = existsSync(logFile) ? readFileSync(logFile, "utf8").length : 0;
  const log = openSync(logFile, "a");
  const args = [
    WRANGLER, "dev", "--config", config, "--local", "--persist-to", persistTo,
    "--ip", "127.0.0.1", "--port", String(port), "--inspector-ip", "127.0.0.1", "--inspector-port", String(inspectorPort),
    "--show-interactive-dev-session=false",
  ];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: wranglerEnv, detached: true, stdio: ["ignore", log, log] });
  closeSync(log);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let running = true;

  const server = {
    name,
    origin: `http://127.0.0.1:${port}`,
    logFile,
    async stop() {
      if (!running) return;
      signalGroup(child.pid, "SIGTERM");
      const stopped = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
      if (!stopped) {
        signalGroup(child.pid, "SIGKILL");
        await exited;
      }
    },
  };
  liveServers.add(server);
  exited.then(() => {
    running = false;
    liveServers.delete(server);
  });

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!running) throw new Error(`${name}: wrangler dev exited before it was ready; see ${logFile}:\n${tail(logFile)}`);
    // wrangler reports a port taken between freePort() and its own bind in its log, and may keep running.
    if (readFileSync(logFile, "utf8").slice(logStart).includes("Address already in use")) {
      await server.stop();
      throw new PortInUseError(name, port);
    }
    try {
      if (await isJoinTokensService(server.origin)) return server;
    } catch {
      // Not listening yet.
    }
    await sleep(250);
  }
  await server.stop();
  throw new Error(`${name}: wrangler dev did not respond within ${READY_TIMEOUT_MS / 1000} s; see ${logFile}:\n${tail(logFile)}`);
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group has already exited.
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function tail(file, lines = 30) {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
