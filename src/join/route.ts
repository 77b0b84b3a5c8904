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
  async (c) => {
    try {
      return await join(c);
    } catch (error) {
      if (error instanceof ApiError && error.status !== 503 && (await isOverFailureLimit(c.env.JOIN_FAILURE_LIMITER, sourceIp(c.req.raw)))) {
        throw new ApiError(429, "RATE_LIMITED", "Too many failed joins from this address; retry after the number of seconds in Retry-After.", undefined, 60);
      }
      throw error;
    }
  },
);

async function join(c: Context<AppEnv>): Promise<Response> {
  const input = await readJsonBody(c, joinRequestSchema);
  const idempotencyKey = c.req.header("idempotency-key");
  if (idempotencyKey !== undefined) parseWith(idempotencyKeySchema, { "Idempotency-Key": idempotencyKey });

  // Cheapest check first: the format and checksum need no storage.
  const parts = parseTokenString(input.join_token);
  if (parts === null) throw tokenInvalid();

  const now = Date.now();
  const ip = sourceIp(c.req.raw);
  const secretHash = await sha256Hex(parts.secret);
  const revocation = await readRevocation(c.env.REVOCATIONS, parts.tokenId);
  if (revocation !== null) {
    // A wrong secret for a revoked token id is a guess, not the token leaking: refuse it as invalid.
    if (revocation.secretHash !== undefined && revocation.secretHash !== secretHash) throw tokenInvalid();
    recordRejectedAttempt(c.executionCtx, c.env.DB, flushWindowMs(c.env), parts.tokenId, now, ip);
    throw tokenRevoked();
  }

  let outcome;
  try {
    outcome = await runJoin(c.env.DB, {
      tokenId: parts.tokenId,
      secretHash,
      hostKey: input.ophid !== undefined ? `ophid:${input.ophid}` : idempotencyKey !== undefined ? `key:${idempotencyKey}` : null,
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
      log.info("join_accepted", { token_id: parts.tokenId, host_id: outcome.host.id, request_id: c.get("requestId") });
      return c.json({ result: hostView(outcome.host) }, 201);
    case "replayed":
      return c.json({ result: hostView(outcome.host) }, 200);
    case "invalid":
      throw tokenInvalid();
    case "revoked":
      // D1 knows of a revoke that this location's KV did not: refill KV so later attempts skip D1.
      c.executionCtx.waitUntil(markRevoked(c.env.REVOCATIONS, parts.tokenId, outcome.revokedAt, secretHash));
      recordRejectedAttempt(c.executionCtx, c.env.DB, flushWindowMs(c.env), parts.tokenId, now, ip);
      throw tokenRevoked();
    case "expired":
      recordRejectedAttempt(c.executionCtx, c.env.DB, flushWindowMs(c.env), parts.tokenId, now, ip);
      throw tokenExpired();
    case "use_limit_reached":
      // A host beyond the limit holds the token string too: record it like an expired-token attempt.
      recordRejectedAttempt(c.executionCtx, c.env.DB, flushWindowMs(c.env), parts.tokenId, now, ip);
      throw useLimitReached();
    case "conflict":
      log.error("join_unclassified", { token_id: parts.tokenId, request_id: c.get("requestId") });
      throw storageUnavailable();
  }
}

/** The client address Cloudflare's edge (and wrangler dev) put in CF-Connecting-IP. */
function sourceIp(request: Request): string | null {
  return request.headers.get("cf-connecting-ip");
}

function flushWindowMs(env: Env): number {
  const value = Number(env.TRIPWIRE_FLUSH_MS);
  return Number.isFinite(value) && value >= 0 ? value : 5000;
}
