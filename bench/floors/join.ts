// Storage floor of the join path: the least storage work a join can do, with no framework, validation
// or logging. A token that KV marks revoked costs one KV read. Any other token costs one KV read and
// one D1 batch (the conditional host insert, the use count and the outcome read), as src/join/run-join.ts
// does. The benchmark sends only well-formed bodies without `ophid`, so this reads no other fields.

import { sha256Hex, uuidv7 } from "./ids";

interface FloorEnv {
  DB: D1Database;
  REVOCATIONS: KVNamespace;
}

interface JoinBody {
  join_token: string;
  host_serial: string;
}

// Offsets in `jt_<token id: 16>_<secret: 32><checksum: 6>`.
const TOKEN_ID_END = 19;
const SECRET_START = 20;
const SECRET_END = 52;

const INSERT_HOST = `
INSERT INTO hosts (id, join_token_id, account_id, host_key, ophid, host_serial, src_ip, created_at)
SELECT ?1, id, account_id, NULL, NULL, ?3, ?4, ?5
FROM join_tokens
WHERE token_id = ?2 AND secret_hash = ?6 AND revoked_at IS NULL
  AND (expires_at IS NULL OR expires_at > ?5)
  AND (use_limit IS NULL OR use_counter < use_limit)
ON CONFLICT DO NOTHING`;

const COUNT_USE = `
UPDATE join_tokens SET use_counter = use_counter + 1, last_used_at = ?2
WHERE id = (SELECT join_token_id FROM hosts WHERE id = ?1)`;

const READ_OUTCOME = `
SELECT t.id, t.account_id, t.name, t.token_id, h.id AS host_id, h.host_serial, h.src_ip, h.created_at
FROM join_tokens t LEFT JOIN hosts h ON h.id = ?2
WHERE t.token_id = ?1`;

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    const body = await request.json<JoinBody>();
    const tokenId = body.join_token.slice(0, TOKEN_ID_END);
    if ((await env.REVOCATIONS.get(`revoked:${tokenId}`)) !== null) return new Response("revoked", { status: 403 });

    const now = Date.now();
    const hostId = uuidv7(now);
    const secretHash = await sha256Hex(body.join_token.slice(SECRET_START, SECRET_END));
    const srcIp = request.headers.get("cf-connecting-ip");
    const [, , outcome] = await env.DB.batch([
      env.DB.prepare(INSERT_HOST).bind(hostId, tokenId, body.host_serial, srcIp, now, secretHash),
      env.DB.prepare(COUNT_USE).bind(hostId, now),
      env.DB.prepare(READ_OUTCOME).bind(tokenId, hostId),
    ]);

    const row = outcome?.results[0] as { host_id: string | null } | undefined;
    if (row === undefined || row.host_id !== hostId) return new Response("invalid", { status: 401 });
    return Response.json(row, { status: 201 });
  },
};
