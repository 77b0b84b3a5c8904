import { describeError, log } from "./log";

// KV key `revoked:<token_id>` → `{"revoked_at": <epoch ms>}`, written with no expiry because a revoke
// is permanent. KV only ever gains these keys (on revoke and on refill), never loses them, so a
// refill built from a stale read cannot un-revoke a token. KV is eventually consistent (about 60 s
// between locations), so it may only speed up a refusal: a token it does not mark is checked in D1.

const revokedKey = (tokenId: string) => `revoked:${tokenId}`;

/** Returns true when KV marks the token revoked; false on a miss and on any KV failure. */
export async function isMarkedRevoked(kv: KVNamespace, tokenId: string): Promise<boolean> {
  try {
    return (await kv.get(revokedKey(tokenId))) !== null;
  } catch (error) {
    log.warn("kv_read_failed", { token_id: tokenId, error: describeError(error) });
    return false;
  }
}

/** Marks a token revoked in KV. Logs and swallows failures: D1 already holds the revoke. */
export async function markRevoked(kv: KVNamespace, tokenId: string, revokedAt: number): Promise<void> {
  try {
    await kv.put(revokedKey(tokenId), JSON.stringify({ revoked_at: revokedAt }));
  } catch (error) {
    log.warn("kv_write_failed", { token_id: tokenId, error: describeError(error) });
  }
}
