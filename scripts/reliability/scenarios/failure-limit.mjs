// The failed-join limit of the root wrangler.toml (JOIN_FAILURE_LIMITER: 30 failures a minute per
// source IP). From the 31st failure on, joins from that IP get 429 with Retry-After, but successful
// joins from it keep succeeding.
import { newToken } from "../../lib/tokens.mjs";
import { errorCode, nonce } from "../client.mjs";
import { statusSummary } from "../report.mjs";
import { sleep } from "../servers.mjs";

const LIMIT = 30;
const PERIOD_MS = 60_000;
// Miniflare's local limiter counts in windows aligned to the wall clock. A run that started later than
// this in a window could span two windows, so it waits for the next window instead.
const LATEST_START_IN_WINDOW_MS = 45_000;
// A well-formed token (valid checksum) that is in no database: the failure that guessing produces,
// which is the kind the limiter counts. Only the token string is used; it is never printed.
const BAD_TOKEN = newToken().token;

export async function failureLimit(client, report, { failures }) {
  const scenario = `failed-join limit, root wrangler.toml (${LIMIT} a minute per IP)`;
  try {
    const { joinToken } = await client.createToken();
    const run = nonce();

    // Does wrangler dev keep a CF-Connecting-IP that the client sent? The host record shows the IP the Worker saw.
    const probeIp = "198.51.100.7";
    const probe = await client.join(joinToken, { ophid: `ophid-ip-${run}` }, { "cf-connecting-ip": probeIp });
    const seenIp = probe.json?.result?.src_ip?.value ?? null;
    const honoured = seenIp === probeIp;
    report.add(
      "wrangler dev: client-sent CF-Connecting-IP",
      honoured ? `kept (src_ip ${seenIp})` : `replaced (src_ip ${seenIp ?? "none"})`,
      "reported",
      probe.status === 201,
    );

    // With the header kept, this run has an address of its own; otherwise every request is 127.0.0.1.
    const ip = honoured ? `198.51.100.${10 + Math.floor(Math.random() * 200)}` : null;
    const from = ip === null ? {} : { "cf-connecting-ip": ip };
    const intoWindow = Date.now() % PERIOD_MS;
    if (intoWindow > LATEST_START_IN_WINDOW_MS) await sleep(PERIOD_MS - intoWindow + 100);
    const window = Math.floor(Date.now() / PERIOD_MS);

    const failed = [];
    for (let i = 0; i < failures; i++) failed.push(await client.join(BAD_TOKEN, { ophid: `ophid-bad-${run}-${i}` }, from));
    const successes = [];
    for (let i = 0; i < 5; i++) successes.push(await client.join(joinToken, { ophid: `ophid-ok-${run}-${i}` }, from));
    const otherIp = honoured ? await client.join(BAD_TOKEN, {}, { "cf-connecting-ip": "198.51.100.250" }) : null;
    const sameWindow = Math.floor(Date.now() / PERIOD_MS) === window;

    const firstLimited = failed.findIndex((response) => response.status === 429);
    const limited = failed.slice(LIMIT);
    const limitedOk = limited.every((response) => response.status === 429 && errorCode(response) === "RATE_LIMITED" && response.headers.has("retry-after"));
    report.add(
      `${scenario}: ${failures} failed joins from one IP`,
      `${statusSummary(failed)}; first 429 at #${firstLimited + 1}; Retry-After on every 429: ${limitedOk ? "yes" : "no"}${sameWindow ? "" : " (crossed a window)"}`,
      `401×${LIMIT}, 429×${failures - LIMIT}; first 429 at #${LIMIT + 1}; Retry-After on every 429: yes`,
      sameWindow && firstLimited === LIMIT && failed.slice(0, LIMIT).every((response) => response.status === 401) && limitedOk,
    );
    report.add(`${scenario}: successful joins from the limited IP`, statusSummary(successes), "201×5", successes.every((response) => response.status === 201));
    if (otherIp !== null) report.add(`${scenario}: a failed join from another IP`, otherIp.status, 401);
  } catch (error) {
    report.addError(scenario, error);
  }
}
