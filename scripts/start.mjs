// `npm start`: applies D1 migrations to the local database, creates a local account and API key the
// first time, and serves the Worker on http://127.0.0.1:8787 with local D1 and KV.
import { createApiKey, queryD1, runWrangler, spawnWrangler } from "./lib/wrangler.mjs";

const port = process.env.PORT ?? "8787";

runWrangler(["d1", "migrations", "apply", "DB", "--local"], { quiet: true });
console.log("Local D1 migrations are applied.");

const [{ accounts } = { accounts: 0 }] = queryD1("SELECT COUNT(*) AS accounts FROM accounts", "--local");
if (accounts === 0) {
  const { accountId, key } = createApiKey({ target: "--local", accountName: "local", keyName: "local" });
  console.log(`Created the local account ${accountId}.`);
  console.log(`API key (shown once; the database stores its SHA-256): ${key}`);
} else {
  console.log(`The local database has ${accounts} account(s); run \`npm run account:create -- --name <name>\` for another key.`);
}

const child = spawnWrangler(["dev", "--ip", "127.0.0.1", "--port", port, "--local"]);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 0));
