import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";
import { BASE, type CallResult } from "./client";

// Wrappers around the real D1, KV and rate-limit bindings that count calls and inject faults. Every
// call that is not failed goes to the real binding, so the data a test reads back is real.

export interface StorageCounts {
  kv: { get: number; getWithMetadata: number; put: number; delete: number; list: number };
  /** `prepare` and `bind` run locally. Every other method is one round trip to the database. */
  d1: { prepare: number; bind: number; batch: number; first: number; all: number; run: number; raw: number; exec: number };
  /** Statements sent in all batches together. */
  d1BatchedStatements: number;
  limiter: number;
}

/** Faults to inject. A test may change them between requests. */
export interface Faults {
  /** KV get and getWithMetadata reject. */
  kvRead?: boolean;
  /** KV put and delete reject. */
  kvWrite?: boolean;
  /** D1 prepare throws, as the real method would, synchronously. */
  d1Prepare?: boolean;
  /** D1 batch, exec and the statement methods first, all, run and raw reject. */
  d1Query?: boolean;
  /** The rate limiter's limit rejects. */
  limiter?: boolean;
}

export interface WrappedEnv {
  env: Env;
  counts: StorageCounts;
  faults: Faults;
  /** Sets every count back to zero. */
  resetCounts(): void;
}

/** The message of every injected fault, so that tests can find it in logs. */
export const INJECTED_FAULT = "injected fault";

function zeroCounts(): StorageCounts {
  return {
    kv: { get: 0, getWithMetadata: 0, put: 0, delete: 0, list: 0 },
    d1: { prepare: 0, bind: 0, batch: 0, first: 0, all: 0, run: 0, raw: 0, exec: 0 },
    d1BatchedStatements: 0,
    limiter: 0,
  };
}

/** D1 round trips: a batch counts as one, however many statements it carries. */
export function d1RoundTrips(counts: StorageCounts): number {
  const { batch, first, all, run, raw, exec } = counts.d1;
  return batch + first + all + run + raw + exec;
}

export function kvReads(counts: StorageCounts): number {
  return counts.kv.get + counts.kv.getWithMetadata + counts.kv.list;
}

export function kvWrites(counts: StorageCounts): number {
  return counts.kv.put + counts.kv.delete;
}

function injectedFault(what: string): Error {
  return new Error(`${INJECTED_FAULT}: ${what}`);
}

/** Wraps the real bindings of `base` (the test's env unless given) with counters and the given faults. */
export function wrapEnv(faults: Faults = {}, base: Env = env): WrappedEnv {
  const wrapped: WrappedEnv = {
    env: base,
    counts: zeroCounts(),
    faults: { ...faults },
    resetCounts: () => Object.assign(wrapped.counts, zeroCounts()),
  };
  wrapped.env = {
    ...base,
    DB: countingD1(base.DB, wrapped),
    REVOCATIONS: countingKv(base.REVOCATIONS, wrapped),
    JOIN_FAILURE_LIMITER: countingLimiter(base.JOIN_FAILURE_LIMITER, wrapped),
  };
  return wrapped;
}

function countingKv(kv: KVNamespace, state: WrappedEnv): KVNamespace {
  const { counts, faults } = state;
  const wrapper = {
    async get(...args: unknown[]) {
      counts.kv.get += 1;
      if (faults.kvRead) throw injectedFault("KV get");
      return (kv.get as (...a: unknown[]) => Promise<unknown>)(...args);
    },
    async getWithMetadata(...args: unknown[]) {
      counts.kv.getWithMetadata += 1;
      if (faults.kvRead) throw injectedFault("KV getWithMetadata");
      return (kv.getWithMetadata as (...a: unknown[]) => Promise<unknown>)(...args);
    },
    async put(...args: Parameters<KVNamespace["put"]>) {
      counts.kv.put += 1;
      if (faults.kvWrite) throw injectedFault("KV put");
      return kv.put(...args);
    },
    async delete(...args: Parameters<KVNamespace["delete"]>) {
      counts.kv.delete += 1;
      if (faults.kvWrite) throw injectedFault("KV delete");
      return kv.delete(...args);
    },
    async list(...args: Parameters<KVNamespace["list"]>) {
      counts.kv.list += 1;
      if (faults.kvRead) throw injectedFault("KV list");
      return kv.list(...args);
    },
  };
  return wrapper as unknown as KVNamespace;
}

function countingLimiter(limiter: RateLimit, state: WrappedEnv): RateLimit {
  return {
    async limit(options) {
      state.counts.limiter += 1;
      if (state.faults.limiter) throw injectedFault("rate limiter");
      return limiter.limit(options);
    },
  };
}

/** Maps each wrapped statement to the real one, so that a batch of wrapped statements reaches the real D1. */
const realStatements = new WeakMap<object, D1PreparedStatement>();

function countingD1(db: D1Database, state: WrappedEnv): D1Database {
  const { counts, faults } = state;

  const wrapStatement = (real: D1PreparedStatement): D1PreparedStatement => {
    const statement = {
      bind(...values: unknown[]) {
        counts.d1.bind += 1;
        return wrapStatement(real.bind(...values));
      },
      async first(column?: string) {
        counts.d1.first += 1;
        if (faults.d1Query) throw injectedFault("D1 first");
        return column === undefined ? real.first() : real.first(column);
      },
      async all() {
        counts.d1.all += 1;
        if (faults.d1Query) throw injectedFault("D1 all");
        return real.all();
      },
      async run() {
        counts.d1.run += 1;
        if (faults.d1Query) throw injectedFault("D1 run");
        return real.run();
      },
      async raw(options?: { columnNames?: boolean }) {
        counts.d1.raw += 1;
        if (faults.d1Query) throw injectedFault("D1 raw");
        return options?.columnNames === true ? real.raw({ columnNames: true }) : real.raw();
      },
    };
    realStatements.set(statement, real);
    return statement as unknown as D1PreparedStatement;
  };

  const wrapper = {
    prepare(query: string) {
      counts.d1.prepare += 1;
      if (faults.d1Prepare) throw injectedFault("D1 prepare");
      return wrapStatement(db.prepare(query));
    },
    async batch(statements: D1PreparedStatement[]) {
      counts.d1.batch += 1;
      counts.d1BatchedStatements += statements.length;
      if (faults.d1Query) throw injectedFault("D1 batch");
      return db.batch(statements.map((statement) => realStatements.get(statement) ?? statement));
    },
    async exec(query: string) {
      counts.d1.exec += 1;
      if (faults.d1Query) throw injectedFault("D1 exec");
      return db.exec(query);
    },
    withSession() {
      throw new Error("withSession is not wrapped; count it before a test relies on it");
    },
    dump() {
      throw new Error("dump is not wrapped");
    },
  };
  return wrapper as unknown as D1Database;
}

export interface PhasedResult extends CallResult {
  /** Storage counts when the response was complete, before any waitUntil work was awaited. */
  countsAtResponse: StorageCounts;
  /** Waits for the request's waitUntil work (KV refills, tripwire flushes). */
  settle(): Promise<void>;
}

/**
 * Sends a JSON POST through the Worker with wrapped bindings and returns the counts taken at the
 * moment the response body was read, so a test can tell the request path from the waitUntil work.
 */
export async function postInPhases(wrapped: WrappedEnv, path: string, body: unknown, headers: Record<string, string> = {}): Promise<PhasedResult> {
  const request = new Request(`http://join-tokens.test${BASE}/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": "192.0.2.10", ...headers },
    body: JSON.stringify(body),
  });
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, wrapped.env, ctx);
  const text = await response.text();
  const countsAtResponse = structuredClone(wrapped.counts);
  return {
    status: response.status,
    headers: response.headers,
    json: text === "" ? null : JSON.parse(text),
    countsAtResponse,
    settle: () => waitOnExecutionContext(ctx),
  };
}

/**
 * Returns a CF-Connecting-IP value that no other test uses. The JOIN_FAILURE_LIMITER binding counts
 * failures per address across all tests of a file, so tests that fail joins need their own address.
 */
export function freshIp(): string {
  const [a = 0, b = 0, c = 0] = crypto.getRandomValues(new Uint16Array(3));
  return `2001:db8:${a.toString(16)}:${b.toString(16)}:${c.toString(16)}::1`;
}

// Miniflare's rate limiter counts in windows aligned to the wall clock (a 60 s limit resets at each
// whole minute), so a test that counts to the limit must not straddle a minute boundary.
const LIMITER_PERIOD_MS = 60_000;
const LIMITER_MARGIN_MS = 15_000;

/** Waits, when less than 15 s of the limiter's current minute is left, until the next minute starts. */
export async function waitForFreshLimiterWindow(): Promise<void> {
  const left = LIMITER_PERIOD_MS - (Date.now() % LIMITER_PERIOD_MS);
  if (left < LIMITER_MARGIN_MS) await new Promise((resolve) => setTimeout(resolve, left + 100));
}

/** The columns of a join_tokens row that joins change, read straight from the real D1. */
export interface TokenState {
  use_counter: number;
  use_limit: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
  expires_at: number | null;
  rejected_attempts: number;
  last_rejected_at: number | null;
  last_rejected_ip: string | null;
}

export async function readTokenState(id: string): Promise<TokenState> {
  const row = await env.DB.prepare(
    `SELECT use_counter, use_limit, last_used_at, revoked_at, expires_at, rejected_attempts, last_rejected_at, last_rejected_ip
     FROM join_tokens WHERE id = ?`,
  )
    .bind(id)
    .first<TokenState>();
  if (row === null) throw new Error(`no join_tokens row with id ${id}`);
  return row;
}

/** Reads a token's stored secret hash (by its record id), to compare with the KV revocation value. */
export async function readSecretHash(id: string): Promise<string> {
  const row = await env.DB.prepare("SELECT secret_hash FROM join_tokens WHERE id = ?").bind(id).first<{ secret_hash: string }>();
  if (row === null) throw new Error(`no join_tokens row with id ${id}`);
  return row.secret_hash;
}

/** Counts the host rows of a token (by its record id), straight from the real D1. */
export async function countHosts(id: string): Promise<number> {
  const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM hosts WHERE join_token_id = ?").bind(id).first<{ n: number }>();
  return row?.n ?? 0;
}

/** Sets columns of a join_tokens row directly in the real D1, bypassing the API and KV. */
export async function updateTokenRow(id: string, columns: Partial<Pick<TokenState, "revoked_at" | "expires_at" | "use_limit">>): Promise<void> {
  const names = Object.keys(columns) as (keyof typeof columns)[];
  const assignments = names.map((name, i) => `${name} = ?${i + 2}`).join(", ");
  await env.DB.prepare(`UPDATE join_tokens SET ${assignments} WHERE id = ?1`)
    .bind(id, ...names.map((name) => columns[name] ?? null))
    .run();
}
