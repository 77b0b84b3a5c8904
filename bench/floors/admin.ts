// Storage floor of the admin routes the benchmark drives, with no framework, validation or logging.
// Each request costs what the Worker's route costs in storage: the API key lookup in D1, then
//   GET    .../jointoken[?_page_token=]  one D1 query for a page of 100 tokens in id order;
//   POST   .../jointoken                 one D1 insert;
//   DELETE .../jointoken/<id>            one D1 read, one D1 update and one KV write.

import { randomHex, sha256Hex, uuidv7 } from "./ids";

interface FloorEnv {
  DB: D1Database;
  REVOCATIONS: KVNamespace;
}

const PAGE_SIZE = 100;

/** Returns the account of the `Authorization: Token <key>` header's key, or null. */
async function accountOf(request: Request, db: D1Database): Promise<string | null> {
  const key = (request.headers.get("authorization") ?? "").slice("Token ".length);
  const row = await db
    .prepare("SELECT account_id FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL")
    .bind(await sha256Hex(key))
    .first<{ account_id: string }>();
  return row?.account_id ?? null;
}

async function listTokens(url: URL, db: D1Database, accountId: string): Promise<Response> {
  const pageToken = url.searchParams.get("_page_token");
  const after = pageToken === null ? "" : atob(pageToken.replaceAll("-", "+").replaceAll("_", "/"));
  const { results } = await db
    .prepare("SELECT * FROM join_tokens WHERE account_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3")
    .bind(accountId, after, PAGE_SIZE + 1)
    .all();
  return Response.json({ results: results.slice(0, PAGE_SIZE) });
}

async function createToken(request: Request, db: D1Database, accountId: string): Promise<Response> {
  const { name } = await request.json<{ name: string }>();
  const now = Date.now();
  const id = uuidv7(now);
  const tokenId = `jt_${randomHex(8)}`;
  const secret = randomHex(16);
  await db
    .prepare(
      `INSERT INTO join_tokens (id, account_id, token_id, secret_hash, name, description, tags, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, '', '{}', ?6, ?6)`,
    )
    .bind(id, accountId, tokenId, await sha256Hex(secret), name, now)
    .run();
  return Response.json({ id, join_token: `${tokenId}_${secret}` }, { status: 201 });
}

async function revokeToken(id: string, env: FloorEnv, accountId: string): Promise<Response> {
  const row = await env.DB.prepare("SELECT token_id, secret_hash FROM join_tokens WHERE account_id = ?1 AND id = ?2")
    .bind(accountId, id)
    .first<{ token_id: string; secret_hash: string }>();
  if (row === null) return new Response("not found", { status: 404 });

  const now = Date.now();
  await env.DB.prepare("UPDATE join_tokens SET revoked_at = ?1, updated_at = ?1 WHERE id = ?2 AND revoked_at IS NULL").bind(now, id).run();
  await env.REVOCATIONS.put(`revoked:${row.token_id}`, JSON.stringify({ revoked_at: now, secret_hash: row.secret_hash }));
  return new Response(null, { status: 204 });
}

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    const accountId = await accountOf(request, env.DB);
    if (accountId === null) return new Response("unauthenticated", { status: 401 });

    const url = new URL(request.url);
    const [, id] = url.pathname.split("/jointoken/");
    if (request.method === "GET") return listTokens(url, env.DB, accountId);
    if (request.method === "POST") return createToken(request, env.DB, accountId);
    if (request.method === "DELETE" && id !== undefined) return revokeToken(id, env, accountId);
    return new Response("not found", { status: 404 });
  },
};
