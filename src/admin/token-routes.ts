import { and, asc, desc, eq, gt, isNull, lt, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { hosts, joinTokens, type JoinTokenRow } from "../db/schema";
import { readJsonBody } from "../lib/body";
import { ApiError, invalidArgument, notFound } from "../lib/errors";
import { hostView } from "../lib/host-view";
import { sha256Hex, uuidv7 } from "../lib/ids";
import { log } from "../lib/log";
import { markRevoked } from "../lib/revocations";
import { generateTokenString } from "../lib/token-string";
import { isResourceId, pageInfo, readPage } from "./paging";
import { createTokenSchema, revokeManySchema, updateTokenSchema } from "./token-schema";
import { tokenView } from "./token-view";

export const tokenRoutes = new Hono<AppEnv>();

const tokenNotFound = (id: string) =>
  notFound(`No join token with id ${JSON.stringify(id.slice(0, 64))} exists in this account.`, "id");

const nameTaken = (name: string) =>
  new ApiError(409, "ALREADY_EXISTS", `A join token named ${JSON.stringify(name)} already exists and is not revoked; choose another name or revoke it first.`, "name");

/** True when D1 rejected a write because of the live-name unique index. */
function isNameConflict(error: unknown): boolean {
  const text = `${String(error)} ${error instanceof Error ? String(error.cause) : ""}`;
  return text.includes("UNIQUE constraint failed") && text.includes("join_tokens.name");
}

async function findToken(env: Env, accountId: string, id: string): Promise<JoinTokenRow> {
  if (!isResourceId(id)) throw tokenNotFound(id);
  const row = await drizzle(env.DB)
    .select()
    .from(joinTokens)
    .where(and(eq(joinTokens.accountId, accountId), eq(joinTokens.id, id)))
    .get();
  if (row === undefined) throw tokenNotFound(id);
  return row;
}

tokenRoutes.post("/jointoken", async (c) => {
  const input = await readJsonBody(c, createTokenSchema);
  const now = Date.now();
  if (input.expires_at != null && input.expires_at <= now) {
    throw invalidArgument("expires_at", "expires_at is not in the future; a new token must expire after the current time, or omit expires_at.");
  }

  const { token, tokenId, secret } = generateTokenString();
  const row: JoinTokenRow = {
    id: uuidv7(now),
    accountId: c.get("accountId"),
    tokenId,
    secretHash: await sha256Hex(secret),
    name: input.name,
    description: input.description ?? "",
    tags: JSON.stringify(input.tags ?? {}),
    expiresAt: input.expires_at ?? null,
    useLimit: input.use_limit ?? null,
    useCounter: 0,
    lastUsedAt: null,
    revokedAt: null,
    createdAt: now,
    updatedAt: now,
    rejectedAttempts: 0,
    lastRejectedAt: null,
    lastRejectedIp: null,
  };
  try {
    await drizzle(c.env.DB).insert(joinTokens).values(row);
  } catch (error) {
    if (isNameConflict(error)) throw nameTaken(input.name);
    throw error;
  }

  log.info("token_created", { account_id: row.accountId, id: row.id, token_id: tokenId, request_id: c.get("requestId") });
  // The only response that carries the token string; only its hash is stored.
  return c.json({ result: tokenView(row, now), join_token: token }, 201);
});

tokenRoutes.get("/jointoken", async (c) => {
  const page = readPage(c.req.query());
  const accountId = c.get("accountId");
  // TODO: _filter, _fields, _order_by and _tfilter are accepted and ignored; results are in id (creation) order.
  const where =
    page.after === null ? eq(joinTokens.accountId, accountId) : and(eq(joinTokens.accountId, accountId), gt(joinTokens.id, page.after));
  const rows = await drizzle(c.env.DB)
    .select()
    .from(joinTokens)
    .where(where)
    .orderBy(asc(joinTokens.id))
    .limit(page.limit + 1)
    .offset(page.offset);

  const now = Date.now();
  const { items, page: info } = pageInfo(rows, page);
  return c.json({ results: items.map((row) => tokenView(row, now)), page: info });
});

tokenRoutes.get("/jointoken/:id", async (c) => {
  const row = await findToken(c.env, c.get("accountId"), c.req.param("id"));
  return c.json({ result: tokenView(row, Date.now()) });
});

tokenRoutes.patch("/jointoken/:id", async (c) => {
  const id = c.req.param("id");
  const input = await readJsonBody(c, updateTokenSchema);
  const current = await findToken(c.env, c.get("accountId"), id);
  if (input.name !== undefined && input.name !== current.name) {
    throw invalidArgument("name", "name cannot be changed; create a new token with the new name and revoke this one.");
  }

  const now = Date.now();
  const changes: Partial<JoinTokenRow> = { updatedAt: now };
  if (input.description !== undefined) changes.description = input.description ?? "";
  if (input.tags !== undefined) changes.tags = JSON.stringify(input.tags ?? {});
  if (input.expires_at !== undefined) changes.expiresAt = input.expires_at;
  // Lowering use_limit below use_counter is allowed: it stops further joins and leaves the counter as it is.
  if (input.use_limit !== undefined) changes.useLimit = input.use_limit;

  const updated = await drizzle(c.env.DB)
    .update(joinTokens)
    .set(changes)
    .where(and(eq(joinTokens.accountId, c.get("accountId")), eq(joinTokens.id, id)))
    .returning()
    .get();
  if (updated === undefined) throw tokenNotFound(id);

  // 201 is what the Host Activation API documents for PATCH; its clients accept any 2xx.
  return c.json({ result: tokenView(updated, now) }, 201);
});

tokenRoutes.delete("/jointoken/:id", async (c) => {
  const row = await findToken(c.env, c.get("accountId"), c.req.param("id"));
  await revoke(c.env, [row], c.get("requestId"));
  return c.body(null, 204);
});

tokenRoutes.delete("/jointokens", async (c) => {
  const { ids } = await readJsonBody(c, revokeManySchema);
  const accountId = c.get("accountId");
  const unique = [...new Set(ids)];
  const malformed = ids.findIndex((id) => !isResourceId(id));
  if (malformed !== -1) throw notFound(`No join token with id ${JSON.stringify(ids[malformed])} exists in this account.`, `ids.${malformed}`);

  const rows = await drizzle(c.env.DB)
    .select()
    .from(joinTokens)
    .where(and(eq(joinTokens.accountId, accountId), idIn(unique)));
  const found = new Set(rows.map((row) => row.id));
  const missing = ids.findIndex((id) => !found.has(id));
  // All or nothing: one unknown id revokes none of them.
  if (missing !== -1) throw notFound(`No join token with id ${JSON.stringify(ids[missing])} exists in this account; nothing was revoked.`, `ids.${missing}`);

  await revoke(c.env, rows, c.get("requestId"));
  return c.body(null, 204);
});

/**
 * Revokes tokens in D1 with one UPDATE (atomic, one round trip, a single statement whatever the
 * number of ids), then marks each in KV. Revoking a revoked token keeps its first revoke time and
 * is not an error; KV is written again in case an earlier write failed.
 */
async function revoke(env: Env, rows: JoinTokenRow[], requestId: string): Promise<void> {
  const [first] = rows;
  if (first === undefined) return;

  const now = Date.now();
  await drizzle(env.DB)
    .update(joinTokens)
    .set({ revokedAt: now, updatedAt: now })
    .where(and(eq(joinTokens.accountId, first.accountId), isNull(joinTokens.revokedAt), idIn(rows.map((row) => row.id))));

  for (const row of rows) {
    log.info("token_revoked", { account_id: row.accountId, id: row.id, token_id: row.tokenId, request_id: requestId });
  }
  await Promise.all(rows.map((row) => markRevoked(env.REVOCATIONS, row.tokenId, row.revokedAt ?? now, row.secretHash)));
}

// D1 allows at most 100 bound parameters per query (Cloudflare's D1 limits page), and a bulk revoke
// takes up to 100 ids plus other values, so ids go in as one JSON array parameter.
const idIn = (ids: string[]) => sql`${joinTokens.id} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`;

tokenRoutes.get("/jointoken/:id/hosts", async (c) => {
  const token = await findToken(c.env, c.get("accountId"), c.req.param("id"));
  const page = readPage(c.req.query());
  // Newest first: host ids are UUIDv7, so id order is join order.
  const where =
    page.after === null ? eq(hosts.joinTokenId, token.id) : and(eq(hosts.joinTokenId, token.id), lt(hosts.id, page.after));
  const rows = await drizzle(c.env.DB)
    .select()
    .from(hosts)
    .where(where)
    .orderBy(desc(hosts.id))
    .limit(page.limit + 1)
    .offset(page.offset);

  const { items, page: info } = pageInfo(rows, page);
  const tokenRef = { id: token.id, name: token.name, tokenId: token.tokenId };
  return c.json({
    results: items.map((host) =>
      hostView({ id: host.id, ophid: host.ophid, hostSerial: host.hostSerial, srcIp: host.srcIp, createdAt: host.createdAt, accountId: host.accountId, token: tokenRef }),
    ),
    page: info,
  });
});
