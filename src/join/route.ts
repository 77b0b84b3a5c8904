import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../app-env";
import { readJsonBody, parseWith } from "../lib/body";
import { ApiError, storageUnavailable } from "../lib/errors";
import { sha256Hex } from "../lib/ids";
import { describeError, log } from "../lib/log";
import { markRevoked, readRevocation } from "../lib/revocations";
import { hostView } from "../lib/host-view";
import { parseTokenString } from "../lib/token-string";
import { isOverFailureLimit } from "./failure-limit";
import { runJoin } from "./run-join";
import { idempotencyKeySchema, joinRequestSchema } from "./schema";
import { recordRejectedAttempt } from "./tripwire";

/** Maximum join request body, in bytes. A valid body is under 1 KiB. */
export const JOIN_BODY_LIMIT_BYTES = 4 * 1024;

const tokenInvalid = () =>
  new ApiError(401, "TOKEN_INVALID", "The join token is malformed, unknown or wrong; check that it was copied whole.", "join_token");
const tokenRevoked = () => new ApiError(403, "TOKEN_REVOKED", "The join token has been revoked; ask an admin for a new one.", "join_token");
const tokenExpired = () => new ApiError(403, "TOKEN_EXPIRED", "The join token has expired; ask an admin for a new one.", "join_token");
const useLimitReached = () =>
  new ApiError(403, "TOKEN_USE_LIMIT_REACHED", "The join token has reached its use limit; ask an admin for a new one.", "join_token");

export const joinRoutes = new Hono<AppEnv>();

joinRoutes.post(
  "/join",
  bodyLimit({
    maxSize: JOIN_BODY_LIMIT_BYTES,
    onError: () => {
      throw new ApiError(413, "PAYLOAD_TOO_LARGE", `The request body exceeds ${JOIN_BODY_LIMIT_BYTES} bytes.`, "body");
    },
  }),
  (c) => join(c),
);

/**
 * Returns the error for a join whose token id is unknown or whose secret is wrong: the failures that
 * guessing produces. Only these count against the source IP's limit (JOIN_FAILURE_LIMITER), and past
 * it they become 429. Other refusals are not counted. A malformed token reads no storage and its
 * checksum is public, so limiting it stops no guesser. A revoked, expired or used-up token with the
 * right secret comes from someone who has the token, and the tripwire records that instead.
 */
async function guessRejection(c: Context<AppEnv>, ip: string | null): Promise<ApiError> {
  if (await isOverFailureLimit(c.env.JOIN_FAILURE_LIMITER, ip)) {
    return new ApiError(429, "RATE_LIMITED", "Too many failed joins from this address; retry after the number of seconds in Retry-After.", undefined, 60);
  }
  return tokenInvalid();
}

async function join(c: Context<AppEnv>): Promise<Response> {
  const input = await readJsonBody(c, joinRequestSchema);
  const idempotencyKey = c.req.header("idempotency-key");
  if (idempotencyKey !== undefined) parseWith(idempotencyKeySchema, { "Idempotency-Key": idempotencyKey });

  // Cheapest check first: the format and checksum need no storage.
  const parts = parseTokenString(input.join_token);
  if (parts === null) throw tokenInvalid();

  const now = Date.now();
  const ip = sourceIp(c.req.raw);
  const recordTripwire = () => recordRejectedAttempt(c.executionCtx, c.env.DB, flushWindowMs(c.env), parts.tokenId, now, ip);
  const secretHash = await sha256Hex(parts.secret);
  const revocation = await readRevocation(c.env.REVOCATIONS, parts.tokenId);
  if (revocation !== null) {
    // A wrong secret for a revoked token id is a guess, not the token leaking: refuse it as invalid.
    if (revocation.secretHash !== undefined && revocation.secretHash !== secretHash) throw await guessRejection(c, ip);
    recordTripwire();
    throw tokenRevoked();
  }

  let outcome;
  try {
    outcome = await runJoin(c.env.DB, {
      tokenId: parts.tokenId,
      secretHash,
      hostKey: hostKeyOf(input.ophid, idempotencyKey),
      ophid: input.ophid ?? null,
      hostSerial: input.host_serial,
      srcIp: ip,
    });
  } catch (error) {
    log.error("join_storage_failed", { token_id: parts.tokenId, request_id: c.get("requestId"), error: describeError(error) });
    throw storageUnavailable();
  }

  switch (outcome.kind) {
    case "joined":
      // No log line per join: the host row written in the same batch records it, and a console.log
      // here cost about a fifth of join throughput in the local benchmark (BENCHMARKS.md).
      return c.json({ result: hostView(outcome.host) }, 201);
    case "replayed":
      return c.json({ result: hostView(outcome.host) }, 200);
    case "invalid":
      throw await guessRejection(c, ip);
    case "revoked":
      // D1 has a revoke that this location's KV lacks: refill KV so that later attempts skip D1.
      c.executionCtx.waitUntil(markRevoked(c.env.REVOCATIONS, parts.tokenId, outcome.revokedAt, secretHash));
      recordTripwire();
      throw tokenRevoked();
    case "expired":
      recordTripwire();
      throw tokenExpired();
    case "use_limit_reached":
      // A host beyond the limit has the token string too: record it like an expired-token attempt.
      recordTripwire();
      throw useLimitReached();
    case "conflict":
      log.error("join_unclassified", { token_id: parts.tokenId, request_id: c.get("requestId") });
      throw storageUnavailable();
  }
}

/**
 * Returns the host identity a retry is matched on: the ophid when the join has one, otherwise the
 * Idempotency-Key header, otherwise null (every such join is a new host).
 */
function hostKeyOf(ophid: string | undefined, idempotencyKey: string | undefined): string | null {
  if (ophid !== undefined) return `ophid:${ophid}`;
  if (idempotencyKey !== undefined) return `key:${idempotencyKey}`;
  return null;
}

/** Returns the client address that Cloudflare's edge (and wrangler dev) put in CF-Connecting-IP. */
function sourceIp(request: Request): string | null {
  return request.headers.get("cf-connecting-ip");
}

function flushWindowMs(env: Env): number {
  const value = Number(env.TRIPWIRE_FLUSH_MS);
  return Number.isFinite(value) && value >= 0 ? value : 5000;
}
