import { and, eq, isNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { apiKeys } from "../db/schema";
import { ApiError, storageUnavailable } from "../lib/errors";
import { sha256Hex } from "../lib/ids";
import { describeError, log } from "../lib/log";

// Existing Infoblox clients send `Token <key>` or `Token token=<key>`; others send `Bearer <key>`.
const AUTHORIZATION = /^(?:Token\s+(?:token=)?|Bearer\s+)(\S+)\s*$/i;

const unauthenticated = () =>
  new ApiError(
    401,
    "UNAUTHENTICATED",
    "A valid API key is required: send `Authorization: Token <key>`, `Authorization: Token token=<key>` or `Authorization: Bearer <key>`.",
    "Authorization",
  );

/** Looks up the API key by its SHA-256 and sets `accountId`; rejects a missing, malformed, unknown or revoked key with 401. */
export const requireApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const match = AUTHORIZATION.exec(c.req.header("authorization") ?? "");
  if (!match) {
    c.header("WWW-Authenticate", 'Token realm="join-tokens"');
    throw unauthenticated();
  }

  let row;
  try {
    const keyHash = await sha256Hex(match[1]!);
    row = await drizzle(c.env.DB)
      .select({ accountId: apiKeys.accountId })
      .from(apiKeys)
      .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)))
      .get();
  } catch (error) {
    log.error("api_key_lookup_failed", { request_id: c.get("requestId"), error: describeError(error) });
    throw storageUnavailable();
  }
  if (row === undefined) {
    c.header("WWW-Authenticate", 'Token realm="join-tokens"');
    throw unauthenticated();
  }

  c.set("accountId", row.accountId);
  await next();
});
