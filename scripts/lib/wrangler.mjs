// Runs the project's own wrangler with telemetry off. Scripts run under `npm run`, so `node` here
// is the Node 22 that package.json pins, whatever Node the machine has.
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER = fileURLToPath(new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url));

// CLOUDFLARE_CF_FETCH_ENABLED=false stops miniflare from downloading a sample `request.cf` object at
// start, and WRANGLER_HIDE_BANNER=true stops wrangler 4 from asking the npm registry for a newer version.
export const wranglerEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  DO_NOT_TRACK: "1",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
};

/** Runs wrangler to completion and returns its stdout; exits the process if it fails. */
export function runWrangler(args, { quiet = false, input } = {}) {
  const result = spawnSync(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    env: wranglerEnv,
    encoding: "utf8",
    input,
    stdio: [input === undefined ? "ignore" : "pipe", "pipe", quiet ? "pipe" : "inherit"],
  });
  if (result.status !== 0) {
    process.stderr.write(result.stdout ?? "");
    process.stderr.write(result.stderr ?? "");
    console.error(`wrangler ${args.slice(0, 3).join(" ")} failed with exit code ${result.status}.`);
    process.exit(result.status ?? 1);
  }
  return result.stdout;
}

/** Starts wrangler as a child that shares this terminal. */
export function spawnWrangler(args) {
  return spawn(process.execPath, [WRANGLER, ...args], { cwd: ROOT, env: wranglerEnv, stdio: "inherit" });
}

/** Runs SQL against the D1 binding DB and returns the rows of the last statement. */
export function queryD1(sql, target) {
  const out = runWrangler(["d1", "execute", "DB", target, "--json", "--command", sql], { quiet: true });
  const parsed = JSON.parse(out);
  return parsed.at(-1)?.results ?? [];
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Generates an API key: `jtk_` and 40 base62 characters (about 238 random bits). */
export function generateApiKey() {
  let key = "";
  while (key.length < 40) {
    for (const byte of randomBytes(64)) if (byte < 248 && key.length < 40) key += BASE62[byte % 62];
  }
  return `jtk_${key}`;
}

export const sha256Hex = (text) => createHash("sha256").update(text).digest("hex");

const sqlString = (text) => `'${String(text).replaceAll("'", "''")}'`;

/**
 * Creates an API key, and the account too unless `accountId` names an existing one. Only the key's
 * SHA-256 reaches the database; the key is returned once, for the caller to show.
 */
export function createApiKey({ target, accountName, accountId, keyName }) {
  const now = Date.now();
  const key = generateApiKey();
  const account = accountId ?? randomUUID();
  const statements = [];
  if (accountId === undefined) {
    statements.push(`INSERT INTO accounts (id, name, created_at) VALUES (${sqlString(account)}, ${sqlString(accountName)}, ${now})`);
  } else if (queryD1(`SELECT id FROM accounts WHERE id = ${sqlString(accountId)}`, target).length === 0) {
    console.error(`No account with id ${accountId} exists in the ${target.slice(2)} database.`);
    process.exit(1);
  }
  statements.push(
    `INSERT INTO api_keys (id, account_id, key_hash, name, created_at) VALUES (${sqlString(randomUUID())}, ${sqlString(account)}, ${sqlString(sha256Hex(key))}, ${sqlString(keyName)}, ${now})`,
  );
  queryD1(statements.join("; "), target);
  return { accountId: account, key };
}
