// The bad-input corpus (test/bad-input/corpus.ts) over real HTTP. The corpus builds each request
// itself (toRequest) from a fixture that this file creates through the API, as the vitest runner does
// inside workerd. No response may be 5xx, and each must match the case's status, code and field and
// contain no secret. No stored record may change.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../lib/wrangler.mjs";
import { loadTs } from "../load-ts.mjs";
import { serverFailures } from "../report.mjs";

const CORPUS = join(ROOT, "test/bad-input/corpus.ts");
const CONCURRENCY = 8;
const REQUEST_TIMEOUT_MS = 20_000;

/** A documentation-range IPv6 address per case, as the vitest runner uses. */
const clientIp = (index) => `2001:db8::${(index + 1).toString(16)}`;

export async function badInput({ client, foreign }, report) {
  const scenario = "bad-input corpus (test/bad-input/corpus.ts)";
  try {
    if (!existsSync(CORPUS)) throw new Error("test/bad-input/corpus.ts does not exist");
    const { module: corpus, loader } = await loadTs(CORPUS);
    const cases = corpus.BAD_INPUT_CASES;
    const fixture = await createFixture(client, foreign);
    const before = await snapshot([client, foreign]);

    const results = new Array(cases.length);
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const i = next++;
        results[i] = await sendCase(corpus, cases[i], fixture, client.origin, clientIp(i));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const changed = diff(before, await snapshot([client, foreign]));

    const responses = results.map((result) => result.response);
    const differing = results.filter((result) => !result.matches);
    const echoing = results.filter((result) => result.echoesSecret);
    const names = (list) => list.slice(0, 6).map((result) => `${result.name} (${result.detail})`).join("; ") + (list.length > 6 ? `; and ${list.length - 6} more` : "");

    const answered = responses.filter((response) => response.status !== 0).length;
    report.add(`${scenario}: cases with a response (loaded by ${loader})`, `${answered} of ${cases.length}`, `${cases.length} of ${cases.length}`, answered === cases.length && cases.length > 0);
    report.add(`${scenario}: 5xx or no response`, serverFailures(responses), 0);
    report.add(`${scenario}: responses unlike expectStatus / expectCode / expectField`, differing.length === 0 ? "0" : `${differing.length}: ${names(differing)}`, "0");
    report.add(`${scenario}: responses that contain the token string or API key`, echoing.length, 0);
    report.add(`${scenario}: stored tokens and hosts changed`, changed.length === 0 ? "0" : `${changed.length}: ${changed.slice(0, 4).join("; ")}`, "0");
  } catch (error) {
    report.addError(scenario, error);
  }
}

/** Creates the records that the corpus points at, as test/bad-input/bad-input.test.ts does. */
async function createFixture(client, foreign) {
  const { module: tokenString } = await loadTs(join(ROOT, "src/lib/token-string.ts"));
  const { module: crc } = await loadTs(join(ROOT, "src/lib/crc32.ts"));
  const { module: ids } = await loadTs(join(ROOT, "src/lib/ids.ts"));

  const first = await client.createToken({ description: "fixture", tags: { env: "test" }, use_limit: 10 });
  const second = await client.createToken();
  const foreignToken = await foreign.createToken();
  const joined = await client.join(first.joinToken, { host_serial: "SN-FIXTURE", ophid: "fixture-host" });
  if (joined.status !== 201) throw new Error(`the fixture join returned ${joined.status}, expected 201`);

  const { tokenId } = tokenString.parseTokenString(first.joinToken);
  const wrongSecretBody = `${tokenId}_${"0".repeat(32)}`;
  const last = first.joinToken.at(-1);
  return {
    tokenId: first.token.id,
    tokenName: first.token.name,
    otherTokenId: second.token.id,
    foreignTokenId: foreignToken.token.id,
    joinToken: first.joinToken,
    badChecksumToken: first.joinToken.slice(0, -1) + (last === "A" ? "B" : "A"),
    wrongSecretToken: wrongSecretBody + ids.encodeBase62(crc.crc32(wrongSecretBody), 6),
    unknownToken: tokenString.generateTokenString().token,
    apiKey: client.key,
  };
}

async function sendCase(corpus, testCase, fixture, origin, ip) {
  const failed = (detail) => ({ name: testCase.name, response: { status: 0, headers: new Headers() }, matches: false, echoesSecret: false, detail });
  let status;
  let headers;
  let text;
  // A streamed oversized body can be cut off by the server's early 413 while the client is still
  // sending it, and undici then reports the reset instead of the response: such a case gets 3 tries.
  const tries = testCase.stream ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    let request;
    try {
      request = corpus.toRequest(testCase, fixture, origin, ip);
    } catch (error) {
      return failed(`not built: ${error.message}`);
    }
    try {
      const response = await fetch(request, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      ({ status, headers } = response);
      text = await response.text();
      break;
    } catch (error) {
      if (attempt >= tries) return failed(`no response after ${attempt} ${attempt === 1 ? "try" : "tries"}: ${error.message}`);
    }
  }

  let error = null;
  try {
    error = JSON.parse(text).error ?? null;
  } catch {
    // Not JSON: reported as a mismatch below.
  }
  const matches = status === testCase.expectStatus && error?.code === testCase.expectCode && error?.field === testCase.expectField;
  const detail = `${status} ${error?.code ?? "no error body"} ${error?.field ?? "-"}, expected ${testCase.expectStatus} ${testCase.expectCode} ${testCase.expectField}`;
  return { name: testCase.name, response: { status, headers }, matches, echoesSecret: text.includes(fixture.joinToken) || text.includes(fixture.apiKey), detail };
}

/** Reads every token of each client's account and its host records, keyed by token id. */
async function snapshot(clients) {
  const records = new Map();
  for (const client of clients) {
    for (const token of await client.listTokens()) {
      records.set(`token ${token.id}`, JSON.stringify(token));
      records.set(`hosts of ${token.id}`, JSON.stringify(await client.listHosts(token.id)));
    }
  }
  return records;
}

function diff(before, after) {
  const changed = [];
  for (const [name, value] of after) {
    if (!before.has(name)) changed.push(`${name} added`);
    else if (before.get(name) !== value) changed.push(`${name} changed`);
  }
  for (const name of before.keys()) if (!after.has(name)) changed.push(`${name} removed`);
  return changed;
}
