import { describeError, log } from "./log";

// KV key `revoked:<token_id>` → `{"revoked_at": <epoch ms>, "secret_hash": <SHA-256 hex>}`, written with
// no expiry because a revoke is permanent. The secret's hash lets the edge tell the holder of the
// token (a tripwire event) from someone guessing at a token id, still without reading D1.
// This module only ever puts these keys (on revoke and on refill) and never deletes one, so a
// refill built from a stale read cannot un-revoke a token. KV is eventually consistent (about 60 s
// between locations), so it may only speed up a refusal: a token it does not mark is checked in D1.

const revokedKey = (tokenId: string) => `revoked:${tokenId}`;

/** A revocation as cached in KV. `secretHash` is absent in values written before it was added. */
export interface CachedRevocation {
  revokedAt: number;
  secretHash?: string;
}

/** Returns the token's cached revocation; null on a miss, on an unreadable value and on any KV failure. */
export async function readRevocation(kv: KVNamespace, tokenId: string): Promise<CachedRevocation | null> {
  let value: { revoked_at?: unknown; secret_hash?: unknown } | null;
  try {
    value = await kv.get(revokedKey(tokenId), "json");
  } catch (error) {
    log.warn("kv_read_failed", { token_id: tokenId, error: describeError(error) });
    return null;
  }
  if (value === null || typeof value !== "object" || typeof value.revoked_at !== "number") return null;
  return typeof value.secret_hash === "string"
    ? { revokedAt: value.revoked_at, secretHash: value.secret_hash }
    : { revokedAt: value.revoked_at };
}

/** Marks a token revoked in KV. Logs and swallows failures, because D1 already has the revoke. */
export async function markRevoked(kv: KVNamespace, tokenId: string, revokedAt: number, secretHash: string): Promise<void> {
  try {
    await kv.put(revokedKey(tokenId), JSON.stringify({ revoked_at: revokedAt, secret_hash: secretHash }));
  } catch (error) {
    log.warn("kv_write_failed", { token_id: tokenId, error: describeError(error) });
  }
}
