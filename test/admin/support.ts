import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { CallResult } from "../helpers/client";
import { randomBase62, sha256Hex, uuidv7 } from "../../src/lib/ids";

export const BASES = ["/host-activation/v1", "/atlas-host-activation/v1"] as const;

/** Millisecond-precision RFC 3339 UTC, the form every instant in a response takes. */
export const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A token name no other test uses. */
export const uniqueName = (prefix = "token") => `${prefix}-${randomBase62(10)}`;

/** An instant `ms` from now as RFC 3339. */
export const isoIn = (ms: number) => new Date(Date.now() + ms).toISOString();

/**
 * Asserts the one error shape of the API: `{error: {code, message, field, request_id}}` and nothing
 * else. A null `field` asserts that the error names no field.
 */
export function expectError(response: CallResult, status: number, code: string, field: string | null): void {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(Object.keys(response.json)).toEqual(["error"]);
  const keys = field === null ? ["code", "message", "request_id"] : ["code", "field", "message", "request_id"];
  expect(Object.keys(response.json.error).sort()).toEqual(keys);
  expect(response.json.error.code).toBe(code);
  expect(response.json.error.field).toBe(field ?? undefined);
  expect(typeof response.json.error.message).toBe("string");
  expect(response.json.error.message.length).toBeGreaterThan(0);
  expect(typeof response.json.error.request_id).toBe("string");
  expect(response.json.error.request_id.length).toBeGreaterThan(0);
}

/**
 * Asserts that a response body carries neither the token string nor its secret part. Compares with
 * toBe(false) so that a failure never prints the secret.
 */
export function expectNoSecret(response: CallResult, joinToken: string): void {
  const body = JSON.stringify(response.json) ?? "";
  const secret = joinToken.slice("jt_".length + 16 + 1);
  expect(body.includes(joinToken)).toBe(false);
  expect(body.includes(secret)).toBe(false);
}

/** Reads a join_tokens row straight from D1. */
export async function readTokenRow(id: string): Promise<Record<string, unknown> | null> {
  return env.DB.prepare("SELECT * FROM join_tokens WHERE id = ?").bind(id).first();
}

/** Adds another API key to an account, revoked at `revokedAt` when given. */
export async function addApiKey(accountId: string, revokedAt: number | null = null): Promise<string> {
  const key = `jtk_${randomBase62(40)}`;
  await env.DB.prepare("INSERT INTO api_keys (id, account_id, key_hash, name, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(uuidv7(), accountId, await sha256Hex(key), "extra", Date.now(), revokedAt)
    .run();
  return key;
}

export interface InsertedToken {
  id: string;
  tokenId: string;
}

/** Columns that insertToken sets; instants are epoch milliseconds. */
export interface TokenFields {
  name?: string;
  expiresAt?: number | null;
  useLimit?: number | null;
  useCounter?: number;
  revokedAt?: number | null;
  createdAt?: number;
}

/** Inserts a join token row directly, for instants and counters the API cannot set. Its secret is never usable. */
export async function insertToken(accountId: string, fields: TokenFields = {}): Promise<InsertedToken> {
  const createdAt = fields.createdAt ?? Date.now();
  const id = uuidv7(createdAt);
  const tokenId = `jt_${randomBase62(16)}`;
  await env.DB.prepare(
    `INSERT INTO join_tokens (id, account_id, token_id, secret_hash, name, expires_at, use_limit, use_counter, revoked_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(
      id,
      accountId,
      tokenId,
      await sha256Hex(randomBase62(32)),
      fields.name ?? uniqueName("inserted"),
      fields.expiresAt ?? null,
      fields.useLimit ?? null,
      fields.useCounter ?? 0,
      fields.revokedAt ?? null,
      createdAt,
      createdAt,
    )
    .run();
  return { id, tokenId };
}

/** A random address in 198.18.0.0/15 (reserved for testing), so that failed joins stay far below the per-IP failure limit. */
export const freshIp = () => `198.${18 + Math.floor(Math.random() * 2)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;

/**
 * Wraps the real D1 binding so that the API key lookup works and every other statement and batch
 * fails the way a D1 outage does, with a `D1_ERROR` message.
 */
export function d1FailingAfterAuth(): D1Database {
  const fail = () => Promise.reject(new Error("D1_ERROR: injected storage failure"));
  const failingStatement = (statement: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, property) {
        if (property === "bind") return (...values: unknown[]) => failingStatement(target.bind(...values));
        if (property === "all" || property === "first" || property === "run" || property === "raw") return fail;
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return new Proxy(env.DB, {
    get(target, property) {
      if (property === "prepare") return (query: string) => (query.includes('"api_keys"') ? target.prepare(query) : failingStatement(target.prepare(query)));
      if (property === "batch") return fail;
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Asserts the response to a D1 outage: 503 STORAGE_UNAVAILABLE with Retry-After. */
export function expectStorageUnavailable(response: CallResult): void {
  expectError(response, 503, "STORAGE_UNAVAILABLE", null);
  expect(response.headers.get("retry-after")).toBe("2");
}
