// Malformed requests for every route, as plain data, so that the vitest runner in workerd and a Node
// script sending real HTTP to `wrangler dev` can share the list. This module imports nothing and
// uses only web-standard globals (Request, Headers, ReadableStream, TextEncoder, btoa).
//
// Placeholders such as {tokenId} in a path, header, auth value or string body are replaced by
// `fillPlaceholders` from a Fixture that the runner creates first. Byte bodies are sent as they are.
// Every case expects a 4xx. A case on a route that writes carries an otherwise valid request, so one
// that got through would create, change or revoke a record, which the runner finds by comparing the
// stored rows before and after the whole corpus.

export const BASE = "/host-activation/v1";
export const ATLAS_BASE = "/atlas-host-activation/v1";

/** Stored records that the cases point at, created by the runner. Two fields are secrets, which must never be printed. */
export interface Fixture {
  /** id (UUID) of a live token in the fixture account that has one joined host. */
  tokenId: string;
  /** name of that token. */
  tokenName: string;
  /** id of a second live token in the fixture account, with no hosts. */
  otherTokenId: string;
  /** id of a live token in another account. */
  foreignTokenId: string;
  /** Secret: the token string of the first token. */
  joinToken: string;
  /** The first token string with its last checksum character changed. */
  badChecksumToken: string;
  /** The first token's `token_id` with another 32-character secret and a correct checksum. */
  wrongSecretToken: string;
  /** A well-formed token string with a correct checksum that matches no stored token. */
  unknownToken: string;
  /** Secret: an API key of the fixture account. */
  apiKey: string;
}

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

export interface BadInputCase {
  /** Unique, short: the route's label and the fault. Never contains a secret. */
  name: string;
  method: Method;
  /** Path and query, with placeholders. */
  path: string;
  headers: Record<string, string>;
  /** A string body is sent as UTF-8 after its placeholders are filled. Bytes are sent as they are, and null sends no body. */
  body: string | Uint8Array | null;
  /** Send the body as a stream, so that the request carries no Content-Length. */
  stream: boolean;
  /** "valid" sends the fixture's API key, "none" sends no Authorization header, any other string is sent as the header. */
  auth: "valid" | "none" | (string & {});
  expectStatus: number;
  expectCode: string;
  /** The `error.field` the response must name. */
  expectField: string;
}

const PLACEHOLDER = /\{(tokenId|tokenName|otherTokenId|foreignTokenId|joinToken|badChecksumToken|wrongSecretToken|unknownToken|apiKey)\}/g;

/** Replaces each {placeholder} with the fixture's value. */
export function fillPlaceholders(text: string, fixture: Fixture): string {
  return text.replace(PLACEHOLDER, (_, key: keyof Fixture) => fixture[key]);
}

/**
 * Builds the request for a case. `clientIp` goes into CF-Connecting-IP: the join route limits failed
 * joins per address (30 a minute), so a runner sends each join case from its own address.
 */
export function toRequest(testCase: BadInputCase, fixture: Fixture, origin: string, clientIp: string): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(testCase.headers)) headers.set(name, fillPlaceholders(value, fixture));
  if (testCase.auth === "valid") headers.set("Authorization", `Token ${fixture.apiKey}`);
  else if (testCase.auth !== "none") headers.set("Authorization", fillPlaceholders(testCase.auth, fixture));
  headers.set("CF-Connecting-IP", clientIp);

  // Bytes, never a string: fetch would add `Content-Type: text/plain` to a string body.
  const bytes = typeof testCase.body === "string" ? new TextEncoder().encode(fillPlaceholders(testCase.body, fixture)) : testCase.body;
  let body: BodyInit | null = bytes;
  // Declared explicitly because workerd's Request computes the length only when it is sent, and the
  // body limit middleware takes a different path with and without the header.
  if (bytes !== null && !testCase.stream) headers.set("Content-Length", String(bytes.length));
  if (bytes !== null && testCase.stream) {
    body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
  }
  // `duplex` is required by Node's fetch for a stream body and ignored elsewhere.
  const init = { method: testCase.method, headers, body, duplex: "half" } as RequestInit;
  return new Request(origin + fillPlaceholders(testCase.path, fixture), init);
}

// ---------------------------------------------------------------------------------------------
// Building blocks

const JSON_TYPE = { "Content-Type": "application/json" };
const UNKNOWN_UUID = "00000000-0000-7000-8000-000000000000";

type Expectation = Pick<BadInputCase, "expectStatus" | "expectCode" | "expectField">;

const invalid = (field: string): Expectation => ({ expectStatus: 400, expectCode: "INVALID_ARGUMENT", expectField: field });
const notFound = (field: string): Expectation => ({ expectStatus: 404, expectCode: "NOT_FOUND", expectField: field });
const unauthenticated: Expectation = { expectStatus: 401, expectCode: "UNAUTHENTICATED", expectField: "Authorization" };
const tokenInvalid: Expectation = { expectStatus: 401, expectCode: "TOKEN_INVALID", expectField: "join_token" };
const tooLarge: Expectation = { expectStatus: 413, expectCode: "PAYLOAD_TOO_LARGE", expectField: "body" };
const unsupportedType: Expectation = { expectStatus: 415, expectCode: "UNSUPPORTED_MEDIA_TYPE", expectField: "Content-Type" };

/** Concatenates UTF-8 text and raw bytes. */
function bytes(...parts: Array<string | number[]>): Uint8Array {
  const chunks = parts.map((part) => (typeof part === "string" ? new TextEncoder().encode(part) : Uint8Array.from(part)));
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

const RAW = "\u0000raw\u0000";

/** Serialises `body` with `field` set to the JSON text `raw`, for values JSON.stringify cannot produce (1e400, __proto__ keys). */
function withRaw(body: Record<string, unknown>, field: string, raw: string): string {
  return JSON.stringify({ ...body, [field]: RAW }).replace(JSON.stringify(RAW), raw);
}

/** Builds a JSON object body of exactly `size` bytes from `head` and a `field` padded with "a" characters. */
function paddedJson(head: Record<string, unknown>, field: string, size: number): string {
  const empty = JSON.stringify({ ...head, [field]: "" });
  return JSON.stringify({ ...head, [field]: "a".repeat(size - empty.length) });
}

interface BodyRoute {
  label: string;
  method: Method;
  path: string;
  /** Returns a fresh body that the route accepts. Each case changes one thing in it. */
  valid: () => Record<string, unknown>;
}

let nameCounter = 0;
const freshName = () => `bad-input-${++nameCounter}`;

const createRoute: BodyRoute = { label: "create", method: "POST", path: `${BASE}/jointoken`, valid: () => ({ name: freshName() }) };
const updateRoute: BodyRoute = {
  label: "update",
  method: "PATCH",
  path: `${BASE}/jointoken/{tokenId}`,
  valid: () => ({ description: "changed by a bad-input case" }),
};
const revokeManyRoute: BodyRoute = { label: "revoke many", method: "DELETE", path: `${BASE}/jointokens`, valid: () => ({ ids: ["{otherTokenId}"] }) };
// Without an ophid, a join that got through would add a host, so every join case would show in the snapshot.
const joinRoute: BodyRoute = { label: "join", method: "POST", path: `${BASE}/join`, valid: () => ({ join_token: "{joinToken}", host_serial: "SN-BAD-INPUT" }) };

const BODY_ROUTES = [createRoute, updateRoute, revokeManyRoute, joinRoute];
const authFor = (route: BodyRoute): BadInputCase["auth"] => (route === joinRoute ? "none" : "valid");

const cases: BadInputCase[] = [];

function add(testCase: Omit<BadInputCase, "headers" | "body" | "stream" | "auth"> & Partial<BadInputCase>): void {
  cases.push({ headers: {}, body: null, stream: false, auth: "valid", ...testCase });
}

/** Adds a JSON request to a body route, with `body` in place of the route's valid body. */
function bodyCase(route: BodyRoute, fault: string, body: string | Uint8Array, expect: Expectation, extra: Partial<BadInputCase> = {}): void {
  add({
    name: `${route.label} ${fault}`,
    method: route.method,
    path: route.path,
    headers: { ...JSON_TYPE },
    body,
    auth: authFor(route),
    ...expect,
    ...extra,
  });
}

/** Adds a case that sends the route's valid body with `field` set to `value`, or removed when `value` is undefined. */
function fieldCase(route: BodyRoute, fault: string, field: string, value: unknown, expect: Expectation): void {
  const body = route.valid();
  if (value === undefined) delete body[field];
  else body[field] = value;
  bodyCase(route, fault, JSON.stringify(body), expect);
}

// ---------------------------------------------------------------------------------------------
// Whole bodies: encoding, syntax, top-level type

const SYNTAX_FAULTS: Array<[string, string | Uint8Array]> = [
  ["empty body", ""],
  ["whitespace body", " \r\n\t "],
  ["array body", "[]"],
  ["array of object", '[{"name":"x"}]'],
  ["string body", '"text"'],
  ["number body", "42"],
  ["null body", "null"],
  ["boolean body", "true"],
  ["truncated object", '{"name":"x"'],
  ["truncated after colon", '{"name":'],
  ["lone open brace", "{"],
  ["truncated string", '{"name":"x'],
  ["trailing comma", '{"name":"x",}'],
  ["single quotes", "{'name':'x'}"],
  ["unquoted key", '{name:"x"}'],
  ["NaN literal", '{"use_limit":NaN}'],
  ["leading zero number", '{"use_limit":01}'],
  ["comment in JSON", '{/* c */"name":"x"}'],
  ["two JSON values", '{"name":"x"}{"name":"y"}'],
  ["trailing garbage", '{"name":"x"} x'],
  ["bad escape", '{"name":"\\x41"}'],
  ["raw newline in string", '{"name":"a\nb"}'],
  ["invalid byte FF", bytes('{"name":"', [0xff], '"}')],
  ["overlong slash", bytes('{"name":"', [0xc0, 0xaf], '"}')],
  ["encoded surrogate", bytes('{"name":"', [0xed, 0xa0, 0x80], '"}')],
  ["truncated sequence", bytes('{"name":"', [0xe2, 0x82], '"}')],
  ["stray continuation", bytes('{"name":"', [0x80], '"}')],
  ["above U+10FFFF", bytes('{"name":"', [0xf4, 0x90, 0x80, 0x80], '"}')],
  ["Latin-1 byte", bytes('{"name":"caf', [0xe9], '"}')],
  ["UTF-16LE body", bytes([0xff, 0xfe], Array.from('{"name":"x"}', (ch) => [ch.charCodeAt(0), 0]).flat())],
];

for (const route of BODY_ROUTES) {
  for (const [fault, body] of SYNTAX_FAULTS) bodyCase(route, fault, body, invalid("body"));
}

// ---------------------------------------------------------------------------------------------
// Content-Type: a valid body with the wrong media type must never be read with defaults

const CONTENT_TYPE_FAULTS: Array<[string, string | null]> = [
  ["no content type", null],
  ["text/plain type", "text/plain"],
  ["text/plain UTF-8 type", "text/plain; charset=utf-8"],
  ["form type", "application/x-www-form-urlencoded"],
  ["multipart type", "multipart/form-data; boundary=x"],
  ["Latin-1 charset", "application/json; charset=iso-8859-1"],
  ["UTF-16 charset", "application/json; charset=utf-16"],
  ["ASCII charset", "application/json; charset=us-ascii"],
  ["empty charset", "application/json; charset="],
  ["json suffix type", "application/merge-patch+json"],
  ["bare json type", "json"],
  ["empty content type", ""],
];

for (const route of BODY_ROUTES) {
  const faults = route === createRoute || route === joinRoute ? CONTENT_TYPE_FAULTS : CONTENT_TYPE_FAULTS.slice(0, 6);
  for (const [fault, contentType] of faults) {
    bodyCase(route, fault, JSON.stringify(route.valid()), unsupportedType, { headers: contentType === null ? {} : { "Content-Type": contentType } });
  }
}

// ---------------------------------------------------------------------------------------------
// Body size: admin bodies over 64 KiB and join bodies over 4 KiB are 413, with or without Content-Length

const ADMIN_LIMIT = 64 * 1024;
const JOIN_LIMIT = 4 * 1024;

bodyCase(createRoute, "body 64 KiB plus one", paddedJson({ name: "big" }, "description", ADMIN_LIMIT + 1), tooLarge);
bodyCase(createRoute, "streamed body over limit", paddedJson({ name: "big" }, "description", ADMIN_LIMIT + 1), tooLarge, { stream: true });
bodyCase(createRoute, "streamed 1 MiB body", paddedJson({ name: "big" }, "description", 1024 * 1024), tooLarge, { stream: true });
bodyCase(createRoute, "oversized text/plain body", paddedJson({ name: "big" }, "description", ADMIN_LIMIT + 1), tooLarge, { headers: { "Content-Type": "text/plain" } });
// At exactly the limit the body is read, and the long description is what is rejected.
bodyCase(createRoute, "body exactly 64 KiB", paddedJson({ name: "big" }, "description", ADMIN_LIMIT), invalid("description"));
bodyCase(updateRoute, "body 64 KiB plus one", paddedJson({}, "description", ADMIN_LIMIT + 1), tooLarge);
bodyCase(updateRoute, "streamed body over limit", paddedJson({}, "description", ADMIN_LIMIT + 1), tooLarge, { stream: true });
bodyCase(revokeManyRoute, "body 64 KiB plus one", paddedJson({ ids: ["{otherTokenId}"] }, "pad", ADMIN_LIMIT + 1), tooLarge);
bodyCase(revokeManyRoute, "streamed body over limit", paddedJson({ ids: ["{otherTokenId}"] }, "pad", ADMIN_LIMIT + 1), tooLarge, { stream: true });
add({ name: "revoke body over limit", method: "DELETE", path: `${BASE}/jointoken/{tokenId}`, headers: { ...JSON_TYPE }, body: paddedJson({}, "pad", ADMIN_LIMIT + 1), ...tooLarge });
bodyCase(joinRoute, "body 4 KiB plus one", paddedJson({ join_token: "x", host_serial: "SN" }, "ophid", JOIN_LIMIT + 1), tooLarge);
bodyCase(joinRoute, "streamed body over limit", paddedJson({ join_token: "x", host_serial: "SN" }, "ophid", JOIN_LIMIT + 1), tooLarge, { stream: true });
bodyCase(joinRoute, "1 MiB body", paddedJson({ join_token: "x", host_serial: "SN" }, "ophid", 1024 * 1024), tooLarge);
bodyCase(joinRoute, "oversized untyped body", paddedJson({ join_token: "x", host_serial: "SN" }, "ophid", JOIN_LIMIT + 1), tooLarge, { headers: {} });
bodyCase(joinRoute, "body exactly 4 KiB", paddedJson({ join_token: "x", host_serial: "SN" }, "ophid", JOIN_LIMIT), invalid("ophid"));

// ---------------------------------------------------------------------------------------------
// Unknown fields

const UNKNOWN_FIELDS: Array<[BodyRoute, string, string]> = [
  [createRoute, "misspelt field", "descripton"],
  [createRoute, "capitalised field", "Name"],
  [createRoute, "secret field", "secret_hash"],
  [createRoute, "empty field name", ""],
  [updateRoute, "revoked field", "revoked"],
  [updateRoute, "account field", "account_id"],
  [revokeManyRoute, "singular id field", "id"],
  [revokeManyRoute, "force field", "force"],
  [joinRoute, "token field", "token"],
  [joinRoute, "padded field name", "host_serial "],
  [joinRoute, "src_ip field", "src_ip"],
];
for (const [route, fault, field] of UNKNOWN_FIELDS) fieldCase(route, fault, field, "x", invalid(field));
for (const route of [createRoute, joinRoute]) bodyCase(route, "__proto__ field", withRaw(route.valid(), "__proto__", '{"admin":true}'), invalid("__proto__"));

// ---------------------------------------------------------------------------------------------
// String fields: type, length, Unicode and control characters

interface TextRule {
  min: number;
  max: number;
  nullable: boolean;
  multiline: boolean;
}

function textCases(route: BodyRoute, field: string, rule: TextRule, expectField = field): void {
  const expect = invalid(expectField);
  const at = (fault: string, value: unknown) => fieldCase(route, `${field} ${fault}`, field, value, expect);
  at("number", 42);
  at("boolean", true);
  at("array", ["x"]);
  at("object", { value: "x" });
  if (!rule.nullable) at("null", null);
  if (rule.min > 0) at("empty", "");
  at("over max length", "x".repeat(rule.max + 1));
  at("far over max", "x".repeat(rule.max * 4));
  at("lone high surrogate", "a\ud800b");
  at("lone low surrogate", "a\udc00b");
  at("reversed surrogates", "\udc00\ud800");
  at("trailing high surrogate", "abc\ud83d");
  at("NUL", "a\u0000b");
  at("bell", "a\u0007b");
  at("escape", "\u001b[31mred");
  at("DEL", "a\u007fb");
  at("C1 control", "a\u0085b");
  if (!rule.multiline) {
    at("newline", "a\nb");
    at("tab", "a\tb");
    at("carriage return", "a\rb");
    at("line separator", "a\u2028b");
  }
}

textCases(createRoute, "name", { min: 1, max: 256, nullable: false, multiline: false });
textCases(createRoute, "description", { min: 0, max: 1024, nullable: true, multiline: true });
textCases(updateRoute, "description", { min: 0, max: 1024, nullable: true, multiline: true });
textCases(joinRoute, "host_serial", { min: 1, max: 256, nullable: false, multiline: false });
textCases(joinRoute, "ophid", { min: 1, max: 256, nullable: false, multiline: false });

fieldCase(createRoute, "name missing", "name", undefined, invalid("name"));
fieldCase(createRoute, "name taken", "name", "{tokenName}", { expectStatus: 409, expectCode: "ALREADY_EXISTS", expectField: "name" });
fieldCase(updateRoute, "name changed", "name", "renamed-by-bad-input", invalid("name"));
fieldCase(updateRoute, "name empty", "name", "", invalid("name"));
fieldCase(updateRoute, "name null", "name", null, invalid("name"));
fieldCase(updateRoute, "name over max length", "name", "x".repeat(257), invalid("name"));
fieldCase(updateRoute, "name NUL", "name", "a\u0000", invalid("name"));
fieldCase(joinRoute, "host_serial missing", "host_serial", undefined, invalid("host_serial"));

// ---------------------------------------------------------------------------------------------
// use_limit and expires_at, on create and update

for (const route of [createRoute, updateRoute]) {
  const limit = (fault: string, value: unknown) => fieldCase(route, `use_limit ${fault}`, "use_limit", value, invalid("use_limit"));
  limit("zero", 0);
  limit("negative", -1);
  limit("fraction", 1.5);
  limit("tiny fraction", 0.0000001);
  limit("over max", 1_000_000_001);
  limit("beyond safe integer", 9007199254740993);
  limit("string", "5");
  limit("empty string", "");
  limit("boolean", true);
  limit("array", [5]);
  limit("object", { value: 5 });
  bodyCase(route, "use_limit 1e400", withRaw(route.valid(), "use_limit", "1e400"), invalid("use_limit"));
  bodyCase(route, "use_limit negative zero", withRaw(route.valid(), "use_limit", "-0"), invalid("use_limit"));

  const expires = (fault: string, value: unknown) => fieldCase(route, `expires_at ${fault}`, "expires_at", value, invalid("expires_at"));
  expires("February 30", "2027-02-30T00:00:00Z");
  expires("February 29 2027", "2027-02-29T12:00:00Z");
  expires("month 13", "2027-13-01T00:00:00Z");
  expires("month 00", "2027-00-10T00:00:00Z");
  expires("day 32", "2027-01-32T00:00:00Z");
  expires("hour 24", "2027-01-01T24:00:00Z");
  expires("minute 60", "2027-01-01T23:60:00Z");
  expires("leap second", "2027-06-30T23:59:60Z");
  expires("no zone", "2027-01-01T00:00:00");
  expires("four fraction digits", "2027-01-01T00:00:00.1234Z");
  expires("microseconds", "2027-01-01T00:00:00.000001Z");
  expires("date only", "2027-01-01");
  expires("space separator", "2027-01-01 00:00:00Z");
  expires("offset without colon", "2027-01-01T00:00:00+0100");
  expires("offset hour 24", "2027-01-01T00:00:00+24:00");
  expires("offset minute 60", "2027-01-01T00:00:00+05:60");
  expires("fullwidth digits", "２０２７-01-01T00:00:00Z");
  expires("words", "tomorrow");
  expires("empty string", "");
  expires("over 64 characters", `2027-01-01T00:00:00.${"0".repeat(60)}Z`);
  expires("lone surrogate", "2027-01-01T00:00:00Z\ud800");
  expires("epoch milliseconds", 1_830_297_600_000);
  expires("boolean", true);
  expires("object", { at: "2027-01-01T00:00:00Z" });
}
fieldCase(createRoute, "expires_at epoch zero", "expires_at", "1970-01-01T00:00:00Z", invalid("expires_at"));
fieldCase(createRoute, "expires_at in the past", "expires_at", "2001-01-01T00:00:00.000Z", invalid("expires_at"));
fieldCase(createRoute, "expires_at year zero", "expires_at", "0000-01-01T00:00:00Z", invalid("expires_at"));
fieldCase(createRoute, "expires_at after year 9999", "expires_at", "9999-12-31T23:59:59-01:00", invalid("expires_at"));
fieldCase(updateRoute, "expires_at after year 9999", "expires_at", "9999-12-31T23:59:59-01:00", invalid("expires_at"));
fieldCase(updateRoute, "expires_at five-digit year", "expires_at", "10000-01-01T00:00:00Z", invalid("expires_at"));

// ---------------------------------------------------------------------------------------------
// tags: a problem with a tag name is reported on `tags`, a problem with a value on `tags.<name>`

for (const route of [createRoute, updateRoute]) {
  const tags = (fault: string, value: unknown, field = "tags") => fieldCase(route, `tags ${fault}`, "tags", value, invalid(field));
  tags("string", "env=prod");
  tags("array", [["env", "prod"]]);
  tags("number", 5);
  tags("boolean", true);
  tags("65 tags", Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`key${i}`, i])));
  tags("empty name", { "": "x" });
  tags("name over max", { ["k".repeat(129)]: "x" });
  tags("name with NUL", { "e\u0000nv": "x" });
  tags("name with newline", { "e\nnv": "x" });
  tags("name lone surrogate", { "env\ud800": "x" });
  tags("value null", { env: null }, "tags.env");
  tags("value object", { env: { nested: "x" } }, "tags.env");
  tags("value array", { env: ["x"] }, "tags.env");
  tags("value over max", { env: "v".repeat(257) }, "tags.env");
  tags("value with NUL", { env: "a\u0000" }, "tags.env");
  tags("value with newline", { env: "a\nb" }, "tags.env");
  tags("value lone surrogate", { env: "\udfff" }, "tags.env");
  tags("second value bad", { env: "prod", team: { x: 1 } }, "tags.team");
  bodyCase(route, "tags __proto__ name", withRaw(route.valid(), "tags", '{"__proto__":"x"}'), invalid("tags"));
  bodyCase(route, "tags value 1e400", withRaw(route.valid(), "tags", '{"env":1e400}'), invalid("tags.env"));
}

// Read-only fields of the token object are accepted when well-typed, and rejected otherwise.
const READ_ONLY_FAULTS: Array<[BodyRoute, string, unknown]> = [
  [createRoute, "id", 5],
  [createRoute, "token_id", ["jt_x"]],
  [createRoute, "status", { value: "ACTIVE" }],
  [createRoute, "use_counter", true],
  [createRoute, "created_at", 1_700_000_000_000],
  [createRoute, "last_rejected_ip", 127],
  [updateRoute, "status", false],
  [updateRoute, "rejected_attempts", [0]],
  [updateRoute, "deleted_at", 0],
];
for (const [route, field, value] of READ_ONLY_FAULTS) fieldCase(route, `read-only ${field} mistyped`, field, value, invalid(field));

// ---------------------------------------------------------------------------------------------
// Bulk revoke ids: all or nothing, so one bad id must leave every token live

const ids = (fault: string, value: unknown, expect: Expectation) => fieldCase(revokeManyRoute, `ids ${fault}`, "ids", value, expect);
ids("missing", undefined, invalid("ids"));
ids("null", null, invalid("ids"));
ids("string", "{otherTokenId}", invalid("ids"));
ids("object", { 0: "{otherTokenId}" }, invalid("ids"));
ids("number", 1, invalid("ids"));
ids("empty array", [], invalid("ids"));
ids("101 entries", ["{otherTokenId}", ...Array.from({ length: 100 }, () => UNKNOWN_UUID)], invalid("ids"));
ids("1000 entries", Array.from({ length: 1000 }, () => "{otherTokenId}"), invalid("ids"));
ids("number entry", [1], invalid("ids.0"));
ids("null entry", ["{otherTokenId}", null], invalid("ids.1"));
ids("nested array", [["{otherTokenId}"]], invalid("ids.0"));
ids("object entry", ["{otherTokenId}", "{otherTokenId}", "{otherTokenId}", { id: "x" }], invalid("ids.3"));
ids("entry over 64 characters", ["x".repeat(65)], invalid("ids.0"));
ids("malformed entry", ["{otherTokenId}", "abc"], notFound("ids.1"));
ids("unknown entry", ["{otherTokenId}", UNKNOWN_UUID], notFound("ids.1"));
ids("foreign entry", ["{otherTokenId}", "{foreignTokenId}"], notFound("ids.1"));
ids("uppercase entry", [UNKNOWN_UUID.toUpperCase().replace("7000", "7ABC")], notFound("ids.0"));
ids("padded entry", [" {otherTokenId}"], notFound("ids.0"));
ids("lone surrogate entry", ["\ud800"], notFound("ids.0"));

// ---------------------------------------------------------------------------------------------
// join_token: any string that is not a live token is TOKEN_INVALID (401), and a value that is not a string is 400

const VALID_SHAPE = `jt_${"A".repeat(16)}_${"B".repeat(38)}`;
const joinToken = (fault: string, value: unknown, expect: Expectation = tokenInvalid) =>
  fieldCase(joinRoute, `join_token ${fault}`, "join_token", value, expect);
joinToken("missing", undefined, invalid("join_token"));
joinToken("null", null, invalid("join_token"));
joinToken("number", 42, invalid("join_token"));
joinToken("array", ["{joinToken}"], invalid("join_token"));
joinToken("object", { token: "{joinToken}" }, invalid("join_token"));
joinToken("boolean", true, invalid("join_token"));
joinToken("empty", "");
joinToken("prefix only", "jt_");
joinToken("one short", VALID_SHAPE.slice(0, -1));
joinToken("one long", `${VALID_SHAPE}A`);
joinToken("300 characters", "A".repeat(300));
joinToken("3000 characters", "A".repeat(3000));
joinToken("wrong prefix", `JT_${VALID_SHAPE.slice(3)}`);
joinToken("dash separator", VALID_SHAPE.replace("A_B", "A-B"));
joinToken("base64 characters", `jt_${"A".repeat(16)}_${"+/".repeat(19)}`);
joinToken("Cyrillic lookalike", VALID_SHAPE.replace("A", "\u0410"));
joinToken("leading space", ` {joinToken}`);
joinToken("trailing newline", "{joinToken}\n");
joinToken("embedded NUL", VALID_SHAPE.replace("B", "\u0000"));
joinToken("lone surrogate", VALID_SHAPE.replace("B", "\ud800"));
joinToken("bad checksum", "{badChecksumToken}");
joinToken("wrong checksum shape", VALID_SHAPE);
joinToken("wrong secret", "{wrongSecretToken}");
joinToken("unknown token", "{unknownToken}");
joinToken("doubled", "{joinToken}{joinToken}");

// Idempotency-Key: the header name is the field. Only values that Node's HTTP client can send are used.
const idempotencyKey = (fault: string, value: string) =>
  bodyCase(joinRoute, `Idempotency-Key ${fault}`, JSON.stringify(joinRoute.valid()), invalid("Idempotency-Key"), {
    headers: { ...JSON_TYPE, "Idempotency-Key": value },
  });
idempotencyKey("empty", "");
idempotencyKey("257 characters", "k".repeat(257));
idempotencyKey("2000 characters", "k".repeat(2000));
idempotencyKey("with tab", "key\tvalue");
idempotencyKey("non-ASCII", "cl\u00e9");

// ---------------------------------------------------------------------------------------------
// Authorization: anything but a live key is 401, and auth is checked before the body is read

const BAD_AUTH: Array<[string, string]> = [
  ["no Authorization", "none"],
  ["Basic scheme", "Basic dXNlcjpwYXNzd29yZA=="],
  ["scheme without key", "Token"],
  ["unknown key", `Token jtk_${"0".repeat(40)}`],
];
const MORE_BAD_AUTH: Array<[string, string]> = [
  ["Bearer without key", "Bearer"],
  ["key without scheme", "{apiKey}"],
  ["key with extra char", "Token {apiKey}x"],
  ["key with trailing word", "Token {apiKey} extra"],
  ["two keys", "Token {apiKey}, Token {apiKey}"],
  ["empty token= value", "Token token="],
  ["Digest scheme", 'Digest username="admin"'],
  ["8000-character key", `Bearer ${"k".repeat(8000)}`],
  ["non-ASCII key", "Token cl\u00e9"],
  ["empty header", ""],
];

interface AdminRoute {
  label: string;
  method: Method;
  path: string;
  body: string | null;
}
const ADMIN_ROUTES: AdminRoute[] = [
  { label: "create", method: "POST", path: `${BASE}/jointoken`, body: '{"name":"bad-input-auth"}' },
  { label: "list", method: "GET", path: `${BASE}/jointoken`, body: null },
  { label: "read", method: "GET", path: `${BASE}/jointoken/{tokenId}`, body: null },
  { label: "update", method: "PATCH", path: `${BASE}/jointoken/{tokenId}`, body: '{"description":"changed by a bad-input case"}' },
  { label: "revoke", method: "DELETE", path: `${BASE}/jointoken/{tokenId}`, body: null },
  { label: "revoke many", method: "DELETE", path: `${BASE}/jointokens`, body: '{"ids":["{otherTokenId}"]}' },
  { label: "hosts", method: "GET", path: `${BASE}/jointoken/{tokenId}/hosts`, body: null },
];

for (const route of ADMIN_ROUTES) {
  const faults = route.label === "create" || route.label === "revoke" ? [...BAD_AUTH, ...MORE_BAD_AUTH] : BAD_AUTH;
  for (const [fault, auth] of faults) {
    add({ name: `${route.label} ${fault}`, method: route.method, path: route.path, headers: route.body === null ? {} : { ...JSON_TYPE }, body: route.body, auth, ...unauthenticated });
  }
}
add({ name: "create no auth, bad JSON", method: "POST", path: `${BASE}/jointoken`, headers: { ...JSON_TYPE }, body: '{"name":', auth: "none", ...unauthenticated });
add({ name: "create no auth, no type", method: "POST", path: `${BASE}/jointoken`, body: '{"name":"x"}', auth: "none", ...unauthenticated });
add({ name: "create bad auth, oversized", method: "POST", path: `${BASE}/jointoken`, headers: { ...JSON_TYPE }, body: paddedJson({ name: "big" }, "description", ADMIN_LIMIT + 1), auth: "Basic eDp5", ...unauthenticated });
add({ name: "update no auth, bad id", method: "PATCH", path: `${BASE}/jointoken/abc`, headers: { ...JSON_TYPE }, body: "{}", auth: "none", ...unauthenticated });
add({ name: "list no auth, bad _limit", method: "GET", path: `${BASE}/jointoken?_limit=abc`, auth: "none", ...unauthenticated });

// ---------------------------------------------------------------------------------------------
// Path ids: malformed, unknown and other accounts' ids are 404 on `id`

const BAD_IDS: Array<[string, string]> = [
  ["word id", "abc"],
  ["numeric id", "1"],
  ["null id", "null"],
  ["unknown id", UNKNOWN_UUID],
  ["foreign id", "{foreignTokenId}"],
  ["uppercase id", UNKNOWN_UUID.toUpperCase()],
  ["id plus a character", "{tokenId}0"],
  ["id with encoded space", "%20{tokenId}"],
  ["id with encoded newline", "{tokenId}%0A"],
  ["encoded NUL id", "%00"],
  ["invalid percent-encoding", "%FF"],
  ["bidi override id", "%E2%80%AE{tokenId}"],
  ["2000-character id", "a".repeat(2000)],
  ["token string as id", "jt_AAAAAAAAAAAAAAAA"],
];
const ID_ROUTES: Array<Omit<AdminRoute, "path"> & { path: (id: string) => string }> = [
  { label: "read", method: "GET", path: (id) => `${BASE}/jointoken/${id}`, body: null },
  { label: "update", method: "PATCH", path: (id) => `${BASE}/jointoken/${id}`, body: '{"description":"changed by a bad-input case"}' },
  { label: "revoke", method: "DELETE", path: (id) => `${BASE}/jointoken/${id}`, body: null },
  { label: "hosts", method: "GET", path: (id) => `${BASE}/jointoken/${id}/hosts`, body: null },
];
for (const route of ID_ROUTES) {
  for (const [fault, id] of BAD_IDS) {
    add({ name: `${route.label} ${fault}`, method: route.method, path: route.path(id), headers: route.body === null ? {} : { ...JSON_TYPE }, body: route.body, ...notFound("id") });
  }
}

// ---------------------------------------------------------------------------------------------
// Query parameters of the two list routes

const PAGE_TOKEN_OF_BAD_ID = btoa("not-a-uuid").replace(/=+$/, "");
const PAGE_TOKEN_OF_UNKNOWN = btoa(UNKNOWN_UUID).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
const QUERY_FAULTS: Array<[string, string, string]> = [
  ["_limit zero", "_limit=0", "_limit"],
  ["_limit negative", "_limit=-1", "_limit"],
  ["_limit 1001", "_limit=1001", "_limit"],
  ["_limit word", "_limit=abc", "_limit"],
  ["_limit fraction", "_limit=1.5", "_limit"],
  ["_limit exponent", "_limit=1e3", "_limit"],
  ["_limit plus sign", "_limit=%2B5", "_limit"],
  ["_limit padded", "_limit=%205", "_limit"],
  ["_limit hex", "_limit=0x10", "_limit"],
  ["_limit eleven digits", "_limit=10000000000", "_limit"],
  ["_limit NUL", "_limit=%00", "_limit"],
  ["_offset negative", "_offset=-1", "_offset"],
  ["_offset over max", "_offset=100001", "_offset"],
  ["_offset huge", "_offset=99999999999999999999", "_offset"],
  ["_offset word", "_offset=abc", "_offset"],
  ["_offset fraction", "_offset=1.5", "_offset"],
  ["_page_token punctuation", "_page_token=!!!!", "_page_token"],
  ["_page_token short garbage", "_page_token=abc", "_page_token"],
  ["_page_token not an id", `_page_token=${PAGE_TOKEN_OF_BAD_ID}`, "_page_token"],
  ["_page_token 65 characters", `_page_token=${"A".repeat(65)}`, "_page_token"],
  ["_page_token padded base64", `_page_token=${PAGE_TOKEN_OF_UNKNOWN}%3D%3D`, "_page_token"],
  ["_page_token with _offset", `_page_token=${PAGE_TOKEN_OF_UNKNOWN}&_offset=5`, "_offset"],
];
for (const [label, path] of [
  ["list", `${BASE}/jointoken`],
  ["hosts", `${BASE}/jointoken/{tokenId}/hosts`],
] as const) {
  for (const [fault, query, field] of QUERY_FAULTS) add({ name: `${label} ${fault}`, method: "GET", path: `${path}?${query}`, ...invalid(field) });
}

// ---------------------------------------------------------------------------------------------
// The second base path, sampled

add({ name: "atlas create name too long", method: "POST", path: `${ATLAS_BASE}/jointoken`, headers: { ...JSON_TYPE }, body: JSON.stringify({ name: "x".repeat(257) }), ...invalid("name") });
add({ name: "atlas create no auth", method: "POST", path: `${ATLAS_BASE}/jointoken`, headers: { ...JSON_TYPE }, body: '{"name":"atlas"}', auth: "none", ...unauthenticated });
add({ name: "atlas create text/plain", method: "POST", path: `${ATLAS_BASE}/jointoken`, headers: { "Content-Type": "text/plain" }, body: '{"name":"atlas"}', ...unsupportedType });
add({ name: "atlas list _limit zero", method: "GET", path: `${ATLAS_BASE}/jointoken?_limit=0`, ...invalid("_limit") });
add({ name: "atlas read malformed id", method: "GET", path: `${ATLAS_BASE}/jointoken/abc`, ...notFound("id") });
add({ name: "atlas update use_limit zero", method: "PATCH", path: `${ATLAS_BASE}/jointoken/{tokenId}`, headers: { ...JSON_TYPE }, body: '{"use_limit":0}', ...invalid("use_limit") });
add({ name: "atlas revoke unknown id", method: "DELETE", path: `${ATLAS_BASE}/jointoken/${UNKNOWN_UUID}`, ...notFound("id") });
add({ name: "atlas revoke many empty", method: "DELETE", path: `${ATLAS_BASE}/jointokens`, headers: { ...JSON_TYPE }, body: '{"ids":[]}', ...invalid("ids") });
add({ name: "atlas hosts _offset negative", method: "GET", path: `${ATLAS_BASE}/jointoken/{tokenId}/hosts?_offset=-1`, ...invalid("_offset") });
add({ name: "atlas join bad checksum", method: "POST", path: `${ATLAS_BASE}/join`, headers: { ...JSON_TYPE }, body: '{"join_token":"{badChecksumToken}","host_serial":"SN"}', auth: "none", ...tokenInvalid });
add({ name: "atlas join over 4 KiB", method: "POST", path: `${ATLAS_BASE}/join`, headers: { ...JSON_TYPE }, body: paddedJson({ join_token: "x", host_serial: "SN" }, "ophid", JOIN_LIMIT + 1), auth: "none", ...tooLarge });
add({ name: "atlas join invalid UTF-8", method: "POST", path: `${ATLAS_BASE}/join`, headers: { ...JSON_TYPE }, body: bytes('{"join_token":"', [0xff], '","host_serial":"SN"}'), auth: "none", ...invalid("body") });

/** Every case. Each is a 4xx that must leave stored data unchanged. */
export const BAD_INPUT_CASES: readonly BadInputCase[] = cases;
