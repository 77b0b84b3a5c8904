// Browser check of the admin page: starts the service on 127.0.0.1 with its own temporary D1 and KV,
// drives the page in Debian's headless Chromium through playwright-core, and stops everything.
//   node_modules/.bin/node scripts/ui-check.mjs
// Exits 0 with "skipped" when /usr/bin/chromium is missing (apt-get install chromium). Screenshots
// are left in a temporary folder whose path is printed. Nothing is sent beyond 127.0.0.1.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, generateApiKey, runWrangler, sha256Hex, wranglerEnv } from "./lib/wrangler.mjs";
import { freePort } from "./lib/ports.mjs";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const TIME_LIMIT_MS = 110_000;
const STARTUP_LIMIT_MS = 60_000;
// The page formats times in the browser's zone, and a zone other than UTC shows that it does.
const TIME_ZONE = "America/New_York";
const KEY_ITEM = "join-tokens.api-key";
const TOKEN_PATTERN = /^jt_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}$/;
const TIME_PATTERN = /^\d{2}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} [A-Z]{3,4}$/;
// Extra tokens that push the list past the page's 50-row page, so that "Load more" appears.
const PAGING_TOKENS = 50;

if (!existsSync(CHROMIUM)) {
  console.log(`ui-check skipped: ${CHROMIUM} does not exist. Install Debian's chromium (apt-get install chromium) to run it.`);
  process.exit(0);
}

let chromium;
try {
  ({ chromium } = createRequire(import.meta.url)("playwright-core"));
} catch {
  console.error("ui-check failed: playwright-core is not installed. Run `npm install --save-dev --save-exact playwright-core@1.65.1`.");
  process.exit(1);
}

const step = (text) => console.log(`ok: ${text}`);

/** The running `wrangler dev`, for the time-out handler to kill. */
let activeServer = null;

/** Formats like the page: mm/dd/yy hh:mm:ss and the zone abbreviation, here through Intl parts. */
function expectedTime(iso) {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: TIME_ZONE,
    month: "2-digit",
    day: "2-digit",
    year: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  });
  const parts = Object.fromEntries(format.formatToParts(new Date(iso)).map((part) => [part.type, part.value]));
  return `${parts.month}/${parts.day}/${parts.year} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
}

/** Polls `probe` until it returns a truthy value, and throws a time-out naming `description` after `limitMs`. */
async function until(description, probe, limitMs = 10_000) {
  const end = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${limitMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Applies the migrations and creates an account with one API key. Only the key's SHA-256 is stored. */
function prepareDatabase(stateDir) {
  const local = ["--local", "--persist-to", stateDir];
  runWrangler(["d1", "migrations", "apply", "DB", ...local], { quiet: true });
  const key = generateApiKey();
  const accountId = randomUUID();
  const now = Date.now();
  const sql = [
    `INSERT INTO accounts (id, name, created_at) VALUES ('${accountId}', 'ui-check', ${now})`,
    `INSERT INTO api_keys (id, account_id, key_hash, name, created_at) VALUES ('${randomUUID()}', '${accountId}', '${sha256Hex(key)}', 'ui-check', ${now})`,
  ].join("; ");
  runWrangler(["d1", "execute", "DB", ...local, "--command", sql], { quiet: true });
  return key;
}

/** Starts `wrangler dev` in its own process group and resolves once /admin returns 200. */
async function startServer(stateDir) {
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const args = ["dev", "--local", "--ip", "127.0.0.1", "--port", String(port), "--inspector-ip", "127.0.0.1", "--inspector-port", String(inspectorPort)];
  // TRIPWIRE_FLUSH_MS=0 writes rejected attempts right after each response instead of after 5 s.
  args.push("--persist-to", stateDir, "--var", "TRIPWIRE_FLUSH_MS:0", "--show-interactive-dev-session=false");
  const child = spawn(process.execPath, [WRANGLER, ...args], { cwd: ROOT, env: wranglerEnv, stdio: ["ignore", "pipe", "pipe"], detached: true });

  let output = "";
  const keep = (chunk) => (output = (output + chunk).slice(-20_000));
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const server = { child, exited, origin: `http://127.0.0.1:${port}`, output: () => output };

  const ready = await until(
    "wrangler dev to serve /admin",
    async () => {
      if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}`);
      const response = await fetch(`${server.origin}/admin`).catch(() => null);
      return response?.status === 200;
    },
    STARTUP_LIMIT_MS,
  ).catch((error) => error);
  if (ready instanceof Error) {
    await stopServer(server);
    throw ready;
  }
  return server;
}

/** Stops wrangler and workerd: SIGTERM to the process group, SIGKILL after 5 s. */
async function stopServer(server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  process.kill(-server.child.pid, "SIGTERM");
  const stopped = await Promise.race([server.exited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 5_000))]);
  if (!stopped) process.kill(-server.child.pid, "SIGKILL");
}

/** Calls the API over HTTP the way an admin script or a joining server does. */
async function callApi(origin, method, path, { key, body } = {}) {
  const headers = {};
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${origin}/host-activation/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, json: text === "" ? null : JSON.parse(text) };
}

async function checkPage(page, origin, key, screenshotDir) {
  const name = `ui-check-${randomUUID().slice(0, 8)}`;
  const rowOf = (tokenName) => page.locator("#rows > tr[data-id]").filter({ has: page.getByRole("rowheader").filter({ hasText: tokenName }) });
  const cellText = (row, label) => row.locator(`td[data-label="${label}"]`).innerText();

  await page.goto(`${origin}/`);
  assert.equal(page.url(), `${origin}/admin`, "GET / redirects to /admin");
  await page.getByLabel("API key", { exact: true }).fill(key);
  await page.keyboard.press("Enter");
  await page.locator("#tokens").waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), "f-name", "focus moves to the Name field after the key is entered");
  step("the key form accepts the API key from the keyboard");

  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Description", { exact: true }).fill("Two servers for the browser check");
  // Local time in America/New_York (EST, UTC-5 in January).
  await page.getByLabel(/Expires at/).fill("2099-01-15T09:30");
  await page.getByRole("button", { name: "Create token" }).click();
  const secret = page.getByLabel("Join token", { exact: true });
  await secret.waitFor();
  const token = await secret.inputValue();
  assert.ok(TOKEN_PATTERN.test(token), "the page shows a 58-character join token string");
  assert.match(await page.locator("#secret").innerText(), /will not be shown again/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "secret-value", "focus moves to the token string");

  const storage = await page.evaluate(() => ({ session: Object.entries(sessionStorage), local: Object.entries(localStorage) }));
  assert.equal(storage.local.length, 0, "localStorage is empty");
  assert.deepEqual(storage.session.map(([item]) => item), [KEY_ITEM], "sessionStorage holds only the API key item");
  assert.ok(storage.session[0][1] === key, "sessionStorage holds the API key that was entered");
  assert.ok(!JSON.stringify(storage).includes(token), "no storage holds the token string");
  step("the created token string is shown once with its warning and kept out of storage");
  // The token string is masked, so that no image contains it.
  const secretShot = join(screenshotDir, "admin-secret.png");
  await page.locator("#secret").screenshot({ path: secretShot, mask: [secret] });

  await page.getByRole("button", { name: "Copy token" }).click();
  await until("the copy status", async () => (await page.locator("#copy-status").innerText()) === "Copied.");
  assert.ok((await page.evaluate(() => navigator.clipboard.readText())) === token, "the clipboard holds the token string");
  await page.getByRole("button", { name: /hide it/ }).click();
  assert.ok(await page.locator("#secret").isHidden(), "the token panel is hidden after dismissing it");
  assert.equal(await page.locator("#secret-value").inputValue(), "", "the token string is cleared from the page");
  assert.ok(!(await page.evaluate(() => document.documentElement.outerHTML + document.body.innerText)).includes(token), "no page text holds the token string");
  step("the copy button copies the token string and dismissing clears it");

  const row = rowOf(name);
  assert.equal(await cellText(row, "Status"), "Active");
  assert.equal(await cellText(row, "Count"), "0");
  assert.equal(await cellText(row, "Last used"), "Never");
  assert.equal(await cellText(row, "Description"), "Two servers for the browser check");
  assert.match(await row.getByRole("rowheader").innerText(), /expires 01\/15\/99 09:30:00 EST/);
  const listed = await callApi(origin, "GET", "/jointoken", { key });
  const created = listed.json.results.find((item) => item.name === name);
  assert.equal(created.expires_at, "2099-01-15T14:30:00.000Z", "the local expiry is sent as UTC");
  step("the new row reads Active, 0, Never, and the local expiry was sent as RFC 3339 UTC");

  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Create token" }).click();
  await until("the name error", async () => /already exists/.test(await page.locator("#err-name").innerText()));
  assert.equal(await page.getByLabel("Name", { exact: true }).getAttribute("aria-invalid"), "true");
  assert.ok(await page.locator("#alert").isHidden(), "a field error is not repeated at the top");
  await page.getByLabel("Name", { exact: true }).fill("");
  assert.equal(await page.locator("#err-name").textContent(), "", "editing the field clears its error");
  assert.equal(await page.getByLabel("Name", { exact: true }).getAttribute("aria-invalid"), null);
  step("an API error naming a field is shown next to that field until the field is edited");

  for (const n of [1, 2]) {
    const joined = await callApi(origin, "POST", "/join", { body: { join_token: token, host_serial: `UI-CHECK-000${n}`, ophid: `ui-check-ophid-${n}` } });
    assert.equal(joined.status, 201, `join ${n} is accepted`);
  }
  await page.getByRole("button", { name: "Reload" }).click();
  await until("COUNT 2 after reload", async () => (await cellText(row, "Count")) === "2");
  const lastUsed = await cellText(row, "Last used");
  assert.match(lastUsed, TIME_PATTERN);
  const afterJoins = await callApi(origin, "GET", `/jointoken/${created.id}`, { key });
  assert.equal(lastUsed, expectedTime(afterJoins.json.result.last_used_at), "LAST USED is last_used_at in the browser's zone");
  step(`after two joins the row reads COUNT 2 and LAST USED ${lastUsed}`);

  const hostsButton = row.getByRole("button", { name: `Hosts for ${name}` });
  await hostsButton.click();
  assert.equal(await hostsButton.getAttribute("aria-expanded"), "true");
  const detail = page.locator(`#hosts-${created.id}`);
  await detail.locator("tbody tr").first().waitFor();
  const hostRows = await detail.locator("tbody tr").evaluateAll((rows) => rows.map((tr) => [...tr.cells].map((cell) => cell.textContent)));
  assert.deepEqual(
    hostRows.map((cells) => cells.slice(0, 3)),
    [
      ["UI-CHECK-0002", "ui-check-ophid-2", "127.0.0.1"],
      ["UI-CHECK-0001", "ui-check-ophid-1", "127.0.0.1"],
    ],
    "the hosts view lists both servers, newest first",
  );
  for (const cells of hostRows) assert.match(cells[3], TIME_PATTERN);
  step("the hosts view lists UI-CHECK-0002 and UI-CHECK-0001, newest first");

  const dialogs = [];
  page.once("dialog", (dialog) => {
    dialogs.push(dialog.message());
    dialog.accept();
  });
  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await until("status Revoked", async () => (await cellText(row, "Status")) === "Revoked");
  assert.equal(dialogs.length, 1, "revoking asks for confirmation");
  assert.match(dialogs[0], new RegExp(`Revoke the join token .${name}.`));
  assert.ok(await row.getByRole("button", { name: `Revoke ${name}` }).isHidden(), "a revoked row has no Revoke button");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("aria-label")), `Hosts for ${name}`, "focus stays on the row");
  step("revoking after confirmation shows status Revoked and keeps the row");

  const rejected = await callApi(origin, "POST", "/join", { body: { join_token: token, host_serial: "UI-CHECK-0003" } });
  assert.equal(rejected.status, 403);
  assert.equal(rejected.json.error.code, "TOKEN_REVOKED");
  await until("the tripwire write", async () => (await callApi(origin, "GET", `/jointoken/${created.id}`, { key })).json.result.rejected_attempts === 1);
  await hostsButton.click();
  await hostsButton.click();
  await until("the tripwire note", async () => /1 join attempt rejected after this token was revoked or expired/.test(await detail.innerText()));
  assert.match(await detail.innerText(), /from 127\.0\.0\.1/);
  assert.match(await cellText(row, "Status"), /Revoked\s+1 rejected attempt/);
  step("a join with the revoked token is refused and shown as 1 rejected attempt");

  const laptop = join(screenshotDir, "admin-laptop.png");
  await page.screenshot({ path: laptop, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390, "the page fits a 390 px wide phone without scrolling sideways");
  const phone = join(screenshotDir, "admin-phone.png");
  await page.screenshot({ path: phone, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  step(`screenshots: ${laptop}, ${phone} and ${secretShot}`);

  for (let n = 0; n < PAGING_TOKENS; n += 1) {
    const response = await callApi(origin, "POST", "/jointoken", { key, body: { name: `ui-check-paging-${n}` } });
    assert.equal(response.status, 201);
  }
  await page.getByRole("button", { name: "Reload" }).click();
  await until("a full first page", async () => (await page.locator("#rows > tr[data-id]").count()) === 50);
  await page.getByRole("button", { name: "Load more", exact: true }).click();
  await until("the second page", async () => (await page.locator("#rows > tr[data-id]").count()) === PAGING_TOKENS + 1);
  assert.ok(await page.getByRole("button", { name: "Load more", exact: true }).isHidden(), "Load more is hidden on the last page");
  step(`Load more pages through ${PAGING_TOKENS + 1} tokens, 50 at a time`);

  await page.evaluate((item) => sessionStorage.setItem(item, "jtk_not-a-valid-key"), KEY_ITEM);
  await page.getByRole("button", { name: "Reload" }).click();
  await page.getByLabel("API key", { exact: true }).waitFor();
  assert.match(await page.locator("#key-error").innerText(), /rejected/);
  assert.equal(await page.evaluate((item) => sessionStorage.getItem(item), KEY_ITEM), null, "a 401 clears the stored key");
  assert.equal(await page.locator("#rows > tr").count(), 0, "the token list is cleared");
  step("a rejected key is cleared and the page asks for one again");
}

async function main() {
  const workDir = await mkdtemp(join(tmpdir(), "join-tokens-ui-"));
  const stateDir = join(workDir, "state");
  const profileDir = join(workDir, "chromium-profile");
  let server;
  let context;
  try {
    const key = prepareDatabase(stateDir);
    server = await startServer(stateDir);
    activeServer = server;
    step(`service started at ${server.origin}`);

    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timezoneId: TIME_ZONE,
      locale: "en-US",
      viewport: { width: 1280, height: 800 },
    });
    context.setDefaultTimeout(15_000);
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.origin });

    // Every request must stay on the service's own origin.
    const offOrigin = [];
    await context.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.origin === server.origin || url.protocol === "data:") return route.continue();
      offOrigin.push(url.origin);
      return route.abort();
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      // The browser logs the 409 and 401 that the check provokes on purpose.
      if (message.type() === "error" && !/status of (401|409)/.test(message.text())) pageErrors.push(message.text());
    });

    await checkPage(page, server.origin, key, workDir);
    assert.deepEqual(pageErrors, [], "the page logged no script error or CSP violation");
    assert.deepEqual(offOrigin, [], "the page requested nothing from another origin");
    console.log("ui-check passed");
  } catch (error) {
    if (server !== undefined) process.stderr.write(`--- wrangler dev output (last part) ---\n${server.output()}\n---\n`);
    throw error;
  } finally {
    await context?.close();
    if (server !== undefined) await stopServer(server);
    await rm(stateDir, { recursive: true, force: true });
    await rm(profileDir, { recursive: true, force: true });
  }
}

// On a time-out, wrangler and workerd are killed here, because `finally` in main never runs.
const timer = setTimeout(() => {
  console.error(`ui-check failed: it did not finish within ${TIME_LIMIT_MS / 1000} s.`);
  if (activeServer !== null && activeServer.child.exitCode === null) process.kill(-activeServer.child.pid, "SIGKILL");
  process.exit(1);
}, TIME_LIMIT_MS);
timer.unref();

try {
  await main();
} catch (error) {
  console.error(`ui-check failed: ${error.stack ?? error}`);
  process.exitCode = 1;
}
